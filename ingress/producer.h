/* producer - the librdkafka producer of contact-events: idempotent,
 * acks=all, never blocking the caller. A poll thread serves delivery
 * reports (handing each to the done callback) and rebuilds the rd_kafka_t
 * after a fatal (idempotence) error: the old handle is purged and flushed
 * so every pending message still gets its report, then destroyed. A
 * readiness thread asks the broker for metadata. The handle is swapped
 * under locks, so no thread ever uses a destroyed one.
 * producer_send: any thread. Callbacks: the poll thread. */
#ifndef CCAI_INGRESS_PRODUCER_H
#define CCAI_INGRESS_PRODUCER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct ccai_metrics;
struct producer;

/** The outcome of one message. */
struct producer_result {
    /* CCAI_OK: the broker persisted it (the only case for a 202);
     * CCAI_E_UNAVAILABLE: not persisted (safe to retry, 503);
     * CCAI_E_TIMEOUT: possibly persisted (retry with the same event_id, 504) */
    enum ccai_status status;
    int kafka_err;      /* rd_kafka_resp_err_t */
    const char *reason; /* rd_kafka_err2str, static */
    int32_t partition;
    int64_t offset;
};

/** Called on the poll thread exactly once per message accepted by
 * producer_send. @msg_opaque is the value given to producer_send. */
typedef void producer_done_fn(void *ctx,
                              void *msg_opaque,
                              const struct producer_result *res);

struct producer_config {
    const char *topic;       /* borrowed, must outlive the producer */
    long timeout_ms;         /* message.timeout.ms */
    long queue_max_messages; /* queue.buffering.max.messages */
    long queue_max_kbytes;   /* queue.buffering.max.kbytes */
    long ready_interval_ms;  /* broker metadata check period */
    producer_done_fn *on_done;
    void *ctx;
    struct ccai_metrics *metrics; /* may be NULL */
    char *const *envp; /* KAFKA_* source; NULL = the process environment */
};

/** Create the producer and start its poll thread. Returns a new producer,
 * or NULL with @err (CCAI_E_CONFIG naming the variable, or CCAI_E_IO). */
struct producer *producer_new(const struct producer_config *cfg,
                              struct ccai_error *err);

/** Produce one record keyed by @key. @value is borrowed: librdkafka copies
 * it (RD_KAFKA_MSG_F_COPY) into the same allocation as its message, so the
 * caller may serialise into a reused or stack buffer.
 * @names/@values: @n_headers header pairs, copied. Never blocks. Returns 0
 * (on_done will be called once), or -1 with @err CCAI_E_UNAVAILABLE (queue
 * full, producer fatal or being rebuilt) and on_done is not called.
 * Any thread. */
int producer_send(struct producer *p,
                  const char *key,
                  const char *value,
                  size_t len,
                  const char *const *names,
                  const char *const *values,
                  size_t n_headers,
                  void *msg_opaque,
                  struct ccai_error *err);

/** Readiness from the readiness thread's last check (a metadata request
 * every ready_interval_ms, off the poll thread so that it never delays
 * delivery reports): the broker answered recently, the producer is not
 * fatal and its queue is not nearly full. When not ready, @why (size @n)
 * says why. Any thread. */
bool producer_is_ready(struct producer *p, char *why, size_t n);

/** Messages sent and not yet reported. Any thread. */
long producer_outstanding(const struct producer *p);

/** Wait up to @timeout_ms for every outstanding message to be reported.
 * Returns 0 when none is left, else -1. Main thread. */
int producer_flush(struct producer *p, long timeout_ms);

/** Purge every queued and in-flight message: each gets its report at once
 * (not persisted / possibly persisted). Main thread, at shutdown. */
void producer_purge(struct producer *p);

/** Simulate a fatal error on the current handle (rd_kafka_test_fatal_error),
 * for tests. Returns 0 or -1. */
int producer_inject_fatal(struct producer *p, int kafka_err);

/** Number of rebuilds after a fatal error. Any thread. */
unsigned long producer_rebuilds(const struct producer *p);

/** Stop the poll thread, purge what is left so every message gets its
 * report (as not persisted / possibly persisted), destroy. NULL-safe. */
void producer_free(struct producer *p);

#endif
