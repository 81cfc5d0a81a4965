/* test_id - UUIDv7 shape and order, traceparent validation and child
 * spans, RFC 3339 rendering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "id.h"

#include "banned.h"

static void test_id_uuid7_shape_and_version(void **state)
{
    char a[CCAI_UUID_LEN + 1];
    char b[CCAI_UUID_LEN + 1];

    (void)state;
    ccai_uuid7(a);
    ccai_uuid7(b);
    assert_int_equal(strlen(a), 36);
    assert_int_equal(a[8], '-');
    assert_int_equal(a[13], '-');
    assert_int_equal(a[14], '7');               /* version */
    assert_true(strchr("89ab", a[19]) != NULL); /* variant */
    assert_string_not_equal(a, b);
    /* the 48-bit millisecond prefix never goes backwards */
    assert_true(memcmp(a, b, 8) <= 0);
}

static void test_id_traceparent_validation(void **state)
{
    (void)state;
    assert_true(ccai_traceparent_is_valid(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
    assert_false(ccai_traceparent_is_valid(
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
    assert_false(ccai_traceparent_is_valid(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"));
    assert_false(ccai_traceparent_is_valid(
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));
    assert_false(ccai_traceparent_is_valid("00-abc"));
    assert_false(ccai_traceparent_is_valid(NULL));
}

static void test_id_traceparent_child_keeps_trace(void **state)
{
    static const char in[] =
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
    char out[CCAI_TRACEPARENT_LEN + 1];

    (void)state;
    ccai_traceparent_child(in, out);
    assert_true(ccai_traceparent_is_valid(out));
    assert_memory_equal(out, in, 36);
    assert_string_equal(out + 52, "-00"); /* flags kept */
    ccai_traceparent_child("nope", out);
    assert_true(ccai_traceparent_is_valid(out));
}

static void test_id_rfc3339_with_millis(void **state)
{
    char out[32];

    (void)state;
    ccai_time_rfc3339(0, out);
    assert_string_equal(out, "1970-01-01T00:00:00.000Z");
    ccai_time_rfc3339(1764201600123LL, out);
    assert_string_equal(out, "2025-11-27T00:00:00.123Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_uuid7_shape_and_version),
        cmocka_unit_test(test_id_traceparent_validation),
        cmocka_unit_test(test_id_traceparent_child_keeps_trace),
        cmocka_unit_test(test_id_rfc3339_with_millis),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
