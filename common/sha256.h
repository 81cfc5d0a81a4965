/* sha256 - a small, pure SHA-256 (FIPS 180-4) used to store API keys as
 * digests and to compare them in constant time. No allocation, no I/O.
 * Any thread; one struct ccai_sha256 per thread at a time. */
#ifndef CCAI_SHA256_H
#define CCAI_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CCAI_SHA256_LEN 32

struct ccai_sha256 {
    uint32_t h[8];
    uint64_t total; /* bytes hashed so far */
    uint8_t block[64];
    size_t used; /* bytes waiting in block */
};

void ccai_sha256_init(struct ccai_sha256 *ctx);
void ccai_sha256_update(struct ccai_sha256 *ctx, const void *data, size_t len);
/** Write the digest to @out; @ctx must be re-initialised before reuse. */
void ccai_sha256_final(struct ccai_sha256 *ctx, uint8_t out[CCAI_SHA256_LEN]);

/** One-shot digest of @data. */
void ccai_sha256(const void *data, size_t len, uint8_t out[CCAI_SHA256_LEN]);

/** Lowercase hex of @digest into @hex (65 bytes, NUL-terminated). */
void ccai_sha256_hex(const uint8_t digest[CCAI_SHA256_LEN], char hex[65]);

/** Parse 64 hex digits (either case, nothing else) into @digest.
 * Returns 0 or -1. */
int ccai_sha256_from_hex(const char *hex, uint8_t digest[CCAI_SHA256_LEN]);

/** Compare two digests in time independent of their contents. */
bool ccai_sha256_equal(const uint8_t a[CCAI_SHA256_LEN],
                       const uint8_t b[CCAI_SHA256_LEN]);

#endif
