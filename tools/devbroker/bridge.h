/* bridge - the fixed bootstrap port of the dev broker: a TCP proxy that
 * accepts on --bind:--port and forwards bytes both ways to the first mock
 * broker that is up (the mock listens on random ports). Clients learn the
 * brokers' real addresses from metadata and connect to them directly.
 * One poll-loop thread owns every socket; start/stop from main. */
#ifndef DEVBROKER_BRIDGE_H
#define DEVBROKER_BRIDGE_H

#include <stdint.h>

#include "err.h"

struct bridge;
struct cluster;

/** Listen on @bind_addr:@port (0 = ephemeral) and start the thread.
 * @cl is borrowed and must outlive the bridge. Returns a new bridge or
 * NULL with @err set. */
struct bridge *bridge_start(const char *bind_addr,
                            uint16_t port,
                            struct cluster *cl,
                            struct ccai_error *err);

/** The port actually bound. */
uint16_t bridge_port(const struct bridge *br);

/** Connections currently bridged. Any thread. */
unsigned bridge_connections(const struct bridge *br);

/** Stop the thread, close every socket, free @br. NULL-safe. */
void bridge_stop(struct bridge *br);

#endif
