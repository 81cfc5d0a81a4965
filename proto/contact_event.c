/* contact_event - ContactEvent v1 (PRODUCT.md section 3): parse with
 * jansson, validate every rule (each violation with its JSON pointer),
 * map CloudEvents structured events, stamp the ingress envelope and
 * serialise in a stable key order. Pure: no I/O, no logging. Any thread;
 * a struct contact_event is used by one thread at a time. */
#include "contact_event.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_fast.h"
#include "json_limits.h"

#include "banned.h"

#define SHORT_MAX      128 /* queue, segment_id, ids of people, tenant_id */
#define NAME_MAX_CHARS 256 /* participant.name, customer.name */
#define LANGUAGE_MAX   64
#define ATTR_KEY_MAX   64
#define ATTR_VALUE_MAX 1024 /* characters (code points) */
#define POINTER_MAX    sizeof(((struct ccai_violation *)0)->pointer)

enum field_kind {
    F_SCHEMA_VERSION,
    F_ID,
    F_TYPE,
    F_CHANNEL,
    F_DATE_TIME,
    F_COUNT,
    F_PARTICIPANT,
    F_TEXT,
    F_SHORT,
    F_BOOL,
    F_LANGUAGE,
    F_CUSTOMER,
    F_ATTRIBUTES,
};

struct field_spec {
    const char *name;
    enum field_kind kind;
    bool record_only; /* envelope: written by the ingress */
    bool required;
};

/* Every top-level field, in the order contact_event_to_json writes them. */
static const struct field_spec fields[] = {
    {"schema_version", F_SCHEMA_VERSION, true, false},
    {"event_id", F_ID, false, false},
    {"contact_id", F_ID, false, true},
    {"tenant_id", F_SHORT, true, false},
    {"type", F_TYPE, false, true},
    {"channel", F_CHANNEL, false, false},
    {"occurred_at", F_DATE_TIME, false, false},
    {"received_at", F_DATE_TIME, true, false},
    {"sequence", F_COUNT, false, false},
    {"participant", F_PARTICIPANT, false, false},
    {"text", F_TEXT, false, false},
    {"segment_id", F_SHORT, false, false},
    {"is_partial", F_BOOL, false, false},
    {"start_ms", F_COUNT, false, false},
    {"end_ms", F_COUNT, false, false},
    {"language", F_LANGUAGE, false, false},
    {"customer", F_CUSTOMER, false, false},
    {"queue", F_SHORT, false, false},
    {"attributes", F_ATTRIBUTES, false, false},
    {"trace", F_SHORT, true, false},
};

#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

static const char *const type_names[] = {
    [CONTACT_STARTED] = "contact.started",
    [MESSAGE_RECEIVED] = "message.received",
    [TRANSCRIPT_SEGMENT] = "transcript.segment",
    [CONTACT_UPDATED] = "contact.updated",
    [CONTACT_ENDED] = "contact.ended",
};

#define N_TYPES (sizeof(type_names) / sizeof(type_names[0]))

static const char *const channels[] = {"voice", "chat", "email", "sms",
                                       "social"};
static const char *const roles[] = {"customer", "agent", "bot", "system"};

#define TYPE_LIST                                             \
    "contact.started, message.received, transcript.segment, " \
    "contact.updated, contact.ended"
#define CHANNEL_LIST "voice, chat, email, sms, social"
#define ROLE_LIST    "customer, agent, bot, system"
#define ID_RULE      "must be 1 to 128 characters of A-Za-z0-9._:-"
#define DATE_RULE                                                    \
    "must be an RFC 3339 date-time such as 2026-11-26T23:45:00Z or " \
    "2026-11-26T23:45:00.123+01:00"

/* One validation run: where violations go and how many were found
 * (counted here because @err may be NULL). */
struct check {
    struct ccai_error *err;
    const char *prefix; /* "" or e.g. "/3", "/data" */
    unsigned n;
};

/* ---- small predicates ---------------------------------------------- */

static bool is_id_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' ||
           c == '-';
}

static bool is_alpha(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool id_is_valid_max(const char *s, size_t max)
{
    size_t i = 0;

    if (s == NULL)
        return false;
    for (i = 0; s[i] != '\0'; i++) {
        if (i >= max || !is_id_char((unsigned char)s[i]))
            return false;
    }
    return i > 0;
}

bool contact_event_id_is_valid(const char *s)
{
    return id_is_valid_max(s, CONTACT_EVENT_ID_MAX);
}

/* Number of code points of valid UTF-8 @s (jansson validated it). */
static size_t utf8_chars(const char *s, size_t len)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    }
    return n;
}

/* Parse exactly @n digits at @s into @out. */
static bool digits(const char *s, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (!is_digit((unsigned char)s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

    if (month == 2 && leap)
        return 29;
    return days[month - 1];
}

/* RFC 3339 section 5.6 date-time, strictly: YYYY-MM-DDTHH:MM:SS, an
 * optional fraction of 1 to 9 digits, then Z or +hh:mm / -hh:mm.
 * Uppercase T and Z only; seconds may be 60 (leap second). */
static bool is_date_time(const char *s)
{
    int year = 0, month = 0, day = 0, hour = 0, min = 0, sec = 0;
    size_t i = 0;

    if (s == NULL || strnlen(s, 20) < 20)
        return false;
    if (!digits(s, 4, &year) || s[4] != '-' || !digits(s + 5, 2, &month) ||
        s[7] != '-' || !digits(s + 8, 2, &day) || s[10] != 'T' ||
        !digits(s + 11, 2, &hour) || s[13] != ':' || !digits(s + 14, 2, &min) ||
        s[16] != ':' || !digits(s + 17, 2, &sec))
        return false;
    if (month < 1 || month > 12 || day < 1 ||
        day > days_in_month(year, month) || hour > 23 || min > 59 || sec > 60)
        return false;
    i = 19;
    if (s[i] == '.') {
        size_t start = ++i;
        while (is_digit((unsigned char)s[i]))
            i++;
        if (i == start || i - start > 9)
            return false;
    }
    if (s[i] == 'Z')
        return s[i + 1] == '\0';
    if (s[i] != '+' && s[i] != '-')
        return false;
    if (strnlen(s + i, 7) != 6 || !digits(s + i + 1, 2, &hour) ||
        s[i + 3] != ':' || !digits(s + i + 4, 2, &min))
        return false;
    return hour <= 23 && min <= 59;
}

/* BCP 47, pragmatically: ^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$, <= 64. */
static bool is_language(const char *s)
{
    size_t i = 0, n = 0;

    if (s == NULL || strnlen(s, LANGUAGE_MAX + 1) > LANGUAGE_MAX)
        return false;
    while (is_alpha((unsigned char)s[i]))
        i++;
    if (i < 2 || i > 3)
        return false;
    while (s[i] == '-') {
        i++;
        n = 0;
        while (is_alpha((unsigned char)s[i]) || is_digit((unsigned char)s[i])) {
            i++;
            n++;
        }
        if (n < 1 || n > 8)
            return false;
    }
    return s[i] == '\0';
}

static bool in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s, list[i]) == 0)
            return true;
    }
    return false;
}

/* ---- violations ---------------------------------------------------- */

/* Append "/" and @key escaped per RFC 6901 to @out (size @size);
 * false when it does not fit. */
static bool pointer_append(char *out, size_t size, const char *key)
{
    size_t n = strlen(out);

    if (n + 1 >= size)
        return false;
    out[n++] = '/';
    for (const char *k = key; *k != '\0'; k++) {
        const char *rep = NULL;
        char one[2] = {*k, '\0'};

        if (*k == '~')
            rep = "~0";
        else if (*k == '/')
            rep = "~1";
        else
            rep = one;
        for (const char *r = rep; *r != '\0'; r++) {
            if (n + 1 >= size)
                return false;
            out[n++] = *r;
        }
    }
    out[n] = '\0';
    return true;
}

/* Report a violation at @prefix + @parent (+ "/" + @key when not NULL).
 * A pointer too long for struct ccai_violation is replaced by the
 * parent's, and the message says so: a truncated pointer would lie. */
static void violation(struct check *chk,
                      const char *parent,
                      const char *key,
                      const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));

static void violation(struct check *chk,
                      const char *parent,
                      const char *key,
                      const char *fmt,
                      ...)
{
    char ptr[POINTER_MAX];
    char msg[sizeof(((struct ccai_violation *)0)->message)];
    bool fits = true;
    va_list ap;

    chk->n++;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    (void)snprintf(ptr, sizeof(ptr), "%s%s", chk->prefix, parent);
    if (key != NULL) {
        char full[POINTER_MAX];

        memcpy(full, ptr, sizeof(full));
        fits = pointer_append(full, sizeof(full), key);
        if (fits)
            memcpy(ptr, full, sizeof(ptr));
    }
    if (fits)
        ccai_error_add(chk->err, ptr, "%s", msg);
    else
        ccai_error_add(chk->err, ptr,
                       "a field with a name too long to "
                       "point at: %s",
                       msg);
}

/* ---- field checks -------------------------------------------------- */

static bool
check_string(struct check *chk, const char *parent, const char *key, json_t *v)
{
    if (json_is_string(v))
        return true;
    violation(chk, parent, key, "must be a string");
    return false;
}

/* A string of @min..@max code points. */
static void check_chars(struct check *chk,
                        const char *parent,
                        const char *key,
                        json_t *v,
                        size_t min,
                        size_t max)
{
    size_t n = 0;

    if (!check_string(chk, parent, key, v))
        return;
    n = utf8_chars(json_string_value(v), json_string_length(v));
    if (n < min || n > max)
        violation(chk, parent, key, "must be %zu to %zu characters", min, max);
}

static void check_enum(struct check *chk,
                       const char *parent,
                       const char *key,
                       json_t *v,
                       const char *const *list,
                       size_t n,
                       const char *names)
{
    if (!check_string(chk, parent, key, v))
        return;
    if (!in_list(json_string_value(v), list, n))
        violation(chk, parent, key, "must be one of: %s", names);
}

/* Reject members of object @obj (at @parent) not named in @allowed. */
static void check_members(struct check *chk,
                          const char *parent,
                          json_t *obj,
                          const char *const *allowed,
                          size_t n)
{
    const char *key = NULL;
    json_t *v = NULL;

    json_object_foreach(obj, key, v)
    {
        if (!in_list(key, allowed, n))
            violation(chk, parent, key, "unknown field");
    }
}

static void check_participant(struct check *chk, json_t *v)
{
    static const char *const allowed[] = {"role", "id", "name"};
    json_t *role = NULL, *id = NULL, *name = NULL;

    if (!json_is_object(v)) {
        violation(chk, "", "participant", "must be an object");
        return;
    }
    check_members(chk, "/participant", v, allowed, 3);
    role = json_object_get(v, "role");
    if (role == NULL)
        violation(chk, "/participant", "role", "is required");
    else
        check_enum(chk, "/participant", "role", role, roles, 4, ROLE_LIST);
    id = json_object_get(v, "id");
    if (id != NULL)
        check_chars(chk, "/participant", "id", id, 1, SHORT_MAX);
    name = json_object_get(v, "name");
    if (name != NULL)
        check_chars(chk, "/participant", "name", name, 1, NAME_MAX_CHARS);
}

static void check_customer(struct check *chk, json_t *v)
{
    static const char *const allowed[] = {"id", "tier", "name"};
    json_t *m = NULL;

    if (!json_is_object(v)) {
        violation(chk, "", "customer", "must be an object");
        return;
    }
    check_members(chk, "/customer", v, allowed, 3);
    m = json_object_get(v, "id");
    if (m != NULL)
        check_chars(chk, "/customer", "id", m, 1, SHORT_MAX);
    m = json_object_get(v, "tier");
    if (m != NULL)
        check_chars(chk, "/customer", "tier", m, 1, SHORT_MAX);
    m = json_object_get(v, "name");
    if (m != NULL)
        check_chars(chk, "/customer", "name", m, 1, NAME_MAX_CHARS);
}

static void check_attributes(struct check *chk, json_t *v)
{
    const char *key = NULL;
    json_t *m = NULL;

    if (!json_is_object(v)) {
        violation(chk, "", "attributes", "must be an object");
        return;
    }
    if (json_object_size(v) > CONTACT_EVENT_MAX_ATTRS)
        violation(chk, "", "attributes", "must have at most %d entries",
                  CONTACT_EVENT_MAX_ATTRS);
    json_object_foreach(v, key, m)
    {
        if (!id_is_valid_max(key, ATTR_KEY_MAX)) {
            violation(chk, "/attributes", key,
                      "name must be 1 to %d characters of A-Za-z0-9._:-",
                      ATTR_KEY_MAX);
            continue;
        }
        if (!check_string(chk, "/attributes", key, m))
            continue;
        if (utf8_chars(json_string_value(m), json_string_length(m)) >
            ATTR_VALUE_MAX)
            violation(chk, "/attributes", key, "must be at most %d characters",
                      ATTR_VALUE_MAX);
    }
}

static void check_count(struct check *chk, const char *key, json_t *v)
{
    if (!json_is_integer(v))
        violation(chk, "", key, "must be an integer");
    else if (json_integer_value(v) < 0)
        violation(chk, "", key, "must be >= 0");
}

static void
check_field(struct check *chk, const struct field_spec *spec, json_t *v)
{
    const char *key = spec->name;

    switch (spec->kind) {
    case F_SCHEMA_VERSION:
        if (!json_is_integer(v) ||
            json_integer_value(v) != CONTACT_EVENT_SCHEMA_VERSION)
            violation(chk, "", key, "must be %d", CONTACT_EVENT_SCHEMA_VERSION);
        break;
    case F_ID:
        if (check_string(chk, "", key, v) &&
            !contact_event_id_is_valid(json_string_value(v)))
            violation(chk, "", key, ID_RULE);
        break;
    case F_TYPE:
        check_enum(chk, "", key, v, type_names, N_TYPES, TYPE_LIST);
        break;
    case F_CHANNEL:
        check_enum(chk, "", key, v, channels, 5, CHANNEL_LIST);
        break;
    case F_DATE_TIME:
        if (check_string(chk, "", key, v) &&
            !is_date_time(json_string_value(v)))
            violation(chk, "", key, DATE_RULE);
        break;
    case F_COUNT:
        check_count(chk, key, v);
        break;
    case F_PARTICIPANT:
        check_participant(chk, v);
        break;
    case F_TEXT:
        if (check_string(chk, "", key, v) &&
            json_string_length(v) > (size_t)CONTACT_EVENT_TEXT_MAX)
            violation(chk, "", key, "must be at most %d bytes of UTF-8",
                      CONTACT_EVENT_TEXT_MAX);
        break;
    case F_SHORT:
        check_chars(chk, "", key, v, 1, SHORT_MAX);
        break;
    case F_BOOL:
        if (!json_is_boolean(v))
            violation(chk, "", key, "must be a boolean");
        break;
    case F_LANGUAGE:
        if (check_string(chk, "", key, v) && !is_language(json_string_value(v)))
            violation(chk, "", key,
                      "must be a BCP 47 language tag such as en or pt-BR");
        break;
    case F_CUSTOMER:
        check_customer(chk, v);
        break;
    case F_ATTRIBUTES:
        check_attributes(chk, v);
        break;
    }
}

static const struct field_spec *find_field(const char *name)
{
    for (size_t i = 0; i < N_FIELDS; i++) {
        if (strcmp(fields[i].name, name) == 0)
            return &fields[i];
    }
    return NULL;
}

/* Rules that depend on the (valid) type, and between fields. */
static void check_cross(struct check *chk, json_t *root)
{
    enum contact_event_type type = CONTACT_STARTED;
    json_t *type_v = json_object_get(root, "type");
    json_t *start = json_object_get(root, "start_ms");
    json_t *end = json_object_get(root, "end_ms");

    if (json_is_string(type_v) &&
        contact_event_type_parse(json_string_value(type_v), &type) == 0) {
        const char *name = type_names[type];

        if (type == CONTACT_STARTED && json_object_get(root, "channel") == NULL)
            violation(chk, "", "channel", "is required on %s", name);
        if (type == MESSAGE_RECEIVED || type == TRANSCRIPT_SEGMENT) {
            if (json_object_get(root, "participant") == NULL)
                violation(chk, "", "participant", "is required on %s", name);
            if (json_object_get(root, "text") == NULL)
                violation(chk, "", "text", "is required on %s", name);
        }
        if (type != TRANSCRIPT_SEGMENT &&
            json_object_get(root, "is_partial") != NULL)
            violation(chk, "", "is_partial",
                      "is allowed only on transcript.segment");
    }
    if (json_is_integer(start) && json_is_integer(end) &&
        json_integer_value(start) >= 0 && json_integer_value(end) >= 0 &&
        json_integer_value(end) < json_integer_value(start))
        violation(chk, "", "end_ms", "must be >= start_ms");
}

/* Validate @root without clearing @chk->err; violations are counted in
 * chk->n. */
static void
check_event(struct check *chk, json_t *root, enum contact_event_mode mode)
{
    const char *key = NULL;
    json_t *v = NULL;

    if (!json_is_object(root)) {
        violation(chk, "", NULL, "must be a JSON object");
        return;
    }
    json_object_foreach(root, key, v)
    {
        const struct field_spec *spec = find_field(key);

        if (spec == NULL)
            violation(chk, "", key, "unknown field");
        else if (spec->record_only && mode == CONTACT_EVENT_REQUEST)
            violation(chk, "", key,
                      "unknown field (the ingress sets it, clients may not)");
    }
    for (size_t i = 0; i < N_FIELDS; i++) {
        const struct field_spec *spec = &fields[i];

        if (spec->record_only && mode == CONTACT_EVENT_REQUEST)
            continue;
        v = json_object_get(root, spec->name);
        if (v == NULL) {
            if (spec->required)
                violation(chk, "", spec->name, "is required");
            continue;
        }
        check_field(chk, spec, v);
    }
    check_cross(chk, root);
}

/* ---- views --------------------------------------------------------- */

static const char *get_str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key)); /* NULL-safe */
}

static void fill_views(struct contact_event *ev)
{
    json_t *root = ev->root;
    json_t *text = json_object_get(root, "text");
    json_t *seq = json_object_get(root, "sequence");

    ev->event_id = get_str(root, "event_id");
    ev->contact_id = get_str(root, "contact_id");
    ev->type = CONTACT_STARTED;
    if (get_str(root, "type") != NULL)
        (void)contact_event_type_parse(get_str(root, "type"), &ev->type);
    ev->channel = get_str(root, "channel");
    ev->role = get_str(json_object_get(root, "participant"), "role");
    ev->text = json_string_value(text);
    ev->text_len = json_string_length(text);
    ev->is_partial = json_is_true(json_object_get(root, "is_partial"));
    ev->sequence = json_is_integer(seq) ? json_integer_value(seq) : -1;
    ev->segment_id = get_str(root, "segment_id");
    ev->language = get_str(root, "language");
    ev->queue = get_str(root, "queue");
    ev->customer_tier = get_str(json_object_get(root, "customer"), "tier");
    ev->occurred_at = get_str(root, "occurred_at");
    ev->tenant_id = get_str(root, "tenant_id");
    ev->received_at = get_str(root, "received_at");
    ev->trace = get_str(root, "trace");
}

static void event_reset(struct contact_event *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->sequence = -1;
}

/* ---- entry points -------------------------------------------------- */

/* Replace bytes that are not printable ASCII: jansson's messages quote
 * the input, which may hold anything. */
static void sanitize(char *s)
{
    for (; *s != '\0'; s++) {
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7E)
            *s = '?';
    }
}

/* Depth check and json_loadb; NULL with a violation at "" on failure. */
static json_t *load(const char *body, size_t len, struct check *chk)
{
    json_error_t jerr;
    json_t *root = NULL;

    if (body == NULL) {
        violation(chk, "", NULL, "body is empty");
        return NULL;
    }
    if (json_limits_check_depth(body, len, CONTACT_EVENT_MAX_DEPTH) != 0) {
        violation(chk, "", NULL, "JSON nested deeper than %d levels",
                  CONTACT_EVENT_MAX_DEPTH);
        return NULL;
    }
    root = json_fast_loadb(body, len, &jerr);
    if (root != NULL)
        return root;
    sanitize(jerr.text);
    if (json_error_code(&jerr) == json_error_invalid_utf8)
        violation(chk, "", NULL, "body is not valid UTF-8 (byte %d)",
                  jerr.position);
    else
        violation(chk, "", NULL,
                  "body is not valid JSON: %s (line %d, "
                  "column %d)",
                  jerr.text, jerr.line, jerr.column);
    return NULL;
}

int contact_event_from_json(json_t *root,
                            enum contact_event_mode mode,
                            const char *prefix,
                            struct contact_event *ev,
                            struct ccai_error *err)
{
    struct check chk = {err, prefix != NULL ? prefix : "", 0};

    event_reset(ev);
    ccai_error_clear(err);
    check_event(&chk, root, mode);
    if (chk.n > 0)
        return -1;
    ev->root = json_incref(root);
    fill_views(ev);
    return 0;
}

int contact_event_parse(const char *body,
                        size_t len,
                        enum contact_event_mode mode,
                        struct contact_event *ev,
                        struct ccai_error *err)
{
    struct check chk = {err, "", 0};
    json_t *root = NULL;
    int rc = -1;

    event_reset(ev);
    ccai_error_clear(err);
    root = load(body, len, &chk);
    if (root == NULL)
        goto out;
    check_event(&chk, root, mode);
    if (chk.n > 0)
        goto out;
    ev->root = json_incref(root);
    fill_views(ev);
    rc = 0;
out:
    json_decref(root);
    return rc;
}

/* CloudEvents context attributes we know (CloudEvents 1.0 core and
 * optional); anything else must be an extension attribute. */
static const char *const ce_known[] = {
    "specversion", "id",      "source", "type", "datacontenttype",
    "dataschema",  "subject", "time",   "data",
};

#define N_CE_KNOWN (sizeof(ce_known) / sizeof(ce_known[0]))

static bool is_extension_name(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s != '\0'; s++) {
        if (!((*s >= 'a' && *s <= 'z') || is_digit((unsigned char)*s)))
            return false;
    }
    return true;
}

static void
check_nonempty(struct check *chk, json_t *root, const char *key, bool required)
{
    json_t *v = json_object_get(root, key);

    if (v == NULL) {
        if (required)
            violation(chk, "", key, "is required");
        return;
    }
    if (check_string(chk, "", key, v) && json_string_length(v) == 0)
        violation(chk, "", key, "must not be empty");
}

static bool is_json_media_type(const char *s)
{
    static const char json_type[] = "application/json";
    size_t n = sizeof(json_type) - 1;

    return strncmp(s, json_type, n) == 0 && (s[n] == '\0' || s[n] == ';');
}

static void check_ce_attributes(struct check *chk, json_t *root)
{
    const char *key = NULL;
    json_t *v = NULL;

    json_object_foreach(root, key, v)
    {
        if (in_list(key, ce_known, N_CE_KNOWN))
            continue;
        if (strcmp(key, "data_base64") == 0)
            violation(chk, "", key,
                      "is not supported: data must be a JSON "
                      "object");
        else if (!is_extension_name(key))
            violation(chk, "", key,
                      "unknown attribute (extension names are "
                      "lowercase letters and digits)");
        else if (!json_is_string(v) && !json_is_number(v) &&
                 !json_is_boolean(v))
            violation(chk, "", key, "must be a string, number or boolean");
    }
    v = json_object_get(root, "specversion");
    if (v == NULL)
        violation(chk, "", "specversion", "is required");
    else if (check_string(chk, "", "specversion", v) &&
             strcmp(json_string_value(v), "1.0") != 0)
        violation(chk, "", "specversion", "must be \"1.0\"");
    v = json_object_get(root, "id");
    if (v == NULL)
        violation(chk, "", "id", "is required");
    else if (check_string(chk, "", "id", v) &&
             !contact_event_id_is_valid(json_string_value(v)))
        violation(chk, "", "id", ID_RULE);
    check_nonempty(chk, root, "source", true);
    check_nonempty(chk, root, "type", true);
    check_nonempty(chk, root, "subject", false);
    check_nonempty(chk, root, "dataschema", false);
    v = json_object_get(root, "datacontenttype");
    if (v != NULL && check_string(chk, "", "datacontenttype", v) &&
        !is_json_media_type(json_string_value(v)))
        violation(chk, "", "datacontenttype", "must be application/json");
    v = json_object_get(root, "time");
    if (v != NULL && check_string(chk, "", "time", v) &&
        !is_date_time(json_string_value(v)))
        violation(chk, "", "time", DATE_RULE);
}

/* Map the envelope onto data before validating it: id -> event_id (a
 * different data.event_id is a violation), time -> occurred_at when data
 * has none. */
static int map_ce_data(struct check *chk, json_t *root, json_t *data)
{
    const char *id = get_str(root, "id");
    const char *time = get_str(root, "time");
    json_t *data_id = json_object_get(data, "event_id");

    if (contact_event_id_is_valid(id)) {
        if (data_id == NULL) {
            if (json_object_set_new(data, "event_id", json_string(id)) != 0)
                return -1;
        } else if (json_is_string(data_id) &&
                   contact_event_id_is_valid(json_string_value(data_id)) &&
                   strcmp(json_string_value(data_id), id) != 0) {
            violation(chk, "", "event_id", "must equal the CloudEvents id");
        }
    }
    if (is_date_time(time) && json_object_get(data, "occurred_at") == NULL) {
        if (json_object_set_new(data, "occurred_at", json_string(time)) != 0)
            return -1;
    }
    return 0;
}

int contact_event_parse_cloudevent(const char *body,
                                   size_t len,
                                   struct contact_event *ev,
                                   struct ccai_error *err)
{
    struct check chk = {err, "", 0};
    struct check data_chk = {err, "/data", 0};
    json_t *root = NULL;
    json_t *data = NULL;
    int rc = -1;

    event_reset(ev);
    ccai_error_clear(err);
    root = load(body, len, &chk);
    if (root == NULL)
        goto out;
    if (!json_is_object(root)) {
        violation(&chk, "", NULL, "must be a JSON object");
        goto out;
    }
    check_ce_attributes(&chk, root);
    data = json_object_get(root, "data");
    if (data == NULL) {
        violation(&chk, "", "data", "is required");
        goto out;
    }
    if (!json_is_object(data)) {
        violation(&chk, "", "data", "must be a JSON object");
        goto out;
    }
    if (map_ce_data(&data_chk, root, data) != 0) {
        ccai_error_set(err, CCAI_E_NOMEM, "", "out of memory");
        chk.n++;
        goto out;
    }
    check_event(&data_chk, data, CONTACT_EVENT_REQUEST);
    if (chk.n > 0 || data_chk.n > 0)
        goto out;
    ev->root = json_incref(data);
    fill_views(ev);
    rc = 0;
out:
    json_decref(root);
    return rc;
}

static bool is_short(const char *s)
{
    size_t len = 0;

    if (s == NULL)
        return false;
    len = strlen(s);
    return len > 0 && utf8_chars(s, len) <= SHORT_MAX;
}

/* One envelope value to stamp, copied into a json_t before the event
 * changes: the caller may pass views of the event itself (the processor
 * re-stamps a record with its own fields). */
struct stamp {
    const char *key;
    const char *value; /* NULL: leave the field alone */
    bool (*valid)(const char *);
    json_t *copy; /* new */
};

static int stamp_copy(struct stamp *st, struct ccai_error *err)
{
    if (st->value == NULL)
        return 0;
    if (!st->valid(st->value))
        return ccai_error_set(err, CCAI_E_INVALID, st->key,
                              "cannot stamp an invalid %s", st->key);
    st->copy = json_string(st->value);
    if (st->copy == NULL)
        return ccai_error_set(err, CCAI_E_INVALID, st->key,
                              "cannot stamp %s: not UTF-8", st->key);
    return 0;
}

int contact_event_stamp(struct contact_event *ev,
                        const char *generated_id,
                        const char *tenant_id,
                        const char *received_at,
                        const char *trace,
                        struct ccai_error *err)
{
    json_t *root = ev->root;
    bool has_id = json_object_get(root, "event_id") != NULL;
    bool has_occurred = json_object_get(root, "occurred_at") != NULL;
    struct stamp st[] = {
        {"event_id", has_id ? NULL : generated_id, contact_event_id_is_valid,
         NULL},
        {"occurred_at", has_occurred ? NULL : received_at, is_date_time, NULL},
        {"received_at", received_at, is_date_time, NULL},
        {"tenant_id", tenant_id, is_short, NULL},
        {"trace", trace, is_short, NULL},
    };
    size_t n = sizeof(st) / sizeof(st[0]);
    int rc = -1;

    if (root == NULL)
        return ccai_error_set(err, CCAI_E_INTERNAL, "", "no event to stamp");
    for (size_t i = 0; i < n; i++) {
        if (stamp_copy(&st[i], err) != 0)
            goto out;
    }
    /* nothing changed so far: a failure above leaves the event intact */
    for (size_t i = 0; i < n; i++) {
        if (st[i].copy == NULL)
            continue;
        if (json_object_set_new(root, st[i].key, st[i].copy) != 0) {
            st[i].copy = NULL; /* set_new consumed it */
            ccai_error_set(err, CCAI_E_NOMEM, st[i].key, "out of memory");
            goto out;
        }
        st[i].copy = NULL;
    }
    if (json_object_set_new(root, "schema_version",
                            json_integer(CONTACT_EVENT_SCHEMA_VERSION)) != 0) {
        ccai_error_set(err, CCAI_E_NOMEM, "", "out of memory");
        goto out;
    }
    rc = 0;
out:
    for (size_t i = 0; i < n; i++)
        json_decref(st[i].copy);
    fill_views(ev); /* json_object_set_new may have replaced values */
    return rc;
}

/* Output of contact_event_to_buf: writes what fits, counts everything. */
struct json_sink {
    char *buf;
    size_t size;
    size_t len; /* bytes the full text needs, without the NUL */
};

static void sink_write(struct json_sink *sink, const char *data, size_t n)
{
    if (sink->len < sink->size) {
        size_t room = sink->size - sink->len;

        memcpy(sink->buf + sink->len, data, n < room ? n : room);
    }
    sink->len += n;
}

static int sink_jansson(const char *data, size_t n, void *arg)
{
    sink_write(arg, data, n);
    return 0;
}

/* A JSON string exactly as jansson's compact dump writes it: only '"',
 * '\\' and control characters are escaped (\uXXXX upper case); jansson
 * strings are valid UTF-8, so every other byte passes through. */
static void sink_string(struct json_sink *sink, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t run = 0;

    sink_write(sink, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t n = 2;

        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        sink_write(sink, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"':
        case '\\':
            esc[1] = (char)c;
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 0x0f];
            n = 6;
            break;
        }
        sink_write(sink, esc, n);
    }
    sink_write(sink, s + run, len - run);
    sink_write(sink, "\"", 1);
}

/* Compact JSON of @v, byte for byte what json_dumps(JSON_COMPACT) gives,
 * without its per-call allocations (a loop-check table per dump). */
static int sink_value(struct json_sink *sink, json_t *v, int depth)
{
    char num[32];
    const char *key = NULL;
    json_t *item = NULL;
    size_t idx = 0;
    bool first = true;
    int n = 0;

    if (depth > CONTACT_EVENT_MAX_DEPTH + 1)
        return -1;
    switch (json_typeof(v)) {
    case JSON_NULL:
        sink_write(sink, "null", 4);
        return 0;
    case JSON_TRUE:
        sink_write(sink, "true", 4);
        return 0;
    case JSON_FALSE:
        sink_write(sink, "false", 5);
        return 0;
    case JSON_INTEGER:
        n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
                     json_integer_value(v));
        if (n < 0 || (size_t)n >= sizeof(num))
            return -1;
        sink_write(sink, num, (size_t)n);
        return 0;
    case JSON_STRING:
        sink_string(sink, json_string_value(v), json_string_length(v));
        return 0;
    case JSON_ARRAY:
        sink_write(sink, "[", 1);
        json_array_foreach(v, idx, item)
        {
            if (idx > 0)
                sink_write(sink, ",", 1);
            if (sink_value(sink, item, depth + 1) != 0)
                return -1;
        }
        sink_write(sink, "]", 1);
        return 0;
    case JSON_OBJECT:
        sink_write(sink, "{", 1);
        json_object_foreach(v, key, item)
        {
            if (!first)
                sink_write(sink, ",", 1);
            first = false;
            sink_string(sink, key, strlen(key));
            sink_write(sink, ":", 1);
            if (sink_value(sink, item, depth + 1) != 0)
                return -1;
        }
        sink_write(sink, "}", 1);
        return 0;
    default: /* JSON_REAL: no field of the schema is one; let jansson */
        return json_dump_callback(v, sink_jansson, sink,
                                  JSON_COMPACT | JSON_ENCODE_ANY);
    }
}

static int
sink_member(struct json_sink *sink, bool *first, const char *key, json_t *v)
{
    if (!*first)
        sink_write(sink, ",", 1);
    *first = false;
    sink_string(sink, key, strlen(key));
    sink_write(sink, ":", 1);
    return sink_value(sink, v, 1);
}

size_t
contact_event_to_buf(const struct contact_event *ev, char *buf, size_t size)
{
    struct json_sink sink = {buf, size, 0};
    const char *key = NULL;
    json_t *v = NULL;
    bool first = true;
    size_t written = 0;

    if (ev == NULL || ev->root == NULL)
        return 0;
    /* the table's order first, then (never for a validated event) any
     * other key in insertion order: no ordered copy of the object */
    sink_write(&sink, "{", 1);
    for (size_t i = 0; i < N_FIELDS; i++) {
        v = json_object_get(ev->root, fields[i].name);
        if (v == NULL)
            continue;
        if (sink_member(&sink, &first, fields[i].name, v) != 0)
            return 0;
        written++;
    }
    if (written < json_object_size(ev->root)) {
        json_object_foreach(ev->root, key, v)
        {
            if (find_field(key) == NULL &&
                sink_member(&sink, &first, key, v) != 0)
                return 0;
        }
    }
    sink_write(&sink, "}", 1);
    if (sink.len < size)
        buf[sink.len] = '\0';
    return sink.len;
}

char *contact_event_to_json(const struct contact_event *ev, size_t *len)
{
    char small[1];
    size_t n = contact_event_to_buf(ev, small, sizeof(small));
    char *text = NULL;

    if (n > 0)
        text = malloc(n + 1);
    if (text != NULL && contact_event_to_buf(ev, text, n + 1) != n) {
        free(text);
        text = NULL;
    }
    if (len != NULL)
        *len = text != NULL ? n : 0;
    return text;
}

void contact_event_release(struct contact_event *ev)
{
    if (ev == NULL)
        return;
    json_decref(ev->root);
    event_reset(ev);
}

const char *contact_event_type_name(enum contact_event_type type)
{
    if ((size_t)type >= N_TYPES)
        return "unknown";
    return type_names[type];
}

int contact_event_type_parse(const char *name, enum contact_event_type *type)
{
    if (name == NULL)
        return -1;
    for (size_t i = 0; i < N_TYPES; i++) {
        if (strcmp(name, type_names[i]) == 0) {
            *type = (enum contact_event_type)i;
            return 0;
        }
    }
    return -1;
}
