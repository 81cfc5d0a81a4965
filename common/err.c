/* err - fixed-size error reporting; see err.h. Any thread. */
#include "err.h"

#include <stdio.h>
#include <string.h>

#include "banned.h"

void ccai_error_clear(struct ccai_error *err)
{
    if (err == NULL)
        return;
    err->status = CCAI_OK;
    err->field[0] = '\0';
    err->message[0] = '\0';
    err->n_violations = 0;
    err->n_dropped = 0;
}

int ccai_error_vset(struct ccai_error *err,
                    enum ccai_status status,
                    const char *field,
                    const char *fmt,
                    va_list ap)
{
    if (err == NULL)
        return -1;
    err->status = status;
    (void)snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
    (void)vsnprintf(err->message, sizeof(err->message), fmt, ap);
    return -1;
}

int ccai_error_set(struct ccai_error *err,
                   enum ccai_status status,
                   const char *field,
                   const char *fmt,
                   ...)
{
    va_list ap;

    va_start(ap, fmt);
    ccai_error_vset(err, status, field, fmt, ap);
    va_end(ap);
    return -1;
}

void ccai_error_add(struct ccai_error *err,
                    const char *pointer,
                    const char *fmt,
                    ...)
{
    va_list ap;
    struct ccai_violation *v = NULL;

    if (err == NULL)
        return;
    if (err->n_violations >= CCAI_MAX_VIOLATIONS) {
        err->n_dropped++;
        return;
    }
    v = &err->violations[err->n_violations++];
    (void)snprintf(v->pointer, sizeof(v->pointer), "%s",
                   pointer ? pointer : "");
    va_start(ap, fmt);
    (void)vsnprintf(v->message, sizeof(v->message), fmt, ap);
    va_end(ap);
    if (err->n_violations == 1) {
        err->status = CCAI_E_INVALID;
        (void)snprintf(err->field, sizeof(err->field), "%s", v->pointer);
        int n = snprintf(err->message, sizeof(err->message), "%s%s", v->pointer,
                         v->pointer[0] ? ": " : "");
        if (n >= 0 && (size_t)n < sizeof(err->message))
            (void)snprintf(err->message + n, sizeof(err->message) - (size_t)n,
                           "%.*s", (int)(sizeof(err->message) - (size_t)n - 1),
                           v->message);
    }
}

static const struct {
    const char *name;
    int http;
} status_table[] = {
    [CCAI_OK] = {"ok", 200},
    [CCAI_E_INVALID] = {"invalid", 400},
    [CCAI_E_UNAUTHORIZED] = {"unauthorized", 401},
    [CCAI_E_FORBIDDEN] = {"forbidden", 403},
    [CCAI_E_NOT_FOUND] = {"not_found", 404},
    [CCAI_E_METHOD] = {"method_not_allowed", 405},
    [CCAI_E_CONFLICT] = {"conflict", 409},
    [CCAI_E_TOO_LARGE] = {"too_large", 413},
    [CCAI_E_MEDIA_TYPE] = {"unsupported_media_type", 415},
    [CCAI_E_RATE_LIMITED] = {"rate_limited", 429},
    [CCAI_E_INTERNAL] = {"internal", 500},
    [CCAI_E_NOT_IMPLEMENTED] = {"not_implemented", 501},
    [CCAI_E_UNAVAILABLE] = {"unavailable", 503},
    [CCAI_E_TIMEOUT] = {"timeout", 504},
    [CCAI_E_CONFIG] = {"config", 500},
    [CCAI_E_NOMEM] = {"nomem", 503},
    [CCAI_E_IO] = {"io", 500},
};

const char *ccai_status_name(enum ccai_status status)
{
    if ((size_t)status >= sizeof(status_table) / sizeof(status_table[0]))
        return "internal";
    return status_table[status].name;
}

int ccai_status_http(enum ccai_status status)
{
    if ((size_t)status >= sizeof(status_table) / sizeof(status_table[0]))
        return 500;
    return status_table[status].http;
}
