/* pipeline - loads PIPELINE_CONFIG: the document's top-level sections
 * replace those of the built-in default (processor/pipeline.default.json,
 * embedded), the sentiment lexicon extends the built-in one unless
 * "extend_builtin" is false; then every field is validated (errors carry
 * the JSON pointer) and a parsed view (struct pipeline_spec) is built.
 * Owns the merged document and every string of the view. Loaded once on
 * the main thread; read-only afterwards (any thread). */
#include "pipeline.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

extern const char ccai_pipeline_default_json[];
extern const unsigned long ccai_pipeline_default_json_len;

#define PIPELINE_FILE_MAX   ((size_t)1024 * 1024)
#define PIPELINE_LIST_MAX   256
#define PIPELINE_WORDS_MAX  4096
#define PIPELINE_NAME_MAX   64
#define PIPELINE_PROMPT_MAX ((size_t)16 * 1024)

struct pipeline {
    json_t *root;
    struct pipeline_spec spec;
    char **owned; /* lowercased copies */
    size_t n_owned, cap_owned;
    /* keyword arrays allocated for the view */
    void **allocs;
    size_t n_allocs, cap_allocs;
};

struct loader {
    struct pipeline *p;
    struct ccai_error *err;
    bool failed;
};

static const char *const priorities[PIPELINE_PRIORITY_COUNT] = {
    "low", "normal", "high", "urgent"};

static const char *const top_keys[] = {
    "version",          "prompt_version", "intents",
    "fallback_intent",  "queues",         "default_queue",
    "default_priority", "routing_rules",  "priority_rules",
    "escalation",       "alerts",         "wrapup_codes",
    "categories",       "sentiment",      "summary",
    "prompts",          "model",          "context",
    "prices",           "description",    NULL};

int pipeline_priority_rank(const char *name)
{
    if (name == NULL)
        return -1;
    for (int k = 0; k < PIPELINE_PRIORITY_COUNT; k++)
        if (strcmp(priorities[k], name) == 0)
            return k;
    return -1;
}

const char *pipeline_priority_name(int rank)
{
    if (rank < 0)
        rank = 0;
    if (rank >= PIPELINE_PRIORITY_COUNT)
        rank = PIPELINE_PRIORITY_COUNT - 1;
    return priorities[rank];
}

static int fail(struct loader *ld, const char *ptr, const char *msg)
{
    if (!ld->failed)
        ccai_error_set(ld->err, CCAI_E_CONFIG, ptr, "%s: %s",
                       ptr[0] != '\0' ? ptr : "/", msg);
    ld->failed = true;
    return -1;
}

/* ASCII lowercase without int-to-char conversions */
static char ascii_lower(char c)
{
    static const char lower[] = "abcdefghijklmnopqrstuvwxyz";

    if (c >= 'A' && c <= 'Z')
        return lower[c - 'A'];
    return c;
}

static void *track(struct loader *ld, void *mem)
{
    struct pipeline *p = ld->p;

    if (mem == NULL) {
        fail(ld, "", "out of memory");
        return NULL;
    }
    if (p->n_allocs == p->cap_allocs) {
        size_t cap = p->cap_allocs ? p->cap_allocs * 2 : 32;
        void **n = realloc(p->allocs, cap * sizeof(*n));
        if (n == NULL) {
            free(mem);
            fail(ld, "", "out of memory");
            return NULL;
        }
        p->allocs = n;
        p->cap_allocs = cap;
    }
    p->allocs[p->n_allocs++] = mem;
    return mem;
}

static void *alloc0(struct loader *ld, size_t n, size_t size)
{
    return track(ld, calloc(n ? n : 1, size));
}

static const char *lower_copy(struct loader *ld, const char *s)
{
    size_t n = strlen(s);
    char *c = malloc(n + 1);

    if (track(ld, c) == NULL)
        return NULL;
    for (size_t k = 0; k < n; k++)
        c[k] = ascii_lower(s[k]);
    c[n] = '\0';
    return c;
}

/* JSON pointers are cut to the error's field size; a cut one still
 * names the section */
static void ptr_join(char *out, size_t n, const char *base, const char *key)
{
    int w = snprintf(out, n, "%s/%s", base, key);

    if (w < 0)
        out[0] = '\0';
}

static void ptr_index(char *out, size_t n, const char *base, size_t idx)
{
    int w = snprintf(out, n, "%s/%zu", base, idx);

    if (w < 0)
        out[0] = '\0';
}

static int check_keys(struct loader *ld,
                      const json_t *obj,
                      const char *ptr,
                      const char *const *allowed)
{
    const char *key = NULL;
    json_t *val = NULL;

    json_object_foreach((json_t *)obj, key, val)
    {
        bool ok = false;
        for (size_t k = 0; allowed[k] != NULL; k++)
            if (strcmp(allowed[k], key) == 0)
                ok = true;
        if (!ok) {
            char sub[80];
            ptr_join(sub, sizeof(sub), ptr, key);
            return fail(ld, sub, "unknown field");
        }
    }
    return 0;
}

static const json_t *need_obj(struct loader *ld,
                              const json_t *parent,
                              const char *key,
                              const char *ptr,
                              bool required)
{
    const json_t *v = json_object_get(parent, key);
    char sub[80];

    ptr_join(sub, sizeof(sub), ptr, key);
    if (v == NULL) {
        if (required)
            fail(ld, sub, "is required");
        return NULL;
    }
    if (!json_is_object(v)) {
        fail(ld, sub, "must be an object");
        return NULL;
    }
    return v;
}

static const json_t *need_arr(struct loader *ld,
                              const json_t *parent,
                              const char *key,
                              const char *ptr,
                              bool required)
{
    const json_t *v = json_object_get(parent, key);
    char sub[80];

    ptr_join(sub, sizeof(sub), ptr, key);
    if (v == NULL) {
        if (required)
            fail(ld, sub, "is required");
        return NULL;
    }
    if (!json_is_array(v) || json_array_size(v) > PIPELINE_WORDS_MAX) {
        fail(ld, sub, "must be an array of at most 4096 items");
        return NULL;
    }
    return v;
}

/* a string of 1..max bytes; NULL (and not failed) when optional+absent */
static const char *need_str(struct loader *ld,
                            const json_t *parent,
                            const char *key,
                            const char *ptr,
                            bool required,
                            size_t max)
{
    const json_t *v = json_object_get(parent, key);
    char sub[80];

    ptr_join(sub, sizeof(sub), ptr, key);
    if (v == NULL || json_is_null(v)) {
        if (required)
            fail(ld, sub, "is required");
        return NULL;
    }
    if (!json_is_string(v) || json_string_length(v) == 0 ||
        json_string_length(v) > max ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        char msg[64];
        (void)snprintf(msg, sizeof(msg), "must be a string of 1 to %zu bytes",
                       max);
        fail(ld, sub, msg);
        return NULL;
    }
    return json_string_value(v);
}

static bool is_ident(const char *s)
{
    if (s == NULL || s[0] == '\0')
        return false;
    for (const char *c = s; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
              *c == '_' || *c == '-'))
            return false;
    return true;
}

static bool is_code(const char *s)
{
    if (s == NULL || s[0] == '\0')
        return false;
    for (const char *c = s; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
              (*c >= '0' && *c <= '9') || *c == '_' || *c == '-' || *c == '.'))
            return false;
    return true;
}

static const char *need_ident(struct loader *ld,
                              const json_t *parent,
                              const char *key,
                              const char *ptr,
                              bool required)
{
    const char *s = need_str(ld, parent, key, ptr, required, PIPELINE_NAME_MAX);
    char sub[80];

    if (s != NULL && !is_ident(s)) {
        ptr_join(sub, sizeof(sub), ptr, key);
        fail(ld, sub, "must be lowercase letters, digits, '_' or '-'");
        return NULL;
    }
    return s;
}

static int need_num(struct loader *ld,
                    const json_t *parent,
                    const char *key,
                    const char *ptr,
                    double lo,
                    double hi,
                    double *out,
                    bool *present)
{
    const json_t *v = json_object_get(parent, key);
    char sub[80];

    if (present != NULL)
        *present = false;
    if (v == NULL)
        return present != NULL ? 0 : -1;
    ptr_join(sub, sizeof(sub), ptr, key);
    if (!json_is_number(v) || json_number_value(v) < lo ||
        json_number_value(v) > hi) {
        char msg[96];
        (void)snprintf(msg, sizeof(msg), "must be a number in [%g, %g]", lo,
                       hi);
        return fail(ld, sub, msg);
    }
    *out = json_number_value(v);
    if (present != NULL)
        *present = true;
    return 0;
}

static int need_uint(struct loader *ld,
                     const json_t *parent,
                     const char *key,
                     const char *ptr,
                     unsigned lo,
                     unsigned hi,
                     unsigned *out)
{
    const json_t *v = json_object_get(parent, key);
    char sub[80];

    ptr_join(sub, sizeof(sub), ptr, key);
    if (v == NULL)
        return fail(ld, sub, "is required");
    if (!json_is_integer(v) || json_integer_value(v) < (json_int_t)lo ||
        json_integer_value(v) > (json_int_t)hi) {
        char msg[96];
        (void)snprintf(msg, sizeof(msg), "must be an integer in [%u, %u]", lo,
                       hi);
        return fail(ld, sub, msg);
    }
    *out = (unsigned)json_integer_value(v);
    return 0;
}

/* an array of non-empty strings, lowercased */
static int need_words(struct loader *ld,
                      const json_t *parent,
                      const char *key,
                      const char *ptr,
                      bool required,
                      struct pipeline_strs *out)
{
    const json_t *arr = need_arr(ld, parent, key, ptr, required);
    char base[80];

    out->v = NULL;
    out->n = 0;
    if (arr == NULL)
        return ld->failed ? -1 : 0;
    ptr_join(base, sizeof(base), ptr, key);
    out->v = alloc0(ld, json_array_size(arr), sizeof(*out->v));
    if (out->v == NULL)
        return -1;
    for (size_t k = 0; k < json_array_size(arr); k++) {
        const json_t *w = json_array_get(arr, k);
        char sub[80];
        ptr_index(sub, sizeof(sub), base, k);
        if (!json_is_string(w) || json_string_length(w) == 0 ||
            json_string_length(w) > 128 ||
            strlen(json_string_value(w)) != json_string_length(w))
            return fail(ld, sub, "must be a string of 1 to 128 bytes");
        out->v[k] = lower_copy(ld, json_string_value(w));
        if (out->v[k] == NULL)
            return -1;
    }
    out->n = json_array_size(arr);
    return 0;
}

const struct pipeline_intent *pipeline_find_intent(const struct pipeline *p,
                                                   const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t k = 0; k < p->spec.n_intents; k++)
        if (strcmp(p->spec.intents[k].name, name) == 0)
            return &p->spec.intents[k];
    return NULL;
}

const struct pipeline_queue *pipeline_find_queue(const struct pipeline *p,
                                                 const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t k = 0; k < p->spec.n_queues; k++)
        if (strcmp(p->spec.queues[k].name, name) == 0)
            return &p->spec.queues[k];
    return NULL;
}

static int need_queue_ref(struct loader *ld,
                          const char *name,
                          const char *ptr,
                          const char *key)
{
    char sub[80];

    if (name == NULL || pipeline_find_queue(ld->p, name) != NULL)
        return 0;
    ptr_join(sub, sizeof(sub), ptr, key);
    return fail(ld, sub, "is not a configured queue");
}

static int need_intent_ref(struct loader *ld,
                           const char *name,
                           const char *ptr,
                           const char *key)
{
    char sub[80];

    if (name == NULL || pipeline_find_intent(ld->p, name) != NULL)
        return 0;
    ptr_join(sub, sizeof(sub), ptr, key);
    return fail(ld, sub, "is not a configured intent");
}

static int need_priority(struct loader *ld,
                         const json_t *parent,
                         const char *key,
                         const char *ptr,
                         bool required,
                         const char **out)
{
    char sub[80];

    *out = need_str(ld, parent, key, ptr, required, PIPELINE_NAME_MAX);
    if (ld->failed)
        return -1;
    if (*out != NULL && pipeline_priority_rank(*out) < 0) {
        ptr_join(sub, sizeof(sub), ptr, key);
        return fail(ld, sub, "must be low, normal, high or urgent");
    }
    return 0;
}

static int load_queues(struct loader *ld, const json_t *root)
{
    static const char *const keys[] = {"name", "description", NULL};
    const json_t *arr = need_arr(ld, root, "queues", "", true);
    struct pipeline_spec *sp = &ld->p->spec;

    if (arr == NULL)
        return -1;
    if (json_array_size(arr) == 0 || json_array_size(arr) > PIPELINE_LIST_MAX)
        return fail(ld, "/queues", "must list 1 to 256 queues");
    sp->queues = alloc0(ld, json_array_size(arr), sizeof(*sp->queues));
    if (sp->queues == NULL)
        return -1;
    for (size_t k = 0; k < json_array_size(arr); k++) {
        const json_t *q = json_array_get(arr, k);
        char ptr[80];
        ptr_index(ptr, sizeof(ptr), "/queues", k);
        if (!json_is_object(q))
            return fail(ld, ptr, "must be an object");
        if (check_keys(ld, q, ptr, keys) != 0)
            return -1;
        const char *name = need_ident(ld, q, "name", ptr, true);
        const char *desc = need_str(ld, q, "description", ptr, true, 512);
        if (ld->failed)
            return -1;
        if (pipeline_find_queue(ld->p, name) != NULL) {
            char sub[80];
            ptr_join(sub, sizeof(sub), ptr, "name");
            return fail(ld, sub, "duplicate queue name");
        }
        sp->queues[sp->n_queues].name = name;
        sp->queues[sp->n_queues].description = desc;
        sp->n_queues++;
    }
    return 0;
}

static int load_intents(struct loader *ld, const json_t *root)
{
    static const char *const keys[] = {"name",  "description", "keywords",
                                       "queue", "priority",    NULL};
    const json_t *arr = need_arr(ld, root, "intents", "", true);
    struct pipeline_spec *sp = &ld->p->spec;

    if (arr == NULL)
        return -1;
    if (json_array_size(arr) == 0 || json_array_size(arr) > PIPELINE_LIST_MAX)
        return fail(ld, "/intents", "must list 1 to 256 intents");
    sp->intents = alloc0(ld, json_array_size(arr), sizeof(*sp->intents));
    if (sp->intents == NULL)
        return -1;
    for (size_t k = 0; k < json_array_size(arr); k++) {
        const json_t *it = json_array_get(arr, k);
        struct pipeline_intent *in = &sp->intents[sp->n_intents];
        char ptr[80];
        ptr_index(ptr, sizeof(ptr), "/intents", k);
        if (!json_is_object(it))
            return fail(ld, ptr, "must be an object");
        if (check_keys(ld, it, ptr, keys) != 0)
            return -1;
        in->name = need_ident(ld, it, "name", ptr, true);
        in->description = need_str(ld, it, "description", ptr, true, 512);
        if (ld->failed)
            return -1;
        if (pipeline_find_intent(ld->p, in->name) != NULL) {
            char sub[80];
            ptr_join(sub, sizeof(sub), ptr, "name");
            return fail(ld, sub, "duplicate intent name");
        }
        if (need_words(ld, it, "keywords", ptr, true, &in->keywords) != 0)
            return -1;
        in->queue = need_str(ld, it, "queue", ptr, false, PIPELINE_NAME_MAX);
        if (ld->failed || need_queue_ref(ld, in->queue, ptr, "queue") != 0)
            return -1;
        if (need_priority(ld, it, "priority", ptr, false, &in->priority) != 0)
            return -1;
        sp->n_intents++;
    }
    return 0;
}

static int load_when(struct loader *ld,
                     const json_t *rule,
                     const char *ptr,
                     struct pipeline_rule *r)
{
    static const char *const keys[] = {
        "customer_tier", "channel",         "queue", "intent",
        "escalate",      "sentiment_below", NULL};
    const json_t *when = need_obj(ld, rule, "when", ptr, true);
    char wp[80];
    bool has = false;

    if (when == NULL)
        return -1;
    ptr_join(wp, sizeof(wp), ptr, "when");
    if (check_keys(ld, when, wp, keys) != 0)
        return -1;
    r->customer_tier = need_str(ld, when, "customer_tier", wp, false, 128);
    r->channel = need_str(ld, when, "channel", wp, false, 32);
    r->queue = need_str(ld, when, "queue", wp, false, 128);
    r->intent = need_str(ld, when, "intent", wp, false, PIPELINE_NAME_MAX);
    if (ld->failed || need_intent_ref(ld, r->intent, wp, "intent") != 0)
        return -1;
    r->escalate = -1;
    if (json_object_get(when, "escalate") != NULL) {
        const json_t *e = json_object_get(when, "escalate");
        char sub[80];
        ptr_join(sub, sizeof(sub), wp, "escalate");
        if (!json_is_boolean(e))
            return fail(ld, sub, "must be a boolean");
        r->escalate = json_is_true(e) ? 1 : 0;
    }
    if (need_num(ld, when, "sentiment_below", wp, -1.0, 1.0,
                 &r->sentiment_below, &has) != 0)
        return -1;
    r->has_sentiment_below = has;
    return 0;
}

static int load_rules(struct loader *ld,
                      const json_t *root,
                      const char *key,
                      bool routing,
                      struct pipeline_rule **out,
                      size_t *n)
{
    static const char *const rkeys[] = {"when", "queue", "priority", "reason",
                                        NULL};
    static const char *const pkeys[] = {"when", "priority", "reason", NULL};
    const json_t *arr = need_arr(ld, root, key, "", false);
    char base[80];

    *out = NULL;
    *n = 0;
    if (arr == NULL)
        return ld->failed ? -1 : 0;
    ptr_join(base, sizeof(base), "", key);
    *out = alloc0(ld, json_array_size(arr), sizeof(**out));
    if (*out == NULL)
        return -1;
    for (size_t k = 0; k < json_array_size(arr); k++) {
        const json_t *rule = json_array_get(arr, k);
        struct pipeline_rule *r = &(*out)[k];
        char ptr[80];
        ptr_index(ptr, sizeof(ptr), base, k);
        if (!json_is_object(rule))
            return fail(ld, ptr, "must be an object");
        if (check_keys(ld, rule, ptr, routing ? rkeys : pkeys) != 0)
            return -1;
        if (load_when(ld, rule, ptr, r) != 0)
            return -1;
        if (routing) {
            r->set_queue =
                need_str(ld, rule, "queue", ptr, true, PIPELINE_NAME_MAX);
            if (ld->failed || need_queue_ref(ld, r->set_queue, ptr, "queue"))
                return -1;
        }
        if (need_priority(ld, rule, "priority", ptr, !routing,
                          &r->set_priority) != 0)
            return -1;
        r->reason = need_str(ld, rule, "reason", ptr, false, 256);
        if (ld->failed)
            return -1;
    }
    *n = json_array_size(arr);
    return 0;
}

static int load_escalation(struct loader *ld, const json_t *root)
{
    static const char *const keys[] = {"keywords", "churn_keywords",
                                       "sentiment_threshold", "queue", NULL};
    const json_t *esc = need_obj(ld, root, "escalation", "", true);
    struct pipeline_spec *sp = &ld->p->spec;
    const char *ptr = "/escalation";

    if (esc == NULL || check_keys(ld, esc, ptr, keys) != 0)
        return -1;
    if (need_words(ld, esc, "keywords", ptr, true, &sp->escalation_keywords) ||
        need_words(ld, esc, "churn_keywords", ptr, true, &sp->churn_keywords))
        return -1;
    if (need_num(ld, esc, "sentiment_threshold", ptr, -1.0, 1.0,
                 &sp->escalation_sentiment, NULL) != 0)
        return fail(ld, "/escalation/sentiment_threshold",
                    "must be a number in [-1, 1]");
    sp->escalation_queue = need_str(ld, esc, "queue", ptr, false, 64);
    if (ld->failed || need_queue_ref(ld, sp->escalation_queue, ptr, "queue"))
        return -1;
    return 0;
}

static int load_alerts(struct loader *ld, const json_t *root)
{
    static const char *const keys[] = {
        "name", "severity", "keywords", "sentiment_below", "reason", NULL};
    const json_t *arr = need_arr(ld, root, "alerts", "", false);
    struct pipeline_spec *sp = &ld->p->spec;

    if (arr == NULL)
        return ld->failed ? -1 : 0;
    sp->alerts = alloc0(ld, json_array_size(arr), sizeof(*sp->alerts));
    if (sp->alerts == NULL)
        return -1;
    for (size_t k = 0; k < json_array_size(arr); k++) {
        const json_t *al = json_array_get(arr, k);
        struct pipeline_alert *a = &sp->alerts[k];
        bool has = false;
        char ptr[80];
        ptr_index(ptr, sizeof(ptr), "/alerts", k);
        if (!json_is_object(al))
            return fail(ld, ptr, "must be an object");
        if (check_keys(ld, al, ptr, keys) != 0)
            return -1;
        a->name = need_ident(ld, al, "name", ptr, true);
        a->severity = need_str(ld, al, "severity", ptr, true, 16);
        a->reason = need_str(ld, al, "reason", ptr, true, 256);
        if (ld->failed)
            return -1;
        if (strcmp(a->severity, "info") != 0 &&
            strcmp(a->severity, "warning") != 0 &&
            strcmp(a->severity, "critical") != 0) {
            char sub[80];
            ptr_join(sub, sizeof(sub), ptr, "severity");
            return fail(ld, sub, "must be info, warning or critical");
        }
        if (need_words(ld, al, "keywords", ptr, false, &a->keywords) != 0)
            return -1;
        if (need_num(ld, al, "sentiment_below", ptr, -1.0, 1.0,
                     &a->sentiment_below, &has) != 0)
            return -1;
        a->has_sentiment_below = has;
        if (a->keywords.n == 0 && !has)
            return fail(ld, ptr, "needs keywords or sentiment_below");
        sp->n_alerts++;
    }
    return 0;
}

static int load_wrapups(struct loader *ld, const json_t *root)
{
    static const char *const keys[] = {"code", "description", "intent",
                                       "resolution", NULL};
    const json_t *arr = need_arr(ld, root, "wrapup_codes", "", true);
    struct pipeline_spec *sp = &ld->p->spec;

    if (arr == NULL)
        return -1;
    if (json_array_size(arr) > PIPELINE_LIST_MAX)
        return fail(ld, "/wrapup_codes", "must list at most 256 codes");
    sp->wrapups = alloc0(ld, json_array_size(arr), sizeof(*sp->wrapups));
    if (sp->wrapups == NULL)
        return -1;
    for (size_t k = 0; k < json_array_size(arr); k++) {
        const json_t *w = json_array_get(arr, k);
        struct pipeline_wrapup *wu = &sp->wrapups[k];
        char ptr[80], sub[80];
        ptr_index(ptr, sizeof(ptr), "/wrapup_codes", k);
        if (!json_is_object(w))
            return fail(ld, ptr, "must be an object");
        if (check_keys(ld, w, ptr, keys) != 0)
            return -1;
        wu->code = need_str(ld, w, "code", ptr, true, PIPELINE_NAME_MAX);
        wu->description = need_str(ld, w, "description", ptr, true, 512);
        wu->intent = need_str(ld, w, "intent", ptr, false, PIPELINE_NAME_MAX);
        wu->resolution = need_str(ld, w, "resolution", ptr, false, 16);
        if (ld->failed)
            return -1;
        ptr_join(sub, sizeof(sub), ptr, "code");
        if (!is_code(wu->code))
            return fail(ld, sub, "must be letters, digits, '_', '-' or '.'");
        for (size_t j = 0; j < k; j++)
            if (strcmp(sp->wrapups[j].code, wu->code) == 0)
                return fail(ld, sub, "duplicate wrap-up code");
        if (need_intent_ref(ld, wu->intent, ptr, "intent") != 0)
            return -1;
        if (wu->resolution != NULL && strcmp(wu->resolution, "resolved") != 0 &&
            strcmp(wu->resolution, "unresolved") != 0 &&
            strcmp(wu->resolution, "unknown") != 0) {
            ptr_join(sub, sizeof(sub), ptr, "resolution");
            return fail(ld, sub, "must be resolved, unresolved or unknown");
        }
        sp->n_wrapups++;
    }
    return 0;
}

static int load_categories(struct loader *ld, const json_t *root)
{
    static const char *const keys[] = {"name", "keywords", NULL};
    const json_t *arr = need_arr(ld, root, "categories", "", true);
    struct pipeline_spec *sp = &ld->p->spec;

    if (arr == NULL)
        return -1;
    if (json_array_size(arr) > PIPELINE_LIST_MAX)
        return fail(ld, "/categories", "must list at most 256 categories");
    sp->categories = alloc0(ld, json_array_size(arr), sizeof(*sp->categories));
    if (sp->categories == NULL)
        return -1;
    for (size_t k = 0; k < json_array_size(arr); k++) {
        const json_t *c = json_array_get(arr, k);
        struct pipeline_category *cat = &sp->categories[k];
        char ptr[80];
        ptr_index(ptr, sizeof(ptr), "/categories", k);
        if (!json_is_object(c))
            return fail(ld, ptr, "must be an object");
        if (check_keys(ld, c, ptr, keys) != 0)
            return -1;
        cat->name = need_ident(ld, c, "name", ptr, true);
        if (ld->failed)
            return -1;
        for (size_t j = 0; j < k; j++)
            if (strcmp(sp->categories[j].name, cat->name) == 0) {
                char sub[80];
                ptr_join(sub, sizeof(sub), ptr, "name");
                return fail(ld, sub, "duplicate category name");
            }
        if (need_words(ld, c, "keywords", ptr, true, &cat->keywords) != 0)
            return -1;
        sp->n_categories++;
    }
    return 0;
}

static int str_cmp(const void *a, const void *b)
{
    const char *const *x = a;
    const char *const *y = b;

    return strcmp(*x, *y);
}

static int word_cmp(const void *a, const void *b)
{
    const struct pipeline_word *x = a;
    const struct pipeline_word *y = b;

    return strcmp(x->word, y->word);
}

static int load_lexicon(struct loader *ld,
                        const json_t *obj,
                        const char *key,
                        double lo,
                        double hi,
                        struct pipeline_words *out)
{
    const json_t *words = need_obj(ld, obj, key, "/sentiment", true);
    const char *w = NULL;
    json_t *val = NULL;
    char base[80];
    size_t n = 0;

    if (words == NULL)
        return -1;
    ptr_join(base, sizeof(base), "/sentiment", key);
    if (json_object_size(words) > PIPELINE_WORDS_MAX)
        return fail(ld, base, "must hold at most 4096 words");
    out->v = alloc0(ld, json_object_size(words), sizeof(*out->v));
    if (out->v == NULL)
        return -1;
    json_object_foreach((json_t *)words, w, val)
    {
        char sub[80];
        ptr_join(sub, sizeof(sub), base, w);
        if (w[0] == '\0' || strlen(w) > 64 || strpbrk(w, " \t\r\n") != NULL)
            return fail(ld, sub, "a lexicon entry is one word");
        if (!json_is_number(val) || json_number_value(val) <= lo ||
            json_number_value(val) > hi) {
            char msg[64];
            (void)snprintf(msg, sizeof(msg), "weight must be in (%g, %g]", lo,
                           hi);
            return fail(ld, sub, msg);
        }
        out->v[n].word = lower_copy(ld, w);
        if (out->v[n].word == NULL)
            return -1;
        out->v[n].weight = json_number_value(val);
        n++;
    }
    qsort(out->v, n, sizeof(*out->v), word_cmp);
    /* lowercasing may have produced duplicates: keep the last one */
    size_t m = 0;
    for (size_t k = 0; k < n; k++) {
        if (m > 0 && strcmp(out->v[m - 1].word, out->v[k].word) == 0)
            out->v[m - 1] = out->v[k];
        else
            out->v[m++] = out->v[k];
    }
    out->n = m;
    return 0;
}

static int load_sentiment(struct loader *ld, const json_t *root)
{
    static const char *const keys[] = {
        "extend_builtin", "neutral_band", "negation_window", "positive",
        "negative",       "intensifiers", "negators",        NULL};
    const json_t *s = need_obj(ld, root, "sentiment", "", true);
    struct pipeline_spec *sp = &ld->p->spec;
    double nw = 3;
    bool has = false;

    if (s == NULL || check_keys(ld, s, "/sentiment", keys) != 0)
        return -1;
    if (json_object_get(s, "extend_builtin") != NULL &&
        !json_is_boolean(json_object_get(s, "extend_builtin")))
        return fail(ld, "/sentiment/extend_builtin", "must be a boolean");
    sp->neutral_band = 0.1;
    if (need_num(ld, s, "neutral_band", "/sentiment", 0.0, 0.9,
                 &sp->neutral_band, &has) != 0)
        return -1;
    if (need_num(ld, s, "negation_window", "/sentiment", 0, 10, &nw, &has))
        return -1;
    if (has && nw != (double)(int)nw)
        return fail(ld, "/sentiment/negation_window", "must be an integer");
    sp->negation_window = (int)nw;
    if (load_lexicon(ld, s, "positive", 0.0, 10.0, &sp->positive) != 0 ||
        load_lexicon(ld, s, "negative", 0.0, 10.0, &sp->negative) != 0 ||
        load_lexicon(ld, s, "intensifiers", 0.0, 5.0, &sp->intensifiers))
        return -1;
    if (need_words(ld, s, "negators", "/sentiment", true, &sp->negators))
        return -1;
    /* sorted, so the analyzer can bsearch them */
    qsort(sp->negators.v, sp->negators.n, sizeof(*sp->negators.v), str_cmp);
    return 0;
}

static int load_summary(struct loader *ld, const json_t *root)
{
    static const char *const keys[] = {"action_cues", "resolved_cues",
                                       "unresolved_cues", NULL};
    const json_t *s = need_obj(ld, root, "summary", "", true);
    struct pipeline_spec *sp = &ld->p->spec;

    if (s == NULL || check_keys(ld, s, "/summary", keys) != 0)
        return -1;
    if (need_words(ld, s, "action_cues", "/summary", true, &sp->action_cues) ||
        need_words(ld, s, "resolved_cues", "/summary", true,
                   &sp->resolved_cues) ||
        need_words(ld, s, "unresolved_cues", "/summary", true,
                   &sp->unresolved_cues))
        return -1;
    return 0;
}

static int load_prompts(struct loader *ld, const json_t *root)
{
    static const char *const keys[] = {"system", "turn", "handover", "final",
                                       NULL};
    const json_t *pr = need_obj(ld, root, "prompts", "", true);
    struct pipeline_spec *sp = &ld->p->spec;
    const char *ptr = "/prompts";

    if (pr == NULL || check_keys(ld, pr, ptr, keys) != 0)
        return -1;
    sp->prompt_system =
        need_str(ld, pr, "system", ptr, true, PIPELINE_PROMPT_MAX);
    sp->prompt_turn = need_str(ld, pr, "turn", ptr, true, PIPELINE_PROMPT_MAX);
    sp->prompt_handover =
        need_str(ld, pr, "handover", ptr, true, PIPELINE_PROMPT_MAX);
    sp->prompt_final =
        need_str(ld, pr, "final", ptr, true, PIPELINE_PROMPT_MAX);
    return ld->failed ? -1 : 0;
}

static int load_model(struct loader *ld, const json_t *root)
{
    static const char *const keys[] = {"temperature", "max_tokens", NULL};
    static const char *const mkeys[] = {"turn", "handover", "final", NULL};
    const json_t *m = need_obj(ld, root, "model", "", true);
    const json_t *mt = NULL;
    struct pipeline_spec *sp = &ld->p->spec;

    if (m == NULL || check_keys(ld, m, "/model", keys) != 0)
        return -1;
    if (need_num(ld, m, "temperature", "/model", 0.0, 2.0, &sp->temperature,
                 NULL) != 0)
        return fail(ld, "/model/temperature", "must be a number in [0, 2]");
    mt = need_obj(ld, m, "max_tokens", "/model", true);
    if (mt == NULL || check_keys(ld, mt, "/model/max_tokens", mkeys) != 0)
        return -1;
    if (need_uint(ld, mt, "turn", "/model/max_tokens", 16, 32768,
                  &sp->max_tokens_turn) ||
        need_uint(ld, mt, "handover", "/model/max_tokens", 16, 32768,
                  &sp->max_tokens_handover) ||
        need_uint(ld, mt, "final", "/model/max_tokens", 16, 32768,
                  &sp->max_tokens_final))
        return -1;
    return 0;
}

static int load_context(struct loader *ld, const json_t *root)
{
    static const char *const keys[] = {"max_turns", "max_turn_chars",
                                       "max_earlier", NULL};
    const json_t *c = need_obj(ld, root, "context", "", true);
    struct pipeline_spec *sp = &ld->p->spec;

    if (c == NULL || check_keys(ld, c, "/context", keys) != 0)
        return -1;
    if (need_uint(ld, c, "max_turns", "/context", 1, 200,
                  &sp->context_max_turns) ||
        need_uint(ld, c, "max_turn_chars", "/context", 64, 32768,
                  &sp->context_max_turn_chars) ||
        need_uint(ld, c, "max_earlier", "/context", 0, 1000,
                  &sp->context_max_earlier))
        return -1;
    return 0;
}

static int load_prices(struct loader *ld, const json_t *root)
{
    static const char *const keys[] = {"prompt_per_1m", "completion_per_1m",
                                       NULL};
    const json_t *pr = need_obj(ld, root, "prices", "", true);
    const char *model = NULL;
    json_t *val = NULL;

    if (pr == NULL)
        return -1;
    json_object_foreach((json_t *)pr, model, val)
    {
        char ptr[80];
        double x = 0;
        ptr_join(ptr, sizeof(ptr), "/prices", model);
        if (!json_is_object(val))
            return fail(ld, ptr, "must be an object");
        if (check_keys(ld, val, ptr, keys) != 0)
            return -1;
        if (need_num(ld, val, "prompt_per_1m", ptr, 0, 1e6, &x, NULL) != 0 ||
            need_num(ld, val, "completion_per_1m", ptr, 0, 1e6, &x, NULL))
            return fail(ld, ptr,
                        "needs prompt_per_1m and completion_per_1m "
                        "in [0, 1000000]");
    }
    return 0;
}

static int load_top(struct loader *ld, const json_t *root)
{
    struct pipeline_spec *sp = &ld->p->spec;
    const json_t *v = json_object_get(root, "version");

    if (!json_is_object(root))
        return fail(ld, "", "must be a JSON object");
    if (check_keys(ld, root, "", top_keys) != 0)
        return -1;
    if (v != NULL && (!json_is_integer(v) || json_integer_value(v) != 1))
        return fail(ld, "/version", "must be 1");
    sp->prompt_version = need_str(ld, root, "prompt_version", "", true, 64);
    if (ld->failed)
        return -1;
    if (load_queues(ld, root) || load_intents(ld, root))
        return -1;
    sp->fallback_intent = need_str(ld, root, "fallback_intent", "", false, 64);
    if (ld->failed ||
        need_intent_ref(ld, sp->fallback_intent, "", "fallback_intent"))
        return -1;
    sp->default_queue = need_str(ld, root, "default_queue", "", true, 64);
    if (ld->failed ||
        need_queue_ref(ld, sp->default_queue, "", "default_queue"))
        return -1;
    if (need_priority(ld, root, "default_priority", "", true,
                      &sp->default_priority) != 0)
        return -1;
    for (size_t k = 0; k < sp->n_intents; k++) {
        if (sp->intents[k].queue == NULL)
            sp->intents[k].queue = sp->default_queue;
        if (sp->intents[k].priority == NULL)
            sp->intents[k].priority = sp->default_priority;
    }
    if (load_rules(ld, root, "routing_rules", true, &sp->routing,
                   &sp->n_routing) ||
        load_rules(ld, root, "priority_rules", false, &sp->priority_rules,
                   &sp->n_priority_rules))
        return -1;
    if (load_escalation(ld, root) || load_alerts(ld, root) ||
        load_wrapups(ld, root) || load_categories(ld, root) ||
        load_sentiment(ld, root) || load_summary(ld, root) ||
        load_prompts(ld, root) || load_model(ld, root) ||
        load_context(ld, root) || load_prices(ld, root))
        return -1;
    return 0;
}

/* user sentiment section extends the built-in lexicon unless
 * extend_builtin is false */
static int merge_sentiment(json_t *base, const json_t *user)
{
    const json_t *ext = json_object_get(user, "extend_builtin");
    const char *key = NULL;
    json_t *val = NULL;

    if (!json_is_object(base) || !json_is_object(user) || json_is_false(ext))
        return 0;
    json_object_foreach((json_t *)user, key, val)
    {
        json_t *b = json_object_get(base, key);
        if (json_is_object(b) && json_is_object(val)) {
            if (json_object_update(b, val) != 0)
                return -1;
        } else if (json_is_array(b) && json_is_array(val)) {
            if (json_array_extend(b, val) != 0)
                return -1;
        } else if (json_object_set(base, key, val) != 0) {
            return -1;
        }
    }
    return 1;
}

static json_t *merge_with_default(json_t *user, struct ccai_error *err)
{
    json_error_t jerr;
    json_t *base =
        json_loadb(ccai_pipeline_default_json, ccai_pipeline_default_json_len,
                   JSON_REJECT_DUPLICATES, &jerr);
    const char *key = NULL;
    json_t *val = NULL;

    if (base == NULL) {
        ccai_error_set(err, CCAI_E_INTERNAL, "",
                       "built-in pipeline is not JSON: %s", jerr.text);
        return NULL;
    }
    if (!json_is_object(user)) {
        json_decref(base);
        ccai_error_set(err, CCAI_E_CONFIG, "", "/: must be a JSON object");
        return NULL;
    }
    json_object_foreach(user, key, val)
    {
        int merged = 0;
        if (strcmp(key, "sentiment") == 0)
            merged = merge_sentiment(json_object_get(base, key), val);
        if (merged < 0 || (merged == 0 && json_object_set(base, key, val))) {
            json_decref(base);
            ccai_error_set(err, CCAI_E_NOMEM, "", "out of memory");
            return NULL;
        }
    }
    return base;
}

void pipeline_free(struct pipeline *p)
{
    if (p == NULL)
        return;
    for (size_t k = 0; k < p->n_allocs; k++)
        free(p->allocs[k]);
    free(p->allocs);
    json_decref(p->root);
    free(p);
}

static struct pipeline *load_root(json_t *root, struct ccai_error *err)
{
    struct pipeline *p = calloc(1, sizeof(*p));
    struct loader ld = {.p = p, .err = err, .failed = false};

    if (p == NULL) {
        json_decref(root);
        ccai_error_set(err, CCAI_E_NOMEM, "", "out of memory");
        return NULL;
    }
    p->root = root; /* owned from here */
    if (load_top(&ld, root) != 0) {
        pipeline_free(p);
        return NULL;
    }
    return p;
}

struct pipeline *
pipeline_load_text(const char *text, size_t len, struct ccai_error *err)
{
    json_error_t jerr;
    json_t *user = NULL;
    json_t *root = NULL;

    user = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (user == NULL) {
        ccai_error_set(err, CCAI_E_CONFIG, "",
                       "pipeline config is not JSON: %s at line %d", jerr.text,
                       jerr.line);
        return NULL;
    }
    root = merge_with_default(user, err);
    json_decref(user);
    if (root == NULL)
        return NULL;
    return load_root(root, err);
}

struct pipeline *pipeline_load(const char *path, struct ccai_error *err)
{
    struct pipeline *p = NULL;
    FILE *f = NULL;
    char *text = NULL;
    size_t n = 0;

    if (path == NULL || path[0] == '\0')
        return pipeline_load_text(ccai_pipeline_default_json,
                                  ccai_pipeline_default_json_len, err);
    f = fopen(path, "rb");
    if (f == NULL) {
        ccai_error_set(err, CCAI_E_CONFIG, "", "cannot open '%s': %s", path,
                       strerror(errno));
        goto out;
    }
    text = malloc(PIPELINE_FILE_MAX + 1);
    if (text == NULL) {
        ccai_error_set(err, CCAI_E_NOMEM, "", "out of memory");
        goto out;
    }
    n = fread(text, 1, PIPELINE_FILE_MAX + 1, f);
    if (ferror(f)) {
        ccai_error_set(err, CCAI_E_CONFIG, "", "cannot read '%s'", path);
        goto out;
    }
    if (n > PIPELINE_FILE_MAX) {
        ccai_error_set(err, CCAI_E_CONFIG, "", "'%s' is larger than 1 MiB",
                       path);
        goto out;
    }
    p = pipeline_load_text(text, n, err);
out:
    if (f != NULL)
        (void)fclose(f); /* read only: nothing to lose */
    free(text);
    return p;
}

const char *pipeline_prompt_version(const struct pipeline *p)
{
    return p->spec.prompt_version;
}

const json_t *pipeline_json(const struct pipeline *p)
{
    return p->root;
}

const struct pipeline_spec *pipeline_spec(const struct pipeline *p)
{
    return &p->spec;
}

void pipeline_price(const struct pipeline *p,
                    const char *model,
                    double *prompt_per_m,
                    double *completion_per_m)
{
    const json_t *prices = json_object_get(p->root, "prices");
    const json_t *entry = NULL;

    *prompt_per_m = 0;
    *completion_per_m = 0;
    if (model == NULL)
        return;
    entry = json_object_get(prices, model);
    if (entry == NULL) {
        /* dated snapshots ("gpt-4o-mini-2024-07-18") use the base price:
         * the longest configured name that prefixes @model */
        const char *key = NULL;
        json_t *val = NULL;
        size_t best = 0;
        json_object_foreach((json_t *)prices, key, val)
        {
            size_t kl = strlen(key);
            if (kl > best && strncmp(model, key, kl) == 0 && model[kl] == '-') {
                best = kl;
                entry = val;
            }
        }
    }
    if (entry == NULL)
        return;
    *prompt_per_m = json_number_value(json_object_get(entry, "prompt_per_1m"));
    *completion_per_m =
        json_number_value(json_object_get(entry, "completion_per_1m"));
}
