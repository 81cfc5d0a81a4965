/* buf - a growable byte buffer with a hard maximum (curl dynbuf): appends
 * past the maximum fail instead of growing. Always NUL-terminated. One
 * owner at a time; not thread-safe. */
#ifndef CCAI_BUF_H
#define CCAI_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct ccai_buf {
    char *data; /* NULL until the first append; NUL-terminated after */
    size_t len;
    size_t cap;
    size_t max; /* largest len allowed */
};

/** Initialise an empty buffer that may hold at most @max bytes. */
void ccai_buf_init(struct ccai_buf *buf, size_t max);

/** Free the storage; the buffer is empty and reusable afterwards. */
void ccai_buf_release(struct ccai_buf *buf);

/** Drop the contents, keep the storage. */
void ccai_buf_reset(struct ccai_buf *buf);

/** Append; returns 0, or -1 (contents unchanged) when @max would be
 * exceeded or memory ran out. */
int ccai_buf_add(struct ccai_buf *buf, const void *data, size_t len);
int ccai_buf_adds(struct ccai_buf *buf, const char *str);
int ccai_buf_addf(struct ccai_buf *buf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int ccai_buf_vaddf(struct ccai_buf *buf, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/** Append @str as a JSON string literal, quotes included. */
int ccai_buf_add_json_string(struct ccai_buf *buf, const char *str);

/** Take the contents (new, caller frees; never NULL on success, "" when
 * empty); the buffer is left empty. Returns NULL on out-of-memory. */
char *ccai_buf_detach(struct ccai_buf *buf, size_t *len);

#endif
