/* json_fast - the strict-subset fast path in front of json_loadb; see
 * json_fast.h. A recursive descent over the buffer that builds the tree
 * with jansson's own constructors, in input order (jansson objects keep
 * insertion order, so dumps match too). Every "bail" means: not decided
 * here, ask jansson. */
#include "json_fast.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

/* Deeper input is left to jansson (callers check depth before parsing). */
#define FAST_MAX_DEPTH 64
/* 18 digits always fit a json_int_t; longer ones may overflow (jansson's
 * error) */
#define FAST_MAX_DIGITS 18
/* Decoded strings up to this size are built on the stack. */
#define FAST_STACK_STR 1024

struct fast {
    const char *p;
    const char *end;
    int depth;
};

static json_t *parse_value(struct fast *f);

static void skip_ws(struct fast *f)
{
    while (f->p < f->end &&
           (*f->p == ' ' || *f->p == '\n' || *f->p == '\r' || *f->p == '\t'))
        f->p++;
}

/* Length of the valid UTF-8 sequence at @s (at most @n bytes), or 0. The
 * rules of jansson's utf8_check_first/utf8_check_full: no overlong forms,
 * no surrogates, nothing above U+10FFFF. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t size = 0;
    uint32_t value = 0;

    if (c >= 0xC2 && c <= 0xDF) {
        size = 2;
        value = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        size = 3;
        value = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        size = 4;
        value = c & 0x07;
    } else {
        return 0;
    }
    if (size > n)
        return 0;
    for (size_t i = 1; i < size; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        value = (value << 6) | (s[i] & 0x3F);
    }
    if (value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
        return 0;
    if ((size == 3 && value < 0x800) || (size == 4 && value < 0x10000))
        return 0; /* overlong (2-byte overlongs start with C0/C1) */
    return size;
}

static int hex4(const char *s, uint32_t *out)
{
    uint32_t v = 0;

    for (int i = 0; i < 4; i++) {
        char c = s[i];

        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A \u escape at @s (pointing after "\u", @n bytes left): the code point
 * and the bytes used (4, or 10 for a surrogate pair), or 0 to bail
 * (invalid, a lone surrogate, or U+0000). */
static size_t unicode_escape(const char *s, size_t n, uint32_t *cp)
{
    uint32_t hi = 0, lo = 0;

    if (n < 4 || hex4(s, &hi) != 0 || hi == 0)
        return 0;
    if (hi >= 0xDC00 && hi <= 0xDFFF)
        return 0;
    if (hi < 0xD800 || hi > 0xDBFF) {
        *cp = hi;
        return 4;
    }
    if (n < 10 || s[4] != '\\' || s[5] != 'u' || hex4(s + 6, &lo) != 0 ||
        lo < 0xDC00 || lo > 0xDFFF)
        return 0;
    *cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
    return 10;
}

/* The character a one-letter escape ("\\n" etc.) stands for, or 0. */
static char simple_escape(char c)
{
    static const char from[] = "\"\\/bfnrt";
    static const char to[] = "\"\\/\b\f\n\r\t";
    const char *hit = c != '\0' ? strchr(from, c) : NULL;

    if (hit == NULL)
        return '\0';
    return to[hit - from];
}

/* Decode the string body from @s (after the opening quote) to its
 * closing quote into @out (room for end - s bytes); returns the decoded
 * length and sets *@close to the closing quote, or returns SIZE_MAX. */
static size_t
decode_string(const char *s, const char *end, char *out, const char **close)
{
    size_t o = 0;

    while (s < end) {
        unsigned char c = (unsigned char)*s;

        if (c == '"') {
            *close = s;
            return o;
        }
        if (c < 0x20)
            return SIZE_MAX;
        if (c >= 0x80) {
            size_t k = utf8_seq((const unsigned char *)s, (size_t)(end - s));

            if (k == 0)
                return SIZE_MAX;
            memcpy(out + o, s, k);
            o += k;
            s += k;
            continue;
        }
        if (c != '\\') {
            out[o++] = (char)c;
            s++;
            continue;
        }
        if (s + 1 >= end)
            return SIZE_MAX;
        if (s[1] == 'u') {
            uint32_t cp = 0;
            size_t used = unicode_escape(s + 2, (size_t)(end - s - 2), &cp);

            if (used == 0)
                return SIZE_MAX;
            /* the UTF-8 form is never longer than its escape */
            o += put_utf8(out + o, cp);
            s += used + 2;
            continue;
        }
        c = (unsigned char)simple_escape(s[1]);
        if (c == 0)
            return SIZE_MAX;
        out[o++] = (char)c;
        s += 2;
    }
    return SIZE_MAX;
}

/* Decode the string at f->p (its opening quote) into @stack (@size
 * bytes) or, when longer, a malloc'd buffer; *@out is the buffer used
 * (NUL-terminated). Returns the decoded length, or SIZE_MAX to bail. */
static size_t take_string(struct fast *f, char *stack, size_t size, char **out)
{
    const char *s = f->p + 1;
    const char *q = s;
    const char *close = NULL;
    char *buf = stack;
    size_t len = 0;

    /* the closing quote: the first one not escaped */
    while (q < f->end && *q != '"') {
        if (*q == '\\' && f->end - q < 2)
            return SIZE_MAX;
        q += *q == '\\' ? 2 : 1;
    }
    if (q >= f->end)
        return SIZE_MAX;
    if ((size_t)(q - s) + 1 > size) {
        buf = malloc((size_t)(q - s) + 1);
        if (buf == NULL)
            return SIZE_MAX;
    }
    len = decode_string(s, q + 1, buf, &close);
    if (len == SIZE_MAX) {
        if (buf != stack)
            free(buf);
        return SIZE_MAX;
    }
    buf[len] = '\0';
    f->p = close + 1;
    *out = buf;
    return len;
}

/* A string value at f->p: a new json_t, or NULL to bail. */
static json_t *parse_string(struct fast *f)
{
    const char *s = f->p + 1;
    const char *q = s;
    char stack[FAST_STACK_STR];
    char *buf = NULL;
    size_t len = 0;
    json_t *v = NULL;

    /* the common case: plain ASCII, no escape - jansson's copy only */
    while (q < f->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20 &&
           (unsigned char)*q < 0x80)
        q++;
    if (q < f->end && *q == '"') {
        f->p = q + 1;
        return json_stringn_nocheck(s, (size_t)(q - s));
    }
    len = take_string(f, stack, sizeof(stack), &buf);
    if (len == SIZE_MAX)
        return NULL;
    v = json_stringn_nocheck(buf, len);
    if (buf != stack)
        free(buf);
    return v;
}

/* Skip @c (and the whitespace after it) when it comes next. */
static bool take(struct fast *f, char c)
{
    if (f->p >= f->end || *f->p != c)
        return false;
    f->p++;
    skip_ws(f);
    return true;
}

/* After a member or an element: 1 when a ',' says more follow, 0 when
 * @close ends the container, -1 (bail) on anything else. */
static int next_item(struct fast *f, char close)
{
    skip_ws(f);
    if (take(f, ','))
        return 1;
    return take(f, close) ? 0 : -1;
}

/* One "key": value member into @obj; false to bail. */
static bool parse_member(struct fast *f, json_t *obj)
{
    char stack[FAST_STACK_STR];
    char *key = NULL;
    json_t *v = NULL;
    bool ok = false;

    if (f->p >= f->end || *f->p != '"' ||
        take_string(f, stack, sizeof(stack), &key) == SIZE_MAX)
        return false;
    skip_ws(f);
    /* a duplicate is jansson's error to report */
    if (take(f, ':') && json_object_get(obj, key) == NULL)
        v = parse_value(f);
    if (v != NULL)
        ok = json_object_set_new_nocheck(obj, key, v) == 0;
    if (key != stack)
        free(key);
    return ok;
}

/* The container at f->p ('{' or '['): members or elements up to @close. */
static json_t *parse_container(struct fast *f, char close)
{
    json_t *c = close == '}' ? json_object() : json_array();
    int more = 0;

    if (c == NULL)
        return NULL;
    f->p++;
    skip_ws(f);
    more = take(f, close) ? 0 : 1;
    while (more == 1) {
        json_t *v = NULL;

        if (close == '}') {
            if (!parse_member(f, c))
                break;
        } else {
            v = parse_value(f);
            if (v == NULL || json_array_append_new(c, v) != 0)
                break;
        }
        more = next_item(f, close);
    }
    if (more == 0)
        return c;
    json_decref(c);
    return NULL;
}

/* An integer of at most FAST_MAX_DIGITS digits; reals and anything
 * unusual bail. */
static json_t *parse_integer(struct fast *f)
{
    const char *s = f->p;
    bool neg = false;
    json_int_t v = 0;
    int digits = 0;

    if (s < f->end && *s == '-') {
        neg = true;
        s++;
    }
    if (s >= f->end || *s < '0' || *s > '9')
        return NULL;
    if (*s == '0' && s + 1 < f->end && s[1] >= '0' && s[1] <= '9')
        return NULL; /* a leading zero: jansson's error */
    while (s < f->end && *s >= '0' && *s <= '9') {
        if (++digits > FAST_MAX_DIGITS)
            return NULL;
        v = v * 10 + (*s - '0');
        s++;
    }
    if (s < f->end && (*s == '.' || *s == 'e' || *s == 'E'))
        return NULL; /* a real: jansson converts it */
    f->p = s;
    return json_integer(neg ? -v : v);
}

static json_t *literal(struct fast *f, const char *word, json_t *v)
{
    size_t n = strlen(word);

    if ((size_t)(f->end - f->p) < n || memcmp(f->p, word, n) != 0)
        return NULL;
    f->p += n;
    return v;
}

static json_t *parse_value(struct fast *f)
{
    json_t *v = NULL;

    if (f->p >= f->end)
        return NULL;
    switch (*f->p) {
    case '{':
    case '[':
        if (++f->depth > FAST_MAX_DEPTH)
            return NULL;
        v = parse_container(f, *f->p == '{' ? '}' : ']');
        f->depth--;
        return v;
    case '"':
        return parse_string(f);
    case 't':
        return literal(f, "true", json_true());
    case 'f':
        return literal(f, "false", json_false());
    case 'n':
        return literal(f, "null", json_null());
    default:
        return parse_integer(f);
    }
}

json_t *json_fast_try(const char *buf, size_t len)
{
    struct fast f = {NULL, NULL, 0};
    json_t *root = NULL;

    if (buf == NULL) /* jansson's "wrong arguments" */
        return NULL;
    f.p = buf;
    f.end = buf + len;
    skip_ws(&f);
    /* jansson without JSON_DECODE_ANY wants an object or an array */
    if (f.p >= f.end || (*f.p != '{' && *f.p != '['))
        return NULL;
    root = parse_value(&f);
    if (root == NULL)
        return NULL;
    skip_ws(&f);
    if (f.p != f.end) { /* trailing bytes: jansson's error */
        json_decref(root);
        return NULL;
    }
    return root;
}

json_t *json_fast_loadb(const char *buf, size_t len, json_error_t *err)
{
    json_t *root = json_fast_try(buf, len);

    if (root != NULL)
        return root;
    return json_loadb(buf, len, JSON_REJECT_DUPLICATES, err);
}
