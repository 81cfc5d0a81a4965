/* support_kafka - Kafka helpers for tests on librdkafka: a synchronous
 * one-record producer, a group-less reader of whole topics (assign every
 * partition from the beginning), watermark counts, record lookups and the
 * Java murmur2 partitioner. Each call owns its own rd_kafka_t; any thread. */
#include "ccai_test.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "banned.h"

struct delivery {
    bool done;
    rd_kafka_resp_err_t err;
    int32_t partition;
    int64_t offset;
};

/* Called on the thread that polls the producer (the caller's). */
static void
on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    struct delivery *d = msg->_private;

    (void)rk;
    (void)opaque;
    d->done = true;
    d->err = msg->err;
    d->partition = msg->partition;
    d->offset = msg->offset;
}

static rd_kafka_t *client_new(rd_kafka_type_t type,
                              const char *bootstrap,
                              const char *const *props)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk = NULL;

    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr,
                          sizeof(errstr)) != RD_KAFKA_CONF_OK)
        goto fail;
    /* keep test logs quiet: only errors */
    if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr)) !=
        RD_KAFKA_CONF_OK)
        goto fail;
    for (size_t i = 0; props && props[i]; i += 2) {
        if (rd_kafka_conf_set(conf, props[i], props[i + 1], errstr,
                              sizeof(errstr)) != RD_KAFKA_CONF_OK)
            goto fail;
    }
    if (type == RD_KAFKA_PRODUCER)
        rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));
    if (rk == NULL) {
        conf = NULL; /* rd_kafka_new destroys it only on success */
        fprintf(stderr, "ccai_test: rd_kafka_new: %s\n", errstr);
    }
    return rk;
fail:
    fprintf(stderr, "ccai_test: kafka config: %s\n", errstr);
    rd_kafka_conf_destroy(conf);
    return NULL;
}

int ccai_kafka_produce(const char *bootstrap,
                       const char *topic,
                       const char *key,
                       const void *value,
                       size_t value_len,
                       const char *const *headers,
                       int32_t partition,
                       long timeout_ms,
                       int32_t *out_partition,
                       int64_t *out_offset)
{
    char tmo[32];
    const char *props[] = {
        "partitioner", "murmur2_random",     "acks", "all", "linger.ms",
        "0",           "message.timeout.ms", tmo,    NULL};
    rd_kafka_t *rk = NULL;
    rd_kafka_headers_t *hdrs = NULL;
    struct delivery d = {0};
    rd_kafka_resp_err_t err;
    int64_t deadline = ccai_test_now_ms() + timeout_ms;
    int rc = -1;

    snprintf(tmo, sizeof(tmo), "%ld", timeout_ms);
    rk = client_new(RD_KAFKA_PRODUCER, bootstrap, props);
    if (rk == NULL)
        return -1;
    if (headers != NULL) {
        hdrs = rd_kafka_headers_new(8);
        for (size_t i = 0; headers[i] && headers[i + 1]; i += 2)
            rd_kafka_header_add(hdrs, headers[i], -1, headers[i + 1], -1);
    }
    /* RD_KAFKA_MSG_F_COPY: key and value are the caller's */
    err = rd_kafka_producev(
        rk, RD_KAFKA_V_TOPIC(topic),
        RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA : partition),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(key, key ? strlen(key) : 0),
        RD_KAFKA_V_VALUE((void *)value, value_len), RD_KAFKA_V_HEADERS(hdrs),
        RD_KAFKA_V_OPAQUE(&d), RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "ccai_test: produce to %s: %s\n", topic,
                rd_kafka_err2str(err));
        rd_kafka_headers_destroy(hdrs); /* not taken on failure */
        goto out;
    }
    while (!d.done && ccai_test_now_ms() < deadline + 1000)
        rd_kafka_poll(rk, 50);
    if (!d.done || d.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "ccai_test: produce to %s not delivered: %s\n", topic,
                d.done ? rd_kafka_err2str(d.err) : "no delivery report");
        goto out;
    }
    if (out_partition != NULL)
        *out_partition = d.partition;
    if (out_offset != NULL)
        *out_offset = d.offset;
    rc = 0;
out:
    rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(rk, 1000);
    rd_kafka_destroy(rk);
    return rc;
}

/* Partition count of @topic via metadata, retried until @deadline (the
 * topic may be created a moment later). */
static int partitions_of(rd_kafka_t *rk, const char *topic, int64_t deadline)
{
    for (;;) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
        int cnt = -1;

        if (rkt != NULL &&
            rd_kafka_metadata(rk, 0, rkt, &md, 2000) ==
                RD_KAFKA_RESP_ERR_NO_ERROR &&
            md->topic_cnt == 1 &&
            md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR)
            cnt = md->topics[0].partition_cnt;
        if (md != NULL)
            rd_kafka_metadata_destroy(md);
        if (rkt != NULL)
            rd_kafka_topic_destroy(rkt);
        if (cnt > 0)
            return cnt;
        if (ccai_test_now_ms() >= deadline) {
            fprintf(stderr, "ccai_test: no metadata for topic %s\n", topic);
            return -1;
        }
        ccai_test_sleep_ms(100);
    }
}

int ccai_kafka_partition_count(const char *bootstrap,
                               const char *topic,
                               long timeout_ms)
{
    rd_kafka_t *rk = client_new(RD_KAFKA_PRODUCER, bootstrap, NULL);
    int cnt;

    if (rk == NULL)
        return -1;
    cnt = partitions_of(rk, topic, ccai_test_now_ms() + timeout_ms);
    rd_kafka_destroy(rk);
    return cnt;
}

static char *dup_bytes(const void *p, size_t len)
{
    char *s;

    if (p == NULL)
        return NULL;
    s = malloc(len + 1);
    if (s != NULL) {
        memcpy(s, p, len);
        s[len] = '\0';
    }
    return s;
}

static int record_append(struct ccai_kafka_records *out,
                         const rd_kafka_message_t *msg)
{
    struct ccai_kafka_record *items;
    struct ccai_kafka_record *rec;
    rd_kafka_headers_t *hdrs = NULL;

    items = realloc(out->items, (out->n + 1) * sizeof(*items));
    if (items == NULL)
        return -1;
    out->items = items;
    rec = &out->items[out->n];
    memset(rec, 0, sizeof(*rec));
    rec->topic = strdup(rd_kafka_topic_name(msg->rkt));
    rec->partition = msg->partition;
    rec->offset = msg->offset;
    rec->timestamp = rd_kafka_message_timestamp(msg, NULL);
    rec->key = dup_bytes(msg->key, msg->key_len);
    rec->key_len = msg->key_len;
    rec->value = dup_bytes(msg->payload, msg->len);
    rec->value_len = msg->len;
    if (rd_kafka_message_headers(msg, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        size_t cnt = rd_kafka_header_cnt(hdrs);

        rec->headers = calloc(cnt ? cnt : 1, sizeof(*rec->headers));
        for (size_t i = 0; rec->headers && i < cnt; i++) {
            const char *name = NULL;
            const void *val = NULL;
            size_t vlen = 0;

            if (rd_kafka_header_get_all(hdrs, i, &name, &val, &vlen) !=
                RD_KAFKA_RESP_ERR_NO_ERROR)
                break;
            rec->headers[i].name = strdup(name);
            rec->headers[i].value = dup_bytes(val, vlen);
            rec->headers[i].value_len = vlen;
            rec->n_headers++;
        }
    }
    out->n++;
    return 0;
}

long ccai_kafka_consume(const char *bootstrap,
                        const char *topic,
                        size_t want,
                        long idle_ms,
                        long timeout_ms,
                        struct ccai_kafka_records *out)
{
    const char *props[] = {"enable.partition.eof",
                           "true",
                           "group.id",
                           "ccai-test-reader",
                           "enable.auto.commit",
                           "false",
                           "fetch.wait.max.ms",
                           "100",
                           NULL};
    int64_t deadline = ccai_test_now_ms() + timeout_ms;
    int64_t last_activity = ccai_test_now_ms();
    rd_kafka_t *rk = NULL;
    rd_kafka_topic_partition_list_t *parts = NULL;
    bool *eof = NULL;
    int n_parts;
    long got = 0;
    long rc = -1;

    rk = client_new(RD_KAFKA_CONSUMER, bootstrap, props);
    if (rk == NULL)
        return -1;
    n_parts = partitions_of(rk, topic, deadline);
    if (n_parts <= 0)
        goto out;
    eof = calloc((size_t)n_parts, sizeof(*eof));
    parts = rd_kafka_topic_partition_list_new(n_parts);
    if (eof == NULL || parts == NULL)
        goto out;
    for (int p = 0; p < n_parts; p++)
        rd_kafka_topic_partition_list_add(parts, topic, p)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    if (rd_kafka_assign(rk, parts) != RD_KAFKA_RESP_ERR_NO_ERROR)
        goto out;
    while (ccai_test_now_ms() < deadline) {
        rd_kafka_message_t *msg = NULL;
        bool all_eof = true;

        if (want > 0 && (size_t)got >= want)
            break;
        msg = rd_kafka_consumer_poll(rk, 100);
        if (msg != NULL) {
            if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                if (msg->partition >= 0 && msg->partition < n_parts)
                    eof[msg->partition] = true;
            } else if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                /* transient while brokers are down: keep reading */
            } else {
                if (msg->partition >= 0 && msg->partition < n_parts)
                    eof[msg->partition] = false;
                if (record_append(out, msg) == 0)
                    got++;
                last_activity = ccai_test_now_ms();
            }
            rd_kafka_message_destroy(msg);
        }
        for (int p = 0; p < n_parts; p++)
            all_eof = all_eof && eof[p];
        if (want == 0 && all_eof &&
            ccai_test_now_ms() - last_activity >= idle_ms)
            break;
    }
    rc = got;
out:
    if (parts != NULL)
        rd_kafka_topic_partition_list_destroy(parts);
    free(eof);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return rc;
}

long ccai_kafka_count(const char *bootstrap, const char *topic, long timeout_ms)
{
    rd_kafka_t *rk = client_new(RD_KAFKA_PRODUCER, bootstrap, NULL);
    int64_t deadline = ccai_test_now_ms() + timeout_ms;
    long total = 0;
    int n_parts;

    if (rk == NULL)
        return -1;
    n_parts = partitions_of(rk, topic, deadline);
    if (n_parts <= 0) {
        total = -1;
        goto out;
    }
    for (int p = 0; p < n_parts; p++) {
        int64_t lo = 0;
        int64_t hi = 0;
        rd_kafka_resp_err_t err;

        do {
            err =
                rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 2000);
        } while (err != RD_KAFKA_RESP_ERR_NO_ERROR &&
                 ccai_test_now_ms() < deadline);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            fprintf(stderr, "ccai_test: watermarks of %s[%d]: %s\n", topic, p,
                    rd_kafka_err2str(err));
            total = -1;
            goto out;
        }
        total += (long)(hi - lo);
    }
out:
    rd_kafka_destroy(rk);
    return total;
}

const char *ccai_kafka_record_header(const struct ccai_kafka_record *rec,
                                     const char *name)
{
    for (size_t i = 0; i < rec->n_headers; i++) {
        if (strcmp(rec->headers[i].name, name) == 0)
            return rec->headers[i].value;
    }
    return NULL;
}

json_t *ccai_kafka_record_json(const struct ccai_kafka_record *rec)
{
    json_error_t jerr;

    if (rec->value == NULL)
        return NULL;
    return json_loadb(rec->value, rec->value_len, 0, &jerr);
}

const struct ccai_kafka_record *ccai_kafka_find_header(
    const struct ccai_kafka_records *recs, const char *name, const char *value)
{
    for (size_t i = 0; i < recs->n; i++) {
        const char *v = ccai_kafka_record_header(&recs->items[i], name);

        if (v != NULL && strcmp(v, value) == 0)
            return &recs->items[i];
    }
    return NULL;
}

static bool json_path_equals(json_t *root, const char *path, const char *value)
{
    char part[128];
    json_t *cur = root;
    const char *p = path;

    while (cur != NULL && *p) {
        size_t n = strcspn(p, ".");

        if (n >= sizeof(part))
            return false;
        memcpy(part, p, n);
        part[n] = '\0';
        cur = json_is_object(cur) ? json_object_get(cur, part) : NULL;
        p += n;
        if (*p == '.')
            p++;
    }
    return json_is_string(cur) && strcmp(json_string_value(cur), value) == 0;
}

const struct ccai_kafka_record *ccai_kafka_find_json(
    const struct ccai_kafka_records *recs, const char *path, const char *value)
{
    for (size_t i = 0; i < recs->n; i++) {
        json_t *root = ccai_kafka_record_json(&recs->items[i]);
        bool eq = root != NULL && json_path_equals(root, path, value);

        json_decref(root);
        if (eq)
            return &recs->items[i];
    }
    return NULL;
}

size_t ccai_kafka_count_json(const struct ccai_kafka_records *recs,
                             const char *path,
                             const char *value)
{
    size_t n = 0;

    for (size_t i = 0; i < recs->n; i++) {
        json_t *root = ccai_kafka_record_json(&recs->items[i]);

        if (root != NULL && json_path_equals(root, path, value))
            n++;
        json_decref(root);
    }
    return n;
}

void ccai_kafka_records_release(struct ccai_kafka_records *recs)
{
    if (recs == NULL)
        return;
    for (size_t i = 0; i < recs->n; i++) {
        struct ccai_kafka_record *rec = &recs->items[i];

        for (size_t h = 0; h < rec->n_headers; h++) {
            free(rec->headers[h].name);
            free(rec->headers[h].value);
        }
        free(rec->headers);
        free(rec->topic);
        free(rec->key);
        free(rec->value);
    }
    free(recs->items);
    recs->items = NULL;
    recs->n = 0;
}

int32_t
ccai_kafka_murmur2_partition(const void *key, size_t len, int32_t partitions)
{
    const unsigned char *data = key;
    const uint32_t m = 0x5bd1e995u;
    const int r = 24;
    uint32_t h = 0x9747b28cu ^ (uint32_t)len;
    size_t n4 = len / 4;

    for (size_t i = 0; i < n4; i++) {
        const unsigned char *b = data + i * 4;
        uint32_t k = (uint32_t)b[0] | (uint32_t)b[1] << 8 |
                     (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;

        k *= m;
        k ^= k >> r;
        k *= m;
        h *= m;
        h ^= k;
    }
    switch (len % 4) {
    case 3:
        h ^= (uint32_t)data[(len & ~(size_t)3) + 2] << 16;
        /* fall through */
    case 2:
        h ^= (uint32_t)data[(len & ~(size_t)3) + 1] << 8;
        /* fall through */
    case 1:
        h ^= (uint32_t)data[len & ~(size_t)3];
        h *= m;
        break;
    default:
        break;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return (int32_t)((h & 0x7fffffffu) % (uint32_t)partitions);
}
