/* control - the dev broker's loopback HTTP control API (libmicrohttpd,
 * JSON in and out): brokers down/up/rtt/errors, cluster-wide request
 * errors, topic errors and creation, status. Handlers run on MHD's
 * thread and call into cluster.h; start/stop from main. */
#ifndef DEVBROKER_CONTROL_H
#define DEVBROKER_CONTROL_H

#include <stdint.h>

#include "err.h"

struct control;
struct cluster;
struct bridge;

/** Listen on 127.0.0.1:@port (0 = ephemeral). @cl and @br are borrowed
 * and must outlive the control server. Returns a new server or NULL with
 * @err set. */
struct control *control_start(uint16_t port,
                              struct cluster *cl,
                              struct bridge *br,
                              const char *bootstrap,
                              struct ccai_error *err);

/** The port actually bound. */
uint16_t control_port(const struct control *ctl);

/** Stop the daemon and free @ctl. NULL-safe. */
void control_stop(struct control *ctl);

#endif
