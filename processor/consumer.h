/* consumer - the librdkafka consumer-group member: cooperative-sticky
 * incremental rebalances, offsets stored by us (enable.auto.offset.store
 * off) from the per-partition offset trackers and auto-committed, plus a
 * synchronous commit on revoke and on close. Each partition's state carries
 * an assignment generation: work begun under an older generation never
 * stores an offset. Owns the consumer handle and the partition states.
 * Main loop thread only (rebalance and commit callbacks run inside
 * consumer_poll on that thread). */
#ifndef CCAI_CONSUMER_H
#define CCAI_CONSUMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "err.h"
#include "offsets.h"

struct ccai_metrics;

struct consumer_partition {
    char topic[256];
    int32_t partition;
    struct offsets offs; /* consumed, not done */
    uint64_t generation; /* bumped on every assign and revoke */
    bool assigned;
    bool paused;
    size_t held;       /* records of it alive in the worker (worker counts) */
    int64_t stored;    /* last offset stored, -1 none */
    int64_t committed; /* last commit we saw succeed, -1 unknown */
    int64_t position;  /* next offset to fetch, -1 unknown */
    int64_t high;      /* high watermark (cached), -1 unknown */
};

/** Called inside consumer_poll while @part is still assigned, just before
 * it is revoked (or lost): drop waiting work of @part. */
typedef void consumer_revoke_fn(struct consumer_partition *part, void *ctx);
/** Called inside consumer_poll after @part was assigned. */
typedef void consumer_assign_fn(struct consumer_partition *part, void *ctx);

struct consumer_config {
    const char *group;
    const char *topic;
    long commit_interval_ms;
    long session_timeout_ms;
    consumer_revoke_fn *on_revoke;
    consumer_assign_fn *on_assign;
    void *ctx;
};

struct consumer;

/** New consumer (KAFKA_* environment over our defaults) subscribed to the
 * topic; NULL with @err. */
struct consumer *consumer_new(const struct consumer_config *cfg,
                              struct ccai_error *err);

/** Destroys the handle (call consumer_close first). NULL-safe. */
void consumer_free(struct consumer *c);

/** Next record, or NULL when none is ready. The record is new (caller
 * destroys it with rd_kafka_message_destroy) and its offset is tracked as
 * pending in *@part (borrowed, valid until consumer_free); *@gen is the
 * partition's generation now. Error events are logged and skipped. */
rd_kafka_message_t *consumer_poll(struct consumer *c,
                                  struct consumer_partition **part,
                                  uint64_t *gen);

/** The record at @offset of @part, consumed under @gen, is done (its
 * result or dead letter acknowledged). Ignored when the partition was
 * revoked or reassigned since. */
void consumer_done(struct consumer *c,
                   struct consumer_partition *part,
                   uint64_t gen,
                   int64_t offset);

/** True when @gen is @part's current generation and it is assigned. */
bool consumer_is_current(const struct consumer_partition *part, uint64_t gen);

/** Store the committable offset of every partition that advanced (the
 * auto-commit timer commits stored offsets). */
void consumer_store(struct consumer *c);

/** Store, then commit the stored offsets synchronously. Returns 0/-1. */
int consumer_commit_sync(struct consumer *c);

/** Pause / resume fetching on every assigned partition. */
void consumer_pause_all(struct consumer *c);
void consumer_resume_all(struct consumer *c);
/** Per-partition share of the buffer, while not paused as a whole: pause
 * an assigned partition holding @share records or more (its held count),
 * resume one that fell to @share / 2. */
void consumer_balance(struct consumer *c, size_t share);
bool consumer_is_paused(const struct consumer *c);

/** Readable when consumer_poll has something to do. */
int consumer_wait_fd(const struct consumer *c);

/** True once the group was joined (a member id was given). */
bool consumer_is_joined(const struct consumer *c);

/** Partitions currently assigned. */
unsigned consumer_assigned(const struct consumer *c);

/** Refresh positions and watermarks (non-blocking, cached values). */
void consumer_refresh(struct consumer *c);

/** Iterate over the partition states seen so far (@i from 0 while it
 * returns non-NULL). */
struct consumer_partition *consumer_partition_at(struct consumer *c, size_t i);

/* How long consumer_close waits for the group coordinator. With the
 * default drain budget (20 s) and the publisher flush (5 s) the worst
 * case stays under ECS's 30 s stop timeout. */
#define CONSUMER_CLOSE_MS 3000

/** Leave the group: store and commit synchronously, then close the
 * librdkafka consumer (revoke callbacks run), waiting at most
 * CONSUMER_CLOSE_MS for the coordinator; an unreachable one is left
 * behind with a warning instead of blocking the shutdown. */
void consumer_close(struct consumer *c);

#endif
