/* buf - bounded growable buffer; see buf.h. */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

void ccai_buf_init(struct ccai_buf *buf, size_t max)
{
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
    buf->max = max;
}

void ccai_buf_release(struct ccai_buf *buf)
{
    free(buf->data);
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
}

void ccai_buf_reset(struct ccai_buf *buf)
{
    buf->len = 0;
    if (buf->data)
        buf->data[0] = '\0';
}

static int buf_reserve(struct ccai_buf *buf, size_t extra)
{
    size_t need = 0;
    size_t cap = 0;
    char *data = NULL;

    if (extra > buf->max || buf->len > buf->max - extra)
        return -1;
    need = buf->len + extra + 1;
    if (need <= buf->cap)
        return 0;
    cap = buf->cap ? buf->cap : 256;
    while (cap < need)
        cap *= 2;
    if (cap > buf->max + 1)
        cap = buf->max + 1;
    data = realloc(buf->data, cap);
    if (data == NULL)
        return -1;
    buf->data = data;
    buf->cap = cap;
    return 0;
}

int ccai_buf_add(struct ccai_buf *buf, const void *data, size_t len)
{
    if (buf_reserve(buf, len) != 0)
        return -1;
    if (len)
        memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
    return 0;
}

int ccai_buf_adds(struct ccai_buf *buf, const char *str)
{
    return ccai_buf_add(buf, str, strlen(str));
}

int ccai_buf_vaddf(struct ccai_buf *buf, const char *fmt, va_list ap)
{
    va_list ap2;
    int n = 0;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || buf_reserve(buf, (size_t)n) != 0)
        return -1;
    (void)vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
    buf->len += (size_t)n;
    return 0;
}

int ccai_buf_addf(struct ccai_buf *buf, const char *fmt, ...)
{
    va_list ap;
    int rc = 0;

    va_start(ap, fmt);
    rc = ccai_buf_vaddf(buf, fmt, ap);
    va_end(ap);
    return rc;
}

int ccai_buf_add_json_string(struct ccai_buf *buf, const char *str)
{
    size_t start = buf->len;

    if (ccai_buf_add(buf, "\"", 1) != 0)
        goto fail;
    for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
        int rc = 0;

        if (*p == '"' || *p == '\\') {
            char esc[2] = {'\\', (char)*p};
            rc = ccai_buf_add(buf, esc, 2);
        } else if (*p == '\n') {
            rc = ccai_buf_add(buf, "\\n", 2);
        } else if (*p == '\r') {
            rc = ccai_buf_add(buf, "\\r", 2);
        } else if (*p == '\t') {
            rc = ccai_buf_add(buf, "\\t", 2);
        } else if (*p < 0x20) {
            rc = ccai_buf_addf(buf, "\\u%04x", *p);
        } else {
            rc = ccai_buf_add(buf, p, 1);
        }
        if (rc != 0)
            goto fail;
    }
    if (ccai_buf_add(buf, "\"", 1) != 0)
        goto fail;
    return 0;
fail:
    buf->len = start;
    if (buf->data)
        buf->data[start] = '\0';
    return -1;
}

char *ccai_buf_detach(struct ccai_buf *buf, size_t *len)
{
    char *data = buf->data;

    if (data == NULL) {
        data = malloc(1);
        if (data == NULL)
            return NULL;
        data[0] = '\0';
    }
    if (len)
        *len = buf->len;
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
    return data;
}
