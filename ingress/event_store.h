/* event_store - the event ids this ingress accepted within the results
 * window (INGRESS_RESULTS_WINDOW_S), for GET /api/v1/events/{id}: a
 * bounded FIFO ring with a hash index; the oldest entry is dropped when
 * full or expired. Owns its entries; thread-safe (one mutex): written from
 * the producer's poll thread, read from MHD threads. */
#ifndef CCAI_INGRESS_EVENT_STORE_H
#define CCAI_INGRESS_EVENT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EVENT_STORE_DEFAULT_CAPACITY 32768

struct event_store;

/** A new store keeping ids for @window_ms, at most @capacity of them
 * (0 = EVENT_STORE_DEFAULT_CAPACITY). NULL on out-of-memory. */
struct event_store *event_store_new(long window_ms, size_t capacity);
void event_store_free(struct event_store *store);

/** Remember @event_id (copied; up to 128 chars) accepted at @now_ms
 * (monotonic). Any thread. */
void event_store_put(struct event_store *store,
                     const char *event_id,
                     int64_t now_ms);

/** True when @event_id was put within the window before @now_ms. */
bool event_store_has(struct event_store *store,
                     const char *event_id,
                     int64_t now_ms);

#endif
