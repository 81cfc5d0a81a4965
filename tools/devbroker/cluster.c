/* cluster - the librdkafka mock cluster behind the dev broker, with the
 * state the mock does not expose (broker up/down and rtt, topics we
 * created) under one mutex; see cluster.h. Any thread after cluster_new. */
#include "cluster.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "env.h"
#include "log.h"

#include "banned.h"

#define CLUSTER_MAX_TOPICS 64

struct cluster_topic {
    char name[250];
    int partitions;
};

struct cluster {
    rd_kafka_t *rk; /* the handle the mock cluster is attached to */
    rd_kafka_mock_cluster_t *mcluster;
    int brokers;
    char addrs[CLUSTER_MAX_BROKERS][64]; /* index id - 1 */
    char bootstraps[CLUSTER_MAX_BROKERS * 64];
    pthread_mutex_t lock; /* guards the fields below */
    bool up[CLUSTER_MAX_BROKERS];
    int rtt_ms[CLUSTER_MAX_BROKERS];
    struct cluster_topic topics[CLUSTER_MAX_TOPICS];
    size_t n_topics;
};

/* Called on librdkafka's threads: mock cluster logs at debug level. */
static void on_rdkafka_log(const rd_kafka_t *rk,
                           int level,
                           const char *fac,
                           const char *buf)
{
    (void)rk;
    if (level <= 3)
        LOG_WARN("mock", "%s: %s", fac, buf);
    else
        LOG_DEBUG("mock", "%s: %s", fac, buf);
}

struct cluster *cluster_new(int brokers, struct ccai_error *err)
{
    struct cluster *cl = NULL;
    rd_kafka_conf_t *conf = NULL;
    char errstr[256];
    const char *bs;

    if (brokers < 1 || brokers > CLUSTER_MAX_BROKERS) {
        ccai_error_set(err, CCAI_E_CONFIG, "--brokers",
                       "--brokers: must be 1..%d", CLUSTER_MAX_BROKERS);
        return NULL;
    }
    cl = calloc(1, sizeof(*cl));
    if (cl == NULL)
        goto fail;
    pthread_mutex_init(&cl->lock, NULL);
    cl->brokers = brokers;
    conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, on_rdkafka_log);
    cl->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (cl->rk == NULL) {
        rd_kafka_conf_destroy(conf);
        ccai_error_set(err, CCAI_E_INTERNAL, "", "cannot create handle: %s",
                       errstr);
        goto fail;
    }
    cl->mcluster = rd_kafka_mock_cluster_new(cl->rk, brokers);
    if (cl->mcluster == NULL) {
        ccai_error_set(err, CCAI_E_INTERNAL, "",
                       "cannot create the mock cluster");
        goto fail;
    }
    bs = rd_kafka_mock_cluster_bootstraps(cl->mcluster);
    (void)snprintf(cl->bootstraps, sizeof(cl->bootstraps), "%s", bs);
    /* "127.0.0.1:p1,127.0.0.1:p2,..." in broker id order */
    for (int i = 0; i < brokers; i++) {
        size_t len = strcspn(bs, ",");

        if (len == 0 || len >= sizeof(cl->addrs[i])) {
            ccai_error_set(err, CCAI_E_INTERNAL, "",
                           "unexpected mock bootstraps '%s'", cl->bootstraps);
            goto fail;
        }
        memcpy(cl->addrs[i], bs, len);
        cl->addrs[i][len] = '\0';
        cl->up[i] = true;
        bs += len;
        if (*bs == ',')
            bs++;
    }
    return cl;
fail:
    if (cl == NULL)
        ccai_error_set(err, CCAI_E_NOMEM, "", "out of memory");
    cluster_free(cl);
    return NULL;
}

void cluster_free(struct cluster *cl)
{
    if (cl == NULL)
        return;
    if (cl->mcluster != NULL)
        rd_kafka_mock_cluster_destroy(cl->mcluster);
    if (cl->rk != NULL)
        rd_kafka_destroy(cl->rk);
    pthread_mutex_destroy(&cl->lock);
    free(cl);
}

int cluster_broker_count(const struct cluster *cl)
{
    return cl->brokers;
}

int cluster_topic_create(struct cluster *cl,
                         const char *topic,
                         int partitions,
                         struct ccai_error *err)
{
    int rf = cl->brokers < 3 ? cl->brokers : 3;
    rd_kafka_resp_err_t kerr;
    int rc = -1;

    if (topic[0] == '\0' || strlen(topic) >= sizeof(cl->topics[0].name)) {
        return ccai_error_set(err, CCAI_E_INVALID, "/name",
                              "topic name must be 1..249 characters");
    }
    if (partitions < 1 || partitions > 1000) {
        return ccai_error_set(err, CCAI_E_INVALID, "/partitions",
                              "partitions must be 1..1000");
    }
    pthread_mutex_lock(&cl->lock);
    for (size_t i = 0; i < cl->n_topics; i++) {
        if (strcmp(cl->topics[i].name, topic) == 0) {
            ccai_error_set(err, CCAI_E_CONFLICT, "/name",
                           "topic '%s' already exists", topic);
            goto out;
        }
    }
    if (cl->n_topics == CLUSTER_MAX_TOPICS) {
        ccai_error_set(err, CCAI_E_CONFLICT, "", "too many topics");
        goto out;
    }
    kerr = rd_kafka_mock_topic_create(cl->mcluster, topic, partitions, rf);
    if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
        ccai_error_set(err, CCAI_E_INTERNAL, "", "cannot create '%s': %s",
                       topic, rd_kafka_err2str(kerr));
        goto out;
    }
    (void)snprintf(cl->topics[cl->n_topics].name, sizeof(cl->topics[0].name),
                   "%s", topic);
    cl->topics[cl->n_topics].partitions = partitions;
    cl->n_topics++;
    rc = 0;
out:
    pthread_mutex_unlock(&cl->lock);
    return rc;
}

int cluster_broker_address(const struct cluster *cl,
                           int id,
                           char *out,
                           size_t n)
{
    if (id < 1 || id > cl->brokers)
        return -1;
    (void)snprintf(out, n, "%s", cl->addrs[id - 1]);
    return 0;
}

bool cluster_broker_is_up(struct cluster *cl, int id)
{
    bool up;

    if (id < 1 || id > cl->brokers)
        return false;
    pthread_mutex_lock(&cl->lock);
    up = cl->up[id - 1];
    pthread_mutex_unlock(&cl->lock);
    return up;
}

static int check_id(const struct cluster *cl, int id, struct ccai_error *err)
{
    if (id < 1 || id > cl->brokers)
        return ccai_error_set(err, CCAI_E_NOT_FOUND, "",
                              "no broker %d (brokers are 1..%d)", id,
                              cl->brokers);
    return 0;
}

int cluster_broker_set_up(struct cluster *cl,
                          int id,
                          bool up,
                          struct ccai_error *err)
{
    rd_kafka_resp_err_t kerr;

    if (check_id(cl, id, err) != 0)
        return -1;
    pthread_mutex_lock(&cl->lock);
    kerr = up ? rd_kafka_mock_broker_set_up(cl->mcluster, id)
              : rd_kafka_mock_broker_set_down(cl->mcluster, id);
    if (kerr == RD_KAFKA_RESP_ERR_NO_ERROR)
        cl->up[id - 1] = up;
    pthread_mutex_unlock(&cl->lock);
    if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR)
        return ccai_error_set(err, CCAI_E_INTERNAL, "", "broker %d: %s", id,
                              rd_kafka_err2str(kerr));
    return 0;
}

int cluster_broker_set_rtt(struct cluster *cl,
                           int id,
                           int rtt_ms,
                           struct ccai_error *err)
{
    rd_kafka_resp_err_t kerr;

    if (check_id(cl, id, err) != 0)
        return -1;
    pthread_mutex_lock(&cl->lock);
    kerr = rd_kafka_mock_broker_set_rtt(cl->mcluster, id, rtt_ms);
    if (kerr == RD_KAFKA_RESP_ERR_NO_ERROR)
        cl->rtt_ms[id - 1] = rtt_ms;
    pthread_mutex_unlock(&cl->lock);
    if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR)
        return ccai_error_set(err, CCAI_E_INTERNAL, "", "broker %d: %s", id,
                              rd_kafka_err2str(kerr));
    return 0;
}

void cluster_push_errors(struct cluster *cl,
                         int16_t api_key,
                         const int *codes,
                         size_t n)
{
    rd_kafka_resp_err_t errs[256];

    for (size_t i = 0; i < n; i += 256) {
        size_t cnt = n - i < 256 ? n - i : 256;

        for (size_t j = 0; j < cnt; j++)
            errs[j] = (rd_kafka_resp_err_t)codes[i + j];
        rd_kafka_mock_push_request_errors_array(cl->mcluster, api_key, cnt,
                                                errs);
    }
}

int cluster_push_broker_errors(struct cluster *cl,
                               int id,
                               int16_t api_key,
                               const int *codes,
                               const int *rtt_ms,
                               size_t n,
                               struct ccai_error *err)
{
    if (check_id(cl, id, err) != 0)
        return -1;
    /* one pair per call: each call appends to the broker's stack */
    for (size_t i = 0; i < n; i++) {
        rd_kafka_resp_err_t kerr = rd_kafka_mock_broker_push_request_error_rtts(
            cl->mcluster, id, api_key, 1, (rd_kafka_resp_err_t)codes[i],
            rtt_ms[i]);

        if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR)
            return ccai_error_set(err, CCAI_E_INTERNAL, "", "broker %d: %s", id,
                                  rd_kafka_err2str(kerr));
    }
    return 0;
}

void cluster_clear_errors(struct cluster *cl, int16_t api_key)
{
    rd_kafka_mock_clear_request_errors(cl->mcluster, api_key);
}

void cluster_topic_set_error(struct cluster *cl, const char *topic, int code)
{
    rd_kafka_mock_topic_set_error(cl->mcluster, topic,
                                  (rd_kafka_resp_err_t)code);
}

json_t *cluster_status_json(struct cluster *cl)
{
    json_t *root = json_object();
    json_t *brokers = json_array();
    json_t *topics = json_array();

    pthread_mutex_lock(&cl->lock);
    for (int i = 0; i < cl->brokers; i++) {
        json_array_append_new(brokers,
                              json_pack("{s:i,s:s,s:b,s:i}", "id", i + 1,
                                        "address", cl->addrs[i], "up",
                                        cl->up[i], "rtt_ms", cl->rtt_ms[i]));
    }
    for (size_t i = 0; i < cl->n_topics; i++) {
        json_array_append_new(
            topics, json_pack("{s:s,s:i}", "name", cl->topics[i].name,
                              "partitions", cl->topics[i].partitions));
    }
    pthread_mutex_unlock(&cl->lock);
    json_object_set_new(root, "mock_bootstrap", json_string(cl->bootstraps));
    json_object_set_new(root, "brokers", brokers);
    json_object_set_new(root, "topics", topics);
    return root;
}

/* Kafka protocol API keys by name (KIP-482 numbering, as in the mock). */
static const char *const api_names[] = {
    "Produce",
    "Fetch",
    "ListOffsets",
    "Metadata",
    "LeaderAndIsr",
    "StopReplica",
    "UpdateMetadata",
    "ControlledShutdown",
    "OffsetCommit",
    "OffsetFetch",
    "FindCoordinator",
    "JoinGroup",
    "Heartbeat",
    "LeaveGroup",
    "SyncGroup",
    "DescribeGroups",
    "ListGroups",
    "SaslHandshake",
    "ApiVersion",
    "CreateTopics",
    "DeleteTopics",
    "DeleteRecords",
    "InitProducerId",
    "OffsetForLeaderEpoch",
    "AddPartitionsToTxn",
    "AddOffsetsToTxn",
    "EndTxn",
    "WriteTxnMarkers",
    "TxnOffsetCommit",
    "DescribeAcls",
    "CreateAcls",
    "DeleteAcls",
    "DescribeConfigs",
    "AlterConfigs",
    "AlterReplicaLogDirs",
    "DescribeLogDirs",
    "SaslAuthenticate",
    "CreatePartitions",
};

int cluster_api_key_parse(const char *text)
{
    long num;
    size_t n = sizeof(api_names) / sizeof(api_names[0]);

    if (ccai_parse_long(text, 0, 100, &num) == 0)
        return (int)num;
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(text, api_names[i]) == 0)
            return (int)i;
    }
    /* accept "ApiVersions", "OffsetsForLeaderEpoch" spellings too */
    if (strcasecmp(text, "ApiVersions") == 0)
        return 18;
    if (strcasecmp(text, "OffsetsForLeaderEpoch") == 0)
        return 23;
    return -1;
}

bool cluster_error_parse(const char *text, int *code)
{
    static const char prefix[] = "RD_KAFKA_RESP_ERR_";
    const struct rd_kafka_err_desc *descs = NULL;
    size_t cnt = 0;
    long num;

    *code = 0;
    if (ccai_parse_long(text, -200, 1000, &num) == 0) {
        *code = (int)num;
        return true;
    }
    if (strncasecmp(text, prefix, sizeof(prefix) - 1) == 0)
        text += sizeof(prefix) - 1;
    rd_kafka_get_err_descs(&descs, &cnt);
    for (size_t i = 0; i < cnt; i++) {
        if (descs[i].name != NULL && strcasecmp(descs[i].name, text) == 0) {
            *code = descs[i].code;
            return true;
        }
    }
    return false;
}
