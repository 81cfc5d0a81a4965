/* llm_output - chat completion answers (see llm_output.h). The analysis
 * is checked field by field against the same rules the strict schema of
 * prompt.c states, plus ranges the schema cannot (scores, confidence),
 * because a model or a proxy may still return anything. Pure; any
 * thread. */
#include "llm_output.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"

#include "banned.h"

static const char *const analysis_keys[] = {
    "sentiment",   "intent",          "priority",
    "language",    "escalate",        "escalation_reason",
    "routing",     "suggested_reply", "alerts",
    "summary",     "action_items",    "resolution",
    "wrapup_code", "categories",      NULL};

const char *llm_output_status_name(enum llm_output_status st)
{
    switch (st) {
    case LLM_OUTPUT_OK:
        return "ok";
    case LLM_OUTPUT_MALFORMED:
        return "malformed";
    case LLM_OUTPUT_REFUSAL:
        return "refusal";
    case LLM_OUTPUT_TRUNCATED:
        return "truncated";
    case LLM_OUTPUT_SCHEMA:
        return "schema";
    }
    return "unknown";
}

static int bad(struct ccai_error *err, const char *ptr, const char *msg)
{
    return ccai_error_set(err, CCAI_E_INVALID, ptr, "%s: %s",
                          ptr[0] ? ptr : "/", msg);
}

/* exactly the listed keys, all present */
static int exact_keys(const json_t *obj,
                      const char *ptr,
                      const char *const *keys,
                      struct ccai_error *err)
{
    const char *key = NULL;
    json_t *val = NULL;
    size_t n = 0;
    char sub[80];

    if (!json_is_object(obj))
        return bad(err, ptr, "must be an object");
    for (; keys[n] != NULL; n++) {
        if (json_object_get(obj, keys[n]) == NULL) {
            (void)snprintf(sub, sizeof(sub), "%s/%s", ptr, keys[n]);
            return bad(err, sub, "is required");
        }
    }
    json_object_foreach((json_t *)obj, key, val)
    {
        bool known = false;
        for (size_t k = 0; keys[k] != NULL; k++)
            if (strcmp(keys[k], key) == 0)
                known = true;
        if (!known) {
            (void)snprintf(sub, sizeof(sub), "%s/%.60s", ptr, key);
            return bad(err, sub, "is not allowed");
        }
    }
    return 0;
}

static bool in_list(const char *s, const char *const *list)
{
    for (size_t k = 0; list[k] != NULL; k++)
        if (strcmp(list[k], s) == 0)
            return true;
    return false;
}

static int
text_or_null(const json_t *v, const char *ptr, struct ccai_error *err)
{
    if (json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return bad(err, ptr, "must be a string or null");
    if (json_string_length(v) > LLM_OUTPUT_TEXT_MAX)
        return bad(err, ptr, "is too long");
    return 0;
}

static int check_score(const json_t *v,
                       const char *ptr,
                       double lo,
                       double hi,
                       struct ccai_error *err)
{
    if (!json_is_number(v))
        return bad(err, ptr, "must be a number");
    if (json_number_value(v) < lo || json_number_value(v) > hi) {
        char msg[64];
        (void)snprintf(msg, sizeof(msg), "must be in [%g, %g]", lo, hi);
        return bad(err, ptr, msg);
    }
    return 0;
}

static int check_label_score(const json_t *obj,
                             const char *ptr,
                             bool by_participant,
                             struct ccai_error *err)
{
    static const char *const keys2[] = {"label", "score", NULL};
    static const char *const keys3[] = {"label", "score", "by_participant",
                                        NULL};
    static const char *const labels[] = {"negative", "neutral", "positive",
                                         "mixed", NULL};
    const json_t *label = NULL;
    char sub[80];

    if (exact_keys(obj, ptr, by_participant ? keys3 : keys2, err) != 0)
        return -1;
    label = json_object_get(obj, "label");
    (void)snprintf(sub, sizeof(sub), "%s/label", ptr);
    if (!json_is_string(label) || !in_list(json_string_value(label), labels))
        return bad(err, sub, "must be negative, neutral, positive or mixed");
    (void)snprintf(sub, sizeof(sub), "%s/score", ptr);
    return check_score(json_object_get(obj, "score"), sub, -1, 1, err);
}

static int check_sentiment(const json_t *v, struct ccai_error *err)
{
    static const char *const who[] = {"customer", "agent", NULL};
    const json_t *bp = NULL;

    if (json_is_null(v))
        return 0;
    if (check_label_score(v, "/sentiment", true, err) != 0)
        return -1;
    bp = json_object_get(v, "by_participant");
    if (exact_keys(bp, "/sentiment/by_participant", who, err) != 0)
        return -1;
    for (size_t k = 0; who[k] != NULL; k++) {
        const json_t *ps = json_object_get(bp, who[k]);
        char sub[80];
        (void)snprintf(sub, sizeof(sub), "/sentiment/by_participant/%s",
                       who[k]);
        if (!json_is_null(ps) && check_label_score(ps, sub, false, err) != 0)
            return -1;
    }
    return 0;
}

static int
check_intent(const struct pipeline *p, const json_t *v, struct ccai_error *err)
{
    static const char *const keys[] = {"name", "confidence", NULL};
    const json_t *name = NULL;

    if (json_is_null(v))
        return 0;
    if (exact_keys(v, "/intent", keys, err) != 0)
        return -1;
    name = json_object_get(v, "name");
    if (!json_is_string(name) ||
        pipeline_find_intent(p, json_string_value(name)) == NULL)
        return bad(err, "/intent/name", "is not a configured intent");
    return check_score(json_object_get(v, "confidence"), "/intent/confidence",
                       0, 1, err);
}

static int
check_routing(const struct pipeline *p, const json_t *v, struct ccai_error *err)
{
    static const char *const keys[] = {"queue", "reason", NULL};
    const json_t *queue = NULL;

    if (json_is_null(v))
        return 0;
    if (exact_keys(v, "/routing", keys, err) != 0)
        return -1;
    queue = json_object_get(v, "queue");
    if (!json_is_string(queue) ||
        pipeline_find_queue(p, json_string_value(queue)) == NULL)
        return bad(err, "/routing/queue", "is not a configured queue");
    return text_or_null(json_object_get(v, "reason"), "/routing/reason", err);
}

static int check_alerts(const json_t *v, struct ccai_error *err)
{
    static const char *const keys[] = {"name", "severity", "reason", NULL};
    static const char *const sev[] = {"info", "warning", "critical", NULL};

    if (!json_is_array(v))
        return bad(err, "/alerts", "must be an array");
    if (json_array_size(v) > LLM_OUTPUT_LIST_MAX)
        return bad(err, "/alerts", "has too many items");
    for (size_t k = 0; k < json_array_size(v); k++) {
        const json_t *a = json_array_get(v, k);
        const json_t *name = NULL, *s = NULL;
        char ptr[40], sub[80];
        (void)snprintf(ptr, sizeof(ptr), "/alerts/%zu", k);
        if (exact_keys(a, ptr, keys, err) != 0)
            return -1;
        name = json_object_get(a, "name");
        (void)snprintf(sub, sizeof(sub), "%s/name", ptr);
        if (!json_is_string(name) || json_string_length(name) == 0 ||
            json_string_length(name) > 64)
            return bad(err, sub, "must be a string of 1 to 64 bytes");
        s = json_object_get(a, "severity");
        (void)snprintf(sub, sizeof(sub), "%s/severity", ptr);
        if (!json_is_string(s) || !in_list(json_string_value(s), sev))
            return bad(err, sub, "must be info, warning or critical");
        (void)snprintf(sub, sizeof(sub), "%s/reason", ptr);
        if (text_or_null(json_object_get(a, "reason"), sub, err) != 0)
            return -1;
    }
    return 0;
}

static int check_strings(const json_t *v,
                         const char *ptr,
                         const struct pipeline *p,
                         bool categories,
                         struct ccai_error *err)
{
    const struct pipeline_spec *sp = pipeline_spec(p);

    if (!json_is_array(v))
        return bad(err, ptr, "must be an array");
    if (json_array_size(v) > LLM_OUTPUT_LIST_MAX)
        return bad(err, ptr, "has too many items");
    for (size_t k = 0; k < json_array_size(v); k++) {
        const json_t *s = json_array_get(v, k);
        char sub[80];
        (void)snprintf(sub, sizeof(sub), "%s/%zu", ptr, k);
        if (!json_is_string(s) || json_string_length(s) > LLM_OUTPUT_TEXT_MAX)
            return bad(err, sub, "must be a string");
        if (categories && sp->n_categories > 0) {
            bool ok = false;
            for (size_t c = 0; c < sp->n_categories; c++)
                if (strcmp(sp->categories[c].name, json_string_value(s)) == 0)
                    ok = true;
            if (!ok)
                return bad(err, sub, "is not a configured category");
        }
    }
    return 0;
}

static int
check_enums(const struct pipeline *p, const json_t *a, struct ccai_error *err)
{
    static const char *const res[] = {"resolved", "unresolved", "unknown",
                                      NULL};
    const struct pipeline_spec *sp = pipeline_spec(p);
    const json_t *v = json_object_get(a, "priority");

    if (!json_is_null(v) && (!json_is_string(v) ||
                             pipeline_priority_rank(json_string_value(v)) < 0))
        return bad(err, "/priority",
                   "must be low, normal, high, urgent or "
                   "null");
    v = json_object_get(a, "resolution");
    if (!json_is_null(v) &&
        (!json_is_string(v) || !in_list(json_string_value(v), res)))
        return bad(err, "/resolution",
                   "must be resolved, unresolved, unknown or null");
    v = json_object_get(a, "wrapup_code");
    if (!json_is_null(v)) {
        bool ok = false;
        for (size_t k = 0; json_is_string(v) && k < sp->n_wrapups; k++)
            if (strcmp(sp->wrapups[k].code, json_string_value(v)) == 0)
                ok = true;
        if (!ok)
            return bad(err, "/wrapup_code", "is not a configured wrap-up code");
    }
    v = json_object_get(a, "language");
    if (!json_is_null(v) && (!json_is_string(v) || json_string_length(v) == 0 ||
                             json_string_length(v) > 35))
        return bad(err, "/language", "must be a language tag or null");
    if (!json_is_boolean(json_object_get(a, "escalate")))
        return bad(err, "/escalate", "must be a boolean");
    return 0;
}

int llm_output_validate(const struct pipeline *p,
                        const json_t *analysis,
                        struct ccai_error *err)
{
    if (exact_keys(analysis, "", analysis_keys, err) != 0)
        return -1;
    if (check_sentiment(json_object_get(analysis, "sentiment"), err) ||
        check_intent(p, json_object_get(analysis, "intent"), err) ||
        check_enums(p, analysis, err) ||
        text_or_null(json_object_get(analysis, "escalation_reason"),
                     "/escalation_reason", err) ||
        check_routing(p, json_object_get(analysis, "routing"), err) ||
        text_or_null(json_object_get(analysis, "suggested_reply"),
                     "/suggested_reply", err) ||
        check_alerts(json_object_get(analysis, "alerts"), err) ||
        text_or_null(json_object_get(analysis, "summary"), "/summary", err) ||
        check_strings(json_object_get(analysis, "action_items"),
                      "/action_items", p, false, err) ||
        check_strings(json_object_get(analysis, "categories"), "/categories", p,
                      true, err))
        return -1;
    return 0;
}

static int redact_member(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    char *red = NULL;
    size_t n = 0;
    int rc = 0;

    if (!json_is_string(v))
        return 0;
    red = redact_text(json_string_value(v), json_string_length(v), NULL, &n);
    if (red == NULL)
        return -1;
    rc = json_object_set_new(obj, key, json_stringn(red, n));
    free(red);
    return rc;
}

int llm_output_redact(json_t *analysis)
{
    json_t *arr = NULL;
    int rc = 0;

    rc |= redact_member(analysis, "escalation_reason");
    rc |= redact_member(analysis, "suggested_reply");
    rc |= redact_member(analysis, "summary");
    if (json_is_object(json_object_get(analysis, "routing")))
        rc |= redact_member(json_object_get(analysis, "routing"), "reason");
    arr = json_object_get(analysis, "alerts");
    for (size_t k = 0; k < json_array_size(arr); k++)
        rc |= redact_member(json_array_get(arr, k), "reason");
    arr = json_object_get(analysis, "action_items");
    for (size_t k = 0; k < json_array_size(arr); k++) {
        json_t *s = json_array_get(arr, k);
        size_t n = 0;
        char *red = NULL;
        if (!json_is_string(s))
            continue;
        red =
            redact_text(json_string_value(s), json_string_length(s), NULL, &n);
        if (red == NULL)
            return -1;
        rc |= json_array_set_new(arr, k, json_stringn(red, n));
        free(red);
    }
    return rc != 0 ? -1 : 0;
}

static void read_usage(const json_t *root, struct llm_output *out)
{
    const json_t *usage = json_object_get(root, "usage");
    const json_t *pt = json_object_get(usage, "prompt_tokens");
    const json_t *ct = json_object_get(usage, "completion_tokens");
    const json_t *model = json_object_get(root, "model");

    if (json_is_integer(pt) && json_integer_value(pt) >= 0 &&
        json_integer_value(pt) <= 100000000)
        out->prompt_tokens = (unsigned)json_integer_value(pt);
    if (json_is_integer(ct) && json_integer_value(ct) >= 0 &&
        json_integer_value(ct) <= 100000000)
        out->completion_tokens = (unsigned)json_integer_value(ct);
    if (json_is_string(model))
        (void)snprintf(out->model, sizeof(out->model), "%s",
                       json_string_value(model));
}

enum llm_output_status llm_output_parse(const struct pipeline *p,
                                        const char *body,
                                        size_t len,
                                        struct llm_output *out,
                                        struct ccai_error *err)
{
    enum llm_output_status st = LLM_OUTPUT_MALFORMED;
    json_error_t jerr;
    json_t *root = NULL;
    json_t *content_json = NULL;
    const json_t *choice = NULL, *msg = NULL, *refusal = NULL;
    const json_t *finish = NULL, *content = NULL;

    memset(out, 0, sizeof(*out));
    root = json_loadb(body, len, 0, &jerr);
    if (root == NULL || !json_is_object(root)) {
        ccai_error_set(err, CCAI_E_INVALID, "", "answer is not a JSON object");
        goto out;
    }
    read_usage(root, out);
    choice = json_array_get(json_object_get(root, "choices"), 0);
    msg = json_object_get(choice, "message");
    if (!json_is_object(choice) || !json_is_object(msg)) {
        ccai_error_set(err, CCAI_E_INVALID, "/choices/0/message",
                       "answer has no choices[0].message");
        goto out;
    }
    refusal = json_object_get(msg, "refusal");
    if (refusal != NULL && !json_is_null(refusal)) {
        st = LLM_OUTPUT_REFUSAL;
        ccai_error_set(err, CCAI_E_INVALID, "/choices/0/message/refusal",
                       "the model refused");
        goto out;
    }
    finish = json_object_get(choice, "finish_reason");
    if (json_is_string(finish) &&
        (strcmp(json_string_value(finish), "length") == 0 ||
         strcmp(json_string_value(finish), "content_filter") == 0)) {
        st = LLM_OUTPUT_TRUNCATED;
        ccai_error_set(err, CCAI_E_INVALID, "/choices/0/finish_reason",
                       "answer cut short: %s", json_string_value(finish));
        goto out;
    }
    content = json_object_get(msg, "content");
    if (!json_is_string(content)) {
        ccai_error_set(err, CCAI_E_INVALID, "/choices/0/message/content",
                       "answer has no text content");
        goto out;
    }
    st = LLM_OUTPUT_SCHEMA;
    content_json =
        json_loadb(json_string_value(content), json_string_length(content),
                   JSON_REJECT_DUPLICATES, &jerr);
    if (content_json == NULL) {
        ccai_error_set(err, CCAI_E_INVALID, "", "content is not JSON: %s",
                       jerr.text);
        goto out;
    }
    if (llm_output_validate(p, content_json, err) != 0)
        goto out;
    out->analysis = content_json;
    content_json = NULL;
    st = LLM_OUTPUT_OK;
out:
    json_decref(content_json);
    json_decref(root);
    return st;
}

void llm_output_release(struct llm_output *out)
{
    json_decref(out->analysis);
    out->analysis = NULL;
}
