/* config - INGRESS_* and friends from the environment; see config.h.
 * Main thread, at start. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "auth.h"

#include "banned.h"

#define F(field) offsetof(struct ingress_config, field)

static const struct env_spec specs[] = {
    {"PORT", ENV_LONG, "8000", 0, 65535, false, F(port), NULL},
    {"INGRESS_BIND", ENV_STR, "0.0.0.0", 0, 64, false, F(bind_addr), NULL},
    {"INGRESS_AUTH", ENV_ENUM, "keys", 0, 0, false, F(auth_mode), "keys|none"},
    {"INGRESS_API_KEYS", ENV_STR, "", 0, INGRESS_API_KEYS_MAX, true,
     F(api_keys), NULL},
    {"INGRESS_MAX_BODY_BYTES", ENV_LONG, "262144", 1024, 64L * 1024 * 1024,
     false, F(max_body_bytes), NULL},
    {"INGRESS_RATE_LIMIT_RPS", ENV_LONG, "0", 0, 1000000, false,
     F(rate_limit_rps), NULL},
    {"INGRESS_RATE_LIMIT_BURST", ENV_LONG, "0", 0, 10000000, false,
     F(rate_limit_burst), NULL},
    {"INGRESS_RESULTS_WINDOW_S", ENV_LONG, "900", 1, 7L * 24 * 3600, false,
     F(results_window_s), NULL},
    {"TOPIC_EVENTS", ENV_STR, "contact-events", 0, INGRESS_TOPIC_MAX, false,
     F(topic_events), NULL},
    {"TOPIC_RESULTS", ENV_STR, "contact-results", 0, INGRESS_TOPIC_MAX, false,
     F(topic_results), NULL},
    {"TOPIC_DLQ", ENV_STR, "contact-events-dlq", 0, INGRESS_TOPIC_MAX, false,
     F(topic_dlq), NULL},
    {"LOG_LEVEL", ENV_STR, "info", 0, 16, false, F(log_level_text), NULL},
    {"INGRESS_THREADS", ENV_LONG, "2", 1, 64, false, F(threads), NULL},
    {"INGRESS_MAX_CONNECTIONS", ENV_LONG, "4096", 1, 65536, false,
     F(max_connections), NULL},
    {"INGRESS_PRODUCE_TIMEOUT_MS", ENV_MS, "10000", 100, 300000, false,
     F(produce_timeout_ms), NULL},
    {"INGRESS_MAX_INFLIGHT", ENV_LONG, "4096", 1, 1000000, false,
     F(max_inflight), NULL},
    {"INGRESS_QUEUE_MAX_MESSAGES", ENV_LONG, "100000", 100, 10000000, false,
     F(queue_max_messages), NULL},
    {"INGRESS_QUEUE_MAX_KBYTES", ENV_LONG, "32768", 1024, 2097151, false,
     F(queue_max_kbytes), NULL},
    {"INGRESS_READY_INTERVAL_MS", ENV_MS, "2000", 100, 60000, false,
     F(ready_interval_ms), NULL},
    {"INGRESS_SHUTDOWN_GRACE_MS", ENV_MS, "20000", 0, 120000, false,
     F(shutdown_grace_ms), NULL},
};

const struct env_spec *ingress_config_specs(size_t *n)
{
    *n = sizeof(specs) / sizeof(specs[0]);
    return specs;
}

static int
check_topic(const char *name, const char *topic, struct ccai_error *err)
{
    if (topic[0] == '\0')
        return ccai_error_set(err, CCAI_E_CONFIG, name, "%s: is empty", name);
    for (const char *p = topic; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return ccai_error_set(err, CCAI_E_CONFIG, name,
                                  "%s: not a valid topic name", name);
    }
    return 0;
}

int ingress_config_load(struct ingress_config *cfg, struct ccai_error *err)
{
    struct auth *auth = NULL;
    int rc = -1;

    memset(cfg, 0, sizeof(*cfg));
    if (ccai_env_load(specs, sizeof(specs) / sizeof(specs[0]), cfg, err) != 0)
        goto out;
    if (ccai_log_level_parse(cfg->log_level_text, &cfg->log_level) != 0) {
        ccai_error_set(err, CCAI_E_CONFIG, "LOG_LEVEL",
                       "LOG_LEVEL: expected debug, info, warn, error or off");
        goto out;
    }
    if (cfg->auth_mode == INGRESS_AUTH_KEYS && cfg->api_keys[0] == '\0') {
        ccai_error_set(
            err, CCAI_E_CONFIG, "INGRESS_API_KEYS",
            "INGRESS_API_KEYS: is required unless INGRESS_AUTH=none");
        goto out;
    }
    if (cfg->api_keys[0] != '\0') {
        /* validate now so a typo stops startup, not the first request */
        auth = auth_new(cfg->api_keys, err);
        if (auth == NULL)
            goto out;
    }
    if (cfg->rate_limit_burst > 0 && cfg->rate_limit_rps == 0) {
        ccai_error_set(err, CCAI_E_CONFIG, "INGRESS_RATE_LIMIT_BURST",
                       "INGRESS_RATE_LIMIT_BURST: needs "
                       "INGRESS_RATE_LIMIT_RPS > 0");
        goto out;
    }
    if (cfg->rate_limit_rps > 0 && cfg->rate_limit_burst == 0)
        cfg->rate_limit_burst = cfg->rate_limit_rps;
    if (check_topic("TOPIC_EVENTS", cfg->topic_events, err) != 0 ||
        check_topic("TOPIC_RESULTS", cfg->topic_results, err) != 0 ||
        check_topic("TOPIC_DLQ", cfg->topic_dlq, err) != 0)
        goto out;
    rc = 0;
out:
    auth_free(auth);
    return rc;
}

void ingress_config_log(const struct ingress_config *cfg)
{
    ccai_env_log(specs, sizeof(specs) / sizeof(specs[0]), cfg, "config");
}
