/* publisher - the processor's producer for results and dead letters: an
 * idempotent librdkafka producer (acks=all) whose delivery reports are
 * served on the main loop thread (publisher_poll). Owns a copy of every
 * record until the broker acknowledged it; retries failed deliveries, and
 * after librdkafka's fatal idempotent-producer error rebuilds the producer
 * and re-produces everything not acknowledged. Main loop thread only. */
#ifndef CCAI_PUBLISHER_H
#define CCAI_PUBLISHER_H

#include <stdbool.h>
#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include "err.h"

struct ccai_metrics;

/** Called from publisher_poll/publisher_flush exactly once per accepted
 * publisher_send: @err is RD_KAFKA_RESP_ERR_NO_ERROR when the broker
 * acknowledged the record, else the last error after the retries. */
typedef void
publisher_done_fn(void *opaque, rd_kafka_resp_err_t err, void *ctx);

struct publisher_config {
    long message_timeout_ms; /* per attempt (message.timeout.ms) */
    unsigned max_retries;    /* re-produce attempts after a failed DR */
    publisher_done_fn *done;
    void *ctx;
    struct ccai_metrics *metrics; /* may be NULL */
};

struct publisher;

/** New producer (KAFKA_* environment over our defaults); NULL with @err. */
struct publisher *publisher_new(const struct publisher_config *cfg,
                                struct ccai_error *err);

/** Destroys the producer; records not acknowledged are dropped without a
 * callback (call publisher_flush first). NULL-safe. */
void publisher_free(struct publisher *pub);

/** Produce a record to @topic. @key/@value are copied; @hdrs is borrowed
 * (copied) and may be NULL. @opaque is handed back to the done callback.
 * Returns 0 (the callback will come), or -1 with @err on OOM only: queue
 * full and broker errors are retried inside. */
int publisher_send(struct publisher *pub,
                   const char *topic,
                   const void *key,
                   size_t key_len,
                   const void *value,
                   size_t len,
                   const rd_kafka_headers_t *hdrs,
                   void *opaque,
                   struct ccai_error *err);

/** Serve delivery reports and errors, rebuild after a fatal error, and
 * re-produce due retries. Never blocks. */
void publisher_poll(struct publisher *pub);

/** A file descriptor readable when publisher_poll has work (librdkafka
 * queue io event); stays valid across rebuilds. */
int publisher_wait_fd(const struct publisher *pub);

/** Milliseconds until the next due retry (-1: none). */
long publisher_next_due_ms(const struct publisher *pub);

/** Poll until every record was answered or @timeout_ms passed. Returns the
 * number of records still outstanding. */
size_t publisher_flush(struct publisher *pub, long timeout_ms);

/** Records accepted and not answered yet. */
size_t publisher_outstanding(const struct publisher *pub);

/** False while the producer is rebuilding after a fatal error or the last
 * delivery failed and none succeeded since. */
bool publisher_is_healthy(const struct publisher *pub);

/** Producer rebuilds after fatal errors so far. */
unsigned publisher_rebuilds(const struct publisher *pub);

/** Raise librdkafka's test fatal error (tests and fault drills). */
void publisher_inject_fatal(struct publisher *pub);

#endif
