/* config - the processor's environment table and cross-variable checks;
 * see config.h. Main thread, at start. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

#include "banned.h"

#define F(field)  offsetof(struct processor_config, field)
#define SZ(field) ((long)sizeof(((struct processor_config *)0)->field))
#define STR(name, def, field)                                   \
    {                                                           \
        name, ENV_STR, def, 0, SZ(field), false, F(field), NULL \
    }
#define NUM(name, def, lo, hi, field)                      \
    {                                                      \
        name, ENV_LONG, def, lo, hi, false, F(field), NULL \
    }
#define MS(name, def, lo, hi, field)                     \
    {                                                    \
        name, ENV_MS, def, lo, hi, false, F(field), NULL \
    }

static const struct env_spec specs[] = {
    STR("TOPIC_EVENTS", "contact-events", topic_events),
    STR("TOPIC_RESULTS", "contact-results", topic_results),
    STR("TOPIC_DLQ", "contact-events-dlq", topic_dlq),
    STR("LOG_LEVEL", "info", log_level),
    STR("PROCESSOR_BIND", "0.0.0.0", bind_addr),
    NUM("PROCESSOR_PORT", "8001", 1, 65535, port),
    STR("CONSUMER_GROUP", "ccai-processor", consumer_group),
    NUM("PROCESSOR_MAX_INFLIGHT", "256", 1, 16384, max_inflight),
    {"PROCESSOR_FALLBACK", ENV_ENUM, "rules", 0, 0, false, F(fallback),
     "rules|dlq"},
    {"AI_PROVIDER", ENV_ENUM, "auto", 0, 0, false, F(ai_provider),
     "auto|openai|rules"},
    {"OPENAI_API_KEY", ENV_STR, "", 0, SZ(openai_api_key), true,
     F(openai_api_key), NULL},
    STR("OPENAI_BASE_URL", "https://api.openai.com/v1", openai_base_url),
    STR("OPENAI_MODEL", "gpt-4o-mini", openai_model),
    MS("OPENAI_TIMEOUT_MS", "30000", 100, 600000, openai_timeout_ms),
    NUM("OPENAI_MAX_RETRIES", "4", 0, 20, openai_max_retries),
    NUM("OPENAI_RPM", "0", 0, 100000000, openai_rpm),
    NUM("OPENAI_TPM", "0", 0, 1000000000, openai_tpm),
    MS("OPENAI_BACKOFF_BASE_MS", "500", 1, 600000, openai_backoff_base_ms),
    MS("OPENAI_BACKOFF_MAX_MS", "30000", 1, 600000, openai_backoff_max_ms),
    NUM("PROCESSOR_BREAKER_THRESHOLD", "20", 1, 1000000, breaker_threshold),
    MS("PROCESSOR_BREAKER_OPEN_MS", "30000", 10, 3600000, breaker_open_ms),
    {"REDACT_PII", ENV_BOOL, "true", 0, 0, false, F(redact_pii), NULL},
    STR("PIPELINE_CONFIG", "", pipeline_config),
    MS("PROCESSOR_DRAIN_TIMEOUT_MS", "20000", 0, 600000, drain_timeout_ms),
    NUM("PROCESSOR_MAX_BUFFERED", "10000", 1, 10000000, max_buffered),
    NUM("PROCESSOR_CONTEXT_TURNS", "12", 0, 200, context_turns),
    NUM("PROCESSOR_MAX_CONTACTS", "100000", 1, 10000000, max_contacts),
    NUM("PROCESSOR_CONTACT_IDLE_S", "3600", 1, 604800, contact_idle_s),
    NUM("PROCESSOR_DEDUPE_WINDOW_S", "3600", 0, 604800, dedupe_window_s),
    NUM("PROCESSOR_DEDUPE_ENTRIES", "20000", 0, 100000000, dedupe_entries),
    MS("PROCESSOR_COMMIT_INTERVAL_MS", "1000", 10, 600000, commit_interval_ms),
    MS("PROCESSOR_PRODUCE_TIMEOUT_MS",
       "30000",
       100,
       3600000,
       produce_timeout_ms),
    NUM("PROCESSOR_PRODUCE_RETRIES", "5", 0, 1000, produce_retries),
    MS("PROCESSOR_SESSION_TIMEOUT_MS",
       "45000",
       1000,
       3600000,
       session_timeout_ms),
    /* fault drill for tests: raise the producer's fatal error once after
     * this many acknowledged records */
    NUM("PROCESSOR_TEST_FATAL_AFTER", "0", 0, 1000000000, test_fatal_after),
};

const struct env_spec *processor_config_specs(size_t *n)
{
    *n = sizeof(specs) / sizeof(specs[0]);
    return specs;
}

static int check_url(const char *url)
{
    return strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0
               ? 0
               : -1;
}

int processor_config_load(struct processor_config *cfg, struct ccai_error *err)
{
    enum ccai_log_level lvl = CCAI_LOG_INFO;

    memset(cfg, 0, sizeof(*cfg));
    if (ccai_env_load(specs, sizeof(specs) / sizeof(specs[0]), cfg, err) != 0)
        return -1;
    if (ccai_log_level_parse(cfg->log_level, &lvl) != 0)
        return ccai_error_set(err, CCAI_E_CONFIG, "LOG_LEVEL",
                              "LOG_LEVEL: expected one of "
                              "debug|info|warn|error|off");
    if (cfg->topic_events[0] == '\0' || cfg->topic_results[0] == '\0' ||
        cfg->topic_dlq[0] == '\0')
        return ccai_error_set(err, CCAI_E_CONFIG, "TOPIC_EVENTS",
                              "TOPIC_EVENTS: topics must not be empty");
    if (strcmp(cfg->topic_events, cfg->topic_results) == 0 ||
        strcmp(cfg->topic_events, cfg->topic_dlq) == 0)
        return ccai_error_set(err, CCAI_E_CONFIG, "TOPIC_RESULTS",
                              "TOPIC_RESULTS: results and dead letters "
                              "must not go to TOPIC_EVENTS");
    if (check_url(cfg->openai_base_url) != 0)
        return ccai_error_set(err, CCAI_E_CONFIG, "OPENAI_BASE_URL",
                              "OPENAI_BASE_URL: expected an http:// or "
                              "https:// URL");
    if (cfg->openai_backoff_base_ms > cfg->openai_backoff_max_ms)
        return ccai_error_set(err, CCAI_E_CONFIG, "OPENAI_BACKOFF_BASE_MS",
                              "OPENAI_BACKOFF_BASE_MS: larger than "
                              "OPENAI_BACKOFF_MAX_MS");
    switch ((enum processor_ai_provider)cfg->ai_provider) {
    case PROCESSOR_AI_OPENAI:
        if (cfg->openai_api_key[0] == '\0')
            return ccai_error_set(err, CCAI_E_CONFIG, "OPENAI_API_KEY",
                                  "OPENAI_API_KEY: is required when "
                                  "AI_PROVIDER=openai");
        cfg->provider = ENGINE_PROVIDER_OPENAI;
        break;
    case PROCESSOR_AI_RULES:
        cfg->provider = ENGINE_PROVIDER_RULES;
        break;
    case PROCESSOR_AI_AUTO:
    default:
        cfg->provider = cfg->openai_api_key[0] ? ENGINE_PROVIDER_OPENAI
                                               : ENGINE_PROVIDER_NO_KEY;
        break;
    }
    return 0;
}

const char *processor_config_provider_name(const struct processor_config *cfg)
{
    switch (cfg->provider) {
    case ENGINE_PROVIDER_OPENAI:
        return "openai";
    case ENGINE_PROVIDER_RULES:
        return "rules";
    case ENGINE_PROVIDER_NO_KEY:
        return "no_key";
    }
    return "unknown";
}

void processor_config_log(const struct processor_config *cfg)
{
    ccai_env_log(specs, sizeof(specs) / sizeof(specs[0]), cfg, "config");
    LOG_INFO("config", "provider=%s", processor_config_provider_name(cfg));
}
