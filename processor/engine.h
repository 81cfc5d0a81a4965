/* engine - everything between a validated ContactEvent and an
 * AnalysisResult document, with no I/O: PII redaction, per-contact
 * conversation context, dedupe, the rules answers (contact.started,
 * partial segments), the OpenAI request body, parsing and validating the
 * model's answer, the offline analyzer fallback and the result JSON.
 * The runtime (consumer, LLM transport, publisher) drives it.
 * Main loop thread only; events of one contact must be begun in offset
 * order, and a contact's next job begun only after the previous one of
 * that contact finished (complete/fallback/free). */
#ifndef CCAI_ENGINE_H
#define CCAI_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "contact_event.h"
#include "err.h"
#include "pipeline.h"

enum engine_provider {
    ENGINE_PROVIDER_OPENAI = 0, /* call the LLM */
    ENGINE_PROVIDER_RULES,      /* AI_PROVIDER=rules: completed by rules */
    ENGINE_PROVIDER_NO_KEY,     /* auto without a key: degraded, no_key */
};

struct engine_config {
    const struct pipeline *pipeline; /* borrowed, outlives the engine */
    const char *model;               /* OPENAI_MODEL, copied */
    enum engine_provider provider;
    bool redact_pii;          /* REDACT_PII */
    unsigned context_turns;   /* recent turns kept per contact */
    unsigned max_contacts;    /* LRU bound on contexts */
    long contact_idle_ttl_ms; /* contexts idle longer are evicted */
    unsigned dedupe_entries;  /* completed event_ids remembered */
    long dedupe_ttl_ms;
};

enum engine_action {
    ENGINE_RESULT = 0, /* result ready now (rules, skipped, provider rules) */
    ENGINE_CALL_LLM,   /* POST engine_job_request() to /chat/completions */
    ENGINE_DUPLICATE,  /* event_id already completed: cached result ready */
};

/* why an LLM answer was not usable (engine_job_complete) */
enum engine_llm_failure {
    ENGINE_LLM_OK = 0,
    ENGINE_LLM_MALFORMED, /* body not a chat completion */
    ENGINE_LLM_REFUSAL,   /* message.refusal set */
    ENGINE_LLM_TRUNCATED, /* finish_reason length / content_filter */
    ENGINE_LLM_SCHEMA,    /* content is not valid against the schema */
};

struct engine_meta {
    int64_t now_ms;       /* wall clock when processing started */
    int64_t record_ts_ms; /* Kafka record timestamp, 0 if unknown */
    const char *trace;    /* traceparent from headers/record, or NULL */
};

struct engine;
struct engine_job;

/** New engine; NULL with @err on bad config. */
struct engine *engine_new(const struct engine_config *cfg,
                          struct ccai_error *err);
void engine_free(struct engine *eng);

/** Start analysing @ev (borrowed; the job keeps what it needs). Always
 * creates *@job (caller frees with engine_job_free). */
enum engine_action engine_begin(struct engine *eng,
                                const struct contact_event *ev,
                                const struct engine_meta *meta,
                                struct engine_job **job);

/** The request body for POST {base}/chat/completions (valid until the job
 * is freed) and a token estimate for client-side TPM budgets. */
const char *engine_job_request(const struct engine_job *job, size_t *len);
unsigned engine_job_estimated_tokens(const struct engine_job *job);

/** Feed a 200 answer. Returns ENGINE_LLM_OK (result ready, context and
 * dedupe updated) or the failure kind (the job stays usable: the caller
 * may retry once, then call engine_job_fallback). @err gets details. */
enum engine_llm_failure engine_job_complete(struct engine *eng,
                                            struct engine_job *job,
                                            const char *body,
                                            size_t len,
                                            long llm_ms,
                                            unsigned attempts,
                                            struct ccai_error *err);

/** The LLM is unavailable: answer with the offline analyzer, status
 * degraded, provider.fallback_reason @reason ("timeout", "rate_limited",
 * "circuit_open", "invalid_output", "quota", "no_key"). Result ready. */
void engine_job_fallback(struct engine *eng,
                         struct engine_job *job,
                         const char *reason,
                         long llm_ms,
                         unsigned attempts);

/** Give up on the job without a result (it will be dead-lettered);
 * context is not updated. */
void engine_job_abandon(struct engine *eng, struct engine_job *job);

/** The AnalysisResult v1 JSON (valid until the job is freed), or NULL if
 * no result is ready. */
const char *engine_job_result(const struct engine_job *job, size_t *len);

/** Token usage reported by the provider (0 when none). */
void engine_job_usage(const struct engine_job *job,
                      unsigned *prompt_tokens,
                      unsigned *completion_tokens);

/** PII entities redacted in this event's text (sum of all kinds). */
unsigned engine_job_pii_count(const struct engine_job *job);

void engine_job_free(struct engine_job *job);

/* stats for /api/v1/processor/stats and metrics */
struct engine_stats {
    unsigned contexts; /* contacts with a context window */
    unsigned dedupe_size;
    uint64_t evicted; /* contexts evicted (LRU or TTL) */
    uint64_t dedupe_hits;
};
void engine_stats(const struct engine *eng, struct engine_stats *out);

#endif
