/* test_err - error setting, violations (first fills the summary, the
 * overflow is counted), status names and HTTP codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "err.h"

#include "banned.h"

static void test_err_set_and_clear(void **state)
{
    struct ccai_error err;

    (void)state;
    ccai_error_clear(&err);
    assert_int_equal(err.status, CCAI_OK);
    assert_int_equal(
        ccai_error_set(&err, CCAI_E_TOO_LARGE, "/text", "over %d", 5), -1);
    assert_int_equal(err.status, CCAI_E_TOO_LARGE);
    assert_string_equal(err.field, "/text");
    assert_string_equal(err.message, "over 5");
    assert_int_equal(ccai_error_set(NULL, CCAI_E_IO, "", "x"), -1);
}

static void test_err_violations_summary_and_overflow(void **state)
{
    struct ccai_error err;

    (void)state;
    ccai_error_clear(&err);
    ccai_error_add(&err, "/contact_id", "is required");
    assert_int_equal(err.status, CCAI_E_INVALID);
    assert_string_equal(err.field, "/contact_id");
    assert_string_equal(err.message, "/contact_id: is required");
    for (int i = 0; i < CCAI_MAX_VIOLATIONS + 3; i++)
        ccai_error_add(&err, "/x", "bad %d", i);
    assert_int_equal(err.n_violations, CCAI_MAX_VIOLATIONS);
    assert_int_equal(err.n_dropped, 4);
    assert_string_equal(err.field, "/contact_id");
}

/* a violation of the whole document (pointer "") still has a message */
static void test_err_violation_at_root(void **state)
{
    struct ccai_error err;

    (void)state;
    ccai_error_clear(&err);
    ccai_error_add(&err, "", "body is not valid JSON");
    assert_string_equal(err.field, "");
    assert_string_equal(err.message, "body is not valid JSON");
}

static void test_err_status_http_codes(void **state)
{
    (void)state;
    assert_int_equal(ccai_status_http(CCAI_E_INVALID), 400);
    assert_int_equal(ccai_status_http(CCAI_E_UNAUTHORIZED), 401);
    assert_int_equal(ccai_status_http(CCAI_E_METHOD), 405);
    assert_int_equal(ccai_status_http(CCAI_E_TOO_LARGE), 413);
    assert_int_equal(ccai_status_http(CCAI_E_MEDIA_TYPE), 415);
    assert_int_equal(ccai_status_http(CCAI_E_RATE_LIMITED), 429);
    assert_int_equal(ccai_status_http(CCAI_E_NOT_IMPLEMENTED), 501);
    assert_int_equal(ccai_status_http(CCAI_E_UNAVAILABLE), 503);
    assert_int_equal(ccai_status_http(CCAI_E_TIMEOUT), 504);
    assert_int_equal(ccai_status_http((enum ccai_status)999), 500);
    assert_string_equal(ccai_status_name(CCAI_E_RATE_LIMITED), "rate_limited");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_set_and_clear),
        cmocka_unit_test(test_err_violations_summary_and_overflow),
        cmocka_unit_test(test_err_violation_at_root),
        cmocka_unit_test(test_err_status_http_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
