/* http - the small HTTP layer on libmicrohttpd shared by both services:
 * a route table ("{}" matches one path segment), body accumulation with a
 * hard limit, problem+json errors, X-Request-Id echo, request metrics, and
 * deferred answers: a handler that returns without answering suspends the
 * connection (MHD suspend/resume) until any thread calls http_respond_*,
 * so no HTTP thread ever blocks on the broker.
 * Threads: handlers run on MHD's threads; http_respond_* may be called
 * from any thread, exactly once per request. */
#ifndef CCAI_HTTP_H
#define CCAI_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

struct ccai_metrics;
struct http_server;
struct http_request;

enum http_method {
    HTTP_GET = 1 << 0,
    HTTP_POST = 1 << 1,
    HTTP_PUT = 1 << 2,
    HTTP_DELETE = 1 << 3,
    HTTP_HEAD = 1 << 4,
    HTTP_OTHER = 1 << 5,
};

/** Called on an MHD thread with the whole body read. Either answers with
 * http_respond_* (now or later, from any thread) or returns without
 * answering to defer. */
typedef void http_handler_fn(struct http_request *req, void *ctx);

/** Called on an MHD thread when the request is finished (answered and
 * sent, or the client went away); frees what http_request_set_app
 * attached. */
typedef void http_app_free_fn(void *app);

struct http_route {
    unsigned methods;    /* mask of enum http_method */
    const char *pattern; /* "/api/v1/events/{}" */
    http_handler_fn *handler;
    const char *name; /* metrics label, e.g. "events_submit" */
};

struct http_server_config {
    const char *service;   /* "ingress" - problem type and metrics prefix */
    const char *bind_addr; /* "0.0.0.0" or "127.0.0.1" */
    uint16_t port;
    size_t max_body;  /* bytes; larger bodies get 413 */
    unsigned threads; /* MHD thread pool size, >= 1 */
    unsigned max_connections;
    unsigned idle_timeout_s; /* connection timeout */
    const struct http_route *routes;
    size_t n_routes;
    void *ctx;                    /* passed to every handler */
    struct ccai_metrics *metrics; /* may be NULL */
};

/** Start listening. Returns a new server, or NULL with @err set. */
struct http_server *http_server_start(const struct http_server_config *cfg,
                                      struct ccai_error *err);

/** Stop accepting new connections (keeps serving open ones). */
void http_server_quiesce(struct http_server *srv);

/** Number of requests that are deferred (handler returned, no answer). */
unsigned http_server_pending(const struct http_server *srv);

/** Number of requests in progress: from their first byte until MHD
 * reports them completed (answered and sent, or abandoned). */
unsigned http_server_active(const struct http_server *srv);

/** The port actually bound (the one chosen by the kernel for port 0). */
uint16_t http_server_port(const struct http_server *srv);

/** Stop: stops accepting, waits up to @grace_ms for deferred requests to
 * be answered and for answered ones to be sent, then stops the daemon and
 * frees @srv. The application must have answered every deferred request
 * by then (MHD cannot stop with suspended connections). NULL-safe. */
void http_server_stop(struct http_server *srv, long grace_ms);

/* Request accessors: valid on the MHD thread inside the handler only
 * (the request itself stays valid until it is answered). */
enum http_method http_request_method(const struct http_request *req);
const char *http_request_path(const struct http_request *req);
/** The @idx-th "{}" capture of the matched route (URL-decoded), or NULL. */
const char *http_request_param(const struct http_request *req, unsigned idx);
/** A request header (case-insensitive), or NULL. Handler thread only. */
const char *http_request_header(const struct http_request *req,
                                const char *name);
/** A query string argument, or NULL. Handler thread only. */
const char *http_request_query(const struct http_request *req,
                               const char *name);
/** The body (NUL-terminated; "" when none). Valid until answered. */
const char *http_request_body(const struct http_request *req, size_t *len);
/** Monotonic time the request started, in ns. */
uint64_t http_request_start_ns(const struct http_request *req);
/** The request id: X-Request-Id as sent (sanitised), else generated. */
const char *http_request_id(const struct http_request *req);

/** Attach application state freed (by @free_fn) when the request is done
 * (MHD_OPTION_NOTIFY_COMPLETED). Takes ownership of @app. */
void http_request_set_app(struct http_request *req,
                          void *app,
                          http_app_free_fn *free_fn);
void *http_request_app(const struct http_request *req);

/* Answers: exactly one per request, from any thread.
 * @headers: NULL or a NULL-terminated list of name, value pairs.
 * Every answer carries X-Request-Id. */
void http_respond(struct http_request *req,
                  int status,
                  const char *content_type,
                  const char *body,
                  size_t len,
                  const char *const *headers);
/** Answer with jansson's compact dump of @root; steals @root. */
void http_respond_json(struct http_request *req,
                       int status,
                       json_t *root,
                       const char *const *headers);
/** RFC 9457 problem+json from @err: status from ccai_status_http, every
 * violation in "errors" with its JSON pointer. A 503 without @headers gets
 * "Retry-After: 1". */
void http_respond_problem(struct http_request *req,
                          const struct ccai_error *err,
                          const char *const *headers);
/** Shorthand: problem with @status and a message, no violations. */
void http_respond_error(struct http_request *req,
                        enum ccai_status status,
                        const char *fmt,
                        ...) __attribute__((format(printf, 3, 4)));
/** Render @err as a problem+json document (new reference). Pure. */
json_t *http_problem_json(const char *service, const struct ccai_error *err);

/** True when @content_type names @type, ignoring case and parameters
 * ("application/json; charset=utf-8" is "application/json"). Pure. */
bool http_media_type_is(const char *content_type, const char *type);

#endif
