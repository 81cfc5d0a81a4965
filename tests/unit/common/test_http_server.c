/* test_http_server - the shared HTTP layer on a real MHD daemon on
 * 127.0.0.1:0: routing (404/405 with Allow), 413 from Content-Length,
 * X-Request-Id echo, and deferred answers under load: handlers that return
 * without answering are answered later from another thread, every client
 * gets exactly its own answer, and stop waits for them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "metrics.h"

#include "banned.h"

#define QUEUE_MAX 4096

/* Deferred requests handed to the answering thread. */
struct answerer {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct http_request *queue[QUEUE_MAX];
    char ids[QUEUE_MAX][64];
    size_t head, tail;
    bool stop;
    pthread_t thread;
};

static void *answer_main(void *arg)
{
    struct answerer *a = arg;

    pthread_mutex_lock(&a->lock);
    for (;;) {
        while (a->head == a->tail && !a->stop)
            pthread_cond_wait(&a->cond, &a->lock);
        if (a->head == a->tail && a->stop)
            break;
        struct http_request *req = a->queue[a->head % QUEUE_MAX];
        char id[64];
        memcpy(id, a->ids[a->head % QUEUE_MAX], sizeof(id));
        a->head++;
        pthread_mutex_unlock(&a->lock);
        /* answer from this thread: resumes the suspended connection */
        http_respond(req, 202, "text/plain", id, strlen(id), NULL);
        pthread_mutex_lock(&a->lock);
    }
    pthread_mutex_unlock(&a->lock);
    return NULL;
}

static void on_defer(struct http_request *req, void *ctx)
{
    struct answerer *a = ctx;
    size_t len = 0;
    const char *body = http_request_body(req, &len);

    pthread_mutex_lock(&a->lock);
    a->queue[a->tail % QUEUE_MAX] = req;
    snprintf(a->ids[a->tail % QUEUE_MAX], 64, "%.*s", (int)len, body);
    a->tail++;
    pthread_cond_signal(&a->cond);
    pthread_mutex_unlock(&a->lock);
    /* no answer here: the connection is suspended */
}

static void on_now(struct http_request *req, void *ctx)
{
    (void)ctx;
    http_respond(req, 200, "text/plain", "ok", 2, NULL);
}

static const struct http_route routes[] = {
    {HTTP_POST, "/defer", on_defer, "defer"},
    {HTTP_GET, "/now", on_now, "now"},
    {HTTP_GET, "/items/{}", on_now, "items"},
};

struct fixture {
    struct answerer a;
    struct http_server *srv;
    struct ccai_metrics *metrics;
    uint16_t port;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct http_server_config cfg;
    struct ccai_error err = {0};

    pthread_mutex_init(&f->a.lock, NULL);
    pthread_cond_init(&f->a.cond, NULL);
    pthread_create(&f->a.thread, NULL, answer_main, &f->a);
    f->metrics = ccai_metrics_new();
    memset(&cfg, 0, sizeof(cfg));
    cfg.service = "test";
    cfg.bind_addr = "127.0.0.1";
    cfg.port = 0;
    cfg.max_body = 1024;
    cfg.threads = 2;
    cfg.routes = routes;
    cfg.n_routes = sizeof(routes) / sizeof(routes[0]);
    cfg.ctx = &f->a;
    cfg.metrics = f->metrics;
    f->srv = http_server_start(&cfg, &err);
    assert_non_null(f->srv);
    f->port = http_server_port(f->srv);
    assert_int_not_equal(f->port, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    http_server_stop(f->srv, 10000);
    pthread_mutex_lock(&f->a.lock);
    f->a.stop = true;
    pthread_cond_signal(&f->a.cond);
    pthread_mutex_unlock(&f->a.lock);
    pthread_join(f->a.thread, NULL);
    ccai_metrics_free(f->metrics);
    free(f);
    return 0;
}

static int connect_to(uint16_t port)
{
    struct sockaddr_in addr;
    struct timeval tv = {30, 0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* One HTTP/1.0 exchange; returns the status, response copied to @out. */
static int exchange(uint16_t port, const char *request, char *out, size_t n)
{
    int fd = connect_to(port);
    size_t got = 0;
    int status = -1;

    if (fd < 0)
        return -1;
    if (write(fd, request, strlen(request)) != (ssize_t)strlen(request)) {
        close(fd);
        return -1;
    }
    for (;;) {
        ssize_t r = read(fd, out + got, n - 1 - got);
        if (r <= 0)
            break;
        got += (size_t)r;
        if (got + 1 >= n)
            break;
    }
    out[got] = '\0';
    close(fd);
    if (sscanf(out, "HTTP/1.%*d %d", &status) != 1)
        return -1;
    return status;
}

static void test_http_routes_404_405_and_request_id(void **state)
{
    struct fixture *f = *state;
    char resp[4096];

    assert_int_equal(
        exchange(f->port, "GET /now HTTP/1.0\r\nX-Request-Id: abc-1\r\n\r\n",
                 resp, sizeof(resp)),
        200);
    assert_non_null(strstr(resp, "X-Request-Id: abc-1"));
    assert_int_equal(
        exchange(f->port, "GET /nope HTTP/1.0\r\n\r\n", resp, sizeof(resp)),
        404);
    assert_non_null(strstr(resp, "application/problem+json"));
    assert_int_equal(
        exchange(f->port, "DELETE /now HTTP/1.0\r\n\r\n", resp, sizeof(resp)),
        405);
    assert_non_null(strstr(resp, "Allow: GET"));
    assert_int_equal(exchange(f->port, "GET /items/x/y HTTP/1.0\r\n\r\n", resp,
                              sizeof(resp)),
                     404);
    /* header injection is not echoed */
    assert_int_equal(
        exchange(f->port, "GET /now HTTP/1.0\r\nX-Request-Id: a b<c>\r\n\r\n",
                 resp, sizeof(resp)),
        200);
    assert_non_null(strstr(resp, "X-Request-Id: abc\r\n"));
}

static void test_http_413_from_content_length(void **state)
{
    struct fixture *f = *state;
    char resp[4096];

    assert_int_equal(exchange(f->port,
                              "POST /defer HTTP/1.0\r\nContent-Length: "
                              "5000\r\n\r\n",
                              resp, sizeof(resp)),
                     413);
    assert_non_null(strstr(resp, "\"status\":413"));
}

struct client_arg {
    uint16_t port;
    int base;
    int n;
    atomic_int *ok;
};

static void *client_main(void *arg)
{
    struct client_arg *c = arg;

    for (int i = 0; i < c->n; i++) {
        char req[256];
        char resp[2048];
        char id[32];
        const char *body = NULL;

        snprintf(id, sizeof(id), "id-%d", c->base + i);
        snprintf(req, sizeof(req),
                 "POST /defer HTTP/1.0\r\nContent-Length: %zu\r\n\r\n%s",
                 strlen(id), id);
        if (exchange(c->port, req, resp, sizeof(resp)) != 202)
            continue;
        body = strstr(resp, "\r\n\r\n");
        /* each client gets its own answer, never another's */
        if (body && strcmp(body + 4, id) == 0)
            atomic_fetch_add(c->ok, 1);
    }
    return NULL;
}

static void
test_http_deferred_answers_from_another_thread_under_load(void **state)
{
    struct fixture *f = *state;
    enum { CLIENTS = 16, PER = 100 };
    pthread_t threads[CLIENTS];
    struct client_arg args[CLIENTS];
    atomic_int ok = 0;

    for (int i = 0; i < CLIENTS; i++) {
        args[i] = (struct client_arg){f->port, i * PER, PER, &ok};
        pthread_create(&threads[i], NULL, client_main, &args[i]);
    }
    for (int i = 0; i < CLIENTS; i++)
        pthread_join(threads[i], NULL);
    assert_int_equal(atomic_load(&ok), CLIENTS * PER);
    assert_int_equal(http_server_pending(f->srv), 0);
}

static void test_http_stop_waits_for_deferred_answer(void **state)
{
    struct fixture *f = *state;
    struct client_arg arg = {f->port, 9000, 1, NULL};
    atomic_int ok = 0;
    pthread_t t;

    arg.ok = &ok;
    pthread_create(&t, NULL, client_main, &arg);
    pthread_join(t, NULL);
    assert_int_equal(atomic_load(&ok), 1);
    http_server_quiesce(f->srv);
    /* quiesced: new connections are refused */
    assert_int_equal(connect_to(f->port), -1);
}

static void test_http_problem_json_lists_every_violation(void **state)
{
    struct ccai_error err;
    json_t *root = NULL;
    json_t *errors = NULL;

    (void)state;
    ccai_error_clear(&err);
    ccai_error_add(&err, "/contact_id", "is required");
    ccai_error_add(&err, "/3/type", "must be one of %s", "a|b");
    root = http_problem_json("ingress", &err);
    assert_string_equal(json_string_value(json_object_get(root, "type")),
                        "urn:ccai:problem:invalid");
    assert_int_equal(json_integer_value(json_object_get(root, "status")), 400);
    errors = json_object_get(root, "errors");
    assert_int_equal(json_array_size(errors), 2);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(errors, 1), "pointer")),
                        "/3/type");
    json_decref(root);

    ccai_error_clear(&err);
    ccai_error_set(&err, CCAI_E_TIMEOUT, "", "slow");
    root = http_problem_json(NULL, &err);
    assert_int_equal(json_integer_value(json_object_get(root, "status")), 504);
    assert_null(json_object_get(root, "errors"));
    json_decref(root);
}

static void test_http_media_type_matching(void **state)
{
    (void)state;
    assert_true(http_media_type_is("application/json", "application/json"));
    assert_true(http_media_type_is(" Application/Json ; charset=utf-8",
                                   "application/json"));
    assert_false(http_media_type_is("application/jsonx", "application/json"));
    assert_false(http_media_type_is(NULL, "application/json"));
    assert_false(http_media_type_is("text/json", "application/json"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_http_routes_404_405_and_request_id,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_413_from_content_length,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_http_deferred_answers_from_another_thread_under_load, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_http_stop_waits_for_deferred_answer, setup, teardown),
        cmocka_unit_test(test_http_problem_json_lists_every_violation),
        cmocka_unit_test(test_http_media_type_matching),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
