/* ratelimit - per-key token buckets (INGRESS_RATE_LIMIT_RPS refill per
 * second, INGRESS_RATE_LIMIT_BURST capacity). Time is an input (monotonic
 * ms), so tests drive it. Owns one bucket per API key; thread-safe: MHD
 * threads call ratelimit_take concurrently. */
#ifndef CCAI_INGRESS_RATELIMIT_H
#define CCAI_INGRESS_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ratelimit;

/** A new limiter with @n_keys buckets, each starting full (@burst
 * tokens), refilled at @rps per second. Returns NULL when @rps or @burst
 * is <= 0 or @n_keys is 0 (no limiter: callers treat NULL as "off"), or on
 * out-of-memory. */
struct ratelimit *ratelimit_new(long rps, long burst, size_t n_keys);
void ratelimit_free(struct ratelimit *rl);

/** Take @cost tokens from bucket @key at time @now_ms. Returns true when
 * allowed; false when limited, with *@retry_after_s (may be NULL) set to
 * the whole seconds (ceil, >= 1) until @cost tokens are available.
 * A NULL limiter allows everything. Any thread. */
bool ratelimit_take(struct ratelimit *rl,
                    size_t key,
                    double cost,
                    int64_t now_ms,
                    long *retry_after_s);

#endif
