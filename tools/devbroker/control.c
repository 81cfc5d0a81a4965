/* control - the dev broker's HTTP control API on libmicrohttpd; see
 * control.h. Per-request state (the body being read) is allocated on the
 * first callback and freed in the completed callback. MHD thread. */
#include "control.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <jansson.h>
#include <microhttpd.h>

#include "bridge.h"
#include "buf.h"
#include "cluster.h"
#include "env.h"
#include "log.h"

#include "banned.h"

#define CONTROL_MAX_BODY  65536
#define CONTROL_MAX_ITEMS 4096

struct control {
    struct MHD_Daemon *daemon;
    uint16_t port;
    struct cluster *cl; /* borrowed */
    struct bridge *br;  /* borrowed */
    char bootstrap[64];
};

struct control_req {
    struct ccai_buf body;
    bool too_large;
};

struct answer {
    unsigned status;
    json_t *root; /* owned */
};

static void
answer_error(struct answer *ans, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The message is formatted by ccai_error_vset (bounded, never allocates). */
static void
answer_error(struct answer *ans, unsigned status, const char *fmt, ...)
{
    struct ccai_error err = {0};
    va_list ap;

    va_start(ap, fmt);
    ccai_error_vset(&err, CCAI_E_INVALID, "", fmt, ap);
    va_end(ap);
    json_decref(ans->root);
    ans->status = status;
    ans->root = json_pack("{s:s}", "error", err.message);
}

static void answer_ok(struct answer *ans, json_t *root)
{
    json_decref(ans->root);
    ans->status = 200;
    ans->root = root != NULL ? root : json_pack("{s:b}", "ok", 1);
}

static void answer_ccai(struct answer *ans, const struct ccai_error *err)
{
    answer_error(ans, (unsigned)ccai_status_http(err->status), "%s",
                 err->message);
}

/* Broker ids from a path segment: "all" or a number. */
static int
ids_of(const struct control *ctl, const char *seg, int *first, int *last)
{
    long id;

    if (strcmp(seg, "all") == 0) {
        *first = 1;
        *last = cluster_broker_count(ctl->cl);
        return 0;
    }
    if (ccai_parse_long(seg, 1, CLUSTER_MAX_BROKERS, &id) != 0)
        return -1;
    *first = *last = (int)id;
    return 0;
}

static int api_of(json_t *root, struct answer *ans)
{
    json_t *api = json_object_get(root, "api");
    char num[16];
    const char *text = NULL;
    int key;

    if (json_is_integer(api)) {
        (void)snprintf(num, sizeof(num), "%lld",
                       (long long)json_integer_value(api));
        text = num;
    } else if (json_is_string(api)) {
        text = json_string_value(api);
    }
    if (text == NULL) {
        answer_error(ans, 400, "\"api\" (name or number) is required");
        return -1;
    }
    key = cluster_api_key_parse(text);
    if (key < 0)
        answer_error(ans, 400, "unknown api '%s'", text);
    return key;
}

/* An error given as a name, a number, or {"code": name|number}. */
static int error_of(json_t *v, int *code)
{
    char num[16];

    if (json_is_object(v))
        v = json_object_get(v, "code");
    if (json_is_integer(v)) {
        (void)snprintf(num, sizeof(num), "%lld",
                       (long long)json_integer_value(v));
        return cluster_error_parse(num, code) ? 0 : -1;
    }
    if (json_is_string(v))
        return cluster_error_parse(json_string_value(v), code) ? 0 : -1;
    return -1;
}

struct broker_range {
    const char *seg_id; /* as in the path, for logs */
    int first;
    int last;
};

static void broker_updown(struct control *ctl,
                          const struct broker_range *r,
                          bool up,
                          struct answer *ans)
{
    struct ccai_error err = {0};

    for (int id = r->first; id <= r->last; id++) {
        if (cluster_broker_set_up(ctl->cl, id, up, &err) != 0) {
            answer_ccai(ans, &err);
            return;
        }
        LOG_INFO("control", "broker %d is %s", id, up ? "up" : "down");
    }
    answer_ok(ans, NULL);
}

static void broker_rtt(struct control *ctl,
                       const struct broker_range *r,
                       json_t *root,
                       struct answer *ans)
{
    struct ccai_error err = {0};
    json_t *ms = json_object_get(root, "ms");

    if (!json_is_integer(ms) || json_integer_value(ms) < 0 ||
        json_integer_value(ms) > 600000) {
        answer_error(ans, 400, "\"ms\" must be an integer 0..600000");
        return;
    }
    for (int id = r->first; id <= r->last; id++) {
        if (cluster_broker_set_rtt(ctl->cl, id, (int)json_integer_value(ms),
                                   &err) != 0) {
            answer_ccai(ans, &err);
            return;
        }
    }
    LOG_INFO("control", "broker(s) %s rtt %lld ms", r->seg_id,
             (long long)json_integer_value(ms));
    answer_ok(ans, NULL);
}

static void broker_errors(struct control *ctl,
                          const struct broker_range *r,
                          json_t *root,
                          struct answer *ans)
{
    struct ccai_error err = {0};
    json_t *errs = json_object_get(root, "errors");
    int key = api_of(root, ans);
    size_t n = json_array_size(errs);
    int *codes = NULL;
    int *rtts = NULL;

    if (key < 0)
        return;
    if (!json_is_array(errs) || n == 0 || n > CONTROL_MAX_ITEMS) {
        answer_error(ans, 400, "\"errors\" must be a non-empty array");
        return;
    }
    codes = calloc(n, sizeof(*codes));
    rtts = calloc(n, sizeof(*rtts));
    if (codes == NULL || rtts == NULL) {
        answer_error(ans, 500, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(errs, i);
        json_t *rtt = json_is_object(e) ? json_object_get(e, "rtt_ms") : NULL;

        if (error_of(e, &codes[i]) != 0) {
            answer_error(ans, 400, "errors[%zu]: unknown error", i);
            goto out;
        }
        rtts[i] = json_is_integer(rtt) ? (int)json_integer_value(rtt) : 0;
    }
    for (int id = r->first; id <= r->last; id++) {
        if (cluster_push_broker_errors(ctl->cl, id, (int16_t)key, codes, rtts,
                                       n, &err) != 0) {
            answer_ccai(ans, &err);
            goto out;
        }
    }
    LOG_INFO("control", "broker(s) %s: %zu error(s) pushed for api %d",
             r->seg_id, n, key);
    answer_ok(ans, NULL);
out:
    free(codes);
    free(rtts);
}

static void do_broker(struct control *ctl,
                      const char *seg_id,
                      const char *what,
                      json_t *root,
                      struct answer *ans)
{
    struct broker_range r = {.seg_id = seg_id};

    if (ids_of(ctl, seg_id, &r.first, &r.last) != 0 ||
        r.last > cluster_broker_count(ctl->cl)) {
        answer_error(ans, 404, "no broker '%s' (brokers are 1..%d or all)",
                     seg_id, cluster_broker_count(ctl->cl));
        return;
    }
    if (strcmp(what, "down") == 0 || strcmp(what, "up") == 0)
        broker_updown(ctl, &r, strcmp(what, "up") == 0, ans);
    else if (strcmp(what, "rtt") == 0)
        broker_rtt(ctl, &r, root, ans);
    else if (strcmp(what, "errors") == 0)
        broker_errors(ctl, &r, root, ans);
    else
        answer_error(ans, 404, "unknown broker action '%s'", what);
}

static void
do_push_errors(struct control *ctl, json_t *root, struct answer *ans)
{
    json_t *errs = json_object_get(root, "errors");
    size_t n = json_array_size(errs);
    int key = api_of(root, ans);
    int *codes = NULL;

    if (key < 0)
        return;
    if (!json_is_array(errs) || n == 0 || n > CONTROL_MAX_ITEMS) {
        answer_error(ans, 400, "\"errors\" must be a non-empty array");
        return;
    }
    codes = calloc(n, sizeof(*codes));
    if (codes == NULL) {
        answer_error(ans, 500, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (error_of(json_array_get(errs, i), &codes[i]) != 0) {
            answer_error(ans, 400, "errors[%zu]: unknown error", i);
            goto out;
        }
    }
    cluster_push_errors(ctl->cl, (int16_t)key, codes, n);
    LOG_INFO("control", "%zu error(s) pushed for api %d", n, key);
    answer_ok(ans, NULL);
out:
    free(codes);
}

static void do_topic_error(struct control *ctl,
                           const char *topic,
                           json_t *root,
                           struct answer *ans)
{
    json_t *e = json_object_get(root, "error");
    int code = 0;

    if (e != NULL && !json_is_null(e) && error_of(e, &code) != 0) {
        answer_error(ans, 400, "\"error\": unknown error");
        return;
    }
    cluster_topic_set_error(ctl->cl, topic, code);
    LOG_INFO("control", "topic '%s' error set to %d", topic, code);
    answer_ok(ans, NULL);
}

static void
do_topic_create(struct control *ctl, json_t *root, struct answer *ans)
{
    json_t *name = json_object_get(root, "name");
    json_t *parts = json_object_get(root, "partitions");
    struct ccai_error err = {0};

    if (!json_is_string(name) || !json_is_integer(parts)) {
        answer_error(ans, 400,
                     "\"name\" (string) and \"partitions\" (integer) are "
                     "required");
        return;
    }
    if (cluster_topic_create(ctl->cl, json_string_value(name),
                             (int)json_integer_value(parts), &err) != 0) {
        answer_ccai(ans, &err);
        return;
    }
    LOG_INFO("control", "topic '%s' created with %d partition(s)",
             json_string_value(name), (int)json_integer_value(parts));
    answer_ok(ans, NULL);
}

static void do_status(struct control *ctl, struct answer *ans)
{
    json_t *root = cluster_status_json(ctl->cl);

    json_object_set_new(root, "bootstrap", json_string(ctl->bootstrap));
    json_object_set_new(root, "bridged_connections",
                        json_integer(bridge_connections(ctl->br)));
    json_object_set_new(root, "development_tool", json_true());
    answer_ok(ans, root);
}

/* Split "/a/b/c" into at most 4 segments (pointers into @copy). */
static size_t split_path(char *copy, char *seg[4])
{
    size_t n = 0;
    char *p = copy;

    while (*p == '/')
        p++;
    while (*p && n < 4) {
        seg[n++] = p;
        p += strcspn(p, "/");
        if (*p == '/')
            *p++ = '\0';
    }
    return *p ? 5 : n; /* 5: too many segments */
}

static void route(struct control *ctl,
                  const char *method,
                  const char *url,
                  json_t *root,
                  struct answer *ans)
{
    char copy[512];
    char *seg[4] = {NULL};
    size_t n;
    bool post = strcmp(method, "POST") == 0;
    bool get = strcmp(method, "GET") == 0;
    bool del = strcmp(method, "DELETE") == 0;

    (void)snprintf(copy, sizeof(copy), "%s", url);
    n = split_path(copy, seg);
    if (n == 1 && strcmp(seg[0], "status") == 0) {
        if (get)
            do_status(ctl, ans);
        else
            answer_error(ans, 405, "use GET");
    } else if (n == 3 && strcmp(seg[0], "brokers") == 0) {
        if (post)
            do_broker(ctl, seg[1], seg[2], root, ans);
        else
            answer_error(ans, 405, "use POST");
    } else if (n == 1 && strcmp(seg[0], "errors") == 0) {
        if (post)
            do_push_errors(ctl, root, ans);
        else
            answer_error(ans, 405, "use POST");
    } else if (n == 2 && strcmp(seg[0], "errors") == 0) {
        int key = cluster_api_key_parse(seg[1]);

        if (!del)
            answer_error(ans, 405, "use DELETE");
        else if (key < 0)
            answer_error(ans, 404, "unknown api '%s'", seg[1]);
        else {
            cluster_clear_errors(ctl->cl, (int16_t)key);
            LOG_INFO("control", "errors cleared for api %d", key);
            answer_ok(ans, NULL);
        }
    } else if (n == 3 && strcmp(seg[0], "topics") == 0 &&
               strcmp(seg[2], "error") == 0) {
        if (post)
            do_topic_error(ctl, seg[1], root, ans);
        else
            answer_error(ans, 405, "use POST");
    } else if (n == 1 && strcmp(seg[0], "topics") == 0) {
        if (post)
            do_topic_create(ctl, root, ans);
        else
            answer_error(ans, 405, "use POST");
    } else {
        answer_error(ans, 404, "no such control endpoint: %s", url);
    }
}

static enum MHD_Result send_answer(struct MHD_Connection *conn,
                                   struct answer *ans)
{
    char *text = json_dumps(ans->root, JSON_COMPACT);
    struct MHD_Response *resp;
    enum MHD_Result ret;

    if (text == NULL)
        return MHD_NO;
    resp = MHD_create_response_from_buffer(strlen(text), text,
                                           MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", "application/json");
    ret = MHD_queue_response(conn, ans->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* MHD thread. */
static enum MHD_Result on_request(void *cls,
                                  struct MHD_Connection *conn,
                                  const char *url,
                                  const char *method,
                                  const char *version,
                                  const char *upload,
                                  size_t *upload_size,
                                  void **con_cls)
{
    struct control *ctl = cls;
    struct control_req *req = *con_cls;
    struct answer ans = {0};
    json_t *root = NULL;
    json_error_t jerr;
    enum MHD_Result ret;

    (void)version;
    if (req == NULL) {
        req = calloc(1, sizeof(*req));
        if (req == NULL)
            return MHD_NO;
        ccai_buf_init(&req->body, CONTROL_MAX_BODY);
        *con_cls = req;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (ccai_buf_add(&req->body, upload, *upload_size) != 0)
            req->too_large = true;
        *upload_size = 0;
        return MHD_YES;
    }
    if (req->too_large) {
        answer_error(&ans, 413, "body larger than %d bytes", CONTROL_MAX_BODY);
    } else {
        if (req->body.len > 0) {
            root = json_loadb(req->body.data, req->body.len, 0, &jerr);
            if (root == NULL || !json_is_object(root)) {
                answer_error(&ans, 400, "body must be a JSON object: %s",
                             root == NULL ? jerr.text : "not an object");
                goto send;
            }
        } else {
            root = json_object();
        }
        route(ctl, method, url, root, &ans);
    }
send:
    ret = send_answer(conn, &ans);
    json_decref(ans.root);
    json_decref(root);
    return ret;
}

/* MHD thread: frees the per-request state. */
static void on_completed(void *cls,
                         struct MHD_Connection *conn,
                         void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct control_req *req = *con_cls;

    (void)cls;
    (void)conn;
    (void)toe;
    if (req == NULL)
        return;
    ccai_buf_release(&req->body);
    free(req);
    *con_cls = NULL;
}

struct control *control_start(uint16_t port,
                              struct cluster *cl,
                              struct bridge *br,
                              const char *bootstrap,
                              struct ccai_error *err)
{
    struct control *ctl = calloc(1, sizeof(*ctl));
    struct sockaddr_in sa;
    const union MHD_DaemonInfo *info;

    if (ctl == NULL) {
        ccai_error_set(err, CCAI_E_NOMEM, "", "out of memory");
        return NULL;
    }
    ctl->cl = cl;
    ctl->br = br;
    (void)snprintf(ctl->bootstrap, sizeof(ctl->bootstrap), "%s", bootstrap);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* loopback only */
    ctl->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, port, NULL, NULL,
        on_request, ctl, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, ctl,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
    if (ctl->daemon == NULL) {
        ccai_error_set(err, CCAI_E_IO, "--control-port",
                       "cannot listen on 127.0.0.1:%u", port);
        free(ctl);
        return NULL;
    }
    info = MHD_get_daemon_info(ctl->daemon, MHD_DAEMON_INFO_BIND_PORT);
    ctl->port = info != NULL ? info->port : port;
    return ctl;
}

uint16_t control_port(const struct control *ctl)
{
    return ctl->port;
}

void control_stop(struct control *ctl)
{
    if (ctl == NULL)
        return;
    MHD_stop_daemon(ctl->daemon);
    free(ctl);
}
