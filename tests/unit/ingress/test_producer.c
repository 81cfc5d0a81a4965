/* test_producer - the ingress producer against an in-process librdkafka
 * mock cluster: delivery reports map to persisted / not persisted /
 * possibly persisted, records carry key and headers, a full queue is
 * refused at once, and a fatal idempotence error (OUT_OF_ORDER_SEQUENCE_
 * NUMBER injected on Produce, or rd_kafka_test_fatal_error) fails the
 * pending messages cleanly, rebuilds the handle and the next send works. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "metrics.h"
#include "producer.h"

#include "banned.h"

#define TOPIC  "contact-events"
#define MAXMSG 512

struct fixture {
    rd_kafka_t *mock_rk;
    rd_kafka_mock_cluster_t *mcluster;
    char bootstrap_env[256];
    char *envp[3];
    struct ccai_metrics *metrics;
    pthread_mutex_t lock;
    size_t n_done;
    struct producer_result results[MAXMSG];
    void *opaques[MAXMSG];
};

static void
on_done(void *ctx, void *msg_opaque, const struct producer_result *res)
{
    struct fixture *f = ctx;

    pthread_mutex_lock(&f->lock);
    if (f->n_done < MAXMSG) {
        f->results[f->n_done] = *res;
        f->opaques[f->n_done] = msg_opaque;
    }
    f->n_done++;
    pthread_mutex_unlock(&f->lock);
}

static size_t n_done(struct fixture *f)
{
    size_t n = 0;

    pthread_mutex_lock(&f->lock);
    n = f->n_done;
    pthread_mutex_unlock(&f->lock);
    return n;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Poll (bounded, generous) until @want reports arrived. */
static bool wait_done(struct fixture *f, size_t want, long timeout_ms)
{
    for (long waited = 0; waited < timeout_ms; waited += 20) {
        if (n_done(f) >= want)
            return true;
        sleep_ms(20);
    }
    return n_done(f) >= want;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();

    f->mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    assert_non_null(f->mock_rk);
    f->mcluster = rd_kafka_mock_cluster_new(f->mock_rk, 1);
    assert_non_null(f->mcluster);
    rd_kafka_mock_topic_create(f->mcluster, TOPIC, 4, 1);
    snprintf(f->bootstrap_env, sizeof(f->bootstrap_env),
             "KAFKA_BOOTSTRAP_SERVERS=%s",
             rd_kafka_mock_cluster_bootstraps(f->mcluster));
    f->envp[0] = f->bootstrap_env;
    f->envp[1] = NULL;
    f->metrics = ccai_metrics_new();
    pthread_mutex_init(&f->lock, NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    rd_kafka_mock_cluster_destroy(f->mcluster);
    rd_kafka_destroy(f->mock_rk);
    ccai_metrics_free(f->metrics);
    pthread_mutex_destroy(&f->lock);
    free(f);
    return 0;
}

static struct producer *make(struct fixture *f, long timeout_ms, long queue_max)
{
    struct producer_config cfg;
    struct ccai_error err = {0};
    struct producer *p = NULL;

    memset(&cfg, 0, sizeof(cfg));
    cfg.topic = TOPIC;
    cfg.timeout_ms = timeout_ms;
    cfg.queue_max_messages = queue_max;
    cfg.queue_max_kbytes = 32768;
    cfg.ready_interval_ms = 200;
    cfg.on_done = on_done;
    cfg.ctx = f;
    cfg.metrics = f->metrics;
    cfg.envp = f->envp;
    p = producer_new(&cfg, &err);
    if (p == NULL)
        fail_msg("producer_new: %s", err.message);
    return p;
}

static int send_one(struct producer *p,
                    const char *key,
                    void *opaque,
                    struct ccai_error *err)
{
    static const char *const names[] = {"ce_id", "tenant"};
    static const char *const values[] = {"e-1", "acme"};
    static const char value[] = "{\"contact_id\":\"c1\"}";

    return producer_send(p, key, value, sizeof(value) - 1, names, values, 2,
                         opaque, err);
}

static void test_producer_reports_persisted_with_offsets(void **state)
{
    struct fixture *f = *state;
    struct producer *p = make(f, 10000, 10000);
    struct ccai_error err = {0};
    int tags[20];

    for (int i = 0; i < 20; i++)
        assert_int_equal(send_one(p, "contact-1", &tags[i], &err), 0);
    assert_true(wait_done(f, 20, 30000));
    for (int i = 0; i < 20; i++) {
        assert_int_equal(f->results[i].status, CCAI_OK);
        assert_true(f->results[i].offset >= 0);
        /* one key, one partition: the order of reports is the order sent */
        assert_int_equal(f->results[i].partition, f->results[0].partition);
        assert_ptr_equal(f->opaques[i], &tags[i]);
    }
    assert_int_equal(producer_outstanding(p), 0);
    producer_free(p);
}

static void test_producer_records_carry_key_and_headers(void **state)
{
    struct fixture *f = *state;
    struct producer *p = make(f, 10000, 10000);
    struct ccai_error err = {0};
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *c = NULL;
    rd_kafka_topic_partition_list_t *parts = NULL;
    rd_kafka_message_t *msg = NULL;
    const void *hv = NULL;
    size_t hlen = 0;
    rd_kafka_headers_t *hdrs = NULL;

    assert_int_equal(send_one(p, "contact-key", NULL, &err), 0);
    assert_true(wait_done(f, 1, 30000));
    assert_int_equal(f->results[0].status, CCAI_OK);

    rd_kafka_conf_set(conf, "bootstrap.servers",
                      rd_kafka_mock_cluster_bootstraps(f->mcluster), errstr,
                      sizeof(errstr));
    /* assign() needs a group id in 2.0.2 even without subscribing */
    rd_kafka_conf_set(conf, "group.id", "test-producer", errstr,
                      sizeof(errstr));
    c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    assert_non_null(c);
    parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, TOPIC, f->results[0].partition)
        ->offset = f->results[0].offset;
    assert_int_equal(rd_kafka_assign(c, parts), 0);
    for (int i = 0; i < 100 && msg == NULL; i++) {
        msg = rd_kafka_consumer_poll(c, 200);
        if (msg && msg->err) {
            rd_kafka_message_destroy(msg);
            msg = NULL;
        }
    }
    assert_non_null(msg);
    assert_int_equal(msg->key_len, strlen("contact-key"));
    assert_memory_equal(msg->key, "contact-key", msg->key_len);
    assert_int_equal(rd_kafka_message_headers(msg, &hdrs), 0);
    assert_int_equal(rd_kafka_header_get_last(hdrs, "tenant", &hv, &hlen), 0);
    assert_int_equal(hlen, 4);
    assert_memory_equal(hv, "acme", 4);
    rd_kafka_message_destroy(msg);
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    producer_free(p);
}

static void test_producer_ready_when_broker_answers(void **state)
{
    struct fixture *f = *state;
    struct producer *p = make(f, 10000, 10000);
    char why[128];
    bool ready = false;

    for (int i = 0; i < 150 && !ready; i++) {
        ready = producer_is_ready(p, why, sizeof(why));
        if (!ready)
            sleep_ms(100);
    }
    assert_true(ready);
    assert_string_equal(why, "ready");
    producer_free(p);
}

static void test_producer_broker_down_times_out_not_ready(void **state)
{
    struct fixture *f = *state;
    struct producer *p = make(f, 1000, 10000);
    struct ccai_error err = {0};
    char why[128];
    bool ready = true;

    rd_kafka_mock_broker_set_down(f->mcluster, 1);
    assert_int_equal(send_one(p, "k", NULL, &err), 0);
    assert_true(wait_done(f, 1, 30000));
    /* never reached a broker: safe to retry */
    assert_int_not_equal(f->results[0].status, CCAI_OK);
    for (int i = 0; i < 100 && ready; i++) {
        ready = producer_is_ready(p, why, sizeof(why));
        if (ready)
            sleep_ms(100);
    }
    assert_false(ready);
    rd_kafka_mock_broker_set_up(f->mcluster, 1);
    producer_free(p);
}

static void test_producer_queue_full_refused_immediately(void **state)
{
    struct fixture *f = *state;
    struct producer *p = make(f, 5000, 10);
    struct ccai_error err = {0};
    int refused = 0;
    int accepted = 0;

    rd_kafka_mock_broker_set_down(f->mcluster, 1);
    for (int i = 0; i < 30; i++) {
        if (send_one(p, "k", NULL, &err) == 0) {
            accepted++;
        } else {
            refused++;
            assert_int_equal(err.status, CCAI_E_UNAVAILABLE);
            assert_non_null(strstr(err.message, "queue full"));
        }
    }
    assert_int_equal(accepted, 10);
    assert_int_equal(refused, 20);
    /* every accepted message still gets exactly one report */
    producer_free(p);
    assert_int_equal(n_done(f), 10);
    rd_kafka_mock_broker_set_up(f->mcluster, 1);
}

static void
fatal_then_recover(struct fixture *f, struct producer *p, size_t pending)
{
    struct ccai_error err = {0};
    size_t base = 0;

    assert_true(wait_done(f, pending, 30000));
    for (size_t i = 0; i < pending; i++) {
        /* never a 202 for a message caught in the fatal error */
        assert_int_not_equal(f->results[i].status, CCAI_OK);
        assert_true(f->results[i].status == CCAI_E_UNAVAILABLE ||
                    f->results[i].status == CCAI_E_TIMEOUT);
    }
    for (int i = 0; i < 300 && producer_rebuilds(p) == 0; i++)
        sleep_ms(50);
    assert_int_equal(producer_rebuilds(p), 1);
    /* the rebuilt producer delivers */
    base = n_done(f);
    assert_int_equal(send_one(p, "after", NULL, &err), 0);
    assert_true(wait_done(f, base + 1, 30000));
    assert_int_equal(f->results[base].status, CCAI_OK);
    producer_free(p);
}

static void test_producer_rebuilds_after_out_of_order_sequence(void **state)
{
    struct fixture *f = *state;
    struct producer *p = NULL;
    struct ccai_error err = {0};
    size_t accepted = 0;
    static char linger_env[] = "KAFKA_CONFIG_LINGER_MS=200";

    /* with the default linger.ms=0 the first message leaves alone and its
     * fatal error races the next two sends */
    f->envp[1] = linger_env;
    p = make(f, 10000, 10000);

    /* warm up: a producer id and a first sequence number */
    assert_int_equal(send_one(p, "k", NULL, &err), 0);
    assert_true(wait_done(f, 1, 30000));
    assert_int_equal(f->results[0].status, CCAI_OK);
    pthread_mutex_lock(&f->lock);
    f->n_done = 0;
    pthread_mutex_unlock(&f->lock);
    /* in librdkafka 2.0.2 this error on an idempotent Produce is fatal */
    rd_kafka_mock_push_request_errors(
        f->mcluster, 0 /* ApiKey Produce */, 1,
        RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    /* the linger (set in the caller's environment) normally puts all three
     * in the failing request; if the fatal error still comes first, a
     * later send is refused at once, never accepted into the dead handle */
    for (int i = 0; i < 3; i++) {
        if (send_one(p, "k", NULL, &err) == 0) {
            accepted++;
            continue;
        }
        assert_int_equal(err.status, CCAI_E_UNAVAILABLE);
        assert_non_null(strstr(err.message, "being rebuilt"));
    }
    assert_true(accepted >= 1);
    fatal_then_recover(f, p, accepted);
}

static void test_producer_rebuilds_after_injected_fatal(void **state)
{
    struct fixture *f = *state;
    struct producer *p = make(f, 10000, 10000);
    struct ccai_error err = {0};

    rd_kafka_mock_broker_set_down(f->mcluster, 1);
    for (int i = 0; i < 5; i++)
        assert_int_equal(send_one(p, "k", NULL, &err), 0);
    assert_int_equal(
        producer_inject_fatal(p, RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH), 0);
    rd_kafka_mock_broker_set_up(f->mcluster, 1);
    fatal_then_recover(f, p, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_producer_reports_persisted_with_offsets, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_producer_records_carry_key_and_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_producer_ready_when_broker_answers,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_producer_broker_down_times_out_not_ready, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_producer_queue_full_refused_immediately, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_producer_rebuilds_after_out_of_order_sequence, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_producer_rebuilds_after_injected_fatal, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
