/* scheduler - per-key ordered queues with a cap on keys running at once:
 * items of one key run one at a time in the order they were pushed (offset
 * order), items of different keys run in parallel up to max_running, and
 * keys become ready in FIFO order (no key starves). Intrusive: the caller
 * embeds a struct scheduler_item in its record and owns it; the scheduler
 * owns only its key table. Pure data structure; main loop thread only. */
#ifndef CCAI_SCHEDULER_H
#define CCAI_SCHEDULER_H

#include <stdbool.h>
#include <stddef.h>

struct scheduler_key;

struct scheduler_item {
    struct scheduler_item *next; /* scheduler's use */
    struct scheduler_key *key;   /* scheduler's use */
};

struct scheduler;

/** New scheduler running at most @max_running keys at once; NULL on OOM. */
struct scheduler *scheduler_new(unsigned max_running);

/** Frees the key table (items are the caller's). NULL-safe. */
void scheduler_free(struct scheduler *s);

/** Queue @item (borrowed until it is returned by scheduler_next and then
 * passed to scheduler_done, or dropped by scheduler_cancel) behind the
 * items of @key (@len bytes, copied). Returns 0, or -1 on OOM. */
int scheduler_push(struct scheduler *s,
                   const char *key,
                   size_t len,
                   struct scheduler_item *item);

/** The next item to run: the head of the oldest ready key whose previous
 * item is done, or NULL when nothing is ready or max_running keys run. The
 * item's key is running until scheduler_done(@item). */
struct scheduler_item *scheduler_next(struct scheduler *s);

/** @item (returned by scheduler_next) finished: its key may run its next
 * item. */
void scheduler_done(struct scheduler *s, struct scheduler_item *item);

typedef bool scheduler_match_fn(struct scheduler_item *item, void *ctx);
typedef void scheduler_drop_fn(struct scheduler_item *item, void *ctx);

/** Remove every waiting (not running) item for which @match returns true,
 * calling @drop for each after it left the queue (order is kept for the
 * others). Returns how many were dropped. */
size_t scheduler_cancel(struct scheduler *s,
                        scheduler_match_fn *match,
                        scheduler_drop_fn *drop,
                        void *ctx);

/** Items queued and not yet returned by scheduler_next. */
size_t scheduler_waiting(const struct scheduler *s);

/** Keys running (items returned by scheduler_next, not done). */
unsigned scheduler_running(const struct scheduler *s);

/** Keys with at least one item waiting or running. */
size_t scheduler_keys(const struct scheduler *s);

#endif
