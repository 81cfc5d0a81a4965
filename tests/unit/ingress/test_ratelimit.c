/* test_ratelimit - token buckets driven by a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ratelimit.h"

#include "banned.h"

static void test_ratelimit_allows_burst_then_limits(void **state)
{
    struct ratelimit *rl = ratelimit_new(10, 5, 2);
    long retry = 0;

    (void)state;
    assert_non_null(rl);
    for (int i = 0; i < 5; i++)
        assert_true(ratelimit_take(rl, 0, 1, 1000, &retry));
    assert_false(ratelimit_take(rl, 0, 1, 1000, &retry));
    assert_int_equal(retry, 1); /* 0.1 s rounds up to 1 */
    /* the other key has its own bucket */
    assert_true(ratelimit_take(rl, 1, 1, 1000, &retry));
    ratelimit_free(rl);
}

static void test_ratelimit_refills_at_rps_and_caps_at_burst(void **state)
{
    struct ratelimit *rl = ratelimit_new(10, 5, 1);
    long retry = 0;
    int ok = 0;

    (void)state;
    for (int i = 0; i < 5; i++)
        assert_true(ratelimit_take(rl, 0, 1, 0, NULL));
    /* 100 ms later exactly one token is back */
    assert_true(ratelimit_take(rl, 0, 1, 100, &retry));
    assert_false(ratelimit_take(rl, 0, 1, 100, &retry));
    /* an hour later the bucket holds the burst, not 36000 tokens */
    for (int i = 0; i < 20; i++)
        ok += ratelimit_take(rl, 0, 1, 3600 * 1000, NULL);
    assert_int_equal(ok, 5);
    ratelimit_free(rl);
}

static void test_ratelimit_retry_after_is_ceil_seconds(void **state)
{
    struct ratelimit *rl = ratelimit_new(1, 1, 1);
    long retry = 0;

    (void)state;
    assert_true(ratelimit_take(rl, 0, 1, 0, &retry));
    assert_false(ratelimit_take(rl, 0, 1, 0, &retry));
    assert_int_equal(retry, 1);
    assert_false(ratelimit_take(rl, 0, 1, 400, &retry));
    assert_int_equal(retry, 1); /* 0.6 s -> 1 */
    ratelimit_free(rl);

    rl = ratelimit_new(1, 10, 1);
    for (int i = 0; i < 10; i++)
        assert_true(ratelimit_take(rl, 0, 1, 0, NULL));
    assert_false(ratelimit_take(rl, 0, 5, 0, &retry));
    assert_int_equal(retry, 5);
    ratelimit_free(rl);
}

static void test_ratelimit_off_when_not_configured(void **state)
{
    (void)state;
    assert_null(ratelimit_new(0, 0, 1));
    assert_null(ratelimit_new(10, 0, 1));
    assert_true(ratelimit_take(NULL, 0, 1, 0, NULL));
}

static void test_ratelimit_clock_going_backwards_adds_nothing(void **state)
{
    struct ratelimit *rl = ratelimit_new(10, 1, 1);

    (void)state;
    assert_true(ratelimit_take(rl, 0, 1, 5000, NULL));
    assert_false(ratelimit_take(rl, 0, 1, 1000, NULL));
    ratelimit_free(rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ratelimit_allows_burst_then_limits),
        cmocka_unit_test(test_ratelimit_refills_at_rps_and_caps_at_burst),
        cmocka_unit_test(test_ratelimit_retry_after_is_ceil_seconds),
        cmocka_unit_test(test_ratelimit_off_when_not_configured),
        cmocka_unit_test(test_ratelimit_clock_going_backwards_adds_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
