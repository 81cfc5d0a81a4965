/* result - AnalysisResult v1 rendering (see result.h). Builds a jansson
 * object with preserved key order and dumps it compactly. Pure; any
 * thread. */
#include "result.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "id.h"

#include "banned.h"

static json_t *str_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;

    for (int k = 0; k < n; k++) {
        if (s[k] < '0' || s[k] > '9')
            return -1;
        v = v * 10 + (s[k] - '0');
    }
    *out = v;
    return 0;
}

int64_t result_parse_time_ms(const char *text)
{
    struct tm tm;
    int year = 0, mon = 0, day = 0, hh = 0, mm = 0, ss = 0;
    int64_t ms = 0;
    const char *c = NULL;
    time_t t = 0;

    if (text == NULL || strlen(text) < 20)
        return -1;
    if (digits(text, 4, &year) || text[4] != '-' || digits(text + 5, 2, &mon) ||
        text[7] != '-' || digits(text + 8, 2, &day) ||
        (text[10] != 'T' && text[10] != 't' && text[10] != ' ') ||
        digits(text + 11, 2, &hh) || text[13] != ':' ||
        digits(text + 14, 2, &mm) || text[16] != ':' ||
        digits(text + 17, 2, &ss))
        return -1;
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || hh > 23 || mm > 59 ||
        ss > 60)
        return -1;
    c = text + 19;
    if (*c == '.') {
        int scale = 100;
        c++;
        if (*c < '0' || *c > '9')
            return -1;
        while (*c >= '0' && *c <= '9') {
            ms += (int64_t)(*c - '0') * scale;
            scale /= 10;
            c++;
        }
    }
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = hh;
    tm.tm_min = mm;
    tm.tm_sec = ss > 59 ? 59 : ss;
    t = timegm(&tm);
    if (*c == 'Z' || *c == 'z') {
        c++;
    } else if (*c == '+' || *c == '-') {
        int oh = 0, om = 0;
        int sign = *c == '+' ? 1 : -1;
        if (digits(c + 1, 2, &oh) || c[3] != ':' || digits(c + 4, 2, &om))
            return -1;
        t -= (time_t)sign * ((time_t)oh * 3600 + (time_t)om * 60);
        c += 6;
    } else {
        return -1;
    }
    if (*c != '\0')
        return -1;
    return (int64_t)t * 1000 + ms;
}

double result_cost_usd(unsigned prompt_tokens,
                       unsigned completion_tokens,
                       double prompt_per_m,
                       double completion_per_m)
{
    double cost =
        (prompt_tokens * prompt_per_m + completion_tokens * completion_per_m) /
        1e6;

    /* no libm in processor_core; costs are >= 0 */
    return (double)(long long)(cost * 1e8 + 0.5) / 1e8;
}

static json_t *pii_json(const struct redact_counts *pii)
{
    json_t *entities = json_array();
    bool any = false;

    if (entities == NULL)
        return NULL;
    for (int k = 0; pii != NULL && k < REDACT_KIND_COUNT; k++) {
        if (pii->n[k] == 0)
            continue;
        any = true;
        json_array_append_new(entities,
                              json_pack("{s:s, s:I}", "type",
                                        redact_kind_name((enum redact_kind)k),
                                        "count", (json_int_t)pii->n[k]));
    }
    return json_pack("{s:b, s:o}", "redacted", any, "entities", entities);
}

/* a copy of @analysis with its members in contract order (PRODUCT.md
 * section 5), whatever order the model or the analyzer used; unknown
 * members (none after validation) follow */
static json_t *analysis_ordered(const json_t *analysis)
{
    static const char *const order[] = {
        "sentiment",   "intent",          "priority",
        "language",    "escalate",        "escalation_reason",
        "routing",     "suggested_reply", "alerts",
        "summary",     "action_items",    "resolution",
        "wrapup_code", "categories",      NULL};
    json_t *out = NULL;
    const char *key = NULL;
    json_t *val = NULL;

    if (analysis == NULL || !json_is_object(analysis))
        return json_null();
    out = json_object();
    if (out == NULL)
        return NULL;
    for (size_t k = 0; order[k] != NULL; k++) {
        val = json_object_get(analysis, order[k]);
        if (val != NULL &&
            json_object_set_new(out, order[k], json_deep_copy(val)) != 0)
            goto fail;
    }
    json_object_foreach((json_t *)analysis, key, val)
    {
        if (json_object_get(out, key) == NULL &&
            json_object_set_new(out, key, json_deep_copy(val)) != 0)
            goto fail;
    }
    return out;
fail:
    json_decref(out);
    return NULL;
}

static json_t *ms_or_null(int64_t v)
{
    return v >= 0 ? json_integer(v) : json_null();
}

static json_t *timing_json(const struct result_info *ri)
{
    char processed[32];
    int64_t queue = -1, total = -1;

    ccai_time_rfc3339(ri->processed_ms, processed);
    if (ri->received_ms >= 0) {
        queue = ri->started_ms - ri->received_ms;
        total = ri->processed_ms - ri->received_ms;
        if (queue < 0)
            queue = 0; /* clocks of different hosts */
        if (total < 0)
            total = 0;
    }
    return json_pack("{s:o, s:s, s:o, s:o, s:o}", "received_at",
                     str_or_null(ri->received_at), "processed_at", processed,
                     "queue_ms", ms_or_null(queue), "llm_ms",
                     ms_or_null(ri->llm_ms), "total_ms", ms_or_null(total));
}

char *result_to_json(const struct result_info *ri, size_t *len)
{
    json_t *root = NULL;
    json_t *usage = NULL;
    char *out = NULL;

    if (ri->has_usage)
        usage = json_pack("{s:I, s:I, s:I, s:f}", "prompt_tokens",
                          (json_int_t)ri->prompt_tokens, "completion_tokens",
                          (json_int_t)ri->completion_tokens, "total_tokens",
                          (json_int_t)ri->prompt_tokens +
                              (json_int_t)ri->completion_tokens,
                          "cost_estimate_usd", ri->cost_usd);
    else
        usage = json_pack("{s:i, s:i, s:i, s:n}", "prompt_tokens", 0,
                          "completion_tokens", 0, "total_tokens", 0,
                          "cost_estimate_usd");
    root = json_pack(
        "{s:i, s:s, s:s, s:o, s:s, s:s, s:s, s:o, s:{s:i, s:b}, s:o, "
        "s:{s:s, s:o, s:o, s:o}, s:o, s:o, s:i, s:o}",
        "schema_version", 1, "event_id", ri->event_id, "contact_id",
        ri->contact_id, "tenant_id", str_or_null(ri->tenant_id), "event_type",
        ri->event_type, "result_kind", ri->result_kind, "status", ri->status,
        "analysis", analysis_ordered(ri->analysis), "context", "turns_used",
        (int)ri->turns_used, "truncated", ri->truncated, "pii",
        pii_json(ri->pii), "provider", "name", ri->provider, "model",
        str_or_null(ri->model), "prompt_version",
        str_or_null(ri->prompt_version), "fallback_reason",
        str_or_null(ri->fallback_reason), "usage", usage, "timing",
        timing_json(ri), "attempts", (int)ri->attempts, "trace",
        str_or_null(ri->trace));
    if (root == NULL)
        return NULL;
    out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER |
                               JSON_REAL_PRECISION(10));
    json_decref(root);
    if (out != NULL && len != NULL)
        *len = strlen(out);
    return out;
}
