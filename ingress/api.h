/* api - the HTTP API of the ingress (PRODUCT.md section 2): the route
 * table and its handlers. POST handlers authenticate, rate-limit, parse
 * (request.h), stamp and hand events to the producer, then return without
 * answering: the connection stays suspended until the last delivery report
 * (poll thread) answers 202/200/503/504. Owns the keyring, the rate
 * limiter and the event store; borrows the producer and the metrics.
 * Handlers: MHD threads; api_on_delivery: the producer's poll thread. */
#ifndef CCAI_INGRESS_API_H
#define CCAI_INGRESS_API_H

#include <stddef.h>

#include "config.h"
#include "err.h"
#include "http.h"
#include "producer.h"

struct ccai_metrics;
struct api;

/** A new API for @cfg (borrowed; must outlive the api). Builds the
 * keyring and rate limiter. Returns NULL with @err. Main thread. */
struct api *api_new(const struct ingress_config *cfg,
                    struct ccai_metrics *metrics,
                    struct ccai_error *err);

/** Borrow @producer for sending (set once, before the server starts). */
void api_set_producer(struct api *api, struct producer *producer);

/** The producer's done callback (ctx = the api). Poll thread. */
void api_on_delivery(void *ctx,
                     void *msg_opaque,
                     const struct producer_result *res);

/** The route table (static). */
const struct http_route *api_routes(size_t *n);

/** Refuse new events from now on (503): the first step of a graceful
 * stop, before waiting for api_inflight to reach 0. Main thread. */
void api_stop_accepting(struct api *api);

/** Requests waiting for the broker. Any thread. */
long api_inflight(const struct api *api);

void api_free(struct api *api);

#endif
