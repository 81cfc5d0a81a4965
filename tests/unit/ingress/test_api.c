/* test_api - the ingress API in-process (api + producer + http server on
 * 127.0.0.1:0) against a librdkafka mock cluster with injected Produce
 * errors: a 202 only for persisted events, 503 + Retry-After for events
 * that were not written, 504 for events that may have been, and batch
 * answers counting accepted, rejected and failed items. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "api.h"
#include "config.h"
#include "http.h"
#include "metrics.h"
#include "producer.h"

#include "banned.h"

#define EVENT                                               \
    "{\"contact_id\":\"c1\",\"type\":\"message.received\"," \
    "\"participant\":{\"role\":\"customer\"},\"text\":\"hi\"}"

struct fixture {
    rd_kafka_t *mock_rk;
    rd_kafka_mock_cluster_t *mcluster;
    char bootstrap_env[256];
    char *envp[2];
    struct ingress_config cfg;
    struct ccai_metrics *metrics;
    struct api *api;
    struct producer *producer;
    struct http_server *srv;
    uint16_t port;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct ccai_error err = {0};
    char errstr[256];
    struct producer_config pcfg;
    struct http_server_config hcfg;
    size_t n_routes = 0;

    f->mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), errstr,
                              sizeof(errstr));
    f->mcluster = rd_kafka_mock_cluster_new(f->mock_rk, 1);
    rd_kafka_mock_topic_create(f->mcluster, "contact-events", 1, 1);
    (void)snprintf(f->bootstrap_env, sizeof(f->bootstrap_env),
                   "KAFKA_BOOTSTRAP_SERVERS=%s",
                   rd_kafka_mock_cluster_bootstraps(f->mcluster));
    f->envp[0] = f->bootstrap_env;

    f->cfg.auth_mode = INGRESS_AUTH_KEYS;
    (void)snprintf(f->cfg.api_keys, sizeof(f->cfg.api_keys), "acme:k1");
    (void)snprintf(f->cfg.topic_events, sizeof(f->cfg.topic_events),
                   "contact-events");
    f->cfg.max_inflight = 100;
    f->cfg.results_window_s = 60;
    f->metrics = ccai_metrics_new();
    f->api = api_new(&f->cfg, f->metrics, &err);
    assert_non_null(f->api);

    memset(&pcfg, 0, sizeof(pcfg));
    pcfg.topic = f->cfg.topic_events;
    pcfg.timeout_ms = 10000;
    pcfg.queue_max_messages = 10000;
    pcfg.queue_max_kbytes = 32768;
    pcfg.ready_interval_ms = 200;
    pcfg.on_done = api_on_delivery;
    pcfg.ctx = f->api;
    pcfg.metrics = f->metrics;
    pcfg.envp = f->envp;
    f->producer = producer_new(&pcfg, &err);
    assert_non_null(f->producer);
    api_set_producer(f->api, f->producer);

    memset(&hcfg, 0, sizeof(hcfg));
    hcfg.service = "ingress";
    hcfg.bind_addr = "127.0.0.1";
    hcfg.max_body = 262144;
    hcfg.threads = 2;
    hcfg.routes = api_routes(&n_routes);
    hcfg.n_routes = n_routes;
    hcfg.ctx = f->api;
    hcfg.metrics = f->metrics;
    f->srv = http_server_start(&hcfg, &err);
    assert_non_null(f->srv);
    f->port = http_server_port(f->srv);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    http_server_quiesce(f->srv);
    api_stop_accepting(f->api);
    (void)producer_flush(f->producer, 20000);
    http_server_stop(f->srv, 5000);
    producer_free(f->producer);
    api_free(f->api);
    ccai_metrics_free(f->metrics);
    rd_kafka_mock_cluster_destroy(f->mcluster);
    rd_kafka_destroy(f->mock_rk);
    free(f);
    return 0;
}

/* POST @body; returns the status, the body parsed into *@root (may be
 * NULL), the whole response in @raw. */
static int post(struct fixture *f,
                const char *path,
                const char *ctype,
                const char *body,
                json_t **root,
                char *raw,
                size_t n)
{
    struct sockaddr_in addr;
    struct timeval tv = {60, 0};
    char req[8192];
    size_t got = 0;
    int status = -1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    const char *json = NULL;

    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons(f->port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    (void)snprintf(req, sizeof(req),
                   "POST %s HTTP/1.0\r\nX-API-Key: k1\r\nContent-Type: "
                   "%s\r\nContent-Length: %zu\r\n\r\n%s",
                   path, ctype, strlen(body), body);
    assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
    for (;;) {
        ssize_t r = read(fd, raw + got, n - 1 - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    raw[got] = '\0';
    close(fd);
    assert_int_equal(sscanf(raw, "HTTP/1.%*d %d", &status), 1);
    json = strstr(raw, "\r\n\r\n");
    if (root)
        *root = json ? json_loads(json + 4, 0, NULL) : NULL;
    return status;
}

static void wait_ready(struct fixture *f)
{
    for (int i = 0; i < 300 && !producer_is_ready(f->producer, NULL, 0); i++)
        usleep(50 * 1000);
}

static void test_api_202_only_after_the_broker_persisted(void **state)
{
    struct fixture *f = *state;
    char raw[8192];
    json_t *root = NULL;

    wait_ready(f);
    assert_int_equal(post(f, "/api/v1/events", "application/json", EVENT, &root,
                          raw, sizeof(raw)),
                     202);
    assert_string_equal(json_string_value(json_object_get(root, "status")),
                        "accepted");
    assert_int_equal(json_integer_value(json_object_get(root, "offset")), 0);
    assert_non_null(strstr(raw, "Location: /api/v1/events/"));
    json_decref(root);
}

static void test_api_not_persisted_is_503_with_retry_after(void **state)
{
    struct fixture *f = *state;
    char raw[8192];
    json_t *root = NULL;

    wait_ready(f);
    /* a non-retriable Produce error: the record was not written */
    rd_kafka_mock_push_request_errors(f->mcluster, 0 /* Produce */, 1,
                                      RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH);
    assert_int_equal(post(f, "/api/v1/events", "application/json", EVENT, &root,
                          raw, sizeof(raw)),
                     503);
    assert_non_null(strstr(raw, "Retry-After: 1"));
    assert_non_null(strstr(raw, "application/problem+json"));
    json_decref(root);
}

static void test_api_possibly_persisted_is_504_then_recovers(void **state)
{
    struct fixture *f = *state;
    char raw[8192];
    json_t *root = NULL;
    int status = 0;

    wait_ready(f);
    assert_int_equal(post(f, "/api/v1/events", "application/json", EVENT, NULL,
                          raw, sizeof(raw)),
                     202);
    /* fatal for the idempotent producer in 2.0.2: outcome unknown */
    rd_kafka_mock_push_request_errors(
        f->mcluster, 0 /* Produce */, 1,
        RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert_int_equal(post(f, "/api/v1/events", "application/json", EVENT, &root,
                          raw, sizeof(raw)),
                     504);
    assert_int_equal(json_integer_value(json_object_get(root, "status")), 504);
    json_decref(root);
    /* the producer is rebuilt; requests succeed again (bounded retry) */
    for (int i = 0; i < 100 && status != 202; i++) {
        status = post(f, "/api/v1/events", "application/json", EVENT, NULL, raw,
                      sizeof(raw));
        if (status != 202) {
            assert_int_equal(status, 503); /* refused while rebuilding */
            usleep(100 * 1000);
        }
    }
    assert_int_equal(status, 202);
    assert_true(producer_rebuilds(f->producer) >= 1);
}

static void test_api_batch_counts_accepted_rejected_failed(void **state)
{
    struct fixture *f = *state;
    char raw[16384];
    json_t *root = NULL;
    json_t *items = NULL;
    static const char body[] =
        "[" EVENT ",{\"type\":\"contact.ended\"}," EVENT "]";

    wait_ready(f);
    assert_int_equal(post(f, "/api/v1/events/batch", "application/json", body,
                          &root, raw, sizeof(raw)),
                     200);
    items = json_object_get(root, "items");
    assert_int_equal(json_array_size(items), 3);
    assert_int_equal(json_integer_value(json_object_get(root, "accepted")), 2);
    assert_int_equal(json_integer_value(json_object_get(root, "rejected")), 1);
    assert_int_equal(json_integer_value(json_object_get(root, "failed")), 0);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(items, 1), "status")),
        "rejected");
    assert_string_equal(
        json_string_value(json_object_get(
            json_array_get(
                json_object_get(
                    json_object_get(json_array_get(items, 1), "error"),
                    "errors"),
                0),
            "pointer")),
        "/1/contact_id");
    json_decref(root);

    /* every valid item of the next batch fails: not written -> failed */
    rd_kafka_mock_push_request_errors(f->mcluster, 0 /* Produce */, 1,
                                      RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH);
    assert_int_equal(post(f, "/api/v1/events/batch", "application/x-ndjson",
                          EVENT "\n" EVENT "\n", &root, raw, sizeof(raw)),
                     200);
    assert_int_equal(json_integer_value(json_object_get(root, "accepted")) +
                         json_integer_value(json_object_get(root, "failed")),
                     2);
    assert_true(json_integer_value(json_object_get(root, "failed")) >= 1);
    items = json_object_get(root, "items");
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *it = json_array_get(items, i);
        if (strcmp(json_string_value(json_object_get(it, "status")),
                   "failed") == 0)
            assert_int_equal(json_integer_value(json_object_get(
                                 json_object_get(it, "error"), "status")),
                             503);
    }
    json_decref(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_api_202_only_after_the_broker_persisted, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_api_not_persisted_is_503_with_retry_after, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_api_possibly_persisted_is_504_then_recovers, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_api_batch_counts_accepted_rejected_failed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
