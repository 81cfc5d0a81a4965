/* llm_client - Chat Completions transport on one curl multi handle; see
 * llm_client.h. Owns the multi handle (driven with curl_multi_socket_action
 * over an epoll set, so each wakeup costs the sockets that are ready, not
 * every transfer), a pool of easy handles and every call (struct llm_call,
 * hung off CURLOPT_PRIVATE while a transfer runs, in the wait heap while
 * queued or backing off). Callbacks run inside llm_client_poll. Main loop
 * thread only, except llm_client_wakeup. */
#include "llm_client.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "breaker.h"
#include "buf.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit_budget.h"

#include "banned.h"

#define LLM_HDR_MAX     48
#define LLM_MAX_KEY_LEN 480
/* curl's receive buffer per easy handle (default 16 KiB): answers are a
 * few KiB, and there is one handle per call in flight */
#define LLM_RECV_BUFFER 4096L
#define LLM_EPOLL_BATCH 256
#define LLM_MAX_EXTRA   8

enum llm_cause {
    CAUSE_NETWORK = 0,
    CAUSE_TIMEOUT,
    CAUSE_408,
    CAUSE_409,
    CAUSE_429,
    CAUSE_5XX,
    CAUSE_COUNT,
};

static const char *const cause_names[CAUSE_COUNT] = {
    "network", "timeout", "408", "409", "429", "5xx"};

#define OUTCOME_COUNT (LLM_FAIL_CANCELLED + 1)

static const char *const outcome_names[OUTCOME_COUNT] = {
    "ok",    "timeout",  "rate_limited", "server",   "network",
    "quota", "rejected", "circuit_open", "cancelled"};

struct llm_call {
    struct llm_client *c;
    const char *body; /* borrowed: valid until the callback ran */
    size_t len;
    unsigned est_tokens;
    llm_done_fn *done;
    void *opaque;
    uint64_t seq;   /* FIFO tie-break in the heap */
    int64_t due_ms; /* when it may start (submit time or retry time) */
    int64_t submit_ms;
    int64_t attempt_ms; /* start of the current/last attempt */
    unsigned attempts;
    bool probe; /* the breaker's half-open probe: never retried */
    bool too_big;
    CURL *easy; /* from the pool at the first attempt, back after the call */
    struct ccai_buf resp;
    char errbuf[CURL_ERROR_SIZE];
    char h_retry_after[LLM_HDR_MAX];
    char h_retry_after_ms[LLM_HDR_MAX];
    char h_rem_req[LLM_HDR_MAX];
    char h_rem_tok[LLM_HDR_MAX];
    char h_reset_req[LLM_HDR_MAX];
    char h_reset_tok[LLM_HDR_MAX];
    long status; /* last HTTP status, 0 when none */
    char error[160];
    struct llm_call *prev, *next; /* running list */
};

struct llm_metrics {
    struct ccai_counter *calls[OUTCOME_COUNT];
    struct ccai_counter *retries[CAUSE_COUNT];
    struct ccai_histogram *latency;
    struct ccai_gauge *in_flight;
    struct ccai_gauge *waiting;
    struct ccai_gauge *breaker;
    struct ccai_gauge *budget_requests;
    struct ccai_gauge *budget_tokens;
};

struct llm_client {
    struct llm_client_config cfg; /* strings below are owned copies */
    char *base_url;
    char *api_key;
    char *url;
    CURLM *multi;
    int epfd;    /* curl's sockets (CURLMOPT_SOCKETFUNCTION) */
    int wakefd;  /* eventfd for llm_client_wakeup */
    CURL **pool; /* idle easy handles, options set, at most max_inflight */
    unsigned n_pool;
    struct curl_slist *headers;
    struct llm_call **heap; /* min-heap on (due_ms, seq) */
    size_t heap_len, heap_cap;
    struct llm_call *running;
    unsigned n_running;
    uint64_t seq;
    uint64_t rng;
    unsigned delivered; /* callbacks run, to skip blocking after work */
    struct breaker breaker;
    struct ratelimit_budget budget;
    uint64_t calls, retries, failures;
    struct llm_metrics m;
};

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* xorshift64*: jitter needs no cryptographic quality */
static double rand01(struct llm_client *c)
{
    c->rng ^= c->rng >> 12;
    c->rng ^= c->rng << 25;
    c->rng ^= c->rng >> 27;
    return (double)((c->rng * 2685821657736338717ULL) >> 11) /
           (double)(1ULL << 53);
}

/* ---- pure helpers ---------------------------------------------------- */

const char *llm_outcome_name(enum llm_outcome outcome)
{
    if ((unsigned)outcome >= OUTCOME_COUNT)
        return "unknown";
    return outcome_names[outcome];
}

long llm_backoff_ms(long base_ms, long max_ms, unsigned attempt, double r)
{
    long ceiling = base_ms;
    long v = 0;

    if (base_ms <= 0 || max_ms <= 0)
        return 0;
    if (ceiling > max_ms)
        ceiling = max_ms;
    for (unsigned i = 1; i < attempt && ceiling < max_ms; i++)
        ceiling = ceiling > max_ms / 2 ? max_ms : ceiling * 2;
    if (r < 0)
        r = 0;
    v = (long)(r * (double)(ceiling + 1));
    return v > ceiling ? ceiling : v;
}

/* A non-negative decimal number ("12", "1.5"), whole string. */
static int parse_number(const char *text, double *out)
{
    char *end = NULL;
    double v = 0;

    while (*text == ' ' || *text == '\t')
        text++;
    if (!isdigit((unsigned char)*text))
        return -1;
    errno = 0;
    v = strtod(text, &end);
    if (errno != 0 || end == text)
        return -1;
    while (*end == ' ' || *end == '\t')
        end++;
    if (*end != '\0' || v < 0 || v > 1e12)
        return -1;
    *out = v;
    return 0;
}

static long cap_ms(double ms, long cap)
{
    if (cap > 0 && ms > (double)cap)
        return cap;
    return (long)(ms + 0.5);
}

long llm_retry_after_ms(const char *retry_after_ms,
                        const char *retry_after,
                        int64_t now_s,
                        long cap)
{
    double v = 0;

    if (retry_after_ms && parse_number(retry_after_ms, &v) == 0)
        return cap_ms(v, cap);
    if (retry_after == NULL || retry_after[0] == '\0')
        return -1;
    if (parse_number(retry_after, &v) == 0)
        return cap_ms(v * 1000.0, cap);
    if (isalpha((unsigned char)retry_after[0])) {
        /* an HTTP date: IMF-fixdate, RFC 850 or asctime */
        time_t t = curl_getdate(retry_after, NULL);

        if (t == (time_t)-1)
            return -1;
        if ((int64_t)t <= now_s)
            return 0;
        return cap_ms(((double)((int64_t)t - now_s)) * 1000.0, cap);
    }
    return -1;
}

long llm_parse_reset_ms(const char *text)
{
    static const struct {
        const char *unit;
        double ms;
    } units[] = {{"ms", 1.0},  {"us", 1e-3}, {"\xc2\xb5s", 1e-3}, {"ns", 1e-6},
                 {"h", 3.6e6}, {"m", 6e4},   {"s", 1000.0}};
    const char *p = text;
    double total = 0;
    long whole = 0;

    if (text == NULL || *text == '\0')
        return -1;
    if (strcmp(text, "0") == 0)
        return 0;
    while (*p) {
        char *end = NULL;
        double v = 0;
        bool found = false;

        if (!isdigit((unsigned char)*p) && *p != '.')
            return -1;
        errno = 0;
        v = strtod(p, &end);
        if (errno != 0 || end == p || v < 0)
            return -1;
        p = end;
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
            size_t n = strlen(units[i].unit);

            if (strncmp(p, units[i].unit, n) == 0) {
                total += v * units[i].ms;
                p += n;
                found = true;
                break;
            }
        }
        if (!found || total > 1e12)
            return -1;
    }
    /* round up: waiting a little long is safe, too short is not */
    whole = (long)total;
    if ((double)whole < total)
        whole++;
    return whole;
}

bool llm_status_is_retryable(long status)
{
    return status == 408 || status == 409 || status == 429 ||
           (status >= 500 && status <= 599);
}

/* ---- wait heap ---------------------------------------------------------- */

static bool heap_less(const struct llm_call *a, const struct llm_call *b)
{
    if (a->due_ms != b->due_ms)
        return a->due_ms < b->due_ms;
    return a->seq < b->seq;
}

static int heap_push(struct llm_client *c, struct llm_call *call)
{
    size_t i = 0;

    if (c->heap_len == c->heap_cap) {
        size_t cap = c->heap_cap ? c->heap_cap * 2 : 64;
        /* an array of pointers */
        struct llm_call **h =
            realloc(c->heap, cap * sizeof(struct llm_call *)); /* NOLINT */

        if (h == NULL)
            return -1;
        c->heap = h;
        c->heap_cap = cap;
    }
    i = c->heap_len++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;

        if (!heap_less(call, c->heap[parent]))
            break;
        c->heap[i] = c->heap[parent];
        i = parent;
    }
    c->heap[i] = call;
    return 0;
}

static struct llm_call *heap_pop(struct llm_client *c)
{
    struct llm_call *top = NULL;
    struct llm_call *last = NULL;
    size_t i = 0;

    if (c->heap_len == 0)
        return NULL;
    top = c->heap[0];
    last = c->heap[--c->heap_len];
    while (c->heap_len > 0) {
        size_t l = 2 * i + 1;
        size_t r = l + 1;
        size_t m = i;
        const struct llm_call *best = last;

        if (l < c->heap_len && heap_less(c->heap[l], best)) {
            m = l;
            best = c->heap[l];
        }
        if (r < c->heap_len && heap_less(c->heap[r], best))
            m = r;
        if (m == i)
            break;
        c->heap[i] = c->heap[m];
        i = m;
    }
    if (c->heap_len > 0)
        c->heap[i] = last;
    return top;
}

/* ---- metrics ------------------------------------------------------------ */

static void metrics_init(struct llm_client *c)
{
    struct ccai_metrics *reg = c->cfg.metrics;
    char labels[64];

    if (reg == NULL)
        return;
    for (unsigned i = 0; i < OUTCOME_COUNT; i++) {
        (void)snprintf(labels, sizeof(labels), "outcome=\"%s\"",
                       outcome_names[i]);
        c->m.calls[i] =
            ccai_metrics_counter(reg, "ccai_llm_calls_total",
                                 "LLM calls finished, by outcome", labels);
    }
    for (unsigned i = 0; i < CAUSE_COUNT; i++) {
        (void)snprintf(labels, sizeof(labels), "cause=\"%s\"", cause_names[i]);
        c->m.retries[i] =
            ccai_metrics_counter(reg, "ccai_llm_retries_total",
                                 "LLM attempts retried, by cause", labels);
    }
    c->m.latency =
        ccai_metrics_histogram(reg, "ccai_llm_request_duration_seconds",
                               "Duration of one HTTP attempt to the LLM", NULL,
                               ccai_latency_buckets, ccai_latency_buckets_n);
    c->m.in_flight = ccai_metrics_gauge(reg, "ccai_llm_in_flight",
                                        "LLM transfers running", NULL);
    c->m.waiting = ccai_metrics_gauge(reg, "ccai_llm_waiting",
                                      "LLM calls queued or in backoff", NULL);
    c->m.breaker = ccai_metrics_gauge(
        reg, "ccai_llm_breaker_state",
        "Circuit breaker: 0 closed, 1 open, 2 half-open", NULL);
    c->m.budget_requests = ccai_metrics_gauge(
        reg, "ccai_llm_budget_requests_available",
        "Requests the client-side RPM budget allows now (-1 unlimited)", NULL);
    c->m.budget_tokens = ccai_metrics_gauge(
        reg, "ccai_llm_budget_tokens_available",
        "Tokens the client-side TPM budget allows now (-1 unlimited)", NULL);
}

static void metrics_gauges(struct llm_client *c, int64_t now)
{
    long req = 0;
    long tok = 0;

    if (c->cfg.metrics == NULL)
        return;
    ratelimit_budget_available(&c->budget, now, &req, &tok);
    ccai_gauge_set(c->m.in_flight, c->n_running);
    ccai_gauge_set(c->m.waiting, (int64_t)c->heap_len);
    ccai_gauge_set(c->m.breaker, (int64_t)c->breaker.state);
    ccai_gauge_set(c->m.budget_requests, req);
    ccai_gauge_set(c->m.budget_tokens, tok);
}

/* ---- calls -------------------------------------------------------------- */

/* Keep an easy handle (not in the multi) for the next call: its options,
 * receive buffer and connection state are reused. */
static void easy_put(struct llm_client *c, CURL *easy)
{
    if (c->n_pool >= c->cfg.max_inflight || c->pool == NULL) {
        curl_easy_cleanup(easy);
        return;
    }
    /* nothing may point into the call being freed */
    (void)curl_easy_setopt(easy, CURLOPT_POSTFIELDS, NULL);
    (void)curl_easy_setopt(easy, CURLOPT_WRITEDATA, NULL);
    (void)curl_easy_setopt(easy, CURLOPT_HEADERDATA, NULL);
    (void)curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
    (void)curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, NULL);
    c->pool[c->n_pool++] = easy;
}

static void call_free(struct llm_call *call)
{
    if (call == NULL)
        return;
    if (call->easy)
        easy_put(call->c, call->easy);
    ccai_buf_release(&call->resp);
    free(call);
}

/* Run the callback once and free @call (already out of heap and multi). */
static void call_finish(struct llm_client *c,
                        struct llm_call *call,
                        enum llm_outcome outcome,
                        int64_t now)
{
    struct llm_answer ans;

    memset(&ans, 0, sizeof(ans));
    ans.outcome = outcome;
    ans.http_status = call->status;
    ans.body = call->resp.data ? call->resp.data : "";
    ans.len = call->resp.len;
    ans.elapsed_ms = (long)(now - call->submit_ms);
    ans.last_call_ms = call->attempts ? (long)(now - call->attempt_ms) : 0;
    ans.attempts = call->attempts;
    (void)snprintf(ans.error, sizeof(ans.error), "%s",
                   outcome == LLM_OK ? "" : call->error);
    c->calls++;
    if (outcome != LLM_OK)
        c->failures++;
    ccai_counter_add(c->m.calls[outcome], 1);
    c->delivered++;
    call->done(call->opaque, &ans);
    call_free(call);
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *userp)
{
    struct llm_call *call = userp;
    size_t n = size * nmemb;

    if (ccai_buf_add(&call->resp, data, n) != 0) {
        call->too_big = true;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    return n;
}

static void copy_header_value(char *dst, const char *v, size_t len)
{
    while (len > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        len--;
    }
    while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n' ||
                       v[len - 1] == ' ' || v[len - 1] == '\t'))
        len--;
    if (len >= LLM_HDR_MAX)
        len = LLM_HDR_MAX - 1;
    memcpy(dst, v, len);
    dst[len] = '\0';
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userp)
{
    static const struct {
        const char *name;
        size_t off;
    } wanted[] = {
        {"retry-after", offsetof(struct llm_call, h_retry_after)},
        {"retry-after-ms", offsetof(struct llm_call, h_retry_after_ms)},
        {"x-ratelimit-remaining-requests",
         offsetof(struct llm_call, h_rem_req)},
        {"x-ratelimit-remaining-tokens", offsetof(struct llm_call, h_rem_tok)},
        {"x-ratelimit-reset-requests", offsetof(struct llm_call, h_reset_req)},
        {"x-ratelimit-reset-tokens", offsetof(struct llm_call, h_reset_tok)},
    };
    struct llm_call *call = userp;
    size_t n = size * nmemb;
    const char *colon = memchr(data, ':', n);
    size_t name_len = 0;

    if (colon == NULL)
        return n;
    name_len = (size_t)(colon - data);
    for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
        if (strlen(wanted[i].name) == name_len &&
            strncasecmp(data, wanted[i].name, name_len) == 0) {
            copy_header_value((char *)call + wanted[i].off, colon + 1,
                              n - name_len - 1);
            break;
        }
    }
    return n;
}

/* the options every call shares, set once per pooled handle */
static CURL *easy_new(struct llm_client *c)
{
    CURL *easy = curl_easy_init();
    CURLcode rc = CURLE_OK;

    if (easy == NULL)
        return NULL;
    /* each setopt below cannot fail except on OOM or a too-old libcurl;
     * any failure is reported once through rc */
    rc |= curl_easy_setopt(easy, CURLOPT_URL, c->url);
    rc |= curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    rc |= curl_easy_setopt(easy, CURLOPT_HTTPHEADER, c->headers);
    rc |= curl_easy_setopt(easy, CURLOPT_USERAGENT,
                           "ccai-processor/" CCAI_VERSION);
    rc |= curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_write);
    rc |= curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
    rc |= curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, c->cfg.timeout_ms);
    rc |= curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                           c->cfg.connect_timeout_ms);
    rc |= curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    rc |= curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    rc |= curl_easy_setopt(easy, CURLOPT_TCP_KEEPIDLE, 30L);
    rc |= curl_easy_setopt(easy, CURLOPT_TCP_KEEPINTVL, 15L);
    rc |= curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
    rc |= curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, LLM_RECV_BUFFER);
    /* h2 over TLS when offered (multiplexed), HTTP/1.1 otherwise */
    rc |= curl_easy_setopt(easy, CURLOPT_HTTP_VERSION,
                           (long)CURL_HTTP_VERSION_2TLS);
    rc |= curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
    if (rc != CURLE_OK) {
        curl_easy_cleanup(easy);
        return NULL;
    }
    return easy;
}

static int easy_setup(struct llm_client *c, struct llm_call *call)
{
    CURL *easy = c->n_pool > 0 ? c->pool[--c->n_pool] : easy_new(c);
    CURLcode rc = CURLE_OK;

    if (easy == NULL)
        return -1;
    call->easy = easy;
    rc |= curl_easy_setopt(easy, CURLOPT_POSTFIELDS, call->body);
    rc |= curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                           (curl_off_t)call->len);
    rc |= curl_easy_setopt(easy, CURLOPT_WRITEDATA, call);
    rc |= curl_easy_setopt(easy, CURLOPT_HEADERDATA, call);
    rc |= curl_easy_setopt(easy, CURLOPT_PRIVATE, call);
    rc |= curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, call->errbuf);
    return rc == CURLE_OK ? 0 : -1;
}

static void attempt_reset(struct llm_call *call)
{
    ccai_buf_reset(&call->resp);
    call->too_big = false;
    call->errbuf[0] = '\0';
    call->h_retry_after[0] = '\0';
    call->h_retry_after_ms[0] = '\0';
    call->h_rem_req[0] = '\0';
    call->h_rem_tok[0] = '\0';
    call->h_reset_req[0] = '\0';
    call->h_reset_tok[0] = '\0';
    call->status = 0;
    call->error[0] = '\0';
}

static void running_link(struct llm_client *c, struct llm_call *call)
{
    call->prev = NULL;
    call->next = c->running;
    if (c->running)
        c->running->prev = call;
    c->running = call;
    c->n_running++;
}

static void running_unlink(struct llm_client *c, struct llm_call *call)
{
    if (call->prev)
        call->prev->next = call->next;
    else
        c->running = call->next;
    if (call->next)
        call->next->prev = call->prev;
    call->prev = call->next = NULL;
    c->n_running--;
}

/* Start one attempt; on failure the call is finished (network outcome). */
static void
attempt_start(struct llm_client *c, struct llm_call *call, int64_t now)
{
    CURLMcode mrc = CURLM_OK;

    attempt_reset(call);
    call->attempts++;
    call->attempt_ms = now;
    if (call->easy == NULL && easy_setup(c, call) != 0) {
        (void)snprintf(call->error, sizeof(call->error),
                       "cannot set up the transfer (out of memory)");
        goto fail;
    }
    mrc = curl_multi_add_handle(c->multi, call->easy);
    if (mrc != CURLM_OK) {
        (void)snprintf(call->error, sizeof(call->error),
                       "cannot start the transfer: %s",
                       curl_multi_strerror(mrc));
        goto fail;
    }
    running_link(c, call);
    return;
fail:
    if (call->probe)
        breaker_on_probe_abandoned(&c->breaker);
    call_finish(c, call, LLM_FAIL_NETWORK, now);
}

/* Start what is due, within the in-flight cap, the breaker and the
 * budgets. Returns the absolute time something becomes due, or -1 when
 * only a finishing transfer can unblock the queue. */
static int64_t start_due(struct llm_client *c)
{
    for (;;) {
        int64_t now = now_ms();
        struct llm_call *top = c->heap_len ? c->heap[0] : NULL;
        bool probe = false;
        long wait = 0;

        if (top == NULL)
            return -1;
        if (top->due_ms > now)
            return top->due_ms;
        /* the breaker first: while it is open, queued calls fail fast
         * even when every slot is busy */
        if (!breaker_would_allow(&c->breaker, now)) {
            heap_pop(c);
            (void)snprintf(top->error, sizeof(top->error),
                           "circuit breaker %s: not attempted",
                           breaker_state_name(c->breaker.state));
            call_finish(c, top, LLM_FAIL_CIRCUIT_OPEN, now);
            continue;
        }
        if (c->n_running >= c->cfg.max_inflight)
            return -1;
        wait = ratelimit_budget_take(&c->budget, top->est_tokens, now);
        if (wait > 0)
            return now + wait;
        heap_pop(c);
        breaker_allow(&c->breaker, now, &probe);
        top->probe = probe;
        attempt_start(c, top, now);
    }
}

struct attempt_result {
    enum llm_outcome fail; /* LLM_OK on success */
    bool retryable;
    enum llm_cause cause;
};

static bool body_is_insufficient_quota(const struct llm_call *call)
{
    json_t *root = NULL;
    json_t *error = NULL;
    bool quota = false;

    root = json_loadb(call->resp.data ? call->resp.data : "", call->resp.len, 0,
                      NULL);
    error = json_object_get(root, "error");
    if (json_is_object(error)) {
        const char *code = json_string_value(json_object_get(error, "code"));
        const char *type = json_string_value(json_object_get(error, "type"));

        quota = (code && strcmp(code, "insufficient_quota") == 0) ||
                (type && strcmp(type, "insufficient_quota") == 0);
    }
    json_decref(root);
    return quota;
}

/* "http 400 (invalid_request_error): message" - the API's own words, cut
 * short; never the request body. */
static void describe_http_error(struct llm_call *call)
{
    json_t *root = NULL;
    json_t *error = NULL;
    const char *type = NULL;
    const char *msg = NULL;

    root = json_loadb(call->resp.data ? call->resp.data : "", call->resp.len, 0,
                      NULL);
    error = json_object_get(root, "error");
    if (json_is_object(error)) {
        type = json_string_value(json_object_get(error, "code"));
        if (type == NULL)
            type = json_string_value(json_object_get(error, "type"));
        msg = json_string_value(json_object_get(error, "message"));
    }
    (void)snprintf(call->error, sizeof(call->error), "http %ld%s%s%s%s%.100s",
                   call->status, type ? " (" : "", type ? type : "",
                   type ? ")" : "", msg ? ": " : "", msg ? msg : "");
    json_decref(root);
}

static struct attempt_result classify(struct llm_call *call, CURLcode res)
{
    struct attempt_result r = {LLM_OK, false, CAUSE_NETWORK};

    if (call->too_big) {
        (void)snprintf(call->error, sizeof(call->error),
                       "response body larger than %zu bytes",
                       LLM_MAX_RESPONSE_BYTES);
        r.fail = LLM_FAIL_SERVER;
        return r;
    }
    if (res != CURLE_OK) {
        (void)snprintf(call->error, sizeof(call->error), "%.150s",
                       call->errbuf[0] ? call->errbuf
                                       : curl_easy_strerror(res));
        r.retryable = true;
        if (res == CURLE_OPERATION_TIMEDOUT) {
            r.fail = LLM_FAIL_TIMEOUT;
            r.cause = CAUSE_TIMEOUT;
        } else {
            r.fail = LLM_FAIL_NETWORK;
            r.cause = CAUSE_NETWORK;
        }
        return r;
    }
    if (call->status >= 200 && call->status <= 299)
        return r;
    describe_http_error(call);
    if (call->status == 429) {
        if (body_is_insufficient_quota(call)) {
            r.fail = LLM_FAIL_QUOTA;
            return r;
        }
        r.fail = LLM_FAIL_RATE_LIMITED;
        r.retryable = true;
        r.cause = CAUSE_429;
        return r;
    }
    if (llm_status_is_retryable(call->status)) {
        r.fail = LLM_FAIL_SERVER;
        r.retryable = true;
        r.cause = call->status == 408   ? CAUSE_408
                  : call->status == 409 ? CAUSE_409
                                        : CAUSE_5XX;
        return r;
    }
    r.fail = LLM_FAIL_REJECTED;
    return r;
}

static long header_long(const char *v)
{
    char *end = NULL;
    long n = 0;

    if (v[0] == '\0' || !isdigit((unsigned char)v[0]))
        return -1;
    errno = 0;
    n = strtol(v, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    return n;
}

static void
learn_headers(struct llm_client *c, struct llm_call *call, int64_t now)
{
    long rem_req = header_long(call->h_rem_req);
    long rem_tok = header_long(call->h_rem_tok);

    if (rem_req < 0 && rem_tok < 0)
        return;
    ratelimit_budget_learn(&c->budget, rem_req,
                           llm_parse_reset_ms(call->h_reset_req), rem_tok,
                           llm_parse_reset_ms(call->h_reset_tok), now);
}

static bool counts_against_breaker(enum llm_outcome outcome)
{
    return outcome == LLM_FAIL_TIMEOUT || outcome == LLM_FAIL_SERVER ||
           outcome == LLM_FAIL_NETWORK || outcome == LLM_FAIL_RATE_LIMITED;
}

static void
on_transfer_done(struct llm_client *c, struct llm_call *call, CURLcode res)
{
    int64_t now = now_ms();
    struct attempt_result r;
    long delay = -1;

    curl_multi_remove_handle(c->multi, call->easy);
    running_unlink(c, call);
    curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &call->status);
    ccai_histogram_observe(c->m.latency,
                           (double)(now - call->attempt_ms) / 1000.0);
    learn_headers(c, call, now);
    r = classify(call, res);
    if (r.fail == LLM_OK) {
        breaker_on_success(&c->breaker, now);
        call_finish(c, call, LLM_OK, now);
        return;
    }
    if (r.retryable && !call->probe && call->attempts <= c->cfg.max_retries) {
        delay = llm_retry_after_ms(
            call->h_retry_after_ms[0] ? call->h_retry_after_ms : NULL,
            call->h_retry_after[0] ? call->h_retry_after : NULL,
            (int64_t)time(NULL), c->cfg.backoff_max_ms);
        if (delay >= 0 && r.cause == CAUSE_429)
            ratelimit_budget_hold(&c->budget, delay, now);
        if (delay < 0)
            delay =
                llm_backoff_ms(c->cfg.backoff_base_ms, c->cfg.backoff_max_ms,
                               call->attempts, rand01(c));
        call->due_ms = now + delay;
        call->seq = c->seq++;
        if (heap_push(c, call) == 0) {
            c->retries++;
            ccai_counter_add(c->m.retries[r.cause], 1);
            LOG_DEBUG("llm", "attempt %u failed (%s), retrying in %ld ms",
                      call->attempts, call->error, delay);
            return;
        }
        /* out of memory: give up on the call with its last failure */
    }
    if (counts_against_breaker(r.fail)) {
        enum breaker_state before = c->breaker.state;

        breaker_on_failure(&c->breaker, now);
        if (before != BREAKER_OPEN && c->breaker.state == BREAKER_OPEN)
            LOG_WARN("llm", "circuit breaker open for %ld ms after: %s",
                     c->cfg.breaker_open_ms, call->error);
    } else {
        breaker_on_success(&c->breaker, now); /* the server answered */
    }
    call_finish(c, call, r.fail, now);
}

static void reap(struct llm_client *c)
{
    CURLMsg *msg = NULL;
    int left = 0;

    while ((msg = curl_multi_info_read(c->multi, &left)) != NULL) {
        struct llm_call *call = NULL;

        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&call);
        on_transfer_done(c, call, msg->data.result);
    }
}

/* ---- curl multi socket interface ------------------------------------- */

/* curl: from curl_multi_socket_action / add / remove on the loop thread */
static int
on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    struct llm_client *c = userp;
    struct epoll_event ev;

    (void)easy;
    (void)socketp;
    if (what == CURL_POLL_REMOVE) {
        (void)epoll_ctl(c->epfd, EPOLL_CTL_DEL, s, NULL);
        return 0;
    }
    memset(&ev, 0, sizeof(ev));
    ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0U) |
                ((what & CURL_POLL_OUT) ? EPOLLOUT : 0U);
    ev.data.fd = s;
    if (epoll_ctl(c->epfd, EPOLL_CTL_MOD, s, &ev) != 0 &&
        (errno != ENOENT || epoll_ctl(c->epfd, EPOLL_CTL_ADD, s, &ev) != 0))
        LOG_ERROR("llm", "cannot watch socket %d: %s", (int)s, strerror(errno));
    return 0;
}

static int socket_action(struct llm_client *c, curl_socket_t s, int mask)
{
    int running = 0;
    CURLMcode mrc = curl_multi_socket_action(c->multi, s, mask, &running);

    if (mrc != CURLM_OK) {
        LOG_ERROR("llm", "curl_multi_socket_action: %s",
                  curl_multi_strerror(mrc));
        return -1;
    }
    return 0;
}

/* the sockets epoll reports ready now (one batch; level-triggered, so
 * what is left is reported again at the next wait) */
static int run_sockets(struct llm_client *c)
{
    struct epoll_event evs[LLM_EPOLL_BATCH];
    int n = epoll_wait(c->epfd, evs, LLM_EPOLL_BATCH, 0);

    if (n < 0)
        return errno == EINTR ? 0 : -1;
    for (int i = 0; i < n; i++) {
        int mask = 0;

        if (evs[i].events & EPOLLIN)
            mask |= CURL_CSELECT_IN;
        if (evs[i].events & EPOLLOUT)
            mask |= CURL_CSELECT_OUT;
        if (evs[i].events & (EPOLLERR | EPOLLHUP))
            mask |= CURL_CSELECT_ERR;
        if (socket_action(c, evs[i].data.fd, mask) != 0)
            return -1;
    }
    return 0;
}

/* curl's own timer (connect and transfer timeouts, starting new handles):
 * ms until it is due, -1 when none. Asked of curl each time rather than
 * kept from CURLMOPT_TIMERFUNCTION: curl reports a timer only when it
 * changes, so one fired a fraction of a ms early (our clock counts whole
 * ms) would be lost and a silent transfer would never time out. */
static long timer_ms(struct llm_client *c)
{
    long ms = -1;

    if (curl_multi_timeout(c->multi, &ms) != CURLM_OK)
        return -1;
    return ms;
}

/* fire curl's timer when due (new handles ask for 0: start now) */
static int run_timer(struct llm_client *c)
{
    if (timer_ms(c) != 0)
        return 0;
    return socket_action(c, CURL_SOCKET_TIMEOUT, 0);
}

/* ---- public API -----------------------------------------------------------
 */

/* The request headers every call shares (new list, NULL on OOM). The key
 * is in here, so this list is never logged. */
static struct curl_slist *headers_new(const char *api_key)
{
    struct curl_slist *headers = NULL;
    struct curl_slist *h = NULL;
    char auth[LLM_MAX_KEY_LEN + 32];

    headers = curl_slist_append(NULL, "Content-Type: application/json");
    if (headers)
        headers = curl_slist_append(headers, "Accept: application/json");
    if (headers) /* never wait a second for 100-continue */
        headers = curl_slist_append(headers, "Expect:");
    if (headers == NULL || api_key[0] == '\0')
        return headers;
    (void)snprintf(auth, sizeof(auth), "Authorization: Bearer %s", api_key);
    h = curl_slist_append(headers, auth);
    memset(auth, 0, sizeof(auth));
    if (h == NULL) {
        curl_slist_free_all(headers);
        return NULL;
    }
    return h;
}

/* the easy pool, the epoll set, the wakeup eventfd and the multi handle
 * with its socket and timer callbacks; -1 with @err */
static int multi_init(struct llm_client *c, struct ccai_error *err)
{
    c->pool = calloc(c->cfg.max_inflight, sizeof(*c->pool));
    c->multi = curl_multi_init();
    if (c->pool == NULL || c->multi == NULL)
        return ccai_error_set(err, CCAI_E_NOMEM, "", "out of memory");
    c->epfd = epoll_create1(EPOLL_CLOEXEC);
    c->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (c->epfd < 0 || c->wakefd < 0)
        return ccai_error_set(err, CCAI_E_INTERNAL, "",
                              "cannot create the LLM client's fds: %s",
                              strerror(errno));
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                      (long)c->cfg.max_inflight);
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS,
                      (long)c->cfg.max_inflight + 8);
    return 0;
}

struct llm_client *llm_client_new(const struct llm_client_config *cfg,
                                  struct ccai_error *err)
{
    struct llm_client *c = NULL;
    uint64_t seed = 0;
    size_t blen = 0;

    if (cfg->base_url == NULL || cfg->base_url[0] == '\0') {
        ccai_error_set(err, CCAI_E_CONFIG, "OPENAI_BASE_URL",
                       "llm client needs a base url");
        return NULL;
    }
    if (cfg->api_key && strlen(cfg->api_key) > LLM_MAX_KEY_LEN) {
        ccai_error_set(err, CCAI_E_CONFIG, "OPENAI_API_KEY",
                       "OPENAI_API_KEY: too long");
        return NULL;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        ccai_error_set(err, CCAI_E_INTERNAL, "", "cannot initialise libcurl");
        return NULL;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        goto oom;
    c->epfd = -1;
    c->wakefd = -1;
    c->cfg = *cfg;
    c->base_url = strdup(cfg->base_url);
    c->api_key = strdup(cfg->api_key ? cfg->api_key : "");
    if (c->base_url == NULL || c->api_key == NULL)
        goto oom;
    c->cfg.base_url = c->base_url;
    c->cfg.api_key = c->api_key;
    if (c->cfg.timeout_ms <= 0)
        c->cfg.timeout_ms = 30000;
    if (c->cfg.connect_timeout_ms <= 0)
        c->cfg.connect_timeout_ms =
            c->cfg.timeout_ms < 10000 ? c->cfg.timeout_ms : 10000;
    if (c->cfg.max_inflight == 0)
        c->cfg.max_inflight = 1;
    if (c->cfg.backoff_base_ms <= 0)
        c->cfg.backoff_base_ms = 500;
    if (c->cfg.backoff_max_ms <= 0)
        c->cfg.backoff_max_ms = 30000;
    blen = strlen(c->base_url);
    while (blen > 0 && c->base_url[blen - 1] == '/')
        blen--;
    c->url = malloc(blen + sizeof("/chat/completions"));
    if (c->url == NULL)
        goto oom;
    memcpy(c->url, c->base_url, blen);
    memcpy(c->url + blen, "/chat/completions", sizeof("/chat/completions"));

    c->headers = headers_new(c->api_key);
    if (c->headers == NULL)
        goto oom;

    if (multi_init(c, err) != 0) {
        llm_client_free(c);
        return NULL;
    }
    if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
        seed = (uint64_t)now_ms() * 0x9e3779b97f4a7c15ULL;
    c->rng = seed ? seed : 0x2545f4914f6cdd1dULL;
    breaker_init(&c->breaker, c->cfg.breaker_threshold, c->cfg.breaker_open_ms);
    ratelimit_budget_init(&c->budget, c->cfg.rpm, c->cfg.tpm, now_ms());
    metrics_init(c);
    metrics_gauges(c, now_ms());
    return c;
oom:
    ccai_error_set(err, CCAI_E_NOMEM, "", "out of memory");
    llm_client_free(c);
    if (c == NULL)
        curl_global_cleanup();
    return NULL;
}

void llm_client_free(struct llm_client *c)
{
    if (c == NULL)
        return;
    for (struct llm_call *call = c->running, *next = NULL; call; call = next) {
        next = call->next;
        curl_multi_remove_handle(c->multi, call->easy);
        call_free(call);
    }
    c->running = NULL;
    c->n_running = 0;
    for (size_t i = 0; i < c->heap_len; i++)
        call_free(c->heap[i]);
    free(c->heap);
    for (unsigned i = 0; i < c->n_pool; i++)
        curl_easy_cleanup(c->pool[i]);
    free(c->pool);
    if (c->multi) /* may still call on_socket: the fds go after it */
        curl_multi_cleanup(c->multi);
    if (c->epfd >= 0)
        close(c->epfd);
    if (c->wakefd >= 0)
        close(c->wakefd);
    curl_slist_free_all(c->headers);
    if (c->api_key)
        memset(c->api_key, 0, strlen(c->api_key));
    free(c->api_key);
    free(c->base_url);
    free(c->url);
    free(c);
    curl_global_cleanup();
}

int llm_client_submit(struct llm_client *c,
                      const char *body,
                      size_t len,
                      unsigned est_tokens,
                      llm_done_fn *done,
                      void *opaque,
                      struct ccai_error *err)
{
    struct llm_call *call = calloc(1, sizeof(*call));

    if (call == NULL)
        goto oom;
    call->body = body;
    call->len = len;
    call->c = c;
    call->est_tokens = est_tokens;
    call->done = done;
    call->opaque = opaque;
    call->submit_ms = now_ms();
    call->due_ms = call->submit_ms;
    call->seq = c->seq++;
    ccai_buf_init(&call->resp, LLM_MAX_RESPONSE_BYTES);
    if (heap_push(c, call) != 0)
        goto oom;
    return 0;
oom:
    call_free(call);
    return ccai_error_set(err, CCAI_E_NOMEM, "", "out of memory");
}

/* curl's due timer, then the finished transfers' callbacks */
static int drive(struct llm_client *c)
{
    if (run_timer(c) != 0)
        return -1;
    reap(c);
    return 0;
}

static short waitfd_to_poll(short events)
{
    return (short)(((events & CURL_WAIT_POLLIN) ? POLLIN : 0) |
                   ((events & CURL_WAIT_POLLPRI) ? POLLPRI : 0) |
                   ((events & CURL_WAIT_POLLOUT) ? POLLOUT : 0));
}

static short poll_to_waitfd(short revents)
{
    return (short)(((revents & POLLIN) ? CURL_WAIT_POLLIN : 0) |
                   ((revents & POLLPRI) ? CURL_WAIT_POLLPRI : 0) |
                   ((revents & POLLOUT) ? CURL_WAIT_POLLOUT : 0));
}

/* sleep until a curl socket, the wakeup fd or an @extra fd is ready, or
 * @wait ms passed; fills the extras' revents */
static int wait_fds(struct llm_client *c,
                    struct curl_waitfd *extra,
                    unsigned n_extra,
                    long wait)
{
    struct pollfd pfd[LLM_MAX_EXTRA + 2];
    unsigned n = 0;
    int rc = 0;

    if (n_extra > LLM_MAX_EXTRA)
        n_extra = LLM_MAX_EXTRA;
    pfd[n].fd = c->epfd;
    pfd[n++].events = POLLIN;
    pfd[n].fd = c->wakefd;
    pfd[n++].events = POLLIN;
    for (unsigned i = 0; i < n_extra; i++) {
        pfd[n].fd = extra[i].fd;
        pfd[n].events = waitfd_to_poll(extra[i].events);
        pfd[n++].revents = 0;
    }
    rc = poll(pfd, n, (int)wait);
    if (rc < 0 && errno != EINTR) {
        LOG_ERROR("llm", "poll: %s", strerror(errno));
        return -1;
    }
    if (rc > 0 && (pfd[1].revents & POLLIN)) {
        uint64_t v = 0;

        (void)!read(c->wakefd, &v, sizeof(v));
    }
    for (unsigned i = 0; i < n_extra; i++) {
        extra[i].revents = 0;
        if (rc > 0)
            extra[i].revents = poll_to_waitfd(pfd[i + 2].revents);
    }
    return 0;
}

int llm_client_poll(struct llm_client *c,
                    struct curl_waitfd *extra,
                    unsigned n_extra,
                    int timeout_ms)
{
    unsigned delivered = c->delivered;
    int64_t due = -1;
    int64_t now = 0;
    long wait = timeout_ms < 0 ? 0 : timeout_ms;
    long curl_ms = -1;
    int rc = -1;

    start_due(c);
    if (run_sockets(c) != 0 || drive(c) != 0)
        goto out;
    due = start_due(c);
    if (drive(c) != 0)
        goto out;
    now = now_ms();
    if (due >= 0 && due - now < wait)
        wait = due > now ? (long)(due - now) : 0;
    curl_ms = timer_ms(c);
    if (curl_ms >= 0 && curl_ms < wait)
        wait = curl_ms;
    if (c->delivered != delivered)
        wait = 0; /* callbacks ran: let the caller act on them first */
    if (wait_fds(c, extra, n_extra, wait) != 0)
        goto out;
    if (run_sockets(c) != 0 || drive(c) != 0)
        goto out;
    start_due(c);
    if (drive(c) != 0)
        goto out;
    rc = 0;
out:
    metrics_gauges(c, now_ms());
    return rc;
}

void llm_client_wakeup(struct llm_client *c)
{
    uint64_t one = 1;

    (void)!write(c->wakefd, &one, sizeof(one));
}

void llm_client_cancel_all(struct llm_client *c)
{
    struct llm_call *list = NULL;
    int64_t now = now_ms();

    /* collect first: callbacks may submit new calls, which stay queued */
    while (c->running) {
        struct llm_call *call = c->running;

        curl_multi_remove_handle(c->multi, call->easy);
        running_unlink(c, call);
        if (call->probe)
            breaker_on_probe_abandoned(&c->breaker);
        call->next = list;
        list = call;
    }
    while (c->heap_len > 0) {
        struct llm_call *call = heap_pop(c);

        call->next = list;
        list = call;
    }
    while (list) {
        struct llm_call *call = list;

        list = call->next;
        call->next = NULL;
        (void)snprintf(call->error, sizeof(call->error),
                       "cancelled at shutdown");
        call->status = 0;
        call_finish(c, call, LLM_FAIL_CANCELLED, now);
    }
    metrics_gauges(c, now);
}

void llm_client_stats(const struct llm_client *c, struct llm_client_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->in_flight = c->n_running;
    out->waiting = (unsigned)c->heap_len;
    out->breaker = breaker_state_name(c->breaker.state);
    out->calls = c->calls;
    out->retries = c->retries;
    out->failures = c->failures;
    out->rpm_remaining = c->budget.learned_req_remaining;
    out->tpm_remaining = c->budget.learned_tok_remaining;
}
