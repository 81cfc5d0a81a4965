/* llm_client - OpenAI-compatible Chat Completions transport on one curl
 * multi handle (curl 10-at-a-time pattern): at most max_inflight transfers
 * at once, a FIFO of waiting submissions, retries on network errors, 408,
 * 409, 429 and 5xx with exponential backoff and full jitter honouring
 * retry-after-ms / retry-after (capped), no retry on 400/401/403/404/422
 * or insufficient_quota, client-side RPM/TPM budgets that also learn from
 * x-ratelimit-remaining-* / x-ratelimit-reset-*, and a circuit breaker.
 * It knows nothing about prompts: it moves bodies. Owns every easy handle
 * it creates; per-call state hangs off CURLOPT_PRIVATE.
 * Main loop thread only (the one that calls llm_client_poll). */
#ifndef CCAI_LLM_CLIENT_H
#define CCAI_LLM_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "err.h"

struct ccai_metrics;

struct llm_client_config {
    const char *base_url; /* OPENAI_BASE_URL, e.g. https://api.openai.com/v1 */
    const char *api_key;  /* OPENAI_API_KEY; never logged */
    long timeout_ms;      /* OPENAI_TIMEOUT_MS: whole transfer */
    long connect_timeout_ms; /* 0 = min(timeout, 10 s) */
    unsigned max_retries; /* OPENAI_MAX_RETRIES (retries after the first try) */
    unsigned max_inflight; /* PROCESSOR_MAX_INFLIGHT */
    long rpm;              /* OPENAI_RPM, 0 = unlimited */
    long tpm;              /* OPENAI_TPM, 0 = unlimited */
    long backoff_base_ms;  /* first backoff ceiling, e.g. 500 */
    long backoff_max_ms;   /* cap for backoff and for retry-after, e.g. 30000 */
    unsigned
        breaker_threshold; /* consecutive failed calls that open it, e.g. 20 */
    long breaker_open_ms;  /* how long it stays open before half-open */
    struct ccai_metrics *metrics; /* may be NULL */
};

enum llm_outcome {
    LLM_OK = 0,            /* HTTP 200: body is the completion */
    LLM_FAIL_TIMEOUT,      /* retries exhausted; last failure a timeout */
    LLM_FAIL_RATE_LIMITED, /* retries exhausted on 429 */
    LLM_FAIL_SERVER,       /* retries exhausted on 5xx / 408 / 409 */
    LLM_FAIL_NETWORK,      /* retries exhausted on connect/reset errors */
    LLM_FAIL_QUOTA,        /* 429 insufficient_quota: not retried */
    LLM_FAIL_REJECTED,     /* 400/401/403/404/422...: not retried */
    LLM_FAIL_CIRCUIT_OPEN, /* breaker open: not attempted */
    LLM_FAIL_CANCELLED,    /* llm_client_cancel_all (shutdown) */
};

struct llm_answer {
    enum llm_outcome outcome;
    long http_status; /* last HTTP status, 0 when none */
    const char *body; /* borrowed for the callback: last response body */
    size_t len;
    long elapsed_ms;   /* first submit to answer, including backoff */
    long last_call_ms; /* duration of the last HTTP attempt */
    unsigned attempts; /* HTTP attempts made */
    char error[160];   /* human-readable, no secrets */
};

/** Called from llm_client_poll on the loop thread, exactly once per
 * successful llm_client_submit. */
typedef void llm_done_fn(void *opaque, const struct llm_answer *ans);

struct llm_client;

struct llm_client *llm_client_new(const struct llm_client_config *cfg,
                                  struct ccai_error *err);
/** Frees; outstanding calls are dropped without callbacks. NULL-safe. */
void llm_client_free(struct llm_client *c);

/** Queue a POST of @body to {base_url}/chat/completions. @body is
 * borrowed: it must stay valid and unchanged until the callback ran (or
 * llm_client_free), which saves a copy of every request in flight.
 * @est_tokens feeds the TPM budget. Returns 0 (callback will come), or -1
 * with @err (only on out-of-memory). */
int llm_client_submit(struct llm_client *c,
                      const char *body,
                      size_t len,
                      unsigned est_tokens,
                      llm_done_fn *done,
                      void *opaque,
                      struct ccai_error *err);

/** Wait up to @timeout_ms for network activity, a due retry or one of
 * @extra fds, then drive transfers and run due callbacks. @extra may be
 * NULL. Returns 0, or -1 on an unexpected curl multi error. */
int llm_client_poll(struct llm_client *c,
                    struct curl_waitfd *extra,
                    unsigned n_extra,
                    int timeout_ms);

/** Wake a llm_client_poll blocked on the loop thread (any thread). */
void llm_client_wakeup(struct llm_client *c);

/** Answer every queued and running call with LLM_FAIL_CANCELLED. */
void llm_client_cancel_all(struct llm_client *c);

struct llm_client_stats {
    unsigned in_flight;  /* transfers running */
    unsigned waiting;    /* queued or in backoff */
    const char *breaker; /* "closed", "open", "half_open" */
    uint64_t calls, retries, failures;
    long rpm_remaining; /* learned from headers, -1 unknown */
    long tpm_remaining;
};
void llm_client_stats(const struct llm_client *c, struct llm_client_stats *out);

/* Pure helpers, exposed for unit tests. */

/** Short name of @outcome: "ok", "timeout", "rate_limited", "server",
 * "network", "quota", "rejected", "circuit_open", "cancelled". */
const char *llm_outcome_name(enum llm_outcome outcome);

/** Largest response body accepted; a larger one fails the attempt. */
#define LLM_MAX_RESPONSE_BYTES ((size_t)1024 * 1024)

/** Full-jitter backoff for retry @attempt (1-based): uniform in
 * [0, min(max, base * 2^(attempt-1))], using @rand01 in [0,1). */
long llm_backoff_ms(long base_ms, long max_ms, unsigned attempt, double rand01);

/** Parse "retry-after-ms" (ms) or "retry-after" (seconds or an HTTP date
 * relative to @now_s); either may be NULL. Returns ms (capped at @cap_ms)
 * or -1 when neither is usable. */
long llm_retry_after_ms(const char *retry_after_ms,
                        const char *retry_after,
                        int64_t now_s,
                        long cap_ms);

/** Parse an OpenAI reset duration like "6m0s", "1s", "20ms", "0.5s" into
 * ms; -1 when malformed. */
long llm_parse_reset_ms(const char *text);

/** Is HTTP @status retryable per the OpenAI guidance? */
bool llm_status_is_retryable(long status);

#endif
