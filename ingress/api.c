/* api - routes and handlers of the ingress; see api.h. Handlers run on
 * MHD threads; answers for produced events come from the producer's poll
 * thread through api_on_delivery. */
#include "api.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth.h"
#include "contact_event.h"
#include "event_store.h"
#include "id.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit.h"
#include "request.h"

#include "banned.h"

struct api {
    const struct ingress_config *cfg;
    struct auth *auth;    /* NULL when INGRESS_AUTH=none */
    struct ratelimit *rl; /* NULL when off */
    struct producer *producer;
    struct event_store *store;
    struct ccai_metrics *metrics;
    atomic_long inflight;
    atomic_bool stopping;
    struct ccai_gauge *inflight_gauge;
    struct ccai_counter *auth_failures;
    struct ccai_counter *rate_limited;
    struct ccai_counter *overloaded;
    struct ccai_counter *events_accepted;
    struct ccai_counter *events_rejected;
    struct ccai_counter *events_failed;
};

/* One item of a POST: its delivery outcome. */
struct item_result {
    struct submit *sub;
    size_t index;
    bool sent;
    enum ccai_status status; /* CCAI_OK accepted; else why not */
    int32_t partition;
    int64_t offset;
    struct ccai_error *err; /* owned; a failure before or after sending */
};

/* Per-request state of POST /events[/batch], freed by http.c when the
 * request is done (after the answer, so after every delivery report). */
struct submit {
    struct api *api;
    struct http_request *req;
    bool is_batch;
    bool counted;            /* holds one unit of api->inflight */
    atomic_size_t remaining; /* reports outstanding + the handler's guard */
    char tenant[AUTH_TENANT_MAX];
    char trace[CCAI_TRACEPARENT_LEN + 1];
    struct contact_event ev; /* single */
    bool has_ev;
    struct request_batch batch;
    size_t n_results;
    struct item_result *results;
};

static void submit_free(void *app)
{
    struct submit *sub = app;

    if (sub == NULL)
        return;
    if (sub->has_ev)
        contact_event_release(&sub->ev);
    request_batch_release(&sub->batch);
    for (size_t i = 0; i < sub->n_results; i++)
        free(sub->results[i].err);
    free(sub->results);
    free(sub);
}

/* ---- answering ---------------------------------------------------- */

static struct contact_event *item_event(struct submit *sub, size_t i)
{
    return sub->is_batch ? &sub->batch.items[i].ev : &sub->ev;
}

static void answer_single(struct submit *sub)
{
    struct item_result *r = &sub->results[0];
    char location[200];
    const char *hdrs[3] = {"Location", location, NULL};
    char body[512];
    int len = 0;

    if (r->status != CCAI_OK) { /* a 503 gets Retry-After from http.c */
        if (r->err != NULL) {
            http_respond_problem(sub->req, r->err, NULL);
        } else {
            /* the detailed error could not be allocated */
            struct ccai_error err;

            ccai_error_clear(&err);
            ccai_error_set(&err, r->status, "", "event not accepted");
            http_respond_problem(sub->req, &err, NULL);
        }
        return;
    }
    (void)snprintf(location, sizeof(location), "/api/v1/events/%s",
                   sub->ev.event_id);
    /* ids are validated to [A-Za-z0-9._:-]: nothing to escape, and this
     * is the hot path, so no jansson round trip */
    len = snprintf(body, sizeof(body),
                   "{\"event_id\":\"%s\",\"contact_id\":\"%s\","
                   "\"status\":\"accepted\",\"partition\":%d,"
                   "\"offset\":%lld}",
                   sub->ev.event_id, sub->ev.contact_id, (int)r->partition,
                   (long long)r->offset);
    if (len < 0 || (size_t)len >= sizeof(body)) {
        http_respond_error(sub->req, CCAI_E_INTERNAL, "cannot render answer");
        return;
    }
    http_respond(sub->req, 202, "application/json", body, (size_t)len, hdrs);
}

static void answer_batch(struct submit *sub)
{
    json_t *root = json_object();
    json_t *items = json_array();
    size_t accepted = 0, rejected = 0, failed = 0;

    for (size_t i = 0; i < sub->n_results; i++) {
        struct item_result *r = &sub->results[i];
        struct request_item *it = &sub->batch.items[i];
        json_t *o = json_object();
        const char *status = NULL;

        json_object_set_new(o, "index", json_integer((json_int_t)i));
        json_object_set_new(o, "event_id",
                            it->err == NULL && it->ev.event_id
                                ? json_string(it->ev.event_id)
                                : json_null());
        if (r->status == CCAI_OK) {
            status = "accepted";
            accepted++;
            json_object_set_new(o, "partition", json_integer(r->partition));
            json_object_set_new(o, "offset", json_integer(r->offset));
        } else if (r->status == CCAI_E_INVALID) {
            status = "rejected";
            rejected++;
        } else {
            status = "failed";
            failed++;
        }
        json_object_set_new(o, "status", json_string(status));
        if (r->status != CCAI_OK && (r->err || it->err))
            json_object_set_new(
                o, "error",
                http_problem_json("ingress", r->err ? r->err : it->err));
        json_array_append_new(items, o);
    }
    json_object_set_new(root, "items", items);
    json_object_set_new(root, "accepted", json_integer((json_int_t)accepted));
    json_object_set_new(root, "rejected", json_integer((json_int_t)rejected));
    json_object_set_new(root, "failed", json_integer((json_int_t)failed));
    http_respond_json(sub->req, 200, root, NULL);
}

/* The last of the handler and the delivery reports answers. */
static void submit_release_ref(struct submit *sub)
{
    struct api *api = sub->api;

    if (atomic_fetch_sub(&sub->remaining, 1) != 1)
        return;
    for (size_t i = 0; i < sub->n_results; i++) {
        struct item_result *r = &sub->results[i];

        if (r->status == CCAI_OK) {
            ccai_counter_add(api->events_accepted, 1);
            event_store_put(api->store, item_event(sub, i)->event_id,
                            ccai_mono_ms());
        } else if (r->status == CCAI_E_INVALID) {
            ccai_counter_add(api->events_rejected, 1);
        } else {
            ccai_counter_add(api->events_failed, 1);
        }
    }
    if (sub->counted) {
        atomic_fetch_sub(&api->inflight, 1);
        ccai_gauge_add(api->inflight_gauge, -1);
    }
    /* after this call the request may be freed at any time */
    if (sub->is_batch)
        answer_batch(sub);
    else
        answer_single(sub);
}

void api_on_delivery(void *ctx,
                     void *msg_opaque,
                     const struct producer_result *res)
{
    struct item_result *r = msg_opaque;

    (void)ctx;
    r->status = res->status;
    r->partition = res->partition;
    r->offset = res->offset;
    if (res->status != CCAI_OK) {
        r->err = calloc(1, sizeof(*r->err));
        if (res->status == CCAI_E_UNAVAILABLE)
            ccai_error_set(r->err, CCAI_E_UNAVAILABLE, "",
                           "the broker did not accept the event (%s); it "
                           "was not written, retry",
                           res->reason);
        else
            ccai_error_set(r->err, CCAI_E_TIMEOUT, "",
                           "the broker did not confirm the event in time "
                           "(%s); it may have been written: retry with the "
                           "same event_id",
                           res->reason);
    }
    submit_release_ref(r->sub);
}

/* ---- sending -------------------------------------------------------- */

/* Room for a typical event's record on the stack; larger ones (long text)
 * take one heap buffer for the duration of the call. */
#define SEND_STACK_BYTES 4096

/* Stamp and send one valid event; failures land in @r. */
static void
send_one(struct submit *sub, struct contact_event *ev, struct item_result *r)
{
    struct api *api = sub->api;
    struct request_headers hdr;
    struct ccai_error err;
    char stack[SEND_STACK_BYTES];
    char *value = stack;
    char *heap = NULL;
    size_t len = 0;

    ccai_error_clear(&err);
    if (request_stamp(ev, sub->tenant, sub->trace, ccai_now_ms(), &err) != 0)
        goto fail;
    /* serialised once, straight from the validated tree; the producer
     * copies it into its message (F_COPY), so no allocation survives */
    len = contact_event_to_buf(ev, stack, sizeof(stack));
    if (len >= sizeof(stack)) {
        heap = malloc(len + 1);
        value = heap;
        if (heap == NULL || contact_event_to_buf(ev, heap, len + 1) != len)
            len = 0;
    }
    if (len == 0) {
        ccai_error_set(&err, CCAI_E_NOMEM, "", "cannot serialise the event");
        goto fail;
    }
    request_kafka_headers(ev, sub->tenant, sub->trace, &hdr);
    atomic_fetch_add(&sub->remaining, 1);
    if (producer_send(api->producer, ev->contact_id, value, len, hdr.name,
                      hdr.value, hdr.n, r, &err) == 0) {
        r->sent = true;
        free(heap);
        return;
    }
    atomic_fetch_sub(&sub->remaining, 1);
fail:
    free(heap);
    r->status = err.status == CCAI_OK ? CCAI_E_INTERNAL : err.status;
    r->err = calloc(1, sizeof(*r->err));
    if (r->err)
        *r->err = err;
}

/* ---- shared checks ------------------------------------------------ */

static void count(struct ccai_counter *c)
{
    ccai_counter_add(c, 1);
}

/* Authenticate and rate-limit; answers and returns -1 on refusal. */
static int
admit(struct api *api, struct http_request *req, char tenant[AUTH_TENANT_MAX])
{
    struct ccai_error err;
    long idx = 0;
    long retry = 0;

    ccai_error_clear(&err);
    if (api->auth) {
        const char *key =
            auth_presented_key(http_request_header(req, "Authorization"),
                               http_request_header(req, "X-API-Key"));
        static const char *const www[] = {"WWW-Authenticate",
                                          "Bearer realm=\"ccai\"", NULL};

        idx = auth_check(api->auth, key, &err);
        if (idx < 0) {
            count(api->auth_failures);
            http_respond_problem(req, &err, www);
            return -1;
        }
        (void)snprintf(tenant, AUTH_TENANT_MAX, "%s",
                       api->auth->keys[idx].tenant);
    } else {
        (void)snprintf(tenant, AUTH_TENANT_MAX, "%s", AUTH_TENANT_NONE);
    }
    if (!ratelimit_take(api->rl, (size_t)idx, 1.0, ccai_mono_ms(), &retry)) {
        char secs[24];
        const char *hdrs[3] = {"Retry-After", secs, NULL};

        (void)snprintf(secs, sizeof(secs), "%ld", retry);
        count(api->rate_limited);
        ccai_error_set(&err, CCAI_E_RATE_LIMITED, "",
                       "rate limit of %ld requests/s exceeded; retry in %ld s",
                       api->cfg->rate_limit_rps, retry);
        http_respond_problem(req, &err, hdrs);
        return -1;
    }
    return 0;
}

static struct submit *
submit_new(struct api *api, struct http_request *req, bool is_batch)
{
    struct submit *sub = calloc(1, sizeof(*sub));

    if (sub == NULL)
        return NULL;
    sub->api = api;
    sub->req = req;
    sub->is_batch = is_batch;
    atomic_init(&sub->remaining, 1); /* the handler's guard */
    request_trace(http_request_header(req, "traceparent"), sub->trace);
    http_request_set_app(req, sub, submit_free);
    return sub;
}

/* Take a slot of INGRESS_MAX_INFLIGHT, or answer 503. */
static int take_slot(struct api *api, struct submit *sub)
{
    if (atomic_fetch_add(&api->inflight, 1) >= api->cfg->max_inflight) {
        atomic_fetch_sub(&api->inflight, 1);
        count(api->overloaded);
        struct ccai_error err;
        ccai_error_clear(&err);
        ccai_error_set(&err, CCAI_E_UNAVAILABLE, "",
                       "too many requests waiting for the broker (%ld)",
                       api->cfg->max_inflight);
        http_respond_problem(sub->req, &err, NULL);
        return -1;
    }
    /* checked after taking the slot: api_stop_accepting sets the flag,
     * then waits for inflight to drain, so one of the two sees the other */
    if (atomic_load(&api->stopping)) {
        atomic_fetch_sub(&api->inflight, 1);
        http_respond_error(sub->req, CCAI_E_UNAVAILABLE,
                           "the ingress is shutting down");
        return -1;
    }
    ccai_gauge_add(api->inflight_gauge, 1);
    sub->counted = true;
    return 0;
}

/* ---- handlers ----------------------------------------------------- */

static void on_submit(struct http_request *req, void *ctx)
{
    struct api *api = ctx;
    struct submit *sub = NULL;
    struct ccai_error err;
    size_t len = 0;
    const char *body = http_request_body(req, &len);

    ccai_error_clear(&err);
    sub = submit_new(api, req, false);
    if (sub == NULL) {
        http_respond_error(req, CCAI_E_NOMEM, "out of memory");
        return;
    }
    if (admit(api, req, sub->tenant) != 0)
        return;
    if (request_parse_event(http_request_header(req, "Content-Type"), body, len,
                            &sub->ev, &err) != 0) {
        count(api->events_rejected);
        http_respond_problem(req, &err, NULL);
        return;
    }
    sub->has_ev = true;
    sub->results = calloc(1, sizeof(*sub->results));
    if (sub->results == NULL) {
        http_respond_error(req, CCAI_E_NOMEM, "out of memory");
        return;
    }
    sub->n_results = 1;
    sub->results[0].sub = sub;
    if (take_slot(api, sub) != 0)
        return;
    send_one(sub, &sub->ev, &sub->results[0]);
    submit_release_ref(sub); /* answers now if nothing was sent */
}

static void on_submit_batch(struct http_request *req, void *ctx)
{
    struct api *api = ctx;
    struct submit *sub = NULL;
    struct ccai_error err;
    size_t len = 0;
    const char *body = http_request_body(req, &len);

    ccai_error_clear(&err);
    sub = submit_new(api, req, true);
    if (sub == NULL) {
        http_respond_error(req, CCAI_E_NOMEM, "out of memory");
        return;
    }
    if (admit(api, req, sub->tenant) != 0)
        return;
    if (request_parse_batch(http_request_header(req, "Content-Type"), body, len,
                            &sub->batch, &err) != 0) {
        http_respond_problem(req, &err, NULL);
        return;
    }
    sub->results = calloc(sub->batch.n, sizeof(*sub->results));
    if (sub->results == NULL) {
        http_respond_error(req, CCAI_E_NOMEM, "out of memory");
        return;
    }
    sub->n_results = sub->batch.n;
    if (take_slot(api, sub) != 0)
        return;
    for (size_t i = 0; i < sub->batch.n; i++) {
        struct item_result *r = &sub->results[i];
        struct request_item *it = &sub->batch.items[i];

        r->sub = sub;
        r->index = i;
        if (it->err) {
            r->status = CCAI_E_INVALID; /* answered with it->err */
            continue;
        }
        send_one(sub, &it->ev, r);
    }
    submit_release_ref(sub);
}

static void on_get_event(struct http_request *req, void *ctx)
{
    struct api *api = ctx;
    char tenant[AUTH_TENANT_MAX];
    const char *id = http_request_param(req, 0);
    json_t *root = NULL;

    if (admit(api, req, tenant) != 0)
        return;
    if (id == NULL || !contact_event_id_is_valid(id) ||
        !event_store_has(api->store, id, ccai_mono_ms())) {
        http_respond_error(req, CCAI_E_NOT_FOUND,
                           "no event '%s' seen in the last %ld s", id ? id : "",
                           api->cfg->results_window_s);
        return;
    }
    /* results are not consumed yet (a later issue): accepted = pending */
    root = json_pack("{s:s, s:s, s:n}", "event_id", id, "status", "pending",
                     "result");
    http_respond_json(req, 200, root, NULL);
}

static void on_not_implemented(struct http_request *req, void *ctx)
{
    struct api *api = ctx;
    char tenant[AUTH_TENANT_MAX];

    if (admit(api, req, tenant) != 0)
        return;
    http_respond_error(req, CCAI_E_NOT_IMPLEMENTED, "%s is not implemented yet",
                       http_request_path(req));
}

static void on_health(struct http_request *req, void *ctx)
{
    (void)ctx;
    http_respond_json(req, 200,
                      json_pack("{s:s, s:s, s:s}", "status", "ok", "service",
                                "ingress", "version", CCAI_VERSION),
                      NULL);
}

static void on_ready(struct http_request *req, void *ctx)
{
    struct api *api = ctx;
    char why[128];

    if (api->producer && producer_is_ready(api->producer, why, sizeof(why))) {
        http_respond_json(
            req, 200,
            json_pack("{s:s, s:s}", "status", "ready", "service", "ingress"),
            NULL);
        return;
    }
    if (api->producer == NULL)
        (void)snprintf(why, sizeof(why), "producer not started");
    http_respond_error(req, CCAI_E_UNAVAILABLE, "not ready: %s", why);
}

static void on_metrics(struct http_request *req, void *ctx)
{
    struct api *api = ctx;
    size_t len = 0;
    char *text = NULL;

    ccai_gauge_set(api->inflight_gauge, atomic_load(&api->inflight));
    text = ccai_metrics_render(api->metrics, &len);
    if (text == NULL) {
        http_respond_error(req, CCAI_E_NOMEM, "out of memory");
        return;
    }
    http_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8", text,
                 len, NULL);
    free(text);
}

static const struct http_route routes[] = {
    {HTTP_POST, "/api/v1/events", on_submit, "events_submit"},
    {HTTP_POST, "/api/v1/events/batch", on_submit_batch, "events_batch"},
    {HTTP_GET | HTTP_HEAD, "/api/v1/events/{}", on_get_event, "events_get"},
    {HTTP_GET | HTTP_HEAD, "/api/v1/contacts/{}", on_not_implemented,
     "contacts_get"},
    {HTTP_GET, "/api/v1/contacts/{}/stream", on_not_implemented,
     "contacts_stream"},
    {HTTP_GET | HTTP_HEAD, "/api/v1/health", on_health, "health"},
    {HTTP_GET | HTTP_HEAD, "/api/v1/ready", on_ready, "ready"},
    {HTTP_GET, "/metrics", on_metrics, "metrics"},
};

const struct http_route *api_routes(size_t *n)
{
    *n = sizeof(routes) / sizeof(routes[0]);
    return routes;
}

struct api *api_new(const struct ingress_config *cfg,
                    struct ccai_metrics *metrics,
                    struct ccai_error *err)
{
    struct api *api = calloc(1, sizeof(*api));
    struct ccai_metrics *m = metrics;
    static const char *const ev_help = "Events by outcome";

    if (api == NULL) {
        ccai_error_set(err, CCAI_E_NOMEM, "", "out of memory");
        return NULL;
    }
    api->cfg = cfg;
    api->metrics = metrics;
    if (cfg->auth_mode == INGRESS_AUTH_KEYS) {
        api->auth = auth_new(cfg->api_keys, err);
        if (api->auth == NULL)
            goto fail;
    }
    if (cfg->rate_limit_rps > 0) {
        api->rl = ratelimit_new(cfg->rate_limit_rps, cfg->rate_limit_burst,
                                api->auth ? api->auth->n_keys : 1);
        if (api->rl == NULL) {
            ccai_error_set(err, CCAI_E_NOMEM, "", "out of memory");
            goto fail;
        }
    }
    api->store = event_store_new(cfg->results_window_s * 1000, 0);
    if (api->store == NULL) {
        ccai_error_set(err, CCAI_E_NOMEM, "", "out of memory");
        goto fail;
    }
    api->inflight_gauge =
        ccai_metrics_gauge(m, "ccai_ingress_inflight_requests",
                           "Requests waiting for the broker", NULL);
    api->auth_failures =
        ccai_metrics_counter(m, "ccai_ingress_auth_failures_total",
                             "Requests refused with 401", NULL);
    api->rate_limited =
        ccai_metrics_counter(m, "ccai_ingress_rate_limited_total",
                             "Requests refused with 429", NULL);
    api->overloaded = ccai_metrics_counter(
        m, "ccai_ingress_overloaded_total",
        "Requests refused with 503 at INGRESS_MAX_INFLIGHT", NULL);
    api->events_accepted = ccai_metrics_counter(
        m, "ccai_ingress_events_total", ev_help, "outcome=\"accepted\"");
    api->events_rejected = ccai_metrics_counter(
        m, "ccai_ingress_events_total", ev_help, "outcome=\"rejected\"");
    api->events_failed = ccai_metrics_counter(m, "ccai_ingress_events_total",
                                              ev_help, "outcome=\"failed\"");
    return api;
fail:
    api_free(api);
    return NULL;
}

void api_set_producer(struct api *api, struct producer *producer)
{
    api->producer = producer;
}

void api_stop_accepting(struct api *api)
{
    atomic_store(&api->stopping, true);
}

long api_inflight(const struct api *api)
{
    return atomic_load(&((struct api *)api)->inflight);
}

void api_free(struct api *api)
{
    if (api == NULL)
        return;
    auth_free(api->auth);
    ratelimit_free(api->rl);
    event_store_free(api->store);
    free(api);
}
