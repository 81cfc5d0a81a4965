/* http - routing, bounded bodies, problem+json and suspend/resume on
 * libmicrohttpd; see http.h. Handlers run on MHD threads; answers may come
 * from any thread and resume the suspended connection. */
#include "http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "buf.h"
#include "log.h"
#include "metrics.h"

#include "banned.h"

#define HTTP_MAX_PARAMS 4
#define HTTP_PARAM_MAX  256
#define HTTP_PATH_MAX   512
/* a body this many times over the limit is not worth reading to the end */
#define HTTP_DISCARD_FACTOR 4

struct http_server {
    struct MHD_Daemon *daemon;
    struct http_server_config cfg;
    atomic_uint pending;   /* deferred requests not answered yet */
    atomic_uint in_flight; /* requests between first callback and done */
    atomic_bool quiesced;
    struct ccai_histogram *latency;
    /* requests_total series by route (n_routes = unmatched) and code slot,
     * filled on first use so /metrics only lists what happened */
    _Atomic(struct ccai_counter *) *counters;
};

enum req_state {
    REQ_READING = 0, /* collecting the body */
    REQ_HANDLING,    /* handler running */
    REQ_SUSPENDED,   /* deferred, connection suspended */
    REQ_ANSWERED,    /* response stored, waiting to be queued */
    REQ_QUEUED,      /* response handed to MHD */
};

/* An answer packed in one block: the header pointers, the header strings,
 * the content type and the body. */
struct http_answer {
    char *block;                /* owned */
    const char *const *headers; /* into block; NULL-terminated */
    const char *type;           /* into block, or NULL */
    const char *body;           /* into block */
    size_t len;
};

struct http_request {
    struct http_server *srv;
    struct MHD_Connection *conn;
    pthread_mutex_t lock;
    enum req_state state;
    bool deferred;
    enum http_method method;
    const struct http_route *route;
    enum ccai_status early; /* CCAI_OK, or 404/405/413 decided early */
    unsigned allowed;       /* methods of routes matching the path */
    const char *params[HTTP_MAX_PARAMS]; /* into text, after the path */
    unsigned n_params;
    char request_id[72];
    struct ccai_buf body;
    size_t discarded;
    /* the stored answer; the MHD response is
     * built from it on the MHD thread (queue_stored), so an answer given
     * on another thread allocates once there and nothing MHD frees
     * crosses threads. The body is handed to MHD without a copy and the
     * block freed with the request. */
    struct http_answer answer;
    int status;
    uint64_t start_ns;
    void *app;
    http_app_free_fn *app_free;
    /* the path (at most HTTP_PATH_MAX - 1 bytes), then room for the
     * captured parameters (never longer than the path, plus their NULs):
     * sized per request so the state stays small (no 1.5 KB of fixed
     * arrays to zero on every request) */
    char *path;
    char text[];
};

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static enum http_method method_parse(const char *m)
{
    static const struct {
        const char *name;
        enum http_method method;
    } map[] = {{"GET", HTTP_GET},
               {"POST", HTTP_POST},
               {"PUT", HTTP_PUT},
               {"DELETE", HTTP_DELETE},
               {"HEAD", HTTP_HEAD}};

    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(m, map[i].name) == 0)
            return map[i].method;
    return HTTP_OTHER;
}

/* Match @path against @pattern, capturing "{}" segments. Pure. */
static bool
route_match(const char *pattern, const char *path, struct http_request *req)
{
    const char *p = pattern;
    const char *s = path;
    unsigned n = 0;
    /* parameters are copied after the path's NUL: together they are
     * shorter than the path plus one NUL each */
    char *out = req->path + strlen(req->path) + 1;

    while (*p && *s) {
        if (p[0] == '{' && p[1] == '}') {
            const char *end = strchr(s, '/');
            size_t len = end ? (size_t)(end - s) : strlen(s);

            if (len == 0 || len >= HTTP_PARAM_MAX || n >= HTTP_MAX_PARAMS)
                return false;
            memcpy(out, s, len);
            out[len] = '\0';
            req->params[n] = out;
            out += len + 1;
            n++;
            s += len;
            p += 2;
            continue;
        }
        if (*p != *s)
            return false;
        p++;
        s++;
    }
    if (*p != '\0' || *s != '\0')
        return false;
    req->n_params = n;
    return true;
}

static void route_request(struct http_server *srv, struct http_request *req)
{
    bool path_known = false;

    for (size_t i = 0; i < srv->cfg.n_routes; i++) {
        const struct http_route *r = &srv->cfg.routes[i];

        if (!route_match(r->pattern, req->path, req))
            continue;
        path_known = true;
        req->allowed |= r->methods;
        if (r->methods & req->method) {
            req->route = r;
            return;
        }
    }
    req->early = path_known ? CCAI_E_METHOD : CCAI_E_NOT_FOUND;
}

static void request_id_init(struct http_request *req, const char *given)
{
    size_t o = 0;

    if (given) {
        /* echo only a safe subset: no header injection, bounded length */
        for (const char *p = given; *p && o + 1 < sizeof(req->request_id);
             p++) {
            unsigned char c = (unsigned char)*p;
            if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':')
                req->request_id[o++] = (char)c;
        }
    }
    if (o == 0) {
        static atomic_uint_fast64_t seq;
        uint64_t n = atomic_fetch_add(&seq, 1);
        o = (size_t)snprintf(
            req->request_id, sizeof(req->request_id), "req-%llx-%llx",
            (unsigned long long)(now_ns() / 1000), (unsigned long long)n);
    }
    req->request_id[o < sizeof(req->request_id) ? o : 0] = '\0';
}

static struct http_request *request_new(struct http_server *srv,
                                        struct MHD_Connection *conn,
                                        const char *url,
                                        const char *method)
{
    size_t path_len = strnlen(url, HTTP_PATH_MAX);
    struct http_request *req = NULL;

    if (path_len == HTTP_PATH_MAX) /* too long: answered 404 below */
        path_len = HTTP_PATH_MAX - 1;
    req = calloc(1, sizeof(*req) + 2 * (path_len + 1) + HTTP_MAX_PARAMS);
    if (req == NULL)
        return NULL;
    req->path = req->text;
    req->srv = srv;
    req->conn = conn;
    pthread_mutex_init(&req->lock, NULL);
    req->start_ns = now_ns();
    req->method = method_parse(method);
    memcpy(req->path, url, path_len);
    req->path[path_len] = '\0';
    if (url[path_len] != '\0')
        req->early = CCAI_E_NOT_FOUND;
    ccai_buf_init(&req->body, srv->cfg.max_body);
    request_id_init(req, MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     "X-Request-Id"));
    if (req->early == CCAI_OK)
        route_request(srv, req);
    atomic_fetch_add(&srv->in_flight, 1);
    return req;
}

static void request_free(struct http_request *req)
{
    if (req->app_free)
        req->app_free(req->app);
    free(req->answer.block);
    ccai_buf_release(&req->body);
    pthread_mutex_destroy(&req->lock);
    atomic_fetch_sub(&req->srv->in_flight, 1);
    free(req);
}

/* Build the MHD response of the stored answer and queue it; MHD thread,
 * inside the access callback. */
static enum MHD_Result queue_stored(struct http_request *req)
{
    static const char oom[] = "{\"status\":503}";
    struct MHD_Response *resp = NULL;
    enum MHD_Result rc = MHD_NO;

    pthread_mutex_lock(&req->lock);
    req->state = REQ_QUEUED;
    pthread_mutex_unlock(&req->lock);
    /* PERSISTENT: the body stays in req->answer until the request is
     * done, after the last byte is sent */
    if (req->answer.block != NULL)
        resp = MHD_create_response_from_buffer(
            req->answer.len, (void *)req->answer.body, MHD_RESPMEM_PERSISTENT);
    if (resp == NULL) {
        LOG_ERROR("http", "cannot create response: out of memory");
        req->status = 503;
        req->answer.type = "application/problem+json";
        req->answer.headers = NULL;
        resp = MHD_create_response_from_buffer(sizeof(oom) - 1, (void *)oom,
                                               MHD_RESPMEM_PERSISTENT);
        if (resp == NULL)
            return MHD_NO; /* drop the connection */
    }
    if (req->answer.type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                req->answer.type);
    MHD_add_response_header(resp, "X-Request-Id", req->request_id);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    for (size_t i = 0; req->answer.headers && req->answer.headers[i]; i += 2)
        MHD_add_response_header(resp, req->answer.headers[i],
                                req->answer.headers[i + 1]);
    rc = MHD_queue_response(req->conn, (unsigned)req->status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static const int counted_codes[] = {200, 202, 400, 401, 403, 404, 405, 409,
                                    413, 415, 429, 500, 501, 503, 504};
#define N_COUNTED_CODES (sizeof(counted_codes) / sizeof(counted_codes[0]))

/* The cache slot of (@req's route, @req's status), or NULL. */
static _Atomic(struct ccai_counter *) *counter_slot(struct http_request *req)
{
    struct http_server *srv = req->srv;
    size_t route = srv->cfg.n_routes;

    if (srv->counters == NULL)
        return NULL;
    if (req->route)
        route = (size_t)(req->route - srv->cfg.routes);
    for (size_t i = 0; i < N_COUNTED_CODES; i++)
        if (counted_codes[i] == req->status)
            return &srv->counters[route * N_COUNTED_CODES + i];
    return NULL;
}

static void count_request(struct http_request *req)
{
    struct ccai_metrics *m = req->srv->cfg.metrics;
    _Atomic(struct ccai_counter *) *slot = NULL;
    struct ccai_counter *c = NULL;
    char labels[160];
    char family[96];

    if (m == NULL)
        return;
    slot = counter_slot(req);
    if (slot)
        c = atomic_load(slot);
    if (c == NULL) {
        (void)snprintf(family, sizeof(family), "ccai_%s_http_requests_total",
                       req->srv->cfg.service);
        (void)snprintf(labels, sizeof(labels), "route=\"%s\",code=\"%d\"",
                       req->route ? req->route->name : "unmatched",
                       req->status);
        c = ccai_metrics_counter(m, family, "HTTP requests answered", labels);
        if (slot)
            atomic_store(slot, c); /* the registry returns the same series */
    }
    ccai_counter_add(c, 1);
    ccai_histogram_observe(req->srv->latency,
                           (double)(now_ns() - req->start_ns) / 1e9);
}

/* Copy @s (with its NUL) to @o; returns the copy. */
static const char *copy_str(char **o, const char *s)
{
    size_t n = strlen(s) + 1;
    char *dst = *o;

    memcpy(dst, s, n);
    *o += n;
    return dst;
}

/* Pack an answer into one allocation; @ans->block is NULL on
 * out-of-memory. Any thread. */
static void answer_pack(struct http_answer *ans,
                        const char *content_type,
                        const char *body,
                        size_t len,
                        const char *const *headers)
{
    size_t n = 0;
    size_t size = len + 1;
    const char **hdrs = NULL;
    char *o = NULL;

    memset(ans, 0, sizeof(*ans));
    for (; headers && headers[n] && headers[n + 1]; n += 2)
        size += strlen(headers[n]) + strlen(headers[n + 1]) + 2;
    if (content_type)
        size += strlen(content_type) + 1;
    ans->block = malloc((n + 1) * sizeof(*hdrs) + size);
    if (ans->block == NULL)
        return;
    hdrs = (const char **)(void *)ans->block;
    o = ans->block + (n + 1) * sizeof(*hdrs);
    for (size_t i = 0; i < n; i++)
        hdrs[i] = copy_str(&o, headers[i]);
    hdrs[n] = NULL;
    ans->headers = hdrs;
    ans->type = content_type ? copy_str(&o, content_type) : NULL;
    if (len > 0)
        memcpy(o, body, len);
    o[len] = '\0';
    ans->body = o;
    ans->len = len;
}

void http_respond(struct http_request *req,
                  int status,
                  const char *content_type,
                  const char *body,
                  size_t len,
                  const char *const *headers)
{
    struct http_answer ans;
    bool resume = false;

    /* a NULL block makes queue_stored send the out-of-memory 503 */
    answer_pack(&ans, content_type, body, len, headers);
    pthread_mutex_lock(&req->lock);
    if (req->state >= REQ_ANSWERED) {
        LOG_ERROR("http", "request %s answered twice", req->request_id);
        pthread_mutex_unlock(&req->lock);
        free(ans.block);
        return;
    }
    req->answer = ans;
    req->status = ans.block ? status : 503;
    /* count while @req is surely alive: once the lock is released an
     * answer given during REQ_HANDLING may be queued, sent and freed by
     * the MHD thread at any moment */
    count_request(req);
    if (req->state == REQ_SUSPENDED)
        resume = true;
    req->state = REQ_ANSWERED;
    pthread_mutex_unlock(&req->lock);
    if (resume) {
        /* still suspended: MHD does not touch @req until the resume */
        atomic_fetch_sub(&req->srv->pending, 1);
        MHD_resume_connection(req->conn);
    }
}

void http_respond_json(struct http_request *req,
                       int status,
                       json_t *root,
                       const char *const *headers)
{
    char *text = json_dumps(root, JSON_COMPACT);

    json_decref(root);
    if (text == NULL) {
        http_respond_error(req, CCAI_E_INTERNAL, "cannot render response");
        return;
    }
    http_respond(req, status, "application/json", text, strlen(text), headers);
    free(text);
}

static const char *status_title(enum ccai_status status)
{
    switch (status) {
    case CCAI_E_INVALID:
        return "Invalid request";
    case CCAI_E_UNAUTHORIZED:
        return "Unauthorized";
    case CCAI_E_FORBIDDEN:
        return "Forbidden";
    case CCAI_E_NOT_FOUND:
        return "Not found";
    case CCAI_E_METHOD:
        return "Method not allowed";
    case CCAI_E_CONFLICT:
        return "Conflict";
    case CCAI_E_TOO_LARGE:
        return "Payload too large";
    case CCAI_E_MEDIA_TYPE:
        return "Unsupported media type";
    case CCAI_E_RATE_LIMITED:
        return "Too many requests";
    case CCAI_E_NOT_IMPLEMENTED:
        return "Not implemented";
    case CCAI_E_UNAVAILABLE:
    case CCAI_E_NOMEM:
        return "Service unavailable";
    case CCAI_E_TIMEOUT:
        return "Broker did not confirm in time";
    default:
        return "Internal error";
    }
}

json_t *http_problem_json(const char *service, const struct ccai_error *err)
{
    char type[128];
    json_t *root = NULL;
    json_t *errors = NULL;

    (void)snprintf(type, sizeof(type), "urn:ccai:problem:%s",
                   ccai_status_name(err->status));
    root = json_pack(
        "{s:s, s:s, s:i, s:s}", "type", type, "title",
        status_title(err->status), "status", ccai_status_http(err->status),
        "detail", err->message[0] ? err->message : status_title(err->status));
    if (root == NULL)
        return NULL;
    if (service)
        json_object_set_new(root, "service", json_string(service));
    if (err->n_violations == 0 && err->field[0] == '\0')
        return root;
    errors = json_array();
    for (size_t i = 0; i < err->n_violations; i++)
        json_array_append_new(errors,
                              json_pack("{s:s, s:s}", "pointer",
                                        err->violations[i].pointer, "message",
                                        err->violations[i].message));
    if (err->n_violations == 0)
        json_array_append_new(errors,
                              json_pack("{s:s, s:s}", "pointer", err->field,
                                        "message", err->message));
    if (err->n_dropped)
        json_object_set_new(root, "errors_truncated",
                            json_integer((json_int_t)err->n_dropped));
    json_object_set_new(root, "errors", errors);
    return root;
}

static const char *const retry_after_1[] = {"Retry-After", "1", NULL};

void http_respond_problem(struct http_request *req,
                          const struct ccai_error *err,
                          const char *const *headers)
{
    json_t *root = http_problem_json(req->srv->cfg.service, err);
    char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;

    json_decref(root);
    if (text == NULL) {
        static const char fallback[] = "{\"title\":\"Internal error\","
                                       "\"status\":500}";
        http_respond(req, 500, "application/problem+json", fallback,
                     sizeof(fallback) - 1, NULL);
        return;
    }
    /* every 503 tells the client when to come back (PRODUCT.md section 2) */
    if (headers == NULL && ccai_status_http(err->status) == 503)
        headers = retry_after_1;
    http_respond(req, ccai_status_http(err->status), "application/problem+json",
                 text, strlen(text), headers);
    free(text);
}

void http_respond_error(struct http_request *req,
                        enum ccai_status status,
                        const char *fmt,
                        ...)
{
    struct ccai_error err;
    va_list ap;

    ccai_error_clear(&err);
    va_start(ap, fmt);
    ccai_error_vset(&err, status, "", fmt, ap);
    va_end(ap);
    http_respond_problem(req, &err, NULL);
}

static void answer_early(struct http_request *req)
{
    switch (req->early) {
    case CCAI_E_METHOD: {
        static const char *const names[] = {"GET", "POST", "PUT", "DELETE",
                                            "HEAD"};
        char allow[64] = "";
        size_t o = 0;
        const char *hdrs[3] = {"Allow", allow, NULL};
        struct ccai_error err;

        for (unsigned i = 0; i < 5; i++) {
            if (!(req->allowed & (1u << i)) || o >= sizeof(allow))
                continue;
            int n = snprintf(allow + o, sizeof(allow) - o, "%s%s",
                             o ? ", " : "", names[i]);
            if (n > 0)
                o += (size_t)n;
        }
        ccai_error_clear(&err);
        ccai_error_set(&err, CCAI_E_METHOD, "", "method not allowed on %s",
                       req->path);
        http_respond_problem(req, &err, hdrs);
        break;
    }
    case CCAI_E_TOO_LARGE:
        http_respond_error(req, CCAI_E_TOO_LARGE, "body larger than %zu bytes",
                           req->srv->cfg.max_body);
        break;
    default:
        http_respond_error(req, CCAI_E_NOT_FOUND, "no resource at %s",
                           req->path);
        break;
    }
}

static void check_declared_length(struct http_request *req)
{
    const char *cl = MHD_lookup_connection_value(
        req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    char *end = NULL;
    unsigned long long n = 0;

    if (cl == NULL)
        return;
    n = strtoull(cl, &end, 10);
    if (end != cl && n > req->srv->cfg.max_body)
        req->early = CCAI_E_TOO_LARGE;
}

static enum MHD_Result on_access(void *cls,
                                 struct MHD_Connection *conn,
                                 const char *url,
                                 const char *method,
                                 const char *version,
                                 const char *upload_data,
                                 size_t *upload_data_size,
                                 void **con_cls)
{
    struct http_server *srv = cls;
    struct http_request *req = *con_cls;

    (void)version;
    if (req == NULL) {
        req = request_new(srv, conn, url, method);
        if (req == NULL)
            return MHD_NO;
        *con_cls = req;
        if (req->early == CCAI_OK)
            check_declared_length(req);
        if (req->early != CCAI_OK) {
            /* answer before reading the body: 404/405/413 */
            answer_early(req);
            return queue_stored(req);
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (req->early == CCAI_OK &&
            ccai_buf_add(&req->body, upload_data, *upload_data_size) != 0)
            req->early = CCAI_E_TOO_LARGE;
        if (req->early != CCAI_OK) {
            req->discarded += *upload_data_size;
            if (req->discarded > HTTP_DISCARD_FACTOR * srv->cfg.max_body)
                return MHD_NO; /* a flood: drop the connection */
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&req->lock);
    if (req->state == REQ_ANSWERED) {
        pthread_mutex_unlock(&req->lock);
        return queue_stored(req); /* resumed after a deferred answer */
    }
    if (req->state != REQ_READING) {
        pthread_mutex_unlock(&req->lock);
        return MHD_YES; /* spurious call while suspended */
    }
    req->state = REQ_HANDLING;
    pthread_mutex_unlock(&req->lock);

    if (req->early != CCAI_OK)
        answer_early(req);
    else
        req->route->handler(req, srv->cfg.ctx);

    pthread_mutex_lock(&req->lock);
    if (req->state == REQ_ANSWERED) {
        pthread_mutex_unlock(&req->lock);
        return queue_stored(req);
    }
    /* deferred: suspend until http_respond resumes us */
    req->state = REQ_SUSPENDED;
    req->deferred = true;
    atomic_fetch_add(&srv->pending, 1);
    MHD_suspend_connection(conn);
    pthread_mutex_unlock(&req->lock);
    return MHD_YES;
}

static void on_completed(void *cls,
                         struct MHD_Connection *conn,
                         void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_request *req = *con_cls;

    (void)cls;
    (void)conn;
    if (req == NULL)
        return;
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
        LOG_DEBUG("http", "request %s ended early (code %d)", req->request_id,
                  (int)toe);
    request_free(req);
    *con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    size_t len = 0;

    (void)cls;
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    len = strlen(msg);
    while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
        msg[--len] = '\0';
    LOG_WARN("mhd", "%s", msg);
}

/* one daemon, internal epoll thread(s); the thread-pool option only when
 * more than one thread is asked for (MHD warns about a pool of one) */
static struct MHD_Daemon *start_daemon(struct http_server *srv,
                                       const struct http_server_config *cfg,
                                       struct sockaddr_in *addr)
{
    struct MHD_OptionItem opts[] = {
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, NULL},
        {MHD_OPTION_SOCK_ADDR, 0, addr},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, srv},
        {MHD_OPTION_CONNECTION_LIMIT,
         (intptr_t)(cfg->max_connections ? cfg->max_connections : 4096), NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT,
         (intptr_t)(cfg->idle_timeout_s ? cfg->idle_timeout_s : 60), NULL},
        {MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL},
        {MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)cfg->threads, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    size_t n = sizeof(opts) / sizeof(opts[0]);

    if (cfg->threads <= 1) /* drop the pool entry: END moves up */
        opts[n - 2] = opts[n - 1];
    return MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                                MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
                            cfg->port, NULL, NULL, on_access, srv,
                            MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
}

struct http_server *http_server_start(const struct http_server_config *cfg,
                                      struct ccai_error *err)
{
    struct http_server *srv = calloc(1, sizeof(*srv));
    struct sockaddr_in addr;
    char family[96];

    if (srv == NULL) {
        ccai_error_set(err, CCAI_E_NOMEM, "", "out of memory");
        return NULL;
    }
    srv->cfg = *cfg;
    srv->counters =
        calloc((cfg->n_routes + 1) * N_COUNTED_CODES, sizeof(*srv->counters));
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons(cfg->port);
    if (inet_pton(AF_INET, cfg->bind_addr ? cfg->bind_addr : "0.0.0.0",
                  &addr.sin_addr) != 1) {
        ccai_error_set(err, CCAI_E_CONFIG, "", "bad bind address '%s'",
                       cfg->bind_addr);
        free(srv->counters);
        free(srv);
        return NULL;
    }
    (void)snprintf(family, sizeof(family),
                   "ccai_%s_http_request_duration_seconds", cfg->service);
    srv->latency = ccai_metrics_histogram(
        cfg->metrics, family, "HTTP request latency from first byte to answer",
        NULL, ccai_latency_buckets, ccai_latency_buckets_n);
    srv->daemon = start_daemon(srv, cfg, &addr);
    if (srv->daemon == NULL) {
        ccai_error_set(err, CCAI_E_IO, "", "cannot listen on %s:%u",
                       cfg->bind_addr ? cfg->bind_addr : "0.0.0.0",
                       (unsigned)cfg->port);
        free(srv->counters);
        free(srv);
        return NULL;
    }
    return srv;
}

void http_server_quiesce(struct http_server *srv)
{
    if (srv && srv->daemon && !atomic_exchange(&srv->quiesced, true)) {
        MHD_socket fd = MHD_quiesce_daemon(srv->daemon);
        if (fd != MHD_INVALID_SOCKET)
            close(fd);
    }
}

unsigned http_server_pending(const struct http_server *srv)
{
    return srv ? atomic_load(&((struct http_server *)srv)->pending) : 0;
}

unsigned http_server_active(const struct http_server *srv)
{
    return srv ? atomic_load(&((struct http_server *)srv)->in_flight) : 0;
}

uint16_t http_server_port(const struct http_server *srv)
{
    const union MHD_DaemonInfo *info = NULL;

    if (srv == NULL || srv->daemon == NULL)
        return 0;
    info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : srv->cfg.port;
}

void http_server_stop(struct http_server *srv, long grace_ms)
{
    struct timespec ts = {0, 10L * 1000 * 1000};
    long waited = 0;

    if (srv == NULL)
        return;
    http_server_quiesce(srv);
    for (; waited < grace_ms && http_server_pending(srv) > 0; waited += 10)
        nanosleep(&ts, NULL);
    if (http_server_pending(srv) > 0)
        LOG_WARN("http", "stopping with %u unanswered requests",
                 http_server_pending(srv));
    /* let resumed connections send their answers (bounded: a client that
     * never finishes its request keeps a slot until the grace ends) */
    for (; waited < grace_ms && http_server_active(srv) > 0; waited += 10)
        nanosleep(&ts, NULL);
    MHD_stop_daemon(srv->daemon);
    free(srv->counters);
    free(srv);
}

enum http_method http_request_method(const struct http_request *req)
{
    return req->method;
}

const char *http_request_path(const struct http_request *req)
{
    return req->path;
}

const char *http_request_param(const struct http_request *req, unsigned idx)
{
    return idx < req->n_params ? req->params[idx] : NULL;
}

const char *http_request_header(const struct http_request *req,
                                const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_request_query(const struct http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_request_body(const struct http_request *req, size_t *len)
{
    if (len)
        *len = req->body.len;
    return req->body.data ? req->body.data : "";
}

uint64_t http_request_start_ns(const struct http_request *req)
{
    return req->start_ns;
}

const char *http_request_id(const struct http_request *req)
{
    return req->request_id;
}

void http_request_set_app(struct http_request *req,
                          void *app,
                          http_app_free_fn *free_fn)
{
    req->app = app;
    req->app_free = free_fn;
}

void *http_request_app(const struct http_request *req)
{
    return req->app;
}

bool http_media_type_is(const char *content_type, const char *type)
{
    size_t tlen = strlen(type);

    if (content_type == NULL)
        return false;
    while (*content_type == ' ')
        content_type++;
    if (strncasecmp(content_type, type, tlen) != 0)
        return false;
    content_type += tlen;
    while (*content_type == ' ')
        content_type++;
    return *content_type == '\0' || *content_type == ';';
}
