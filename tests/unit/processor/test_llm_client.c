/* test_llm_client - the pure parts of the LLM transport: full-jitter
 * backoff, retry-after parsing (ms, seconds, HTTP dates, garbage), OpenAI
 * reset durations, retryable statuses, the circuit breaker state machine
 * and the RPM/TPM budgets, all with time as an input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "breaker.h"
#include "llm_client.h"
#include "ratelimit_budget.h"

static void test_backoff_grows_exponentially_up_to_the_cap(void **state)
{
    (void)state;
    /* rand01 just below 1 gives the ceiling of each attempt */
    assert_int_equal(llm_backoff_ms(500, 30000, 1, 0.999999), 500);
    assert_int_equal(llm_backoff_ms(500, 30000, 2, 0.999999), 1000);
    assert_int_equal(llm_backoff_ms(500, 30000, 3, 0.999999), 2000);
    assert_int_equal(llm_backoff_ms(500, 30000, 7, 0.999999), 30000);
    assert_int_equal(llm_backoff_ms(500, 30000, 200, 0.999999), 30000);
}

static void test_backoff_is_full_jitter(void **state)
{
    (void)state;
    assert_int_equal(llm_backoff_ms(500, 30000, 3, 0.0), 0);
    assert_int_equal(llm_backoff_ms(500, 30000, 3, 0.5), 1000);
    for (int i = 0; i < 100; i++) {
        long v = llm_backoff_ms(100, 800, 4, (double)i / 100.0);

        assert_true(v >= 0 && v <= 800);
    }
}

static void test_backoff_handles_degenerate_input(void **state)
{
    (void)state;
    assert_int_equal(llm_backoff_ms(0, 30000, 3, 0.9), 0);
    assert_int_equal(llm_backoff_ms(500, 0, 3, 0.9), 0);
    assert_int_equal(llm_backoff_ms(500, 300, 1, 0.999999), 300);
    assert_int_equal(llm_backoff_ms(500, 30000, 0, 0.999999), 500);
}

static void test_retry_after_ms_wins_over_seconds(void **state)
{
    (void)state;
    assert_int_equal(llm_retry_after_ms("1500", "20", 0, 60000), 1500);
    assert_int_equal(llm_retry_after_ms("250.4", NULL, 0, 60000), 250);
    assert_int_equal(llm_retry_after_ms(NULL, "2", 0, 60000), 2000);
    assert_int_equal(llm_retry_after_ms(NULL, "0.5", 0, 60000), 500);
}

static void test_retry_after_is_capped(void **state)
{
    (void)state;
    assert_int_equal(llm_retry_after_ms("90000", NULL, 0, 30000), 30000);
    assert_int_equal(llm_retry_after_ms(NULL, "3600", 0, 30000), 30000);
}

static void test_retry_after_http_date(void **state)
{
    /* Sun, 06 Nov 1994 08:49:37 GMT = 784111777 */
    const char *date = "Sun, 06 Nov 1994 08:49:37 GMT";

    (void)state;
    assert_int_equal(llm_retry_after_ms(NULL, date, 784111777 - 7, 60000),
                     7000);
    assert_int_equal(llm_retry_after_ms(NULL, date, 784111777 + 50, 60000), 0);
    assert_int_equal(llm_retry_after_ms(NULL, date, 0, 30000), 30000);
}

static void test_retry_after_garbage_is_unusable(void **state)
{
    (void)state;
    assert_int_equal(llm_retry_after_ms(NULL, NULL, 0, 30000), -1);
    assert_int_equal(llm_retry_after_ms("", "", 0, 30000), -1);
    assert_int_equal(llm_retry_after_ms("soon", "later", 0, 30000), -1);
    assert_int_equal(llm_retry_after_ms("-5", "-1", 0, 30000), -1);
    assert_int_equal(llm_retry_after_ms("12abc", "3x", 0, 30000), -1);
    /* a bad ms header falls back to a good seconds header */
    assert_int_equal(llm_retry_after_ms("bad", "4", 0, 30000), 4000);
}

static void test_reset_durations(void **state)
{
    (void)state;
    assert_int_equal(llm_parse_reset_ms("6m0s"), 360000);
    assert_int_equal(llm_parse_reset_ms("1s"), 1000);
    assert_int_equal(llm_parse_reset_ms("20ms"), 20);
    assert_int_equal(llm_parse_reset_ms("0.5s"), 500);
    assert_int_equal(llm_parse_reset_ms("1h2m3s"), 3723000);
    assert_int_equal(llm_parse_reset_ms("17.294s"), 17294);
    assert_int_equal(llm_parse_reset_ms("1.5ms"), 2); /* rounded up */
    assert_int_equal(llm_parse_reset_ms("0"), 0);
}

static void test_reset_durations_malformed(void **state)
{
    (void)state;
    assert_int_equal(llm_parse_reset_ms(NULL), -1);
    assert_int_equal(llm_parse_reset_ms(""), -1);
    assert_int_equal(llm_parse_reset_ms("5"), -1);
    assert_int_equal(llm_parse_reset_ms("s"), -1);
    assert_int_equal(llm_parse_reset_ms("1x"), -1);
    assert_int_equal(llm_parse_reset_ms("-1s"), -1);
    assert_int_equal(llm_parse_reset_ms("1s "), -1);
}

static void test_retryable_statuses(void **state)
{
    static const long yes[] = {408, 409, 429, 500, 502, 503, 504, 599};
    static const long no[] = {200, 400, 401, 403, 404, 413, 422, 600};

    (void)state;
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        assert_true(llm_status_is_retryable(yes[i]));
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        assert_false(llm_status_is_retryable(no[i]));
}

static void test_outcome_names(void **state)
{
    (void)state;
    assert_string_equal(llm_outcome_name(LLM_OK), "ok");
    assert_string_equal(llm_outcome_name(LLM_FAIL_QUOTA), "quota");
    assert_string_equal(llm_outcome_name(LLM_FAIL_CIRCUIT_OPEN),
                        "circuit_open");
    assert_string_equal(llm_outcome_name(LLM_FAIL_CANCELLED), "cancelled");
}

static void test_breaker_opens_after_threshold_failures(void **state)
{
    struct breaker b;

    (void)state;
    breaker_init(&b, 3, 1000);
    assert_true(breaker_allow(&b, 0, NULL));
    breaker_on_failure(&b, 10);
    breaker_on_failure(&b, 20);
    assert_int_equal(b.state, BREAKER_CLOSED);
    breaker_on_failure(&b, 30);
    assert_int_equal(b.state, BREAKER_OPEN);
    assert_false(breaker_allow(&b, 31, NULL));
    assert_false(breaker_would_allow(&b, 1029));
    assert_int_equal(breaker_ms_until_half_open(&b, 530), 500);
}

static void test_breaker_success_resets_the_count(void **state)
{
    struct breaker b;

    (void)state;
    breaker_init(&b, 3, 1000);
    breaker_on_failure(&b, 0);
    breaker_on_failure(&b, 0);
    breaker_on_success(&b, 0);
    breaker_on_failure(&b, 0);
    breaker_on_failure(&b, 0);
    assert_int_equal(b.state, BREAKER_CLOSED);
}

static void test_breaker_half_open_lets_one_probe_through(void **state)
{
    struct breaker b;
    bool probe = false;

    (void)state;
    breaker_init(&b, 1, 1000);
    breaker_on_failure(&b, 0);
    assert_true(breaker_would_allow(&b, 1000));
    assert_true(breaker_allow(&b, 1000, &probe));
    assert_true(probe);
    assert_int_equal(b.state, BREAKER_HALF_OPEN);
    assert_false(breaker_allow(&b, 1001, &probe));
    assert_false(probe);
    breaker_on_success(&b, 1200);
    assert_int_equal(b.state, BREAKER_CLOSED);
    assert_true(breaker_allow(&b, 1201, &probe));
    assert_false(probe);
}

static void test_breaker_failed_probe_reopens(void **state)
{
    struct breaker b;

    (void)state;
    breaker_init(&b, 2, 500);
    breaker_on_failure(&b, 0);
    breaker_on_failure(&b, 0);
    assert_true(breaker_allow(&b, 600, NULL));
    breaker_on_failure(&b, 700);
    assert_int_equal(b.state, BREAKER_OPEN);
    assert_false(breaker_allow(&b, 1100, NULL)); /* open since 700 */
    assert_true(breaker_allow(&b, 1200, NULL));
    breaker_on_probe_abandoned(&b);
    assert_true(breaker_allow(&b, 1201, NULL));
    assert_string_equal(breaker_state_name(b.state), "half_open");
}

static void test_breaker_threshold_zero_never_opens(void **state)
{
    struct breaker b;

    (void)state;
    breaker_init(&b, 0, 500);
    for (int i = 0; i < 1000; i++)
        breaker_on_failure(&b, i);
    assert_int_equal(b.state, BREAKER_CLOSED);
}

static void test_budget_unlimited_never_waits(void **state)
{
    struct ratelimit_budget b;
    long req = 0;
    long tok = 0;

    (void)state;
    ratelimit_budget_init(&b, 0, 0, 0);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(ratelimit_budget_take(&b, 5000, 0), 0);
    ratelimit_budget_available(&b, 0, &req, &tok);
    assert_int_equal(req, -1);
    assert_int_equal(tok, -1);
}

static void test_budget_rpm_allows_a_second_of_burst_then_paces(void **state)
{
    struct ratelimit_budget b;
    int started = 0;

    (void)state;
    ratelimit_budget_init(&b, 600, 0, 0); /* 10 per second */
    while (ratelimit_budget_take(&b, 1, 0) == 0)
        started++;
    assert_int_equal(started, 10);
    assert_int_equal(ratelimit_budget_take(&b, 1, 0), 100);
    assert_int_equal(ratelimit_budget_take(&b, 1, 100), 0);
    /* over a minute, no more than rpm plus the burst */
    started = 0;
    for (int64_t t = 100; t <= 60100; t += 10)
        while (ratelimit_budget_take(&b, 1, t) == 0)
            started++;
    assert_true(started <= 600);
    assert_true(started >= 590);
}

static void test_budget_tpm_big_request_waits_for_a_full_bucket(void **state)
{
    struct ratelimit_budget b;
    long wait = 0;

    (void)state;
    ratelimit_budget_init(&b, 0, 6000, 0); /* 100 tokens/s, burst 100 */
    assert_int_equal(ratelimit_budget_take(&b, 300, 0), 0); /* debt -200 */
    wait = ratelimit_budget_take(&b, 50, 0);
    assert_int_equal(wait, 2500); /* back to +50 */
    assert_int_equal(ratelimit_budget_take(&b, 50, 2500), 0);
}

static void test_budget_learns_remaining_zero_and_holds(void **state)
{
    struct ratelimit_budget b;

    (void)state;
    ratelimit_budget_init(&b, 0, 0, 0);
    ratelimit_budget_learn(&b, 0, 1500, 5000, 100, 1000);
    assert_int_equal(b.learned_req_remaining, 0);
    assert_int_equal(b.learned_tok_remaining, 5000);
    assert_int_equal(ratelimit_budget_take(&b, 1, 1000), 1500);
    assert_int_equal(ratelimit_budget_take(&b, 1, 2499), 1);
    assert_int_equal(ratelimit_budget_take(&b, 1, 2500), 0);
}

static void test_budget_learned_remaining_caps_the_bucket(void **state)
{
    struct ratelimit_budget b;
    long req = 0;

    (void)state;
    ratelimit_budget_init(&b, 6000, 0, 0); /* burst 100 */
    ratelimit_budget_learn(&b, 3, -1, -1, -1, 0);
    ratelimit_budget_available(&b, 0, &req, NULL);
    assert_int_equal(req, 3);
    ratelimit_budget_learn(&b, 0, -1, -1, -1, 0); /* unknown reset: 1 s */
    assert_int_equal(ratelimit_budget_take(&b, 1, 0), 1000);
}

static void test_budget_hold(void **state)
{
    struct ratelimit_budget b;

    (void)state;
    ratelimit_budget_init(&b, 0, 0, 0);
    ratelimit_budget_hold(&b, 300, 100);
    assert_int_equal(ratelimit_budget_take(&b, 1, 100), 300);
    assert_int_equal(ratelimit_budget_take(&b, 1, 400), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff_grows_exponentially_up_to_the_cap),
        cmocka_unit_test(test_backoff_is_full_jitter),
        cmocka_unit_test(test_backoff_handles_degenerate_input),
        cmocka_unit_test(test_retry_after_ms_wins_over_seconds),
        cmocka_unit_test(test_retry_after_is_capped),
        cmocka_unit_test(test_retry_after_http_date),
        cmocka_unit_test(test_retry_after_garbage_is_unusable),
        cmocka_unit_test(test_reset_durations),
        cmocka_unit_test(test_reset_durations_malformed),
        cmocka_unit_test(test_retryable_statuses),
        cmocka_unit_test(test_outcome_names),
        cmocka_unit_test(test_breaker_opens_after_threshold_failures),
        cmocka_unit_test(test_breaker_success_resets_the_count),
        cmocka_unit_test(test_breaker_half_open_lets_one_probe_through),
        cmocka_unit_test(test_breaker_failed_probe_reopens),
        cmocka_unit_test(test_breaker_threshold_zero_never_opens),
        cmocka_unit_test(test_budget_unlimited_never_waits),
        cmocka_unit_test(test_budget_rpm_allows_a_second_of_burst_then_paces),
        cmocka_unit_test(test_budget_tpm_big_request_waits_for_a_full_bucket),
        cmocka_unit_test(test_budget_learns_remaining_zero_and_holds),
        cmocka_unit_test(test_budget_learned_remaining_caps_the_bucket),
        cmocka_unit_test(test_budget_hold),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
