/* worker - the processor's main loop: consumer -> validate -> per-key
 * scheduler -> engine -> llm_client -> publisher -> offsets, woken by the
 * librdkafka queue fds, curl and the shutdown pipe. Owns the pipeline, the
 * engine, the LLM client, the producer, the consumer, the scheduler and
 * every record in flight. Main loop thread only (worker_run); the admin
 * server only sees the snapshots it publishes. */
#ifndef CCAI_WORKER_H
#define CCAI_WORKER_H

#include "config.h"
#include "err.h"

struct ccai_metrics;
struct admin;
struct worker;

/** Build every runtime part from @cfg (borrowed, outlives the worker).
 * @metrics and @admin are borrowed and may be NULL. NULL with @err. */
struct worker *worker_new(const struct processor_config *cfg,
                          struct ccai_metrics *metrics,
                          struct admin *admin,
                          struct ccai_error *err);

/** Run until a stop is requested (common/shutdown.h), then drain: stop
 * fetching, finish in-flight work within PROCESSOR_DRAIN_TIMEOUT_MS, flush
 * the producer, commit synchronously and leave the group. Returns 0, or
 * -1 on an unrecoverable loop error (after the same drain). */
int worker_run(struct worker *w);

/** Free everything (records not finished are dropped uncommitted).
 * NULL-safe. */
void worker_free(struct worker *w);

#endif
