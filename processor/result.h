/* result - renders AnalysisResult v1 (PRODUCT.md section 5,
 * proto/schemas/analysis_result.v1.json) from the parts the engine
 * gathered. Pure; any thread. */
#ifndef CCAI_RESULT_H
#define CCAI_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "redact.h"

struct result_info {
    const char *event_id;
    const char *contact_id;
    const char *tenant_id;   /* NULL -> null */
    const char *event_type;  /* "message.received" ... */
    const char *result_kind; /* turn, handover, final */
    const char *status;      /* completed, skipped, degraded */
    const json_t *analysis;  /* borrowed; NULL -> null */
    unsigned turns_used;
    bool truncated;
    const struct redact_counts *pii; /* may be NULL (nothing redacted) */
    const char *provider;            /* openai, rules */
    const char *model;               /* NULL -> null */
    const char *prompt_version;      /* NULL -> null */
    const char *fallback_reason;     /* NULL -> null */
    bool has_usage;                  /* false: zeros and cost null */
    unsigned prompt_tokens, completion_tokens;
    double cost_usd;         /* used when has_usage */
    const char *received_at; /* RFC 3339 or NULL */
    int64_t received_ms;     /* -1 when unknown */
    int64_t started_ms;      /* when processing began */
    int64_t processed_ms;    /* now */
    long llm_ms;             /* -1 -> null */
    unsigned attempts;
    const char *trace; /* NULL -> null */
};

/** The result JSON (new string, caller frees; compact, keys in contract
 * order), or NULL when out of memory. */
char *result_to_json(const struct result_info *ri, size_t *len);

/** Parse an RFC 3339 timestamp into ms since the epoch; -1 if invalid. */
int64_t result_parse_time_ms(const char *text);

/** USD cost of the tokens at the per-1M prices, rounded to 1e-8. */
double result_cost_usd(unsigned prompt_tokens,
                       unsigned completion_tokens,
                       double prompt_per_m,
                       double completion_per_m);

#endif
