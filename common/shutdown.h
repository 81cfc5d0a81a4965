/* shutdown - the one mutable global: the "stop requested" flag set by
 * SIGTERM/SIGINT, plus a pipe that becomes readable when it is set so
 * event loops (poll, curl_multi_poll) wake up at once. Install from main
 * before threads start; query from any thread. */
#ifndef CCAI_SHUTDOWN_H
#define CCAI_SHUTDOWN_H

#include <stdbool.h>

/** Install SIGTERM/SIGINT handlers and ignore SIGPIPE. Returns 0 or -1. */
int ccai_shutdown_install(void);

/** True once a stop was requested (signal or ccai_shutdown_request). */
bool ccai_shutdown_requested(void);

/** Request a stop from code (tests, fatal paths). Async-signal-safe. */
void ccai_shutdown_request(void);

/** A file descriptor that is readable once a stop was requested (never
 * drained by the library); -1 before install. */
int ccai_shutdown_fd(void);

/** Sleep up to @ms milliseconds, returning early on a stop request. */
void ccai_shutdown_sleep_ms(long ms);

#endif
