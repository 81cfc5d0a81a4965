/* llm_transport - the real llm_client against a real ccai-fake-openai
 * process: retries honour Retry-After (measured on the fake's recorded
 * arrival times), 5xx retried, exhausted retries, insufficient_quota and
 * 400 not retried, hangs time out, dropped connections are network
 * errors, the breaker opens / fails fast / half-opens, the in-flight cap
 * and the RPM/TPM budgets hold, cancel_all answers everything. Test main
 * thread only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ccai_test.h"
#include "llm_client.h"
#include "metrics.h"

#include "banned.h"

#define MAX_CALLS 64

static const char chat_body[] =
    "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\","
    "\"content\":\"Classify the turn.\"},{\"role\":\"user\",\"content\":"
    "\"I want to cancel my plan\"}],\"response_format\":{\"type\":"
    "\"json_schema\",\"json_schema\":{\"name\":\"turn\",\"strict\":true,"
    "\"schema\":{\"type\":\"object\",\"additionalProperties\":false,"
    "\"required\":[\"label\"],\"properties\":{\"label\":{\"type\":"
    "\"string\",\"enum\":[\"positive\",\"neutral\",\"negative\"]}}}}}}";

struct fake {
    struct ccai_proc *proc;
    char url[160];  /* http://127.0.0.1:PORT/v1 */
    char base[160]; /* http://127.0.0.1:PORT */
};

/* the fixture shared by the group: set once in group_setup */
static struct fake g_fake;

struct slot {
    bool done;
    enum llm_outcome outcome;
    long status;
    unsigned attempts;
    long elapsed_ms;
    bool body_is_completion;
    char error[160];
};

struct run {
    struct slot slots[MAX_CALLS];
    int n_done;
};

static void on_done(void *opaque, const struct llm_answer *ans)
{
    struct slot *s = opaque;

    assert_false(s->done); /* exactly once */
    s->done = true;
    s->outcome = ans->outcome;
    s->status = ans->http_status;
    s->attempts = ans->attempts;
    s->elapsed_ms = ans->elapsed_ms;
    s->body_is_completion =
        ans->len > 0 && strstr(ans->body, "\"chat.completion\"") != NULL;
    snprintf(s->error, sizeof(s->error), "%s", ans->error);
}

static int count_done(const struct run *r, int n)
{
    int done = 0;

    for (int i = 0; i < n; i++)
        done += r->slots[i].done ? 1 : 0;
    return done;
}

/* Poll until @n calls of @r are answered or 60 s passed. */
static void poll_until(struct llm_client *c, struct run *r, int n)
{
    int64_t deadline = ccai_test_now_ms() + 60000;

    while (count_done(r, n) < n && ccai_test_now_ms() < deadline)
        assert_int_equal(llm_client_poll(c, NULL, 0, 50), 0);
    assert_int_equal(count_done(r, n), n);
}

static long fake_stat(const char *key);

/* Poll until the fake holds @n requests at once (bounded: 30 s). */
static void poll_until_fake_in_flight(struct llm_client *c, long n)
{
    int64_t deadline = ccai_test_now_ms() + 30000;

    while (fake_stat("in_flight") < n && ccai_test_now_ms() < deadline)
        assert_int_equal(llm_client_poll(c, NULL, 0, 20), 0);
    assert_true(fake_stat("in_flight") >= n);
}

/* Poll until the client runs @n transfers (bounded: 30 s). */
static void poll_until_client_in_flight(struct llm_client *c, unsigned n)
{
    int64_t deadline = ccai_test_now_ms() + 30000;
    struct llm_client_stats st;

    llm_client_stats(c, &st);
    while (st.in_flight < n && ccai_test_now_ms() < deadline) {
        assert_int_equal(llm_client_poll(c, NULL, 0, 20), 0);
        llm_client_stats(c, &st);
    }
    assert_true(st.in_flight >= n);
}

static void submit(struct llm_client *c,
                   struct run *r,
                   int i,
                   const char *body,
                   unsigned tokens)
{
    struct ccai_error err;

    ccai_error_clear(&err);
    assert_int_equal(llm_client_submit(c, body, strlen(body), tokens, on_done,
                                       &r->slots[i], &err),
                     0);
}

static struct llm_client_config base_cfg(void)
{
    struct llm_client_config cfg;

    memset(&cfg, 0, sizeof(cfg));
    cfg.base_url = g_fake.url;
    cfg.api_key = "sk-test-key";
    cfg.timeout_ms = 10000;
    cfg.max_retries = 4;
    cfg.max_inflight = 16;
    cfg.backoff_base_ms = 1; /* so that only a retry-after makes a gap */
    cfg.backoff_max_ms = 5000;
    cfg.breaker_threshold = 0;
    cfg.breaker_open_ms = 1000;
    return cfg;
}

static struct llm_client *client_new(const struct llm_client_config *cfg)
{
    struct ccai_error err;
    struct llm_client *c = NULL;

    ccai_error_clear(&err);
    c = llm_client_new(cfg, &err);
    if (c == NULL)
        fprintf(stderr, "llm_client_new: %s\n", err.message);
    assert_non_null(c);
    return c;
}

static void fake_post(const char *path, const char *json)
{
    char url[256];
    struct ccai_http_resp resp;
    static const char *const hdrs[] = {"Content-Type: application/json", NULL};

    snprintf(url, sizeof(url), "%s%s", g_fake.base, path);
    memset(&resp, 0, sizeof(resp));
    assert_int_equal(
        ccai_http_request("POST", url, hdrs, json, strlen(json), &resp), 0);
    if (resp.status != 200)
        fprintf(stderr, "fake %s: %ld %s\n", path, resp.status, resp.body);
    assert_int_equal(resp.status, 200);
    ccai_http_resp_release(&resp);
}

static json_t *fake_get(const char *path)
{
    char url[256];
    struct ccai_http_resp resp;
    json_t *root = NULL;

    snprintf(url, sizeof(url), "%s%s", g_fake.base, path);
    memset(&resp, 0, sizeof(resp));
    assert_int_equal(ccai_http_request("GET", url, NULL, NULL, 0, &resp), 0);
    assert_int_equal(resp.status, 200);
    root = ccai_http_resp_json(&resp);
    ccai_http_resp_release(&resp);
    assert_non_null(root);
    return root;
}

static long fake_stat(const char *key)
{
    json_t *root = fake_get("/_control/stats");
    long v = (long)json_integer_value(json_object_get(root, key));

    json_decref(root);
    return v;
}

/* Arrival times (ms) of the recorded requests, in order; returns count. */
static size_t fake_arrivals(int64_t *out, size_t max)
{
    json_t *root = fake_get("/_control/requests");
    json_t *list = json_object_get(root, "requests");
    size_t i = 0;
    json_t *rec = NULL;
    size_t n = 0;

    json_array_foreach(list, i, rec)
    {
        if (n < max)
            out[n++] =
                (int64_t)json_integer_value(json_object_get(rec, "t_ms"));
    }
    json_decref(root);
    return n;
}

static int group_setup(void **state)
{
    const char *dir = ccai_test_tmpdir();
    char path[512];
    const char *args[] = {"--port", "0", "--ready-file", path, NULL};
    int64_t deadline = 0;

    (void)state;
    if (dir == NULL)
        return -1;
    snprintf(path, sizeof(path), "%s/fake-openai.ready", dir);
    g_fake.proc = ccai_proc_start("ccai-fake-openai", args, NULL);
    if (g_fake.proc == NULL)
        return -1;
    deadline = ccai_test_now_ms() + 20000;
    while (ccai_test_now_ms() < deadline) {
        FILE *fp = fopen(path, "r");

        if (fp) {
            char line[256];

            while (fgets(line, sizeof(line), fp)) {
                if (strncmp(line, "url=", 4) == 0) {
                    line[strcspn(line, "\r\n")] = '\0';
                    snprintf(g_fake.url, sizeof(g_fake.url), "%s", line + 4);
                }
            }
            fclose(fp);
            if (g_fake.url[0])
                break;
        }
        ccai_test_sleep_ms(20);
    }
    if (g_fake.url[0] == '\0')
        return -1;
    snprintf(g_fake.base, sizeof(g_fake.base), "%.*s",
             (int)(strlen(g_fake.url) - 3), g_fake.url);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    assert_int_equal(ccai_proc_stop(g_fake.proc, 10000), 0);
    ccai_proc_free(g_fake.proc);
    return 0;
}

static int test_setup(void **state)
{
    (void)state;
    fake_post("/_control/reset", "{}");
    return 0;
}

static void test_success_sends_the_key_and_returns_the_completion(void **s)
{
    struct llm_client_config cfg = base_cfg();
    struct llm_client *c = client_new(&cfg);
    struct run r;
    struct llm_client_stats st;

    (void)s;
    memset(&r, 0, sizeof(r));
    submit(c, &r, 0, chat_body, 100);
    poll_until(c, &r, 1);
    assert_int_equal(r.slots[0].outcome, LLM_OK);
    assert_int_equal(r.slots[0].status, 200);
    assert_int_equal(r.slots[0].attempts, 1);
    assert_true(r.slots[0].body_is_completion);
    llm_client_stats(c, &st);
    assert_int_equal(st.calls, 1);
    assert_true(st.rpm_remaining > 0); /* learned from x-ratelimit-* */
    llm_client_free(c);

    /* without a key the fake answers 401 like the API: not retried */
    cfg.api_key = NULL;
    c = client_new(&cfg);
    memset(&r, 0, sizeof(r));
    submit(c, &r, 0, chat_body, 100);
    poll_until(c, &r, 1);
    assert_int_equal(r.slots[0].outcome, LLM_FAIL_REJECTED);
    assert_int_equal(r.slots[0].status, 401);
    assert_int_equal(r.slots[0].attempts, 1);
    llm_client_free(c);
}

static void test_retry_after_is_honoured(void **s)
{
    struct llm_client_config cfg = base_cfg();
    struct llm_client *c = client_new(&cfg);
    struct run r;
    int64_t t[8];

    (void)s;
    fake_post("/_control/script",
              "{\"rules\":[{\"times\":2,\"status\":429,\"retry_after_ms\":300,"
              "\"error_code\":\"rate_limit_exceeded\"}]}");
    memset(&r, 0, sizeof(r));
    submit(c, &r, 0, chat_body, 100);
    poll_until(c, &r, 1);
    assert_int_equal(r.slots[0].outcome, LLM_OK);
    assert_int_equal(r.slots[0].attempts, 3);
    assert_int_equal(fake_arrivals(t, 8), 3);
    /* backoff_base is 1 ms: only the server's retry-after-ms makes these
     * gaps; 1 ms of slack for the fake's whole-ms clock */
    assert_true(t[1] - t[0] >= 299);
    assert_true(t[2] - t[1] >= 299);
    assert_true(r.slots[0].elapsed_ms >= 600);
    llm_client_free(c);
}

static void test_retry_after_seconds_is_honoured(void **s)
{
    struct llm_client_config cfg = base_cfg();
    struct llm_client *c = client_new(&cfg);
    struct run r;
    int64_t t[8];

    (void)s;
    fake_post("/_control/script",
              "{\"rules\":[{\"times\":1,\"status\":503,\"retry_after\":1}]}");
    memset(&r, 0, sizeof(r));
    submit(c, &r, 0, chat_body, 100);
    poll_until(c, &r, 1);
    assert_int_equal(r.slots[0].outcome, LLM_OK);
    assert_int_equal(fake_arrivals(t, 8), 2);
    assert_true(t[1] - t[0] >= 999);
    llm_client_free(c);
}

static void test_5xx_is_retried_then_succeeds(void **s)
{
    struct llm_client_config cfg = base_cfg();
    struct ccai_metrics *m = ccai_metrics_new();
    struct llm_client *c = NULL;
    struct run r;
    char *text = NULL;

    (void)s;
    assert_non_null(m);
    cfg.metrics = m;
    c = client_new(&cfg);
    fake_post("/_control/script",
              "{\"rules\":[{\"times\":2,\"status\":500},{\"times\":1,"
              "\"status\":502},{\"times\":1,\"status\":408}]}");
    memset(&r, 0, sizeof(r));
    submit(c, &r, 0, chat_body, 100);
    poll_until(c, &r, 1);
    assert_int_equal(r.slots[0].outcome, LLM_OK);
    assert_int_equal(r.slots[0].attempts, 5);
    assert_int_equal(fake_stat("requests"), 5);
    llm_client_free(c);
    text = ccai_metrics_render(m, NULL);
    assert_non_null(text);
    assert_non_null(strstr(text, "ccai_llm_calls_total{outcome=\"ok\"} 1"));
    assert_non_null(strstr(text, "ccai_llm_retries_total{cause=\"5xx\"} 3"));
    assert_non_null(strstr(text, "ccai_llm_retries_total{cause=\"408\"} 1"));
    assert_non_null(strstr(text, "ccai_llm_breaker_state 0"));
    free(text);
    ccai_metrics_free(m);
}

static void test_exhausted_retries_report_the_last_failure(void **s)
{
    struct llm_client_config cfg = base_cfg();
    struct llm_client *c = NULL;
    struct run r;

    (void)s;
    cfg.max_retries = 2;
    c = client_new(&cfg);
    fake_post("/_control/script",
              "{\"rules\":[{\"times\":3,\"status\":503},{\"times\":3,"
              "\"status\":429}]}");
    memset(&r, 0, sizeof(r));
    submit(c, &r, 0, chat_body, 100);
    poll_until(c, &r, 1);
    assert_int_equal(r.slots[0].outcome, LLM_FAIL_SERVER);
    assert_int_equal(r.slots[0].status, 503);
    assert_int_equal(r.slots[0].attempts, 3);
    submit(c, &r, 1, chat_body, 100);
    poll_until(c, &r, 2);
    assert_int_equal(r.slots[1].outcome, LLM_FAIL_RATE_LIMITED);
    assert_int_equal(r.slots[1].status, 429);
    assert_int_equal(r.slots[1].attempts, 3);
    assert_int_equal(fake_stat("requests"), 6);
    llm_client_free(c);
}

static void test_insufficient_quota_is_not_retried(void **s)
{
    struct llm_client_config cfg = base_cfg();
    struct llm_client *c = client_new(&cfg);
    struct run r;

    (void)s;
    fake_post("/_control/script", "{\"rules\":[{\"times\":5,\"status\":429,"
                                  "\"error_code\":\"insufficient_quota\"}]}");
    memset(&r, 0, sizeof(r));
    submit(c, &r, 0, chat_body, 100);
    poll_until(c, &r, 1);
    assert_int_equal(r.slots[0].outcome, LLM_FAIL_QUOTA);
    assert_int_equal(r.slots[0].attempts, 1);
    assert_int_equal(fake_stat("requests"), 1);
    llm_client_free(c);
}

static void test_400_is_not_retried(void **s)
{
    struct llm_client_config cfg = base_cfg();
    struct llm_client *c = client_new(&cfg);
    struct run r;
    static const char bad[] = "{\"model\":\"gpt-4o-mini\",\"messages\":[{"
                              "\"role\":\"user\",\"content\":\"hi\"}],"
                              "\"temprature\":0.2}";

    (void)s;
    memset(&r, 0, sizeof(r));
    submit(c, &r, 0, bad, 10);
    poll_until(c, &r, 1);
    assert_int_equal(r.slots[0].outcome, LLM_FAIL_REJECTED);
    assert_int_equal(r.slots[0].status, 400);
    assert_int_equal(r.slots[0].attempts, 1);
    assert_non_null(strstr(r.slots[0].error, "invalid_request_error"));
    assert_int_equal(fake_stat("requests"), 1);
    llm_client_free(c);
}

static void test_hang_times_out(void **s)
{
    struct llm_client_config cfg = base_cfg();
    struct llm_client *c = NULL;
    struct run r;

    (void)s;
    cfg.timeout_ms = 400;
    cfg.max_retries = 1;
    c = client_new(&cfg);
    fake_post("/_control/script", "{\"rules\":[{\"times\":2,\"hang\":true}],"
                                  "\"default\":{\"hang_max_ms\":3000}}");
    memset(&r, 0, sizeof(r));
    submit(c, &r, 0, chat_body, 100);
    poll_until(c, &r, 1);
    assert_int_equal(r.slots[0].outcome, LLM_FAIL_TIMEOUT);
    assert_int_equal(r.slots[0].attempts, 2);
    assert_int_equal(r.slots[0].status, 0);
    assert_true(r.slots[0].elapsed_ms >= 800);
    llm_client_free(c);
}

static void test_dropped_connection_is_a_network_error(void **s)
{
    struct llm_client_config cfg = base_cfg();
    struct llm_client *c = NULL;
    struct run r;

    (void)s;
    cfg.max_retries = 1;
    c = client_new(&cfg);
    fake_post("/_control/script", "{\"rules\":[{\"times\":3,\"close\":true}]}");
    memset(&r, 0, sizeof(r));
    submit(c, &r, 0, chat_body, 100);
    poll_until(c, &r, 1);
    assert_int_equal(r.slots[0].outcome, LLM_FAIL_NETWORK);
    assert_int_equal(r.slots[0].attempts, 2);
    /* and one more retry budget turns the third attempt into a success */
    llm_client_free(c);
    cfg.max_retries = 2;
    c = client_new(&cfg);
    fake_post("/_control/script", "{\"rules\":[{\"times\":2,\"close\":true}]}");
    memset(&r, 0, sizeof(r));
    submit(c, &r, 0, chat_body, 100);
    poll_until(c, &r, 1);
    assert_int_equal(r.slots[0].outcome, LLM_OK);
    assert_int_equal(r.slots[0].attempts, 3);
    llm_client_free(c);
}

static void test_breaker_opens_fails_fast_and_half_opens(void **s)
{
    struct llm_client_config cfg = base_cfg();
    struct llm_client *c = NULL;
    struct llm_client_stats st;
    struct run r;
    int64_t opened = 0;

    (void)s;
    cfg.max_retries = 0;
    cfg.max_inflight = 1;
    cfg.breaker_threshold = 3;
    cfg.breaker_open_ms = 700;
    c = client_new(&cfg);
    fake_post("/_control/script", "{\"rules\":[{\"times\":3,\"status\":500}]}");
    memset(&r, 0, sizeof(r));
    for (int i = 0; i < 3; i++) {
        submit(c, &r, i, chat_body, 100);
        poll_until(c, &r, i + 1);
        assert_int_equal(r.slots[i].outcome, LLM_FAIL_SERVER);
    }
    opened = ccai_test_now_ms();
    llm_client_stats(c, &st);
    assert_string_equal(st.breaker, "open");
    /* open: fail fast, nothing reaches the server */
    for (int i = 3; i < 8; i++)
        submit(c, &r, i, chat_body, 100);
    poll_until(c, &r, 8);
    for (int i = 3; i < 8; i++) {
        assert_int_equal(r.slots[i].outcome, LLM_FAIL_CIRCUIT_OPEN);
        assert_int_equal(r.slots[i].attempts, 0);
    }
    assert_int_equal(fake_stat("requests"), 3);
    /* wait out the open time, then one slow probe; a second call while
     * the probe runs still fails fast */
    while (ccai_test_now_ms() - opened < 800)
        llm_client_poll(c, NULL, 0, 50);
    fake_post("/_control/script",
              "{\"rules\":[{\"times\":1,\"latency_ms\":2000}]}");
    submit(c, &r, 8, chat_body, 100);
    poll_until_client_in_flight(c, 1);
    poll_until_fake_in_flight(c, 1);
    llm_client_stats(c, &st);
    assert_string_equal(st.breaker, "half_open");
    submit(c, &r, 9, chat_body, 100);
    poll_until(c, &r, 10);
    assert_int_equal(r.slots[8].outcome, LLM_OK);
    assert_int_equal(r.slots[9].outcome, LLM_FAIL_CIRCUIT_OPEN);
    llm_client_stats(c, &st);
    assert_string_equal(st.breaker, "closed");
    submit(c, &r, 10, chat_body, 100);
    poll_until(c, &r, 11);
    assert_int_equal(r.slots[10].outcome, LLM_OK);
    assert_int_equal(fake_stat("requests"), 5);
    llm_client_free(c);
}

static void test_inflight_cap_is_respected(void **s)
{
    struct llm_client_config cfg = base_cfg();
    struct llm_client *c = NULL;
    struct run r;

    (void)s;
    cfg.max_inflight = 4;
    c = client_new(&cfg);
    fake_post("/_control/script", "{\"default\":{\"latency_ms\":150}}");
    memset(&r, 0, sizeof(r));
    for (int i = 0; i < 12; i++)
        submit(c, &r, i, chat_body, 100);
    poll_until(c, &r, 12);
    for (int i = 0; i < 12; i++)
        assert_int_equal(r.slots[i].outcome, LLM_OK);
    assert_int_equal(fake_stat("requests"), 12);
    assert_true(fake_stat("max_in_flight") <= 4);
    assert_true(fake_stat("max_in_flight") >= 1);
    llm_client_free(c);
}

static void test_rpm_budget_is_respected(void **s)
{
    struct llm_client_config cfg = base_cfg();
    struct llm_client *c = NULL;
    struct run r;
    int64_t t[16];
    size_t n = 0;
    int first_second = 0;

    (void)s;
    cfg.rpm = 120; /* 2 per second, burst 2 */
    c = client_new(&cfg);
    memset(&r, 0, sizeof(r));
    for (int i = 0; i < 8; i++)
        submit(c, &r, i, chat_body, 100);
    poll_until(c, &r, 8);
    n = fake_arrivals(t, 16);
    assert_int_equal(n, 8);
    for (size_t i = 0; i < n; i++)
        first_second += t[i] - t[0] < 1000 ? 1 : 0;
    /* burst 2 + one refill at 500 ms (+1 for clock rounding) */
    assert_true(first_second <= 4);
    /* 6 requests beyond the burst need 6 refills of 500 ms (3 s from the
     * first start; the slack covers the first request's own latency) */
    assert_true(t[7] - t[0] >= 2500);
    llm_client_free(c);
}

static void test_tpm_budget_is_respected(void **s)
{
    struct llm_client_config cfg = base_cfg();
    struct llm_client *c = NULL;
    struct run r;
    int64_t t[8];

    (void)s;
    cfg.tpm = 6000; /* 100 tokens per second, burst 100 */
    c = client_new(&cfg);
    memset(&r, 0, sizeof(r));
    for (int i = 0; i < 3; i++)
        submit(c, &r, i, chat_body, 100);
    poll_until(c, &r, 3);
    assert_int_equal(fake_arrivals(t, 8), 3);
    /* 2 s of refills from the first start; slack for its latency */
    assert_true(t[2] - t[0] >= 1500);
    llm_client_free(c);
}

static void test_learns_remaining_zero_and_waits_for_the_reset(void **s)
{
    struct llm_client_config cfg = base_cfg();
    struct llm_client *c = NULL;
    struct run r;
    json_t *stats = NULL;

    (void)s;
    cfg.max_inflight = 1; /* each answer's headers are seen before the next
                           * start */
    c = client_new(&cfg);
    /* the fake enforces 3 requests per 1.5 s window and answers 429 to a
     * fourth; the client has no budget of its own, so only what it learns
     * from x-ratelimit-remaining/-reset keeps it from the 429s */
    fake_post("/_control/script",
              "{\"default\":{\"rpm_limit\":3,\"window_ms\":1500}}");
    memset(&r, 0, sizeof(r));
    for (int i = 0; i < 7; i++)
        submit(c, &r, i, chat_body, 100);
    poll_until(c, &r, 7);
    for (int i = 0; i < 7; i++) {
        assert_int_equal(r.slots[i].outcome, LLM_OK);
        assert_int_equal(r.slots[i].attempts, 1);
    }
    stats = fake_get("/_control/stats");
    assert_null(json_object_get(json_object_get(stats, "by_status"), "429"));
    json_decref(stats);
    llm_client_free(c);
}

static void test_cancel_all_answers_everything(void **s)
{
    struct llm_client_config cfg = base_cfg();
    struct llm_client *c = NULL;
    struct run r;

    (void)s;
    cfg.max_inflight = 2;
    c = client_new(&cfg);
    fake_post("/_control/script", "{\"rules\":[{\"times\":5,\"hang\":true}],"
                                  "\"default\":{\"hang_max_ms\":3000}}");
    memset(&r, 0, sizeof(r));
    for (int i = 0; i < 5; i++)
        submit(c, &r, i, chat_body, 100);
    poll_until_fake_in_flight(c, 2);
    llm_client_cancel_all(c);
    assert_int_equal(count_done(&r, 5), 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(r.slots[i].outcome, LLM_FAIL_CANCELLED);
    llm_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(
            test_success_sends_the_key_and_returns_the_completion, test_setup),
        cmocka_unit_test_setup(test_retry_after_is_honoured, test_setup),
        cmocka_unit_test_setup(test_retry_after_seconds_is_honoured,
                               test_setup),
        cmocka_unit_test_setup(test_5xx_is_retried_then_succeeds, test_setup),
        cmocka_unit_test_setup(test_exhausted_retries_report_the_last_failure,
                               test_setup),
        cmocka_unit_test_setup(test_insufficient_quota_is_not_retried,
                               test_setup),
        cmocka_unit_test_setup(test_400_is_not_retried, test_setup),
        cmocka_unit_test_setup(test_hang_times_out, test_setup),
        cmocka_unit_test_setup(test_dropped_connection_is_a_network_error,
                               test_setup),
        cmocka_unit_test_setup(test_breaker_opens_fails_fast_and_half_opens,
                               test_setup),
        cmocka_unit_test_setup(test_inflight_cap_is_respected, test_setup),
        cmocka_unit_test_setup(test_rpm_budget_is_respected, test_setup),
        cmocka_unit_test_setup(test_tpm_budget_is_respected, test_setup),
        cmocka_unit_test_setup(
            test_learns_remaining_zero_and_waits_for_the_reset, test_setup),
        cmocka_unit_test_setup(test_cancel_all_answers_everything, test_setup),
    };

    return ccai_test_finish(
        cmocka_run_group_tests(tests, group_setup, group_teardown));
}
