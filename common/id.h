/* id - identifiers: UUIDv7 event ids and W3C traceparent values.
 * Thread-safe (randomness from getrandom). */
#ifndef CCAI_ID_H
#define CCAI_ID_H

#include <stdbool.h>
#include <stdint.h>

#define CCAI_UUID_LEN        36 /* without NUL */
#define CCAI_TRACEPARENT_LEN 55 /* "00-<32 hex>-<16 hex>-<2 hex>" */

/** Write a new UUIDv7 (RFC 9562) into @out (37 bytes, NUL-terminated). */
void ccai_uuid7(char out[CCAI_UUID_LEN + 1]);

/** True when @tp is a valid version-00 traceparent (lowercase hex, trace
 * id and parent id not all zero). */
bool ccai_traceparent_is_valid(const char *tp);

/** Write a new traceparent with random ids, sampled flag set. */
void ccai_traceparent_new(char out[CCAI_TRACEPARENT_LEN + 1]);

/** Continue @incoming (valid or not): keep its trace id and flags with a
 * new parent (span) id; a new trace when @incoming is NULL or invalid. */
void ccai_traceparent_child(const char *incoming,
                            char out[CCAI_TRACEPARENT_LEN + 1]);

/** RFC 3339 UTC timestamp with milliseconds for @ms since the epoch. */
void ccai_time_rfc3339(int64_t ms, char out[32]);

/** Wall-clock milliseconds since the epoch. */
int64_t ccai_now_ms(void);

/** Monotonic milliseconds. */
int64_t ccai_mono_ms(void);

#endif
