/* test_buf - bounded buffer: appends, the hard maximum, JSON strings,
 * detach. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"

#include "banned.h"

static void test_buf_appends_and_stays_terminated(void **state)
{
    struct ccai_buf b;

    (void)state;
    ccai_buf_init(&b, 64);
    assert_int_equal(ccai_buf_adds(&b, "ab"), 0);
    assert_int_equal(ccai_buf_addf(&b, "-%d-", 42), 0);
    assert_int_equal(ccai_buf_add(&b, "xyz", 2), 0);
    assert_string_equal(b.data, "ab-42-xy");
    assert_int_equal(b.len, 8);
    ccai_buf_reset(&b);
    assert_int_equal(b.len, 0);
    ccai_buf_release(&b);
}

static void test_buf_refuses_past_maximum_and_keeps_contents(void **state)
{
    struct ccai_buf b;
    char big[100];

    (void)state;
    memset(big, 'x', sizeof(big));
    ccai_buf_init(&b, 10);
    assert_int_equal(ccai_buf_add(&b, big, 8), 0);
    assert_int_equal(ccai_buf_add(&b, big, 3), -1);
    assert_int_equal(b.len, 8);
    assert_int_equal(ccai_buf_add(&b, big, 2), 0);
    assert_int_equal(ccai_buf_addf(&b, "%s", "y"), -1);
    assert_int_equal(b.len, 10);
    ccai_buf_release(&b);
}

static void test_buf_json_string_escapes(void **state)
{
    struct ccai_buf b;

    (void)state;
    ccai_buf_init(&b, 256);
    assert_int_equal(ccai_buf_add_json_string(&b, "a\"b\\c\n\x01"), 0);
    assert_string_equal(b.data, "\"a\\\"b\\\\c\\n\\u0001\"");
    ccai_buf_release(&b);
}

static void test_buf_detach_takes_ownership(void **state)
{
    struct ccai_buf b;
    size_t len = 0;
    char *s = NULL;

    (void)state;
    ccai_buf_init(&b, 16);
    s = ccai_buf_detach(&b, &len);
    assert_non_null(s);
    assert_string_equal(s, "");
    free(s);
    ccai_buf_adds(&b, "hello");
    s = ccai_buf_detach(&b, &len);
    assert_string_equal(s, "hello");
    assert_int_equal(len, 5);
    assert_int_equal(b.len, 0);
    free(s);
    ccai_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_appends_and_stays_terminated),
        cmocka_unit_test(test_buf_refuses_past_maximum_and_keeps_contents),
        cmocka_unit_test(test_buf_json_string_escapes),
        cmocka_unit_test(test_buf_detach_takes_ownership),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
