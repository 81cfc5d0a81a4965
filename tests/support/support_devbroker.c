/* support_devbroker - starts ccai-devbroker for a test (ephemeral ports,
 * ready file), and wraps its HTTP control API (brokers down/up, rtt,
 * request errors, topic errors and creation, status). The handle belongs
 * to the thread that started it; control calls may come from any thread. */
#include "ccai_test.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support_internal.h"

#include "banned.h"

#define DEVBROKER_READY_MS 30000

struct ccai_devbroker {
    struct ccai_proc *proc;
    char bootstrap[64];
    char control[80];
};

/* Parse "bootstrap=H:P\ncontrol=H:P\n"; returns 0 once both are there. */
static int parse_ready(const char *text, struct ccai_devbroker *db)
{
    const char *b = strstr(text, "bootstrap=");
    const char *c = strstr(text, "control=");
    int bn;
    int cn;

    if (b == NULL || c == NULL || strchr(c, '\n') == NULL)
        return -1;
    bn = (int)strcspn(b + 10, "\n");
    cn = (int)strcspn(c + 8, "\n");
    snprintf(db->bootstrap, sizeof(db->bootstrap), "%.*s", bn, b + 10);
    snprintf(db->control, sizeof(db->control), "http://%.*s", cn, c + 8);
    return 0;
}

/* $CCAI_DEVBROKER_BIN overrides the binary, e.g. an uninstrumented build
 * for TSan runs (the mock's C11 threads crash under TSan). */
static const char *devbroker_binary(void)
{
    const char *bin = getenv("CCAI_DEVBROKER_BIN");

    return (bin != NULL && bin[0] != '\0') ? bin : "ccai-devbroker";
}

struct ccai_devbroker *ccai_devbroker_start(const char *const *args,
                                            const char *const *env)
{
    struct ccai_devbroker *db = calloc(1, sizeof(*db));
    char *ready = support_tmp_path("devbroker", ".ready");
    const char *argv[64];
    size_t n = 0;
    int64_t deadline = ccai_test_now_ms() + DEVBROKER_READY_MS;
    int ok = 0;

    if (db == NULL || ready == NULL)
        goto out;
    argv[n++] = "--port";
    argv[n++] = "0";
    argv[n++] = "--control-port";
    argv[n++] = "0";
    argv[n++] = "--ready-file";
    argv[n++] = ready;
    for (size_t i = 0; args && args[i] && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    db->proc = ccai_proc_start(devbroker_binary(), argv, env);
    if (db->proc == NULL)
        goto out;
    for (;;) {
        char *text = support_read_file(ready, NULL);
        int parsed = text != NULL ? parse_ready(text, db) : -1;

        free(text);
        if (parsed == 0)
            break;
        if (ccai_proc_has_exited(db->proc)) {
            fprintf(stderr, "ccai_test: ccai-devbroker exited at start\n");
            ccai_proc_dump_log(db->proc, 30);
            goto out;
        }
        if (ccai_test_now_ms() >= deadline) {
            fprintf(stderr, "ccai_test: ccai-devbroker not ready in %d ms\n",
                    DEVBROKER_READY_MS);
            ccai_proc_dump_log(db->proc, 30);
            goto out;
        }
        ccai_test_sleep_ms(20);
    }
    ok = 1;
out:
    free(ready);
    if (!ok && db != NULL) {
        ccai_proc_free(db->proc);
        free(db);
        db = NULL;
    }
    return db;
}

const char *ccai_devbroker_bootstrap(const struct ccai_devbroker *db)
{
    return db->bootstrap;
}

const char *ccai_devbroker_control_url(const struct ccai_devbroker *db)
{
    return db->control;
}

struct ccai_proc *ccai_devbroker_proc(const struct ccai_devbroker *db)
{
    return db->proc;
}

int ccai_devbroker_control(const struct ccai_devbroker *db,
                           const char *method,
                           const char *path,
                           const char *json,
                           struct ccai_http_resp *resp)
{
    static const char *const hdrs[] = {"Content-Type: application/json", NULL};
    struct ccai_http_resp local;
    struct ccai_http_resp *r = resp != NULL ? resp : &local;
    char url[512];
    int rc = -1;

    snprintf(url, sizeof(url), "%s%s", db->control, path);
    if (ccai_http_request(method, url, hdrs, json, json ? strlen(json) : 0,
                          r) == 0 &&
        r->status >= 200 && r->status < 300)
        rc = 0;
    else
        fprintf(stderr, "ccai_test: devbroker %s %s -> %ld %s%s\n", method,
                path, r->status, r->body ? r->body : "", r->error);
    if (resp == NULL)
        ccai_http_resp_release(&local);
    return rc;
}

static int broker_call(const struct ccai_devbroker *db,
                       int id,
                       const char *what,
                       const char *json)
{
    char path[64];

    if (id < 0)
        snprintf(path, sizeof(path), "/brokers/all/%s", what);
    else
        snprintf(path, sizeof(path), "/brokers/%d/%s", id, what);
    return ccai_devbroker_control(db, "POST", path, json, NULL);
}

int ccai_devbroker_broker_down(const struct ccai_devbroker *db, int id)
{
    return broker_call(db, id, "down", NULL);
}

int ccai_devbroker_broker_up(const struct ccai_devbroker *db, int id)
{
    return broker_call(db, id, "up", NULL);
}

int ccai_devbroker_rtt(const struct ccai_devbroker *db, int id, int ms)
{
    char body[48];

    snprintf(body, sizeof(body), "{\"ms\":%d}", ms);
    return broker_call(db, id, "rtt", body);
}

int ccai_devbroker_push_errors(const struct ccai_devbroker *db,
                               const char *api,
                               const char *const *errors,
                               size_t n)
{
    json_t *root = json_object();
    json_t *arr = json_array();
    char *body = NULL;
    int rc = -1;

    json_object_set_new(root, "api", json_string(api));
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_string(errors[i]));
    json_object_set_new(root, "errors", arr);
    body = json_dumps(root, JSON_COMPACT);
    if (body != NULL)
        rc = ccai_devbroker_control(db, "POST", "/errors", body, NULL);
    free(body);
    json_decref(root);
    return rc;
}

int ccai_devbroker_push_broker_errors(const struct ccai_devbroker *db,
                                      int id,
                                      const char *api,
                                      const char *const *errors,
                                      const int *rtt_ms,
                                      size_t n)
{
    json_t *root = json_object();
    json_t *arr = json_array();
    char *body = NULL;
    int rc = -1;

    json_object_set_new(root, "api", json_string(api));
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_object();

        json_object_set_new(e, "code", json_string(errors[i]));
        json_object_set_new(e, "rtt_ms", json_integer(rtt_ms ? rtt_ms[i] : 0));
        json_array_append_new(arr, e);
    }
    json_object_set_new(root, "errors", arr);
    body = json_dumps(root, JSON_COMPACT);
    if (body != NULL)
        rc = broker_call(db, id, "errors", body);
    free(body);
    json_decref(root);
    return rc;
}

int ccai_devbroker_clear_errors(const struct ccai_devbroker *db,
                                const char *api)
{
    char path[96];

    snprintf(path, sizeof(path), "/errors/%s", api);
    return ccai_devbroker_control(db, "DELETE", path, NULL, NULL);
}

int ccai_devbroker_topic_error(const struct ccai_devbroker *db,
                               const char *topic,
                               const char *error)
{
    json_t *root = json_pack("{s:s}", "error", error);
    char *body = root ? json_dumps(root, JSON_COMPACT) : NULL;
    char path[320];
    int rc = -1;

    snprintf(path, sizeof(path), "/topics/%s/error", topic);
    if (body != NULL)
        rc = ccai_devbroker_control(db, "POST", path, body, NULL);
    free(body);
    json_decref(root);
    return rc;
}

int ccai_devbroker_create_topic(const struct ccai_devbroker *db,
                                const char *topic,
                                int partitions)
{
    json_t *root =
        json_pack("{s:s,s:i}", "name", topic, "partitions", partitions);
    char *body = root ? json_dumps(root, JSON_COMPACT) : NULL;
    int rc = -1;

    if (body != NULL)
        rc = ccai_devbroker_control(db, "POST", "/topics", body, NULL);
    free(body);
    json_decref(root);
    return rc;
}

json_t *ccai_devbroker_status(const struct ccai_devbroker *db)
{
    struct ccai_http_resp resp;
    json_t *root = NULL;

    if (ccai_devbroker_control(db, "GET", "/status", NULL, &resp) == 0)
        root = ccai_http_resp_json(&resp);
    ccai_http_resp_release(&resp);
    return root;
}

int ccai_devbroker_stop(struct ccai_devbroker *db)
{
    int rc;

    if (db == NULL)
        return 0;
    rc = ccai_proc_stop(db->proc, 15000);
    ccai_proc_free(db->proc);
    free(db);
    return rc;
}
