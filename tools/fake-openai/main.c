/* ccai-fake-openai - a fake OpenAI-compatible Chat Completions server on
 * loopback for tests and benchmarks: validates requests like the real API,
 * answers completions whose content validates against the request's
 * json_schema, sends x-ratelimit-* headers, and obeys a control API
 * (/_control/...) that scripts failures. Deferred answers (common/http.h)
 * let thousands of slow requests wait without a thread each: MHD threads
 * run the handlers, one timer thread sends the delayed answers. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "env.h"
#include "err.h"
#include "http.h"
#include "log.h"
#include "shutdown.h"

#include "banned.h"

#define FAKE_RING         1024
#define FAKE_RECORD_MAX   ((size_t)16 * 1024)
#define FAKE_MAX_BODY     ((size_t)4 * 1024 * 1024)
#define FAKE_HANG_MAX_MS  120000
#define FAKE_MAX_DEPTH    32
#define FAKE_STATUS_MAX   1000
#define FAKE_CLOSE_STATUS 1000 /* MHD refuses it: the connection drops */
/* large defaults: the headers count down, but never get in the way of a
 * benchmark unless a limit is set (--rpm-limit or the control API) */
#define FAKE_DEFAULT_RPM 1000000
#define FAKE_DEFAULT_TPM 1000000000
#define FAKE_WINDOW_MS   60000
struct fake_rule {
    unsigned times;
    int status;          /* 0 = answer normally */
    long retry_after_ms; /* -1 = no header */
    long retry_after_s;  /* -1 = no header */
    char error_code[64];
    char error_type[64];
    char message[160];
    bool hang, malformed, truncated, invalid_schema, close;
    char *refusal;   /* owned; NULL = none */
    char *match;     /* owned; NULL = any request */
    long latency_ms; /* -1 = the default */
    struct fake_rule *next;
};

/* What one request gets: a copy of the rule that matched, or defaults. */
struct fake_action {
    struct fake_rule rule;
    bool from_rule;
};

struct fake_pending {
    struct http_request *req;
    int64_t due_ms;
    uint64_t seq;
    int status;
    char *body; /* owned */
    size_t len;
    char *hdrs[14]; /* owned name/value strings, NULL-terminated */
};

struct fake_record {
    uint64_t seq;
    int64_t t_ms;
    char *body; /* owned, at most FAKE_RECORD_MAX bytes */
    bool truncated;
};

struct fake {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool auth;
    long base_latency_ms, base_jitter_ms; /* from the command line */
    long latency_ms, jitter_ms, hang_max_ms;
    double error_rate;
    long rpm_limit, tpm_limit;
    long window_ms; /* length of the rate-limit window */
    bool enforce_limits;
    long base_rpm_limit, base_tpm_limit; /* from the command line */
    struct fake_rule *rules;
    uint64_t requests;
    unsigned in_flight, max_in_flight;
    uint64_t by_status[FAKE_STATUS_MAX + 1];
    struct fake_record ring[FAKE_RING];
    uint64_t ring_total;
    struct fake_pending **heap;
    size_t heap_len, heap_cap;
    uint64_t pend_seq;
    bool stopping;
    uint64_t rng;
    int64_t start_ms;
    int64_t window_start_ms;
    long window_req, window_tok;
    uint64_t id_seq;
};

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* xorshift64*, under fake->lock */
static double fake_rand01(struct fake *f)
{
    f->rng ^= f->rng >> 12;
    f->rng ^= f->rng << 25;
    f->rng ^= f->rng >> 27;
    return (double)((f->rng * 2685821657736338717ULL) >> 11) /
           (double)(1ULL << 53);
}

static uint64_t fnv1a(const char *s, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* ---- rules ------------------------------------------------------------- */

static void rule_free(struct fake_rule *r)
{
    if (r == NULL)
        return;
    free(r->refusal);
    free(r->match);
    free(r);
}

static void rules_free(struct fake_rule *r)
{
    while (r) {
        struct fake_rule *next = r->next;

        rule_free(r);
        r = next;
    }
}

static void copy_str(char *dst, size_t n, json_t *v)
{
    const char *s = json_string_value(v);

    (void)snprintf(dst, n, "%s", s ? s : "");
}

static struct fake_rule *
rule_parse(json_t *obj, const char *match, struct ccai_error *err)
{
    struct fake_rule *r = NULL;
    json_t *v = NULL;
    const char *m = NULL;

    if (!json_is_object(obj)) {
        ccai_error_set(err, CCAI_E_INVALID, "/rules", "a rule is an object");
        return NULL;
    }
    r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->times = 1;
    r->retry_after_ms = -1;
    r->retry_after_s = -1;
    r->latency_ms = -1;
    v = json_object_get(obj, "times");
    if (json_is_integer(v) && json_integer_value(v) > 0)
        r->times = (unsigned)json_integer_value(v);
    v = json_object_get(obj, "status");
    if (json_is_integer(v)) {
        json_int_t s = json_integer_value(v);

        if (s < 100 || s > 599) {
            ccai_error_set(err, CCAI_E_INVALID, "/rules",
                           "status must be 100..599");
            rule_free(r);
            return NULL;
        }
        r->status = s == 200 ? 0 : (int)s;
    }
    v = json_object_get(obj, "retry_after_ms");
    if (json_is_integer(v))
        r->retry_after_ms = (long)json_integer_value(v);
    v = json_object_get(obj, "retry_after");
    if (json_is_integer(v))
        r->retry_after_s = (long)json_integer_value(v);
    v = json_object_get(obj, "latency_ms");
    if (json_is_integer(v))
        r->latency_ms = (long)json_integer_value(v);
    copy_str(r->error_code, sizeof(r->error_code),
             json_object_get(obj, "error_code"));
    copy_str(r->error_type, sizeof(r->error_type),
             json_object_get(obj, "error_type"));
    copy_str(r->message, sizeof(r->message), json_object_get(obj, "message"));
    r->hang = json_is_true(json_object_get(obj, "hang"));
    r->malformed = json_is_true(json_object_get(obj, "malformed"));
    r->truncated = json_is_true(json_object_get(obj, "truncated"));
    r->invalid_schema = json_is_true(json_object_get(obj, "invalid_schema"));
    r->close = json_is_true(json_object_get(obj, "close"));
    if (json_is_string(json_object_get(obj, "refusal")))
        r->refusal = strdup(json_string_value(json_object_get(obj, "refusal")));
    m = json_string_value(json_object_get(obj, "match"));
    if (m == NULL)
        m = match;
    if (m)
        r->match = strdup(m);
    return r;
}

/* Take the first rule matching @body (under lock): copies it to @act. */
static void
rules_take(struct fake *f, const char *body, struct fake_action *act)
{
    struct fake_rule **pp = &f->rules;

    memset(act, 0, sizeof(*act));
    act->rule.retry_after_ms = -1;
    act->rule.retry_after_s = -1;
    act->rule.latency_ms = -1;
    for (; *pp; pp = &(*pp)->next) {
        struct fake_rule *r = *pp;

        if (r->match && strstr(body, r->match) == NULL)
            continue;
        act->rule = *r;
        act->rule.refusal = r->refusal ? strdup(r->refusal) : NULL;
        act->rule.match = NULL;
        act->rule.next = NULL;
        act->from_rule = true;
        if (--r->times == 0) {
            *pp = r->next;
            rule_free(r);
        }
        return;
    }
}

/* ---- pending answers (timer heap) ----------------------------------- */

static bool pend_less(const struct fake_pending *a,
                      const struct fake_pending *b)
{
    return a->due_ms != b->due_ms ? a->due_ms < b->due_ms : a->seq < b->seq;
}

static int heap_push(struct fake *f, struct fake_pending *p)
{
    size_t i = 0;

    if (f->heap_len == f->heap_cap) {
        size_t cap = f->heap_cap ? f->heap_cap * 2 : 256;
        /* an array of pointers */
        struct fake_pending **h =
            realloc(f->heap, cap * sizeof(struct fake_pending *)); /* NOLINT */

        if (h == NULL)
            return -1;
        f->heap = h;
        f->heap_cap = cap;
    }
    i = f->heap_len++;
    while (i > 0 && pend_less(p, f->heap[(i - 1) / 2])) {
        f->heap[i] = f->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    f->heap[i] = p;
    return 0;
}

static struct fake_pending *heap_pop(struct fake *f)
{
    struct fake_pending *top = f->heap[0];
    struct fake_pending *last = f->heap[--f->heap_len];
    size_t i = 0;

    while (f->heap_len > 0) {
        size_t l = 2 * i + 1;
        size_t m = i;
        const struct fake_pending *best = last;

        if (l < f->heap_len && pend_less(f->heap[l], best)) {
            m = l;
            best = f->heap[l];
        }
        if (l + 1 < f->heap_len && pend_less(f->heap[l + 1], best))
            m = l + 1;
        if (m == i)
            break;
        f->heap[i] = f->heap[m];
        i = m;
    }
    if (f->heap_len > 0)
        f->heap[i] = last;
    return top;
}

static void pending_free(struct fake_pending *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; p->hdrs[i]; i++)
        free(p->hdrs[i]);
    free(p->body);
    free(p);
}

static void
pending_header(struct fake_pending *p, const char *name, const char *value)
{
    size_t i = 0;

    while (p->hdrs[i])
        i++;
    if (i + 2 >= sizeof(p->hdrs) / sizeof(p->hdrs[0]))
        return;
    p->hdrs[i] = strdup(name);
    p->hdrs[i + 1] = strdup(value);
    if (p->hdrs[i] == NULL || p->hdrs[i + 1] == NULL) {
        free(p->hdrs[i]);
        free(p->hdrs[i + 1]);
        p->hdrs[i] = p->hdrs[i + 1] = NULL;
    }
}

/* Send @p now (any thread) and account for it; frees @p. */
static void pending_send(struct fake *f, struct fake_pending *p)
{
    int status = p->status;

    /* count first: once answered, the client may send its next request
     * before we get here again, and in_flight must never overcount */
    pthread_mutex_lock(&f->lock);
    f->in_flight--;
    f->by_status[status > 0 && status <= FAKE_STATUS_MAX ? status : 0]++;
    pthread_mutex_unlock(&f->lock);
    http_respond(p->req, status, "application/json", p->body ? p->body : "",
                 p->len, (const char *const *)p->hdrs);
    pending_free(p);
}

/* The timer thread: sends deferred answers when due, all of them at stop. */
static void *timer_main(void *arg)
{
    struct fake *f = arg;

    pthread_mutex_lock(&f->lock);
    for (;;) {
        int64_t now = mono_ms();

        if (f->heap_len > 0 && (f->stopping || f->heap[0]->due_ms <= now)) {
            struct fake_pending *p = heap_pop(f);

            pthread_mutex_unlock(&f->lock);
            pending_send(f, p);
            pthread_mutex_lock(&f->lock);
            continue;
        }
        if (f->stopping)
            break;
        if (f->heap_len == 0) {
            pthread_cond_wait(&f->cond, &f->lock);
        } else {
            int64_t due = f->heap[0]->due_ms;
            struct timespec ts = {(time_t)(due / 1000),
                                  (long)(due % 1000) * 1000000L};

            pthread_cond_timedwait(&f->cond, &f->lock, &ts);
        }
    }
    pthread_mutex_unlock(&f->lock);
    return NULL;
}

/* ---- request validation (like the real API) ------------------------------ */

struct fake_verdict {
    char message[320];
    char param[80];
};

static int
reject(struct fake_verdict *v, const char *param, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
reject(struct fake_verdict *v, const char *param, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(v->message, sizeof(v->message), fmt, ap);
    va_end(ap);
    (void)snprintf(v->param, sizeof(v->param), "%s", param ? param : "");
    return -1;
}

static const char *const known_fields[] = {"audio",
                                           "frequency_penalty",
                                           "function_call",
                                           "functions",
                                           "logit_bias",
                                           "logprobs",
                                           "max_completion_tokens",
                                           "max_tokens",
                                           "messages",
                                           "metadata",
                                           "modalities",
                                           "model",
                                           "moderation",
                                           "n",
                                           "parallel_tool_calls",
                                           "prediction",
                                           "presence_penalty",
                                           "prompt_cache_key",
                                           "prompt_cache_options",
                                           "prompt_cache_retention",
                                           "reasoning_effort",
                                           "response_format",
                                           "safety_identifier",
                                           "seed",
                                           "service_tier",
                                           "stop",
                                           "store",
                                           "stream",
                                           "stream_options",
                                           "temperature",
                                           "tool_choice",
                                           "tools",
                                           "top_logprobs",
                                           "top_p",
                                           "user",
                                           "verbosity",
                                           "web_search_options"};

static bool is_known_field(const char *key)
{
    for (size_t i = 0; i < sizeof(known_fields) / sizeof(known_fields[0]); i++)
        if (strcmp(key, known_fields[i]) == 0)
            return true;
    return false;
}

static int check_content(json_t *content,
                         const char *role,
                         size_t i,
                         struct fake_verdict *v)
{
    char param[64];
    size_t j = 0;
    json_t *part = NULL;

    (void)snprintf(param, sizeof(param), "messages.[%zu].content", i);
    if (json_is_string(content))
        return 0;
    if (json_is_null(content) && strcmp(role, "assistant") == 0)
        return 0;
    if (!json_is_array(content))
        return reject(v, param,
                      "Invalid type for 'messages[%zu].content': expected "
                      "one of a string or array of objects",
                      i);
    json_array_foreach(content, j, part)
    {
        const char *type = json_string_value(json_object_get(part, "type"));

        if (type == NULL)
            return reject(v, param,
                          "Missing required parameter: "
                          "'messages[%zu].content[%zu].type'",
                          i, j);
        if (strcmp(type, "text") == 0) {
            if (!json_is_string(json_object_get(part, "text")))
                return reject(v, param,
                              "Missing required parameter: "
                              "'messages[%zu].content[%zu].text'",
                              i, j);
        } else if (strcmp(type, "image_url") != 0 &&
                   strcmp(type, "input_audio") != 0 &&
                   strcmp(type, "file") != 0 && strcmp(type, "refusal") != 0) {
            return reject(v, param,
                          "Invalid value: '%.40s'. Supported values are: "
                          "'text', 'image_url', 'input_audio', 'refusal', "
                          "and 'file'",
                          type);
        }
    }
    return 0;
}

static int check_messages(json_t *messages, struct fake_verdict *v)
{
    size_t i = 0;
    json_t *msg = NULL;

    if (messages == NULL)
        return reject(v, "messages", "Missing required parameter: 'messages'.");
    if (!json_is_array(messages))
        return reject(v, "messages",
                      "Invalid type for 'messages': expected an array of "
                      "objects");
    if (json_array_size(messages) == 0)
        return reject(v, "messages",
                      "Invalid 'messages': empty array. Expected an array "
                      "with minimum length 1, but got an empty array "
                      "instead.");
    json_array_foreach(messages, i, msg)
    {
        const char *role = json_string_value(json_object_get(msg, "role"));
        json_t *content = json_object_get(msg, "content");
        char param[64];

        (void)snprintf(param, sizeof(param), "messages.[%zu].role", i);
        if (!json_is_object(msg))
            return reject(v, "messages",
                          "Invalid type for 'messages[%zu]': expected an "
                          "object",
                          i);
        if (role == NULL)
            return reject(v, param,
                          "Missing required parameter: 'messages[%zu].role'",
                          i);
        if (strcmp(role, "system") != 0 && strcmp(role, "developer") != 0 &&
            strcmp(role, "user") != 0 && strcmp(role, "assistant") != 0 &&
            strcmp(role, "tool") != 0 && strcmp(role, "function") != 0)
            return reject(v, param,
                          "Invalid value: '%.40s'. Supported values are: "
                          "'system', 'assistant', 'user', 'function', "
                          "'tool', and 'developer'",
                          role);
        if (content == NULL && strcmp(role, "assistant") != 0)
            return reject(v, "messages",
                          "Missing required parameter: "
                          "'messages[%zu].content'",
                          i);
        if (content && check_content(content, role, i, v) != 0)
            return -1;
        if (strcmp(role, "tool") == 0 &&
            !json_is_string(json_object_get(msg, "tool_call_id")))
            return reject(v, "messages",
                          "Missing required parameter: "
                          "'messages[%zu].tool_call_id'",
                          i);
    }
    return 0;
}

static bool name_is_valid(const char *name)
{
    size_t n = strlen(name);

    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];

        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
            return false;
    }
    return true;
}

/* Strict mode: every object closes additionalProperties and requires all
 * of its properties (the Structured Outputs rules). */
static int check_strict(json_t *schema,
                        const char *fmt_name,
                        const char *context,
                        int depth,
                        struct fake_verdict *v)
{
    json_t *props = json_object_get(schema, "properties");
    json_t *sub = NULL;
    const char *key = NULL;
    char ctx[256];

    if (!json_is_object(schema))
        return 0;
    if (depth > FAKE_MAX_DEPTH)
        return reject(v, "response_format",
                      "Invalid schema for response_format '%s': nesting "
                      "deeper than %d",
                      fmt_name, FAKE_MAX_DEPTH);
    if (json_is_object(props)) {
        json_t *req = json_object_get(schema, "required");

        if (!json_is_false(json_object_get(schema, "additionalProperties")))
            return reject(v, "response_format",
                          "Invalid schema for response_format '%s': In "
                          "context=(%s), 'additionalProperties' is required "
                          "to be supplied and to be false.",
                          fmt_name, context);
        json_object_foreach(props, key, sub)
        {
            bool listed = false;
            size_t i = 0;
            json_t *r = NULL;

            json_array_foreach(req, i, r)
            {
                if (json_is_string(r) && strcmp(json_string_value(r), key) == 0)
                    listed = true;
            }
            if (!listed)
                return reject(v, "response_format",
                              "Invalid schema for response_format '%s': In "
                              "context=(%s), 'required' is required to be "
                              "supplied and to be an array including every "
                              "key in properties. Missing '%.60s'.",
                              fmt_name, context, key);
            (void)snprintf(ctx, sizeof(ctx), "%s%s'properties', '%.60s'",
                           context, context[0] ? ", " : "", key);
            if (check_strict(sub, fmt_name, ctx, depth + 1, v) != 0)
                return -1;
        }
    }
    (void)snprintf(ctx, sizeof(ctx), "%s%s'items'", context,
                   context[0] ? ", " : "");
    if (check_strict(json_object_get(schema, "items"), fmt_name, ctx, depth + 1,
                     v) != 0)
        return -1;
    static const char *const lists[] = {"anyOf", "oneOf", "allOf"};
    for (size_t l = 0; l < 3; l++) {
        size_t i = 0;

        json_array_foreach(json_object_get(schema, lists[l]), i, sub)
        {
            (void)snprintf(ctx, sizeof(ctx), "%s%s'%s', %zu", context,
                           context[0] ? ", " : "", lists[l], i);
            if (check_strict(sub, fmt_name, ctx, depth + 1, v) != 0)
                return -1;
        }
    }
    static const char *const defs[] = {"$defs", "definitions"};
    for (size_t d = 0; d < 2; d++) {
        json_object_foreach(json_object_get(schema, defs[d]), key, sub)
        {
            (void)snprintf(ctx, sizeof(ctx), "%s%s'%s', '%.60s'", context,
                           context[0] ? ", " : "", defs[d], key);
            if (check_strict(sub, fmt_name, ctx, depth + 1, v) != 0)
                return -1;
        }
    }
    return 0;
}

static int check_response_format(json_t *rf, struct fake_verdict *v)
{
    const char *type = json_string_value(json_object_get(rf, "type"));
    json_t *js = NULL;
    json_t *schema = NULL;
    json_t *strict = NULL;
    const char *name = NULL;

    if (!json_is_object(rf))
        return reject(v, "response_format",
                      "Invalid type for 'response_format': expected an "
                      "object");
    if (type == NULL)
        return reject(v, "response_format.type",
                      "Missing required parameter: 'response_format.type'.");
    if (strcmp(type, "text") == 0 || strcmp(type, "json_object") == 0)
        return 0;
    if (strcmp(type, "json_schema") != 0)
        return reject(v, "response_format.type",
                      "Invalid value: '%.40s'. Supported values are: "
                      "'json_object', 'json_schema', and 'text'.",
                      type);
    js = json_object_get(rf, "json_schema");
    if (!json_is_object(js))
        return reject(v, "response_format.json_schema",
                      "Missing required parameter: "
                      "'response_format.json_schema'.");
    name = json_string_value(json_object_get(js, "name"));
    if (name == NULL)
        return reject(v, "response_format.json_schema.name",
                      "Missing required parameter: "
                      "'response_format.json_schema.name'.");
    if (!name_is_valid(name))
        return reject(v, "response_format.json_schema.name",
                      "Invalid 'response_format.json_schema.name': string "
                      "does not match pattern. Expected a string that "
                      "matches the pattern '^[a-zA-Z0-9_-]+$' (at most 64).");
    strict = json_object_get(js, "strict");
    if (strict && !json_is_boolean(strict) && !json_is_null(strict))
        return reject(v, "response_format.json_schema.strict",
                      "Invalid type for "
                      "'response_format.json_schema.strict': expected a "
                      "boolean");
    schema = json_object_get(js, "schema");
    if (schema && !json_is_object(schema))
        return reject(v, "response_format.json_schema.schema",
                      "Invalid type for "
                      "'response_format.json_schema.schema': expected an "
                      "object");
    if (json_is_true(strict)) {
        const char *root_type =
            json_string_value(json_object_get(schema, "type"));

        if (schema == NULL || root_type == NULL ||
            strcmp(root_type, "object") != 0)
            return reject(v, "response_format",
                          "Invalid schema for response_format '%s': schema "
                          "must be a JSON Schema of 'type: \"object\"', got "
                          "'type: \"%.20s\"'.",
                          name, root_type ? root_type : "None");
        if (check_strict(schema, name, "", 0, v) != 0)
            return -1;
    }
    return 0;
}

static int check_number(json_t *root,
                        const char *key,
                        double lo,
                        double hi,
                        bool integer,
                        struct fake_verdict *v)
{
    json_t *val = json_object_get(root, key);
    double d = 0;

    if (val == NULL || json_is_null(val))
        return 0;
    if (integer ? !json_is_integer(val) : !json_is_number(val))
        return reject(v, key, "Invalid type for '%s': expected %s", key,
                      integer ? "an integer" : "a number");
    d = json_number_value(val);
    if (d < lo || d > hi)
        return reject(v, key,
                      "Invalid '%s': %g is out of range; expected a value "
                      "between %g and %g",
                      key, d, lo, hi);
    return 0;
}

static int validate_request(json_t *root, struct fake_verdict *v)
{
    const char *key = NULL;
    json_t *val = NULL;
    json_t *rf = NULL;

    if (!json_is_object(root))
        return reject(v, NULL,
                      "We could not parse the JSON body of your request. "
                      "The OpenAI API expects a JSON payload.");
    json_object_foreach(root, key, val)
    {
        if (!is_known_field(key))
            return reject(v, key,
                          "Unrecognized request argument supplied: %.60s", key);
    }
    val = json_object_get(root, "model");
    if (val == NULL)
        return reject(v, "model", "you must provide a model parameter");
    if (!json_is_string(val) || json_string_length(val) == 0)
        return reject(v, "model",
                      "Invalid type for 'model': expected a string");
    if (check_messages(json_object_get(root, "messages"), v) != 0)
        return -1;
    if (check_number(root, "max_tokens", 1, 1e9, true, v) != 0 ||
        check_number(root, "max_completion_tokens", 1, 1e9, true, v) != 0 ||
        check_number(root, "n", 1, 128, true, v) != 0 ||
        check_number(root, "temperature", 0, 2, false, v) != 0 ||
        check_number(root, "top_p", 0, 1, false, v) != 0 ||
        check_number(root, "frequency_penalty", -2, 2, false, v) != 0 ||
        check_number(root, "presence_penalty", -2, 2, false, v) != 0)
        return -1;
    if (json_is_true(json_object_get(root, "stream")))
        return reject(v, "stream",
                      "streaming is not supported by ccai-fake-openai");
    rf = json_object_get(root, "response_format");
    if (rf && !json_is_null(rf) && check_response_format(rf, v) != 0)
        return -1;
    return 0;
}

/* ---- instance generation from a JSON schema ----------------------------- */

static json_t *resolve_ref(json_t *root, json_t *schema)
{
    const char *ref = json_string_value(json_object_get(schema, "$ref"));
    const char *name = NULL;
    json_t *defs = NULL;

    if (ref == NULL)
        return schema;
    if (strncmp(ref, "#/$defs/", 8) == 0) {
        defs = json_object_get(root, "$defs");
        name = ref + 8;
    } else if (strncmp(ref, "#/definitions/", 14) == 0) {
        defs = json_object_get(root, "definitions");
        name = ref + 14;
    } else if (strcmp(ref, "#") == 0) {
        return root;
    }
    if (defs == NULL || name == NULL || json_object_get(defs, name) == NULL)
        return NULL;
    return json_object_get(defs, name);
}

static const char *schema_type(json_t *schema)
{
    json_t *t = json_object_get(schema, "type");
    size_t i = 0;
    json_t *e = NULL;

    if (json_is_string(t))
        return json_string_value(t);
    json_array_foreach(t, i, e)
    {
        if (json_is_string(e) && strcmp(json_string_value(e), "null") != 0)
            return json_string_value(e);
    }
    if (json_is_array(t) && json_array_size(t) > 0)
        return "null";
    if (json_object_get(schema, "properties"))
        return "object";
    if (json_object_get(schema, "items"))
        return "array";
    return NULL;
}

static double num_or(json_t *schema, const char *key, double dflt, bool *set)
{
    json_t *v = json_object_get(schema, key);

    if (json_is_number(v)) {
        if (set)
            *set = true;
        return json_number_value(v);
    }
    return dflt;
}

static json_t *gen_string(json_t *schema, uint64_t h)
{
    static const char *const words[] = {"sample text", "example value",
                                        "synthetic answer", "fake output"};
    const char *fmt = json_string_value(json_object_get(schema, "format"));
    char text[256];
    long min = (long)num_or(schema, "minLength", 0, NULL);
    long max = (long)num_or(schema, "maxLength", 200, NULL);
    size_t n = 0;

    if (fmt && strcmp(fmt, "date-time") == 0)
        return json_string("2026-01-01T00:00:00Z");
    if (fmt && strcmp(fmt, "date") == 0)
        return json_string("2026-01-01");
    if (fmt && strcmp(fmt, "email") == 0)
        return json_string("user@example.com");
    if (fmt && (strcmp(fmt, "uri") == 0 || strcmp(fmt, "url") == 0))
        return json_string("https://example.com/");
    (void)snprintf(text, sizeof(text), "%s", words[h % 4]);
    n = strlen(text);
    if (max < 0)
        max = 0;
    if (max > (long)sizeof(text) - 1)
        max = (long)sizeof(text) - 1;
    if (min > max)
        min = max;
    while ((long)n < min)
        text[n++] = 'x';
    if ((long)n > max)
        n = (size_t)max;
    text[n] = '\0';
    return json_string(text);
}

static json_t *gen_number(json_t *schema, uint64_t h, bool integer)
{
    bool has_lo = false;
    bool has_hi = false;
    double lo = num_or(schema, "minimum", 0, &has_lo);
    double hi = num_or(schema, "maximum", 0, &has_hi);
    double frac = 0.1 + 0.8 * (double)(h % 1000) / 1000.0;

    if (json_is_number(json_object_get(schema, "exclusiveMinimum"))) {
        lo = json_number_value(json_object_get(schema, "exclusiveMinimum")) +
             (integer ? 1 : 0);
        has_lo = true;
    }
    if (json_is_number(json_object_get(schema, "exclusiveMaximum"))) {
        hi = json_number_value(json_object_get(schema, "exclusiveMaximum")) -
             (integer ? 1 : 0);
        has_hi = true;
    }
    if (!has_lo)
        lo = has_hi ? hi - (integer ? 10 : 1) : 0;
    if (!has_hi)
        hi = lo + (integer ? 10 : 1);
    if (hi < lo)
        hi = lo;
    if (integer) {
        long long span = (long long)(hi - lo) + 1;
        long long v = (long long)lo + (long long)(h % (uint64_t)span);

        return json_integer((json_int_t)v);
    }
    /* three decimals keep the text short; still inside [lo, hi] */
    return json_real((double)(long long)((lo + (hi - lo) * frac) * 1000.0) /
                     1000.0);
}

static json_t *gen_value(json_t *root, json_t *schema, uint64_t h, int depth);

static json_t *gen_object(json_t *root, json_t *schema, uint64_t h, int depth)
{
    json_t *obj = json_object();
    json_t *props = json_object_get(schema, "properties");
    const char *key = NULL;
    json_t *sub = NULL;

    json_object_foreach(props, key, sub)
    {
        uint64_t kh = fnv1a(key, strlen(key), h);

        json_object_set_new(obj, key, gen_value(root, sub, kh, depth + 1));
    }
    return obj;
}

static json_t *gen_array(json_t *root, json_t *schema, uint64_t h, int depth)
{
    json_t *arr = json_array();
    long n = (long)num_or(schema, "minItems", 1, NULL);
    bool has_max = false;
    long max = (long)num_or(schema, "maxItems", 0, &has_max);
    json_t *items = json_object_get(schema, "items");

    if (n < 1)
        n = 1;
    if (has_max && n > max)
        n = max;
    if (n > 8)
        n = 8;
    for (long i = 0; i < n && items; i++)
        json_array_append_new(
            arr, gen_value(root, items, h * 31 + (uint64_t)i, depth + 1));
    return arr;
}

static json_t *gen_value(json_t *root, json_t *schema, uint64_t h, int depth)
{
    json_t *e = NULL;
    json_t *alts = NULL;
    const char *type = NULL;
    size_t i = 0;

    schema = resolve_ref(root, schema);
    if (!json_is_object(schema) || depth > FAKE_MAX_DEPTH)
        return json_null();
    if (json_object_get(schema, "const"))
        return json_deep_copy(json_object_get(schema, "const"));
    e = json_object_get(schema, "enum");
    if (json_is_array(e) && json_array_size(e) > 0) {
        size_t n = json_array_size(e);

        for (size_t k = 0; k < n; k++) {
            json_t *c = json_array_get(e, (size_t)((h + k) % n));

            if (!json_is_null(c))
                return json_deep_copy(c);
        }
        return json_null();
    }
    alts = json_object_get(schema, "anyOf");
    if (alts == NULL)
        alts = json_object_get(schema, "oneOf");
    json_array_foreach(alts, i, e)
    {
        const char *t = schema_type(resolve_ref(root, e));

        if (t == NULL || strcmp(t, "null") != 0)
            return gen_value(root, e, h, depth + 1);
    }
    if (json_array_size(alts) > 0)
        return json_null();
    type = schema_type(schema);
    if (type == NULL || strcmp(type, "null") == 0)
        return json_null();
    if (strcmp(type, "object") == 0)
        return gen_object(root, schema, h, depth);
    if (strcmp(type, "array") == 0)
        return gen_array(root, schema, h, depth);
    if (strcmp(type, "string") == 0)
        return gen_string(schema, h);
    if (strcmp(type, "integer") == 0)
        return gen_number(schema, h, true);
    if (strcmp(type, "number") == 0)
        return gen_number(schema, h, false);
    if (strcmp(type, "boolean") == 0)
        return json_boolean(h & 1);
    return json_null();
}

/* The assistant's content for @root (a valid request): new string. */
static char *make_content(json_t *root, uint64_t h, bool invalid)
{
    json_t *rf = json_object_get(root, "response_format");
    const char *type = json_string_value(json_object_get(rf, "type"));
    json_t *schema =
        json_object_get(json_object_get(rf, "json_schema"), "schema");
    json_t *doc = NULL;
    char *text = NULL;

    if (invalid)
        return strdup("{\"unexpected_field\":\"this does not match the "
                      "schema\"}");
    if (type && strcmp(type, "json_schema") == 0 && schema) {
        doc = gen_value(schema, schema, h, 0);
    } else if (type && (strcmp(type, "json_object") == 0 ||
                        strcmp(type, "json_schema") == 0)) {
        doc = json_pack("{s:s}", "answer", "fake completion");
    } else {
        return strdup("This is a fake completion from ccai-fake-openai.");
    }
    text = doc ? json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY |
                                     JSON_REAL_PRECISION(6))
               : NULL;
    json_decref(doc);
    return text;
}

/* ---- answers ----------------------------------------------------------------
 */

static void fmt_reset(char *out, size_t n, long ms)
{
    if (ms < 1000)
        (void)snprintf(out, n, "%ldms", ms);
    else if (ms % 1000 == 0)
        (void)snprintf(out, n, "%lds", ms / 1000);
    else
        (void)snprintf(out, n, "%ld.%03lds", ms / 1000, ms % 1000);
}

static void error_body(struct fake_pending *p,
                       int status,
                       const char *type,
                       const char *code,
                       const char *message,
                       const char *param)
{
    json_t *err = json_pack("{s:s, s:s}", "message", message, "type", type);
    json_t *doc = NULL;

    json_object_set_new(err, "param",
                        param && param[0] ? json_string(param) : json_null());
    json_object_set_new(err, "code",
                        code && code[0] ? json_string(code) : json_null());
    doc = json_pack("{s:o}", "error", err);
    p->status = status;
    p->body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    p->len = p->body ? strlen(p->body) : 0;
    json_decref(doc);
}

static void rule_error(struct fake_pending *p, const struct fake_rule *r)
{
    const char *type = r->error_type[0] ? r->error_type : NULL;
    const char *code = r->error_code[0] ? r->error_code : NULL;
    const char *msg = r->message[0] ? r->message : NULL;

    if (r->status == 429 && code && strcmp(code, "insufficient_quota") == 0) {
        type = type ? type : "insufficient_quota";
        msg = msg ? msg
                  : "You exceeded your current quota, please check your "
                    "plan and billing details.";
    } else if (r->status == 429) {
        type = type ? type : "requests";
        code = code ? code : "rate_limit_exceeded";
        msg = msg ? msg
                  : "Rate limit reached for requests. Please try again "
                    "later.";
    } else if (r->status >= 500) {
        type = type ? type : "server_error";
        msg = msg ? msg
                  : "The server had an error while processing your "
                    "request. Sorry about that!";
    } else if (r->status == 401) {
        type = type ? type : "invalid_request_error";
        code = code ? code : "invalid_api_key";
        msg = msg ? msg : "Incorrect API key provided.";
    } else {
        type = type ? type : "invalid_request_error";
        msg = msg ? msg : "The request was rejected by a scripted rule.";
    }
    error_body(p, r->status, type, code, msg, NULL);
    if (r->retry_after_ms >= 0) {
        char v[32];

        (void)snprintf(v, sizeof(v), "%ld", r->retry_after_ms);
        pending_header(p, "retry-after-ms", v);
        if (r->retry_after_s < 0) {
            (void)snprintf(v, sizeof(v), "%ld",
                           (r->retry_after_ms + 999) / 1000);
            pending_header(p, "retry-after", v);
        }
    }
    if (r->retry_after_s >= 0) {
        char v[32];

        (void)snprintf(v, sizeof(v), "%ld", r->retry_after_s);
        pending_header(p, "retry-after", v);
    }
}

static void completion_body(struct fake *f,
                            struct fake_pending *p,
                            json_t *root,
                            size_t req_len,
                            const struct fake_action *act,
                            uint64_t h)
{
    const struct fake_rule *r = &act->rule;
    const char *model = json_string_value(json_object_get(root, "model"));
    char *content = NULL;
    json_t *msg = NULL;
    json_t *resp = NULL;
    char id[64];
    uint64_t seq = 0;
    long prompt_tokens = (long)(req_len / 4) + 1;
    long completion_tokens = 0;

    if (r->malformed) {
        static const char bad[] = "{\"id\":\"chatcmpl-broken\",\"object\":"
                                  "\"chat.completion\",\"choices\":[{";
        p->status = 200;
        p->body = strdup(bad);
        p->len = sizeof(bad) - 1;
        return;
    }
    pthread_mutex_lock(&f->lock);
    seq = ++f->id_seq;
    pthread_mutex_unlock(&f->lock);
    (void)snprintf(id, sizeof(id), "chatcmpl-fake%016llx",
                   (unsigned long long)seq);
    if (r->refusal) {
        msg = json_pack("{s:s, s:n, s:s}", "role", "assistant", "content",
                        "refusal", r->refusal);
    } else {
        content = make_content(root, h, r->invalid_schema);
        if (content && r->truncated)
            content[strlen(content) / 2] = '\0';
        msg = json_pack("{s:s, s:s, s:n}", "role", "assistant", "content",
                        content ? content : "", "refusal");
        completion_tokens = content ? (long)(strlen(content) / 4) + 1 : 1;
    }
    json_object_set_new(msg, "annotations", json_array());
    resp = json_pack(
        "{s:s, s:s, s:I, s:s, s:[{s:i, s:o, s:n, s:s}], "
        "s:{s:I, s:I, s:I}, s:s, s:s}",
        "id", id, "object", "chat.completion", "created",
        (json_int_t)time(NULL), "model", model ? model : "unknown", "choices",
        "index", 0, "message", msg, "logprobs", "finish_reason",
        r->truncated ? "length" : "stop", "usage", "prompt_tokens",
        (json_int_t)prompt_tokens, "completion_tokens",
        (json_int_t)completion_tokens, "total_tokens",
        (json_int_t)prompt_tokens + (json_int_t)completion_tokens,
        "service_tier", "default", "system_fingerprint", "fp_ccai_fake");
    free(content);
    p->status = 200;
    p->body = resp ? json_dumps(resp, JSON_COMPACT) : NULL;
    p->len = p->body ? strlen(p->body) : 0;
    json_decref(resp);
    if (p->body == NULL)
        error_body(p, 500, "server_error", NULL, "out of memory", NULL);
}

/* Count the request against the fake's own window and add the
 * x-ratelimit-* headers; returns true when an enforced limit is hit. */
static bool ratelimit_headers(struct fake *f,
                              struct fake_pending *p,
                              long tokens,
                              long *reset_ms_out)
{
    char v[32];
    long rem_req = 0;
    long rem_tok = 0;
    long reset_ms = 0;
    long lim_req = 0;
    long lim_tok = 0;
    bool over = false;
    int64_t now = mono_ms();

    pthread_mutex_lock(&f->lock);
    if (now - f->window_start_ms >= f->window_ms) {
        f->window_start_ms = now;
        f->window_req = 0;
        f->window_tok = 0;
    }
    lim_req = f->rpm_limit;
    lim_tok = f->tpm_limit;
    over = f->enforce_limits &&
           (f->window_req >= lim_req || f->window_tok + tokens > lim_tok);
    if (!over) {
        f->window_req++;
        f->window_tok += tokens;
    }
    rem_req = lim_req - f->window_req;
    rem_tok = lim_tok - f->window_tok;
    reset_ms = (long)(f->window_start_ms + f->window_ms - now);
    pthread_mutex_unlock(&f->lock);
    if (rem_req < 0)
        rem_req = 0;
    if (rem_tok < 0)
        rem_tok = 0;
    (void)snprintf(v, sizeof(v), "%ld", lim_req);
    pending_header(p, "x-ratelimit-limit-requests", v);
    (void)snprintf(v, sizeof(v), "%ld", lim_tok);
    pending_header(p, "x-ratelimit-limit-tokens", v);
    (void)snprintf(v, sizeof(v), "%ld", rem_req);
    pending_header(p, "x-ratelimit-remaining-requests", v);
    (void)snprintf(v, sizeof(v), "%ld", rem_tok);
    pending_header(p, "x-ratelimit-remaining-tokens", v);
    fmt_reset(v, sizeof(v), reset_ms);
    pending_header(p, "x-ratelimit-reset-requests", v);
    fmt_reset(v, sizeof(v), reset_ms);
    pending_header(p, "x-ratelimit-reset-tokens", v);
    *reset_ms_out = reset_ms;
    return over;
}

static void record(struct fake *f, const char *body, size_t len, int64_t t)
{
    struct fake_record *rec = NULL;

    pthread_mutex_lock(&f->lock);
    f->requests++;
    f->in_flight++;
    if (f->in_flight > f->max_in_flight)
        f->max_in_flight = f->in_flight;
    rec = &f->ring[f->ring_total % FAKE_RING];
    free(rec->body);
    rec->truncated = len > FAKE_RECORD_MAX;
    rec->body = strndup(body, rec->truncated ? FAKE_RECORD_MAX : len);
    rec->seq = f->ring_total++;
    rec->t_ms = t - f->start_ms;
    pthread_mutex_unlock(&f->lock);
}

/* Send now or later; takes ownership of @p. */
static void dispatch(struct fake *f, struct fake_pending *p, long delay_ms)
{
    if (delay_ms <= 0) {
        pending_send(f, p);
        return;
    }
    pthread_mutex_lock(&f->lock);
    p->due_ms = mono_ms() + delay_ms;
    p->seq = f->pend_seq++;
    if (f->stopping || heap_push(f, p) != 0) {
        pthread_mutex_unlock(&f->lock);
        pending_send(f, p);
        return;
    }
    pthread_cond_signal(&f->cond);
    pthread_mutex_unlock(&f->lock);
}

static bool auth_is_ok(struct http_request *req)
{
    const char *h = http_request_header(req, "Authorization");

    if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
        return false;
    h += 7;
    while (*h == ' ')
        h++;
    return *h != '\0';
}

/* POST /v1/chat/completions; MHD thread. Answers now or defers to the
 * timer thread. */
static void on_chat(struct http_request *req, void *ctx)
{
    struct fake *f = ctx;
    size_t len = 0;
    const char *body = http_request_body(req, &len);
    struct fake_pending *p = calloc(1, sizeof(*p));
    struct fake_action act;
    struct fake_verdict verdict;
    json_t *root = NULL;
    json_error_t jerr;
    long delay = 0;
    long reset_ms = 0;
    double roll = 0;

    record(f, body, len, mono_ms());
    memset(&act, 0, sizeof(act));
    if (p == NULL) {
        http_respond_error(req, CCAI_E_NOMEM, "out of memory");
        pthread_mutex_lock(&f->lock);
        f->in_flight--;
        pthread_mutex_unlock(&f->lock);
        return;
    }
    p->req = req;
    pthread_mutex_lock(&f->lock);
    rules_take(f, body, &act);
    delay = f->latency_ms;
    if (f->jitter_ms > 0)
        delay += (long)(fake_rand01(f) * (double)(f->jitter_ms + 1));
    roll = fake_rand01(f);
    if (!act.from_rule && f->error_rate > 0 && roll < f->error_rate) {
        act.rule.status = 500;
        act.from_rule = true;
    }
    pthread_mutex_unlock(&f->lock);
    if (act.rule.latency_ms >= 0)
        delay = act.rule.latency_ms;

    if (f->auth && !auth_is_ok(req)) {
        error_body(p, 401, "invalid_request_error", NULL,
                   "You didn't provide an API key. You need to provide your "
                   "API key in an Authorization header using Bearer auth "
                   "(i.e. Authorization: Bearer YOUR_KEY).",
                   NULL);
        goto send;
    }
    if (act.rule.status != 0) {
        rule_error(p, &act.rule);
        ratelimit_headers(f, p, 0, &reset_ms);
        goto send;
    }
    root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (validate_request(root, &verdict) != 0) {
        error_body(p, 400, "invalid_request_error", NULL, verdict.message,
                   verdict.param);
        goto send;
    }
    if (ratelimit_headers(f, p, (long)(len / 4) + 64, &reset_ms)) {
        char v[32];

        error_body(p, 429, "requests", "rate_limit_exceeded",
                   "Rate limit reached for requests on the fake "
                   "organisation. Please try again later.",
                   NULL);
        (void)snprintf(v, sizeof(v), "%ld", reset_ms);
        pending_header(p, "retry-after-ms", v);
        goto send;
    }
    completion_body(f, p, root, len, &act,
                    fnv1a(body, len, 14695981039346656037ULL));
send:
    json_decref(root);
    if (act.rule.close)
        p->status = FAKE_CLOSE_STATUS;
    if (act.rule.hang)
        delay = f->hang_max_ms;
    free(act.rule.refusal);
    dispatch(f, p, delay);
}

/* ---- control API
 * ------------------------------------------------------------- */

static long opt_long(json_t *obj, const char *key, long dflt)
{
    json_t *v = json_object_get(obj, key);

    return json_is_integer(v) ? (long)json_integer_value(v) : dflt;
}

/* POST /_control/script; MHD thread. */
static void on_script(struct http_request *req, void *ctx)
{
    struct fake *f = ctx;
    size_t len = 0;
    const char *body = http_request_body(req, &len);
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    json_t *rules = NULL;
    json_t *dflt = NULL;
    struct fake_rule *head = NULL;
    struct fake_rule **tail = &head;
    struct ccai_error err;
    size_t i = 0;
    json_t *r = NULL;
    unsigned n = 0;

    ccai_error_clear(&err);
    if (!json_is_object(root)) {
        http_respond_error(req, CCAI_E_INVALID, "body is not a JSON object");
        goto out;
    }
    rules = json_object_get(root, "rules");
    json_array_foreach(rules, i, r)
    {
        struct fake_rule *rule = rule_parse(
            r, json_string_value(json_object_get(root, "match")), &err);

        if (rule == NULL) {
            rules_free(head);
            if (err.status == CCAI_OK)
                ccai_error_set(&err, CCAI_E_NOMEM, "", "out of memory");
            http_respond_problem(req, &err, NULL);
            goto out;
        }
        *tail = rule;
        tail = &rule->next;
        n++;
    }
    dflt = json_object_get(root, "default");
    pthread_mutex_lock(&f->lock);
    if (rules) {
        if (json_is_true(json_object_get(root, "append"))) {
            struct fake_rule **end = &f->rules;

            while (*end)
                end = &(*end)->next;
            *end = head;
        } else {
            rules_free(f->rules);
            f->rules = head;
        }
    }
    if (json_is_object(dflt)) {
        json_t *er = json_object_get(dflt, "error_rate");

        f->latency_ms = opt_long(dflt, "latency_ms", f->latency_ms);
        f->jitter_ms = opt_long(dflt, "jitter_ms", f->jitter_ms);
        f->hang_max_ms = opt_long(dflt, "hang_max_ms", f->hang_max_ms);
        if (json_is_number(er))
            f->error_rate = json_number_value(er);
        if (json_object_get(dflt, "rpm_limit") ||
            json_object_get(dflt, "tpm_limit")) {
            f->rpm_limit = opt_long(dflt, "rpm_limit", f->rpm_limit);
            f->tpm_limit = opt_long(dflt, "tpm_limit", f->tpm_limit);
            f->window_ms = opt_long(dflt, "window_ms", f->window_ms);
            if (f->window_ms <= 0)
                f->window_ms = FAKE_WINDOW_MS;
            f->enforce_limits = true;
            f->window_start_ms = mono_ms();
            f->window_req = f->window_tok = 0;
        }
    }
    pthread_mutex_unlock(&f->lock);
    http_respond_json(req, 200, json_pack("{s:b, s:i}", "ok", 1, "rules", n),
                      NULL);
out:
    json_decref(root);
}

/* GET /_control/stats; MHD thread. */
static void on_stats(struct http_request *req, void *ctx)
{
    struct fake *f = ctx;
    json_t *by = json_object();
    json_t *root = NULL;
    char key[16];

    pthread_mutex_lock(&f->lock);
    for (int s = 0; s <= FAKE_STATUS_MAX; s++) {
        if (f->by_status[s] == 0)
            continue;
        (void)snprintf(key, sizeof(key), "%d", s == FAKE_CLOSE_STATUS ? 0 : s);
        json_object_set_new(by, s == FAKE_CLOSE_STATUS ? "closed" : key,
                            json_integer((json_int_t)f->by_status[s]));
    }
    root = json_pack("{s:I, s:i, s:i, s:o, s:i}", "requests",
                     (json_int_t)f->requests, "in_flight", (int)f->in_flight,
                     "max_in_flight", (int)f->max_in_flight, "by_status", by,
                     "pending", (int)f->heap_len);
    pthread_mutex_unlock(&f->lock);
    http_respond_json(req, 200, root, NULL);
}

/* GET /_control/requests; MHD thread. */
static void on_requests(struct http_request *req, void *ctx)
{
    struct fake *f = ctx;
    json_t *list = json_array();
    uint64_t first = 0;

    pthread_mutex_lock(&f->lock);
    first = f->ring_total > FAKE_RING ? f->ring_total - FAKE_RING : 0;
    for (uint64_t s = first; s < f->ring_total; s++) {
        const struct fake_record *rec = &f->ring[s % FAKE_RING];

        json_array_append_new(
            list, json_pack("{s:I, s:I, s:s, s:b}", "seq", (json_int_t)rec->seq,
                            "t_ms", (json_int_t)rec->t_ms, "body",
                            rec->body ? rec->body : "", "body_truncated",
                            rec->truncated));
    }
    pthread_mutex_unlock(&f->lock);
    http_respond_json(
        req, 200,
        json_pack("{s:o, s:I}", "requests", list, "dropped", (json_int_t)first),
        NULL);
}

/* Answer every deferred request now (hangs included), so that a reset
 * starts from zero requests in flight. */
static void flush_pending(struct fake *f)
{
    for (;;) {
        struct fake_pending *p = NULL;

        pthread_mutex_lock(&f->lock);
        if (f->heap_len > 0)
            p = heap_pop(f);
        pthread_mutex_unlock(&f->lock);
        if (p == NULL)
            break;
        pending_send(f, p);
    }
}

/* POST /_control/reset; MHD thread. */
static void on_reset(struct http_request *req, void *ctx)
{
    struct fake *f = ctx;

    flush_pending(f);
    pthread_mutex_lock(&f->lock);
    rules_free(f->rules);
    f->rules = NULL;
    f->latency_ms = f->base_latency_ms;
    f->jitter_ms = f->base_jitter_ms;
    f->hang_max_ms = FAKE_HANG_MAX_MS;
    f->error_rate = 0;
    f->rpm_limit = f->base_rpm_limit;
    f->tpm_limit = f->base_tpm_limit;
    f->window_ms = FAKE_WINDOW_MS;
    f->enforce_limits =
        f->rpm_limit != FAKE_DEFAULT_RPM || f->tpm_limit != FAKE_DEFAULT_TPM;
    f->window_start_ms = mono_ms();
    f->window_req = f->window_tok = 0;
    f->requests = 0;
    f->max_in_flight = f->in_flight;
    memset(f->by_status, 0, sizeof(f->by_status));
    for (size_t i = 0; i < FAKE_RING; i++) {
        free(f->ring[i].body);
        f->ring[i].body = NULL;
    }
    f->ring_total = 0;
    pthread_mutex_unlock(&f->lock);
    http_respond_json(req, 200, json_pack("{s:b}", "ok", 1), NULL);
}

/* GET /_control/health; MHD thread. */
static void on_health(struct http_request *req, void *ctx)
{
    (void)ctx;
    http_respond_json(req, 200, json_pack("{s:s}", "status", "ok"), NULL);
}

/* ---- main -----------------------------------------------------------------
 */

static const struct http_route routes[] = {
    {HTTP_POST, "/v1/chat/completions", on_chat, "chat_completions"},
    {HTTP_POST, "/_control/script", on_script, "control_script"},
    {HTTP_GET, "/_control/stats", on_stats, "control_stats"},
    {HTTP_GET, "/_control/requests", on_requests, "control_requests"},
    {HTTP_POST, "/_control/reset", on_reset, "control_reset"},
    {HTTP_GET, "/_control/health", on_health, "control_health"},
};

static void usage(FILE *out)
{
    (void)fprintf(
        out, "usage: ccai-fake-openai [options]\n"
             "A fake OpenAI Chat Completions server on 127.0.0.1 for tests.\n"
             "  --port N          listen port (0 = ephemeral; default 0)\n"
             "  --ready-file PATH write \"url=http://127.0.0.1:PORT/v1\" there "
             "once listening\n"
             "  --latency-ms N    answer every completion after N ms\n"
             "  --jitter-ms N     plus a uniform 0..N ms\n"
             "  --threads N       HTTP threads (default 2)\n"
             "  --rpm-limit N     enforce N requests per minute (429s)\n"
             "  --tpm-limit N     enforce N tokens per minute (429s)\n"
             "  --no-auth         do not require Authorization: Bearer\n"
             "  --help, --version\n"
             "Control API: POST /_control/script, GET /_control/stats,\n"
             "GET /_control/requests, POST /_control/reset (docs/llm.md).\n");
}

struct fake_opts {
    long port, latency_ms, jitter_ms, threads, rpm_limit, tpm_limit;
    bool no_auth;
    const char *ready_file;
};

/* Returns 0 to run, 1 to exit 0 (help/version), -1 on bad usage. */
static int parse_args(int argc, char **argv, struct fake_opts *o)
{
    static const struct option longopts[] = {
        {"port", required_argument, NULL, 'p'},
        {"ready-file", required_argument, NULL, 'r'},
        {"latency-ms", required_argument, NULL, 'l'},
        {"jitter-ms", required_argument, NULL, 'j'},
        {"threads", required_argument, NULL, 't'},
        {"rpm-limit", required_argument, NULL, 'R'},
        {"tpm-limit", required_argument, NULL, 'T'},
        {"no-auth", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    int ch = 0;

    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case 'p':
            if (ccai_parse_long(optarg, 0, 65535, &o->port) != 0)
                return -1;
            break;
        case 'l':
            if (ccai_parse_long(optarg, 0, 600000, &o->latency_ms) != 0)
                return -1;
            break;
        case 'j':
            if (ccai_parse_long(optarg, 0, 600000, &o->jitter_ms) != 0)
                return -1;
            break;
        case 't':
            if (ccai_parse_long(optarg, 1, 64, &o->threads) != 0)
                return -1;
            break;
        case 'R':
            if (ccai_parse_long(optarg, 1, 100000000, &o->rpm_limit) != 0)
                return -1;
            break;
        case 'T':
            if (ccai_parse_long(optarg, 1, 100000000000, &o->tpm_limit) != 0)
                return -1;
            break;
        case 'r':
            o->ready_file = optarg;
            break;
        case 'n':
            o->no_auth = true;
            break;
        case 'h':
            usage(stdout);
            return 1;
        case 'V':
            (void)printf("ccai-fake-openai %s\n", CCAI_VERSION);
            return 1;
        default:
            return -1;
        }
    }
    return optind == argc ? 0 : -1;
}

static int write_ready(const char *path, unsigned port)
{
    char tmp[4096];
    FILE *fp = NULL;

    (void)snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    fp = fopen(tmp, "w");
    if (fp == NULL)
        return -1;
    (void)fprintf(fp, "url=http://127.0.0.1:%u/v1\nport=%u\n", port, port);
    if (fclose(fp) != 0)
        return -1;
    return rename(tmp, path);
}

/* http.h does not expose the bound port, so --port 0 picks a free one
 * first (bind 127.0.0.1:0, read it back) and listens on it; a lost race
 * is retried by the caller. */
static int free_port(void)
{
    struct sockaddr_in addr;
    socklen_t alen = sizeof(addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int port = -1;

    if (fd < 0)
        return -1;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 &&
        getsockname(fd, (struct sockaddr *)&addr, &alen) == 0)
        port = ntohs(addr.sin_port);
    close(fd);
    return port;
}

static void fake_release(struct fake *f)
{
    rules_free(f->rules);
    for (size_t i = 0; i < FAKE_RING; i++)
        free(f->ring[i].body);
    for (size_t i = 0; i < f->heap_len; i++)
        pending_free(f->heap[i]);
    free(f->heap);
    pthread_cond_destroy(&f->cond);
    pthread_mutex_destroy(&f->lock);
}

/* Listen on 127.0.0.1 (a free port when --port 0, retrying a lost race);
 * NULL after printing why. Fills @hc (its port is the bound one). */
static struct http_server *server_start(struct fake *f,
                                        const struct fake_opts *o,
                                        struct http_server_config *hc)
{
    struct http_server *srv = NULL;
    struct ccai_error err;

    ccai_error_clear(&err);
    memset(hc, 0, sizeof(*hc));
    hc->service = "fake_openai";
    hc->bind_addr = "127.0.0.1";
    hc->max_body = FAKE_MAX_BODY;
    hc->threads = (unsigned)o->threads;
    hc->max_connections = 16384;
    hc->idle_timeout_s = 300;
    hc->routes = routes;
    hc->n_routes = sizeof(routes) / sizeof(routes[0]);
    hc->ctx = f;
    for (int tries = 0; tries < 20 && srv == NULL; tries++) {
        long port = o->port ? o->port : free_port();

        ccai_error_clear(&err);
        if (port <= 0)
            continue;
        hc->port = (uint16_t)port;
        srv = http_server_start(hc, &err);
        if (o->port)
            break; /* a fixed port is not retried */
    }
    if (srv == NULL)
        (void)fprintf(stderr, "ccai-fake-openai: %s\n", err.message);
    return srv;
}

int main(int argc, char **argv)
{
    struct fake_opts o = {0,     0,   0, 2, FAKE_DEFAULT_RPM, FAKE_DEFAULT_TPM,
                          false, NULL};
    struct fake *f = NULL;
    struct http_server *srv = NULL;
    struct http_server_config hc;
    pthread_condattr_t ca;
    pthread_t timer;
    bool timer_started = false;
    int rc = 1;
    int pr = parse_args(argc, argv, &o);

    if (pr == 1)
        return 0;
    if (pr != 0) {
        usage(stderr);
        return 2;
    }
    ccai_log_init("fake-openai", CCAI_LOG_INFO);
    if (ccai_shutdown_install() != 0)
        return 1;
    f = calloc(1, sizeof(*f));
    if (f == NULL)
        return 1;
    pthread_mutex_init(&f->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&f->cond, &ca);
    pthread_condattr_destroy(&ca);
    f->auth = !o.no_auth;
    f->base_latency_ms = f->latency_ms = o.latency_ms;
    f->base_jitter_ms = f->jitter_ms = o.jitter_ms;
    f->hang_max_ms = FAKE_HANG_MAX_MS;
    f->base_rpm_limit = f->rpm_limit = o.rpm_limit;
    f->base_tpm_limit = f->tpm_limit = o.tpm_limit;
    f->window_ms = FAKE_WINDOW_MS;
    f->enforce_limits =
        o.rpm_limit != FAKE_DEFAULT_RPM || o.tpm_limit != FAKE_DEFAULT_TPM;
    f->start_ms = f->window_start_ms = mono_ms();
    if (getrandom(&f->rng, sizeof(f->rng), 0) != (ssize_t)sizeof(f->rng) ||
        f->rng == 0)
        f->rng = 0x9e3779b97f4a7c15ULL;
    if (pthread_create(&timer, NULL, timer_main, f) != 0)
        goto out;
    timer_started = true;

    srv = server_start(f, &o, &hc);
    if (srv == NULL)
        goto out;
    if (o.ready_file && write_ready(o.ready_file, hc.port) != 0) {
        (void)fprintf(stderr, "ccai-fake-openai: cannot write '%s': %s\n",
                      o.ready_file, strerror(errno));
        goto out;
    }
    LOG_INFO("fake", "listening on 127.0.0.1:%u", (unsigned)hc.port);
    while (!ccai_shutdown_requested())
        ccai_shutdown_sleep_ms(1000);
    rc = 0;
out:
    if (timer_started) {
        /* answer everything deferred (hangs included) before MHD stops */
        pthread_mutex_lock(&f->lock);
        f->stopping = true;
        pthread_cond_signal(&f->cond);
        pthread_mutex_unlock(&f->lock);
        pthread_join(timer, NULL);
    }
    http_server_stop(srv, 2000);
    fake_release(f);
    free(f);
    return rc;
}
