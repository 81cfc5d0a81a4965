/* ingress_fixture - starts the dev broker and the ingress for a test and
 * wraps requests; see ingress_fixture.h. Test main thread (ifx_post: any
 * thread). */
#include "ingress_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define IFX_ENV_MAX 48

char *ifx_url(const struct ifx *fx, const char *path, char *out, size_t n)
{
    snprintf(out, n, "%s%s", fx->base, path);
    return out;
}

int ifx_start_ingress(struct ifx *fx, const char *const *env)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        const char *e[IFX_ENV_MAX];
        char port_env[32];
        char bs_env[128];
        char url[128];
        size_t n = 0;

        fx->port = ccai_test_free_port();
        if (fx->port < 0)
            return -1;
        snprintf(port_env, sizeof(port_env), "PORT=%d", fx->port);
        snprintf(bs_env, sizeof(bs_env), "KAFKA_BOOTSTRAP_SERVERS=%s",
                 ccai_devbroker_bootstrap(fx->db));
        snprintf(fx->base, sizeof(fx->base), "http://127.0.0.1:%d", fx->port);
        e[n++] = port_env;
        e[n++] = bs_env;
        e[n++] = "INGRESS_BIND=127.0.0.1";
        e[n++] = "INGRESS_AUTH=none";
        e[n++] = "LOG_LEVEL=info";
        e[n++] = "INGRESS_READY_INTERVAL_MS=200";
        for (size_t i = 0; env && env[i] && n < IFX_ENV_MAX - 1; i++)
            e[n++] = env[i];
        e[n] = NULL;
        fx->ing = ccai_proc_start("ccai-ingress", NULL, e);
        if (fx->ing == NULL)
            return -1;
        if (ccai_http_wait_ok(ifx_url(fx, "/api/v1/ready", url, sizeof(url)),
                              30000) == 0)
            return 0;
        /* the port may have been taken between the probe and the bind */
        fprintf(stderr, "ifx: ingress not ready (attempt %d)\n", attempt + 1);
        ccai_proc_dump_log(fx->ing, 15);
        ccai_proc_free(fx->ing);
        fx->ing = NULL;
    }
    return -1;
}

int ifx_start(struct ifx *fx,
              const char *const *broker_args,
              const char *const *env)
{
    fx->db = ccai_devbroker_start(broker_args, NULL);
    if (fx->db == NULL)
        return -1;
    return ifx_start_ingress(fx, env);
}

int ifx_stop_ingress(struct ifx *fx)
{
    int rc = 0;

    if (fx->ing != NULL) {
        rc = ccai_proc_stop(fx->ing, 30000);
        ccai_proc_free(fx->ing);
        fx->ing = NULL;
    }
    return rc;
}

void ifx_stop(struct ifx *fx)
{
    ifx_stop_ingress(fx);
    ccai_devbroker_stop(fx->db);
    fx->db = NULL;
}

int ifx_post(const struct ifx *fx,
             const char *path,
             const char *content_type,
             const char *body,
             size_t len,
             const char *const *headers,
             struct ccai_http_resp *resp)
{
    const char *h[32];
    char ct[128];
    char auth[128];
    char url[256];
    size_t n = 0;
    struct ccai_http_req req = {0};

    if (content_type != NULL) {
        snprintf(ct, sizeof(ct), "Content-Type: %s", content_type);
        h[n++] = ct;
    }
    if (fx->api_key[0] != '\0') {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", fx->api_key);
        h[n++] = auth;
    }
    for (size_t i = 0; headers && headers[i] && n < 31; i++)
        h[n++] = headers[i];
    h[n] = NULL;
    req.method = "POST";
    req.url = ifx_url(fx, path, url, sizeof(url));
    req.headers = h;
    req.body = body;
    req.body_len = len;
    req.timeout_ms = 60000;
    return ccai_http_do(&req, resp);
}

int ifx_get(const struct ifx *fx, const char *path, struct ccai_http_resp *resp)
{
    char auth[128];
    char url[256];
    const char *h[2] = {NULL, NULL};

    if (fx->api_key[0] != '\0') {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", fx->api_key);
        h[0] = auth;
    }
    return ccai_http_request("GET", ifx_url(fx, path, url, sizeof(url)), h,
                             NULL, 0, resp);
}

char *ifx_event(const char *contact_id, const char *event_id)
{
    json_t *root = json_pack(
        "{s:s, s:s, s:s, s:i, s:{s:s, s:s}, s:s, s:s, s:{s:s}}", "contact_id",
        contact_id, "type", "message.received", "occurred_at",
        "2026-11-26T23:00:00.000Z", "sequence", 3, "participant", "role",
        "customer", "id", "cust-42", "text",
        "Hi, I was charged twice for my subscription this month and I want "
        "a refund. I have been a customer for six years and this is the "
        "third billing problem. If this is not fixed today I will cancel "
        "my plan and move to another provider.",
        "language", "en", "attributes", "crm_ticket", "T-1001");
    char *text;

    if (root == NULL)
        return NULL;
    if (event_id != NULL)
        json_object_set_new(root, "event_id", json_string(event_id));
    text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return text;
}

long ifx_read_events(const struct ifx *fx, struct ccai_kafka_records *out)
{
    return ccai_kafka_consume(ccai_devbroker_bootstrap(fx->db),
                              IFX_EVENTS_TOPIC, 0, 1500, 60000, out);
}

void ifx_dump_resp(const char *what, const struct ccai_http_resp *resp)
{
    fprintf(stderr, "%s: status %ld body %.*s %s\n", what, resp->status,
            (int)(resp->body_len > 600 ? 600 : resp->body_len),
            resp->body ? resp->body : "", resp->error);
}
