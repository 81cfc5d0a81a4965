/* config - the ingress configuration: the environment turned into an
 * immutable struct ingress_config before anything starts (table-driven,
 * common/env.h). Main thread, at start; read-only afterwards. */
#ifndef CCAI_INGRESS_CONFIG_H
#define CCAI_INGRESS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "env.h"
#include "err.h"
#include "log.h"

enum ingress_auth_mode {
    INGRESS_AUTH_KEYS = 0, /* "keys": INGRESS_API_KEYS required */
    INGRESS_AUTH_NONE,     /* "none": every request is tenant "default" */
};

#define INGRESS_API_KEYS_MAX 8192
#define INGRESS_TOPIC_MAX    250

struct ingress_config {
    long port;
    char bind_addr[64];
    int auth_mode; /* enum ingress_auth_mode */
    char api_keys[INGRESS_API_KEYS_MAX];
    long max_body_bytes;
    long rate_limit_rps;   /* 0 = off */
    long rate_limit_burst; /* 0 = same as rps */
    long results_window_s;
    char topic_events[INGRESS_TOPIC_MAX];
    char topic_results[INGRESS_TOPIC_MAX];
    char topic_dlq[INGRESS_TOPIC_MAX];
    char log_level_text[16];
    enum ccai_log_level log_level; /* parsed from log_level_text */
    long threads;
    long max_connections;
    long produce_timeout_ms; /* message.timeout.ms */
    long max_inflight;       /* requests waiting for the broker */
    long queue_max_messages; /* queue.buffering.max.messages */
    long queue_max_kbytes;   /* queue.buffering.max.kbytes */
    long ready_interval_ms;  /* broker metadata check period */
    long shutdown_grace_ms;  /* wait for in-flight DRs on SIGTERM */
};

/** Fill @cfg from the environment; validates INGRESS_API_KEYS and
 * LOG_LEVEL too. Returns 0, or -1 with @err (CCAI_E_CONFIG, field = the
 * variable, message "NAME: why"). */
int ingress_config_load(struct ingress_config *cfg, struct ccai_error *err);

/** The variable table (for --help and docs). */
const struct env_spec *ingress_config_specs(size_t *n);

/** Log the effective configuration, API keys masked. */
void ingress_config_log(const struct ingress_config *cfg);

#endif
