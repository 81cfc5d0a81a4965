/* admin - the processor's admin HTTP endpoints (common/http.h): health,
 * readiness, stats and Prometheus metrics. The loop thread publishes a
 * snapshot (readiness and the stats document) under a mutex; handlers on
 * the MHD thread only read that snapshot and the atomic metrics registry.
 * Owns the HTTP server and the snapshot. */
#ifndef CCAI_ADMIN_H
#define CCAI_ADMIN_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

struct ccai_metrics;
struct admin;

/** Listen on @bind_addr:@port. @metrics is borrowed and must outlive the
 * server. Returns a new server, or NULL with @err. Main thread. */
struct admin *admin_start(const char *bind_addr,
                          uint16_t port,
                          struct ccai_metrics *metrics,
                          struct ccai_error *err);

/** Publish readiness and the stats document (@stats_json: new string,
 * ownership taken; NULL keeps the previous one). @why says why not ready
 * (copied). Loop thread. */
void admin_publish(struct admin *a,
                   bool ready,
                   const char *why,
                   char *stats_json);

/** Stop serving and free. NULL-safe. Main thread. */
void admin_stop(struct admin *a);

#endif
