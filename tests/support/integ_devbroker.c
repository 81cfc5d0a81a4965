/* integ_devbroker - ccai-devbroker as Kafka clients and tests see it:
 * kcat metadata, produce/consume through the bootstrap bridge, a
 * librdkafka consumer group with commits, broker down/up, pushed request
 * errors, the control API's answers, topics from the environment, the
 * command line and SIGTERM. Uses ccai_testsupport. Test main thread. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>

#include "ccai_test.h"

#include "banned.h"

static json_t *kcat_metadata(const char *bootstrap)
{
    const char *args[] = {"-b", bootstrap, "-L", "-J", "-m", "10", NULL};
    char *out = NULL;
    json_t *root = NULL;
    int rc = ccai_proc_run("path:kcat", args, NULL, NULL, 0, 30000, &out);

    if (rc == 0 && out != NULL)
        root = json_loads(out, 0, NULL);
    if (root == NULL)
        fprintf(stderr, "kcat -L: exit %d: %s\n", rc, out ? out : "");
    free(out);
    return root;
}

static json_t *topic_of(json_t *md, const char *name)
{
    size_t i;
    json_t *t;

    json_array_foreach(json_object_get(md, "topics"), i, t)
    {
        if (strcmp(json_string_value(json_object_get(t, "topic")), name) == 0)
            return t;
    }
    return NULL;
}

static void test_kcat_metadata_shows_topics_and_brokers(void **state)
{
    static const char *const args[] = {"--brokers", "3", NULL};
    struct ccai_devbroker *db = ccai_devbroker_start(args, NULL);
    json_t *md = NULL;

    (void)state;
    assert_non_null(db);
    md = kcat_metadata(ccai_devbroker_bootstrap(db));
    assert_non_null(md);
    assert_int_equal(json_array_size(json_object_get(md, "brokers")), 3);
    assert_int_equal(json_array_size(json_object_get(
                         topic_of(md, "contact-events"), "partitions")),
                     12);
    assert_int_equal(json_array_size(json_object_get(
                         topic_of(md, "contact-results"), "partitions")),
                     12);
    assert_int_equal(json_array_size(json_object_get(
                         topic_of(md, "contact-events-dlq"), "partitions")),
                     3);
    /* librdkafka 2.0.2's mock reports controller id 0 (docs/devbroker.md) */
    fprintf(stderr, "kcat -L controllerid: %lld\n",
            (long long)json_integer_value(json_object_get(md, "controllerid")));
    json_decref(md);
    assert_int_equal(ccai_devbroker_stop(db), 0);
}

static void test_topics_and_partitions_from_env_and_flags(void **state)
{
    static const char *const args[] = {"--partitions-events", "4", NULL};
    static const char *const env[] = {"TOPIC_EVENTS=my-events", NULL};
    struct ccai_devbroker *db = ccai_devbroker_start(args, env);

    (void)state;
    assert_non_null(db);
    assert_int_equal(ccai_kafka_partition_count(ccai_devbroker_bootstrap(db),
                                                "my-events", 10000),
                     4);
    assert_int_equal(ccai_devbroker_stop(db), 0);
}

static void test_fixed_port_bootstrap_and_kcat_roundtrip(void **state)
{
    struct ccai_proc *proc = NULL;
    char port[16];
    char bs[64];
    const char *args[] = {"--port", port, NULL};
    const char *prod[] = {"-b", bs,   "-P", "-t", "contact-results",
                          "-k", "k1", NULL};
    const char *cons[] = {"-b", bs,   "-C", "-t",       "contact-results",
                          "-e", "-q", "-f", "%k=%s\\n", NULL};
    char *out = NULL;

    (void)state;
    snprintf(port, sizeof(port), "%d", ccai_test_free_port());
    snprintf(bs, sizeof(bs), "127.0.0.1:%s", port);
    proc = ccai_proc_start("ccai-devbroker", args, NULL);
    assert_non_null(proc);
    assert_int_equal(ccai_proc_wait_log(proc, "\"bootstrap\"", 30000), 0);
    assert_true(ccai_proc_log_contains(proc, "DEVELOPMENT TOOL"));
    assert_int_equal(
        ccai_proc_run("path:kcat", prod, NULL, "hello-kcat", 10, 30000, NULL),
        0);
    assert_int_equal(
        ccai_proc_run("path:kcat", cons, NULL, NULL, 0, 30000, &out), 0);
    assert_non_null(out);
    assert_non_null(strstr(out, "k1=hello-kcat"));
    free(out);
    assert_int_equal(ccai_proc_stop(proc, 15000), 0);
    ccai_proc_free(proc);
}

static long
group_consume(const char *bootstrap, const char *group, long idle_ms)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk = NULL;
    rd_kafka_topic_partition_list_t *topics = NULL;
    int64_t last = ccai_test_now_ms();
    int64_t deadline = last + 60000;
    long n = 0;

    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr,
                      sizeof(errstr));
    rd_kafka_conf_set(conf, "group.id", group, errstr, sizeof(errstr));
    rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", errstr,
                      sizeof(errstr));
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr,
                      sizeof(errstr));
    rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    assert_non_null(rk);
    rd_kafka_poll_set_consumer(rk);
    topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, "contact-events-dlq",
                                      RD_KAFKA_PARTITION_UA);
    assert_int_equal(rd_kafka_subscribe(rk, topics), 0);
    rd_kafka_topic_partition_list_destroy(topics);
    while (ccai_test_now_ms() < deadline &&
           ccai_test_now_ms() - last < idle_ms) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(rk, 200);

        if (msg == NULL)
            continue;
        if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            n++;
            last = ccai_test_now_ms();
        }
        rd_kafka_message_destroy(msg);
    }
    if (n > 0)
        assert_int_equal(rd_kafka_commit(rk, NULL, 0), 0);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return n;
}

static void test_consumer_group_reads_and_commits(void **state)
{
    struct ccai_devbroker *db = ccai_devbroker_start(NULL, NULL);
    const char *bs = NULL;

    (void)state;
    assert_non_null(db);
    bs = ccai_devbroker_bootstrap(db);
    for (int i = 0; i < 20; i++) {
        char key[16];

        snprintf(key, sizeof(key), "k%d", i);
        assert_int_equal(ccai_kafka_produce(bs, "contact-events-dlq", key, "v",
                                            1, NULL, -1, 10000, NULL, NULL),
                         0);
    }
    /* the join (and its rebalance) takes a few seconds: generous idle */
    assert_int_equal(group_consume(bs, "g1", 8000), 20);
    /* committed: the same group has nothing left */
    assert_int_equal(group_consume(bs, "g1", 5000), 0);
    assert_int_equal(ccai_devbroker_stop(db), 0);
}

static void test_broker_down_refuses_then_up_serves(void **state)
{
    struct ccai_devbroker *db = ccai_devbroker_start(NULL, NULL);
    const char *bs = NULL;
    json_t *st = NULL;

    (void)state;
    assert_non_null(db);
    bs = ccai_devbroker_bootstrap(db);
    assert_int_equal(ccai_kafka_partition_count(bs, "contact-events", 10000),
                     12);
    assert_int_equal(ccai_devbroker_broker_down(db, 1), 0);
    st = ccai_devbroker_status(db);
    assert_false(json_is_true(json_object_get(
        json_array_get(json_object_get(st, "brokers"), 0), "up")));
    json_decref(st);
    assert_int_equal(ccai_kafka_partition_count(bs, "contact-events", 2000),
                     -1);
    assert_int_equal(ccai_devbroker_broker_up(db, 1), 0);
    assert_int_equal(ccai_kafka_partition_count(bs, "contact-events", 20000),
                     12);
    assert_int_equal(ccai_kafka_produce(bs, "contact-events", "k", "v", 1, NULL,
                                        -1, 20000, NULL, NULL),
                     0);
    assert_int_equal(ccai_devbroker_stop(db), 0);
}

static void test_pushed_produce_errors(void **state)
{
    static const char *const retriable[] = {"NOT_ENOUGH_REPLICAS", "7",
                                            "NOT_LEADER_FOR_PARTITION"};
    static const char *const fatal[] = {"TOPIC_AUTHORIZATION_FAILED"};
    struct ccai_devbroker *db = ccai_devbroker_start(NULL, NULL);
    const char *bs = NULL;

    (void)state;
    assert_non_null(db);
    bs = ccai_devbroker_bootstrap(db);
    /* retriable errors: the producer retries and delivers */
    assert_int_equal(ccai_devbroker_push_errors(db, "Produce", retriable, 3),
                     0);
    assert_int_equal(ccai_kafka_produce(bs, "contact-events", "k", "v1", 2,
                                        NULL, -1, 20000, NULL, NULL),
                     0);
    /* a permanent error fails the delivery */
    assert_int_equal(ccai_devbroker_push_errors(db, "0", fatal, 1), 0);
    assert_int_equal(ccai_kafka_produce(bs, "contact-events", "k", "v2", 2,
                                        NULL, -1, 20000, NULL, NULL),
                     -1);
    assert_int_equal(ccai_kafka_produce(bs, "contact-events", "k", "v3", 2,
                                        NULL, -1, 20000, NULL, NULL),
                     0);
    /* cleared errors do not fire */
    assert_int_equal(ccai_devbroker_push_errors(db, "Produce", fatal, 1), 0);
    assert_int_equal(ccai_devbroker_clear_errors(db, "Produce"), 0);
    assert_int_equal(ccai_kafka_produce(bs, "contact-events", "k", "v4", 2,
                                        NULL, -1, 20000, NULL, NULL),
                     0);
    assert_int_equal(ccai_kafka_count(bs, "contact-events", 10000), 3);
    assert_int_equal(ccai_devbroker_stop(db), 0);
}

static void test_control_api_answers(void **state)
{
    struct ccai_devbroker *db = ccai_devbroker_start(NULL, NULL);
    struct ccai_http_resp resp;
    static const char *const bad[] = {"NO_SUCH_ERROR"};
    static const char *const one[] = {"NOT_ENOUGH_REPLICAS"};
    static const int rtt[] = {100};

    (void)state;
    assert_non_null(db);
    assert_int_equal(ccai_devbroker_create_topic(db, "extra", 5), 0);
    assert_int_equal(ccai_kafka_partition_count(ccai_devbroker_bootstrap(db),
                                                "extra", 10000),
                     5);
    assert_int_equal(ccai_devbroker_create_topic(db, "extra", 5), -1);
    assert_int_equal(ccai_devbroker_broker_down(db, 9), -1);
    assert_int_equal(ccai_devbroker_push_errors(db, "NoSuchApi", one, 1), -1);
    assert_int_equal(ccai_devbroker_push_errors(db, "Produce", bad, 1), -1);
    assert_int_equal(
        ccai_devbroker_push_broker_errors(db, 1, "Fetch", one, rtt, 1), 0);
    assert_int_equal(ccai_devbroker_rtt(db, 1, 5), 0);
    assert_int_equal(ccai_devbroker_topic_error(db, "extra", "NO_ERROR"), 0);
    assert_int_equal(
        ccai_devbroker_control(db, "POST", "/errors", "{nope", &resp), -1);
    assert_int_equal(resp.status, 400);
    ccai_http_resp_release(&resp);
    assert_int_equal(
        ccai_devbroker_control(db, "GET", "/brokers/1/down", NULL, &resp), -1);
    assert_int_equal(resp.status, 405);
    ccai_http_resp_release(&resp);
    assert_int_equal(ccai_devbroker_control(db, "GET", "/nothing", NULL, &resp),
                     -1);
    assert_int_equal(resp.status, 404);
    ccai_http_resp_release(&resp);
    assert_int_equal(ccai_devbroker_stop(db), 0);
}

static void test_command_line(void **state)
{
    static const char *const help[] = {"--help", NULL};
    static const char *const version[] = {"--version", NULL};
    static const char *const bad[] = {"--brokers", "zero", NULL};
    static const char *const unknown[] = {"--frobnicate", NULL};
    char *out = NULL;

    (void)state;
    assert_int_equal(
        ccai_proc_run("ccai-devbroker", help, NULL, NULL, 0, 10000, &out), 0);
    assert_non_null(strstr(out, "DEVELOPMENT TOOL"));
    free(out);
    assert_int_equal(
        ccai_proc_run("ccai-devbroker", version, NULL, NULL, 0, 10000, &out),
        0);
    assert_non_null(strstr(out, "development tool"));
    free(out);
    assert_int_equal(
        ccai_proc_run("ccai-devbroker", bad, NULL, NULL, 0, 10000, &out), 2);
    assert_non_null(strstr(out, "--brokers"));
    free(out);
    assert_int_equal(
        ccai_proc_run("ccai-devbroker", unknown, NULL, NULL, 0, 10000, NULL),
        2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kcat_metadata_shows_topics_and_brokers),
        cmocka_unit_test(test_topics_and_partitions_from_env_and_flags),
        cmocka_unit_test(test_fixed_port_bootstrap_and_kcat_roundtrip),
        cmocka_unit_test(test_consumer_group_reads_and_commits),
        cmocka_unit_test(test_broker_down_refuses_then_up_serves),
        cmocka_unit_test(test_pushed_produce_errors),
        cmocka_unit_test(test_control_api_answers),
        cmocka_unit_test(test_command_line),
    };

    ccai_test_filter_from_env();
    return ccai_test_finish(
        cmocka_run_group_tests(tests, NULL, ccai_test_teardown));
}
