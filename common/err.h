/* err - the fixed-size error every boundary function fills, modelled on
 * json_error_t: reporting never allocates. Holds a status, the JSON pointer
 * of the first bad field, a message, and up to CCAI_MAX_VIOLATIONS
 * violations for validators that report every problem. Any thread. */
#ifndef CCAI_ERR_H
#define CCAI_ERR_H

#include <stdarg.h>
#include <stddef.h>

enum ccai_status {
    CCAI_OK = 0,
    CCAI_E_INVALID,         /* 400: malformed or schema violation */
    CCAI_E_UNAUTHORIZED,    /* 401 */
    CCAI_E_FORBIDDEN,       /* 403 */
    CCAI_E_NOT_FOUND,       /* 404 */
    CCAI_E_METHOD,          /* 405 */
    CCAI_E_CONFLICT,        /* 409 */
    CCAI_E_TOO_LARGE,       /* 413 */
    CCAI_E_MEDIA_TYPE,      /* 415 */
    CCAI_E_RATE_LIMITED,    /* 429 */
    CCAI_E_INTERNAL,        /* 500 */
    CCAI_E_NOT_IMPLEMENTED, /* 501 */
    CCAI_E_UNAVAILABLE,     /* 503: broker down, queue full */
    CCAI_E_TIMEOUT,         /* 504: broker did not confirm in time */
    CCAI_E_CONFIG,          /* bad configuration at start */
    CCAI_E_NOMEM,
    CCAI_E_IO,
};

#define CCAI_MAX_VIOLATIONS 16

struct ccai_violation {
    char pointer[80];  /* JSON pointer, "" for the document itself */
    char message[128]; /* lowercase, no trailing period */
};

struct ccai_error {
    enum ccai_status status;
    char field[80];    /* JSON pointer of the (first) bad field, "" if none */
    char message[192]; /* lowercase, no trailing period */
    size_t n_violations;
    struct ccai_violation violations[CCAI_MAX_VIOLATIONS];
    size_t n_dropped; /* violations beyond CCAI_MAX_VIOLATIONS */
};

/** Reset @err to CCAI_OK with no violations. NULL-safe. */
void ccai_error_clear(struct ccai_error *err);

/** Set status, field and a printf-style message (violations are kept).
 * NULL-safe. Always returns -1 so callers may `return ccai_error_set(...)`. */
int ccai_error_set(struct ccai_error *err,
                   enum ccai_status status,
                   const char *field,
                   const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));

int ccai_error_vset(struct ccai_error *err,
                    enum ccai_status status,
                    const char *field,
                    const char *fmt,
                    va_list ap) __attribute__((format(printf, 4, 0)));

/** Append a violation; the first one also fills status/field/message
 * (status CCAI_E_INVALID). Extra violations are counted in n_dropped.
 * NULL-safe. */
void ccai_error_add(struct ccai_error *err,
                    const char *pointer,
                    const char *fmt,
                    ...) __attribute__((format(printf, 3, 4)));

/** Short symbolic name of @status, e.g. "invalid", "unavailable". */
const char *ccai_status_name(enum ccai_status status);

/** HTTP status code for @status (400, 401, ... 504; 500 for internal). */
int ccai_status_http(enum ccai_status status);

#endif
