/* ingress_fixture - what the ingress integration tests share: a real
 * ccai-devbroker plus a real ccai-ingress on free loopback ports, request
 * shorthands that add the API key, and ContactEvent builders. Test main
 * thread, except ifx_post which any thread may call. */
#ifndef INGRESS_FIXTURE_H
#define INGRESS_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "ccai_test.h"

#define IFX_EVENTS_TOPIC "contact-events"
#define IFX_PARTITIONS   12

struct ifx {
    struct ccai_devbroker *db;
    struct ccai_proc *ing;
    int port;
    char base[64];    /* "http://127.0.0.1:PORT" */
    char api_key[64]; /* sent as Authorization: Bearer unless "" */
};

/** Start the dev broker (@broker_args, may be NULL) and the ingress with
 * the default test environment plus @env (may be NULL). Waits until
 * /api/v1/ready answers 200. Returns 0 or -1 (logs dumped). */
int ifx_start(struct ifx *fx,
              const char *const *broker_args,
              const char *const *env);

/** (Re)start only the ingress against the running broker. 0 or -1. */
int ifx_start_ingress(struct ifx *fx, const char *const *env);

/** SIGTERM the ingress, wait; returns its exit code (see ccai_proc_stop). */
int ifx_stop_ingress(struct ifx *fx);

/** Stop the ingress and the broker; NULL-safe fields. */
void ifx_stop(struct ifx *fx);

/** @fx->base + @path into @out. Returns @out. */
char *ifx_url(const struct ifx *fx, const char *path, char *out, size_t n);

/** POST @body to @path with @content_type (NULL = none), the API key and
 * @headers (NULL-terminated "Name: value", may be NULL). Returns what
 * ccai_http_do returns. */
int ifx_post(const struct ifx *fx,
             const char *path,
             const char *content_type,
             const char *body,
             size_t len,
             const char *const *headers,
             struct ccai_http_resp *resp);

/** GET @path with the API key. */
int ifx_get(const struct ifx *fx,
            const char *path,
            struct ccai_http_resp *resp);

/** A valid message.received event (new string, caller frees). @event_id
 * may be NULL (the ingress generates one). The text is ~300 bytes. */
char *ifx_event(const char *contact_id, const char *event_id);

/** Read every record of contact-events (idle 1.5 s after the end). */
long ifx_read_events(const struct ifx *fx, struct ccai_kafka_records *out);

/** Print @resp (status, body) to stderr, for failure context. */
void ifx_dump_resp(const char *what, const struct ccai_http_resp *resp);

#endif
