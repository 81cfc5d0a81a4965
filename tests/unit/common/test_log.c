/* test_log - level parsing and JSON escaping of log fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "log.h"

#include "banned.h"

static void test_log_level_parse(void **state)
{
    enum ccai_log_level lvl = CCAI_LOG_OFF;

    (void)state;
    assert_int_equal(ccai_log_level_parse("debug", &lvl), 0);
    assert_int_equal(lvl, CCAI_LOG_DEBUG);
    assert_int_equal(ccai_log_level_parse("warning", &lvl), 0);
    assert_int_equal(lvl, CCAI_LOG_WARN);
    assert_int_equal(ccai_log_level_parse("error", &lvl), 0);
    assert_int_equal(ccai_log_level_parse("loud", &lvl), -1);
}

static void test_log_level_filters(void **state)
{
    (void)state;
    ccai_log_init("test", CCAI_LOG_WARN);
    assert_false(ccai_log_enabled(CCAI_LOG_INFO));
    assert_true(ccai_log_enabled(CCAI_LOG_ERROR));
    ccai_log_init("test", CCAI_LOG_INFO);
}

static void test_log_json_escape_and_truncation(void **state)
{
    char out[64];
    char tiny[6];

    (void)state;
    ccai_log_json_escape("a\"b\\c\nd", out, sizeof(out));
    assert_string_equal(out, "a\\\"b\\\\c\\nd");
    ccai_log_json_escape("abcdefghij", tiny, sizeof(tiny));
    assert_true(strlen(tiny) < sizeof(tiny));
    /* never cut an escape in half */
    ccai_log_json_escape("abcd\"", tiny, sizeof(tiny));
    assert_true(strlen(tiny) < sizeof(tiny));
    assert_int_not_equal(tiny[strlen(tiny) - 1], '\\');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_level_parse),
        cmocka_unit_test(test_log_level_filters),
        cmocka_unit_test(test_log_json_escape_and_truncation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
