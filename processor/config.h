/* config - the processor's immutable configuration: every processor
 * variable of PRODUCT.md section 7 plus the runtime knobs, loaded once
 * from the environment by a table (common/env.h) before anything starts.
 * Main thread, at start; read-only afterwards (any thread may read). */
#ifndef CCAI_PROCESSOR_CONFIG_H
#define CCAI_PROCESSOR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "engine.h"
#include "env.h"
#include "err.h"

enum processor_fallback {
    PROCESSOR_FALLBACK_RULES = 0, /* offline analyzer, status degraded */
    PROCESSOR_FALLBACK_DLQ,       /* dead letter, stage llm / output */
};

enum processor_ai_provider {
    PROCESSOR_AI_AUTO = 0,
    PROCESSOR_AI_OPENAI,
    PROCESSOR_AI_RULES,
};

struct processor_config {
    char topic_events[250];
    char topic_results[250];
    char topic_dlq[250];
    char log_level[16];
    char bind_addr[64]; /* PROCESSOR_BIND */
    long port;          /* PROCESSOR_PORT */
    char consumer_group[256];
    long max_inflight; /* PROCESSOR_MAX_INFLIGHT */
    int fallback;      /* enum processor_fallback */
    int ai_provider;   /* enum processor_ai_provider */
    char openai_api_key[512];
    char openai_base_url[512];
    char openai_model[128];
    long openai_timeout_ms;
    long openai_max_retries;
    long openai_rpm; /* 0 = unlimited */
    long openai_tpm; /* 0 = unlimited */
    long openai_backoff_base_ms;
    long openai_backoff_max_ms;
    long breaker_threshold;
    long breaker_open_ms;
    bool redact_pii;
    char pipeline_config[1024]; /* "" = the built-in default */
    long drain_timeout_ms;      /* PROCESSOR_DRAIN_TIMEOUT_MS */
    long max_buffered;          /* PROCESSOR_MAX_BUFFERED */
    long context_turns;         /* PROCESSOR_CONTEXT_TURNS */
    long max_contacts;          /* PROCESSOR_MAX_CONTACTS */
    long contact_idle_s;        /* PROCESSOR_CONTACT_IDLE_S */
    long dedupe_window_s;       /* PROCESSOR_DEDUPE_WINDOW_S */
    long dedupe_entries;        /* PROCESSOR_DEDUPE_ENTRIES */
    long commit_interval_ms;    /* PROCESSOR_COMMIT_INTERVAL_MS */
    long produce_timeout_ms;    /* PROCESSOR_PRODUCE_TIMEOUT_MS */
    long produce_retries;       /* PROCESSOR_PRODUCE_RETRIES */
    long session_timeout_ms;    /* PROCESSOR_SESSION_TIMEOUT_MS */
    long test_fatal_after;      /* PROCESSOR_TEST_FATAL_AFTER, 0 = off */
    /* derived by processor_config_load */
    enum engine_provider provider;
};

/** Load @cfg from the process environment and check cross-variable rules
 * (AI_PROVIDER=openai needs OPENAI_API_KEY; auto picks openai when a key is
 * set, else the offline analyzer). Returns 0, or -1 with @err naming the
 * variable (CCAI_E_CONFIG; message "NAME: why"). */
int processor_config_load(struct processor_config *cfg, struct ccai_error *err);

/** The variable table (for logging the effective configuration). */
const struct env_spec *processor_config_specs(size_t *n);

/** Log the effective configuration, secrets masked. */
void processor_config_log(const struct processor_config *cfg);

/** "openai", "rules" or "no_key" for the derived provider. */
const char *processor_config_provider_name(const struct processor_config *cfg);

#endif
