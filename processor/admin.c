/* admin - health, readiness, stats and metrics routes over a snapshot the
 * loop thread publishes; see admin.h. Handlers run on the MHD thread and
 * copy the snapshot under the mutex. */
#include "admin.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http.h"
#include "metrics.h"

#include "banned.h"

#ifndef CCAI_VERSION
#define CCAI_VERSION "0.0.0"
#endif

struct admin {
    struct http_server *srv;
    struct ccai_metrics *metrics; /* borrowed */
    pthread_mutex_t lock;
    bool ready;       /* under lock */
    char why[160];    /* under lock */
    char *stats_json; /* under lock; owned */
};

/* MHD thread */
static void on_health(struct http_request *req, void *ctx)
{
    (void)ctx;
    http_respond_json(req, 200,
                      json_pack("{s:s, s:s, s:s}", "status", "ok", "service",
                                "processor", "version", CCAI_VERSION),
                      NULL);
}

/* MHD thread */
static void on_ready(struct http_request *req, void *ctx)
{
    struct admin *a = ctx;
    bool ready = false;
    char why[160];

    pthread_mutex_lock(&a->lock);
    ready = a->ready;
    (void)snprintf(why, sizeof(why), "%s", a->why);
    pthread_mutex_unlock(&a->lock);
    if (ready) {
        http_respond_json(
            req, 200,
            json_pack("{s:s, s:s}", "status", "ready", "service", "processor"),
            NULL);
        return;
    }
    http_respond_error(req, CCAI_E_UNAVAILABLE, "not ready: %s",
                       why[0] ? why : "starting");
}

/* MHD thread */
static void on_stats(struct http_request *req, void *ctx)
{
    struct admin *a = ctx;
    char *copy = NULL;

    pthread_mutex_lock(&a->lock);
    copy = a->stats_json ? strdup(a->stats_json) : NULL;
    pthread_mutex_unlock(&a->lock);
    if (copy == NULL) {
        http_respond(req, 200, "application/json", "{}", 2, NULL);
        return;
    }
    http_respond(req, 200, "application/json", copy, strlen(copy), NULL);
    free(copy);
}

/* MHD thread */
static void on_metrics(struct http_request *req, void *ctx)
{
    struct admin *a = ctx;
    size_t len = 0;
    char *text = ccai_metrics_render(a->metrics, &len);

    if (text == NULL) {
        http_respond_error(req, CCAI_E_INTERNAL, "cannot render metrics");
        return;
    }
    http_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8", text,
                 len, NULL);
    free(text);
}

static const struct http_route routes[] = {
    {HTTP_GET | HTTP_HEAD, "/api/v1/processor/health", on_health, "health"},
    {HTTP_GET | HTTP_HEAD, "/api/v1/processor/ready", on_ready, "ready"},
    {HTTP_GET | HTTP_HEAD, "/api/v1/processor/stats", on_stats, "stats"},
    {HTTP_GET | HTTP_HEAD, "/metrics", on_metrics, "metrics"},
};

struct admin *admin_start(const char *bind_addr,
                          uint16_t port,
                          struct ccai_metrics *metrics,
                          struct ccai_error *err)
{
    struct admin *a = calloc(1, sizeof(*a));
    struct http_server_config hc;

    if (a == NULL) {
        ccai_error_set(err, CCAI_E_NOMEM, "", "out of memory");
        return NULL;
    }
    pthread_mutex_init(&a->lock, NULL);
    a->metrics = metrics;
    (void)snprintf(a->why, sizeof(a->why), "starting");
    memset(&hc, 0, sizeof(hc));
    hc.service = "processor";
    hc.bind_addr = bind_addr;
    hc.port = port;
    hc.max_body = 4096;
    hc.threads = 2; /* MHD ignores (and warns about) a pool of 1 */
    hc.max_connections = 256;
    hc.idle_timeout_s = 30;
    hc.routes = routes;
    hc.n_routes = sizeof(routes) / sizeof(routes[0]);
    hc.ctx = a;
    hc.metrics = metrics;
    a->srv = http_server_start(&hc, err);
    if (a->srv == NULL) {
        pthread_mutex_destroy(&a->lock);
        free(a);
        return NULL;
    }
    return a;
}

void admin_publish(struct admin *a,
                   bool ready,
                   const char *why,
                   char *stats_json)
{
    char *old = NULL;

    pthread_mutex_lock(&a->lock);
    a->ready = ready;
    (void)snprintf(a->why, sizeof(a->why), "%s", why ? why : "");
    if (stats_json) {
        old = a->stats_json;
        a->stats_json = stats_json;
    }
    pthread_mutex_unlock(&a->lock);
    free(old);
}

void admin_stop(struct admin *a)
{
    if (a == NULL)
        return;
    http_server_stop(a->srv, 1000);
    pthread_mutex_destroy(&a->lock);
    free(a->stats_json);
    free(a);
}
