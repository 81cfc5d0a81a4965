/* dedupe - remembers the result JSON of recently completed events by
 * event_id, so a redelivered event is answered without a new LLM call.
 * Bounded by max_entries (oldest dropped first) and a TTL. Owns its
 * copies. Main loop thread only (owned by the engine). */
#ifndef CCAI_DEDUPE_H
#define CCAI_DEDUPE_H

#include <stddef.h>
#include <stdint.h>

struct dedupe;

/** New cache; @max_entries 0 disables it (every lookup misses). @ttl_ms
 * 0 = entries never expire by age. NULL when out of memory. */
struct dedupe *dedupe_new(unsigned max_entries, long ttl_ms);
void dedupe_free(struct dedupe *d);

/** The cached result for @event_id (borrowed, valid until the next
 * dedupe_put or dedupe_free), or NULL. */
const char *
dedupe_get(struct dedupe *d, const char *event_id, int64_t now_ms, size_t *len);

/** Remember @json (copied) for @event_id, replacing an older entry.
 * Returns 0, or -1 when out of memory (nothing cached). */
int dedupe_put(struct dedupe *d,
               const char *event_id,
               const char *json,
               size_t len,
               int64_t now_ms);

unsigned dedupe_size(const struct dedupe *d);

#endif
