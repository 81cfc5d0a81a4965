/* test_runtime_support - fake OpenAI and processor processes, a fast
 * producer and result tallies for the runtime integration tests; see
 * test_runtime_support.h. Test main thread only. */
#include "test_runtime_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "banned.h"

/* ---- fake OpenAI -------------------------------------------------------- */

int rt_fake_start(struct rt_fake *fake,
                  long latency_ms,
                  const char *const *extra)
{
    char lat[32];
    char ready_name[64];
    char *ready = NULL;
    const char *args[32];
    size_t n = 0;
    int64_t deadline = ccai_test_now_ms() + 30000;
    int rc = -1;

    memset(fake, 0, sizeof(*fake));
    snprintf(lat, sizeof(lat), "%ld", latency_ms);
    snprintf(ready_name, sizeof(ready_name), "fake-%lld.ready",
             (long long)ccai_test_now_ms());
    ready = ccai_test_write_file(ready_name, "", 0);
    if (ready == NULL)
        return -1;
    remove(ready);
    args[n++] = "--port";
    args[n++] = "0";
    args[n++] = "--ready-file";
    args[n++] = ready;
    args[n++] = "--latency-ms";
    args[n++] = lat;
    for (size_t i = 0; extra && extra[i] && n < 30; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    fake->proc = ccai_proc_start("ccai-fake-openai", args, NULL);
    if (fake->proc == NULL)
        goto out;
    while (ccai_test_now_ms() < deadline) {
        FILE *f = fopen(ready, "r");
        char line[256] = "";

        if (f) {
            if (fgets(line, sizeof(line), f) && strncmp(line, "url=", 4) == 0 &&
                strchr(line, '\n')) {
                char *end = NULL;

                *strchr(line, '\n') = '\0';
                snprintf(fake->url, sizeof(fake->url), "%s", line + 4);
                snprintf(fake->base, sizeof(fake->base), "%s", line + 4);
                end = strstr(fake->base, "/v1");
                if (end)
                    *end = '\0';
                fclose(f);
                rc = 0;
                break;
            }
            fclose(f);
        }
        if (ccai_proc_has_exited(fake->proc))
            break;
        ccai_test_sleep_ms(20);
    }
out:
    if (rc != 0) {
        fprintf(stderr, "rt: ccai-fake-openai did not start\n");
        if (fake->proc)
            ccai_proc_dump_log(fake->proc, 20);
    }
    free(ready);
    return rc;
}

int rt_fake_stop(struct rt_fake *fake)
{
    int rc = 0;

    if (fake->proc) {
        rc = ccai_proc_stop(fake->proc, 5000);
        if (rc != 0) {
            fprintf(stderr, "rt: ccai-fake-openai exited %d\n", rc);
            ccai_proc_dump_log(fake->proc, 40);
        }
    }
    ccai_proc_free(fake->proc);
    fake->proc = NULL;
    return rc == 0 ? 0 : -1;
}

int rt_fake_post(const struct rt_fake *fake, const char *path, const char *json)
{
    struct ccai_http_resp resp;
    char url[256];
    const char *const hdrs[] = {"Content-Type: application/json", NULL};
    int rc = -1;

    memset(&resp, 0, sizeof(resp));
    snprintf(url, sizeof(url), "%s%s", fake->base, path);
    if (ccai_http_request("POST", url, hdrs, json, json ? strlen(json) : 0,
                          &resp) == 0 &&
        resp.status >= 200 && resp.status < 300)
        rc = 0;
    else
        fprintf(stderr, "rt: POST %s -> %ld %s\n", url, resp.status,
                resp.body ? resp.body : "");
    ccai_http_resp_release(&resp);
    return rc;
}

json_t *rt_fake_get(const struct rt_fake *fake, const char *path)
{
    struct ccai_http_resp resp;
    char url[256];
    json_t *root = NULL;

    memset(&resp, 0, sizeof(resp));
    snprintf(url, sizeof(url), "%s%s", fake->base, path);
    if (ccai_http_request("GET", url, NULL, NULL, 0, &resp) == 0 &&
        resp.status == 200)
        root = ccai_http_resp_json(&resp);
    ccai_http_resp_release(&resp);
    return root;
}

/* ---- processor ------------------------------------------------------------
 */

int rt_proc_start(struct rt_proc *p,
                  const char *bootstrap,
                  const char *group,
                  const char *const *env)
{
    char e_boot[256], e_port[64], e_group[160];
    const char *all[64];
    size_t n = 0;

    memset(p, 0, sizeof(*p));
    p->port = ccai_test_free_port();
    if (p->port <= 0)
        return -1;
    snprintf(p->admin, sizeof(p->admin), "http://127.0.0.1:%d", p->port);
    snprintf(e_boot, sizeof(e_boot), "KAFKA_BOOTSTRAP_SERVERS=%s", bootstrap);
    snprintf(e_port, sizeof(e_port), "PROCESSOR_PORT=%d", p->port);
    snprintf(e_group, sizeof(e_group), "CONSUMER_GROUP=%s", group);
    all[n++] = e_boot;
    all[n++] = e_port;
    all[n++] = e_group;
    all[n++] = "PROCESSOR_BIND=127.0.0.1";
    all[n++] = "PROCESSOR_SESSION_TIMEOUT_MS=6000";
    all[n++] = "PROCESSOR_COMMIT_INTERVAL_MS=200";
    all[n++] = "PROCESSOR_DRAIN_TIMEOUT_MS=15000";
    all[n++] = "KAFKA_CONFIG_TOPIC_METADATA_REFRESH_INTERVAL_MS=1000";
    all[n++] = "LOG_LEVEL=info";
    /* later entries replace earlier ones with the same name */
    for (size_t i = 0; env && env[i] && n < 62; i++)
        all[n++] = env[i];
    all[n] = NULL;
    p->proc = ccai_proc_start("ccai-processor", NULL, all);
    return p->proc ? 0 : -1;
}

int rt_proc_wait_ready(const struct rt_proc *p, long timeout_ms)
{
    char url[128];

    snprintf(url, sizeof(url), "%s/api/v1/processor/ready", p->admin);
    if (ccai_http_wait_ok(url, timeout_ms) == 0)
        return 0;
    fprintf(stderr, "rt: processor not ready in %ld ms\n", timeout_ms);
    ccai_proc_dump_log(p->proc, 30);
    return -1;
}

json_t *rt_proc_stats(const struct rt_proc *p)
{
    struct ccai_http_resp resp;
    char url[128];
    json_t *root = NULL;

    memset(&resp, 0, sizeof(resp));
    snprintf(url, sizeof(url), "%s/api/v1/processor/stats", p->admin);
    if (ccai_http_request("GET", url, NULL, NULL, 0, &resp) == 0 &&
        resp.status == 200)
        root = ccai_http_resp_json(&resp);
    ccai_http_resp_release(&resp);
    return root;
}

void rt_proc_free(struct rt_proc *p)
{
    ccai_proc_free(p->proc);
    p->proc = NULL;
}

/* ---- producer --------------------------------------------------------------
 */

struct rt_producer {
    rd_kafka_t *rk;
    long failed;
};

static void on_dr(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    struct rt_producer *pr = opaque;

    (void)rk;
    if (msg->err)
        pr->failed++;
}

struct rt_producer *rt_producer_new(const char *bootstrap)
{
    struct rt_producer *pr = calloc(1, sizeof(*pr));
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char errstr[256];

    if (pr == NULL)
        goto fail;
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr,
                          sizeof(errstr)) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "enable.idempotence", "true", errstr,
                          sizeof(errstr)) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "partitioner", "murmur2_random", errstr,
                          sizeof(errstr)) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "linger.ms", "5", errstr, sizeof(errstr)) !=
            RD_KAFKA_CONF_OK)
        goto fail;
    rd_kafka_conf_set_dr_msg_cb(conf, on_dr);
    rd_kafka_conf_set_opaque(conf, pr);
    pr->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (pr->rk == NULL)
        goto fail;
    return pr;
fail:
    fprintf(stderr, "rt: cannot create producer: %s\n", errstr);
    if (pr == NULL || pr->rk == NULL)
        rd_kafka_conf_destroy(conf);
    free(pr);
    return NULL;
}

int rt_produce(struct rt_producer *pr,
               const char *topic,
               const char *key,
               const char *value,
               const char *const *headers)
{
    rd_kafka_headers_t *hdrs = NULL;
    rd_kafka_resp_err_t err;

    if (headers) {
        hdrs = rd_kafka_headers_new(8);
        for (size_t i = 0; headers[i]; i += 2)
            rd_kafka_header_add(hdrs, headers[i], -1, headers[i + 1], -1);
    }
    for (int tries = 0; tries < 1000; tries++) {
        err = rd_kafka_producev(pr->rk, RD_KAFKA_V_TOPIC(topic),
                                RD_KAFKA_V_KEY(key, key ? strlen(key) : 0),
                                RD_KAFKA_V_VALUE((void *)value, strlen(value)),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            break;
        rd_kafka_poll(pr->rk, 10);
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (hdrs)
            rd_kafka_headers_destroy(hdrs);
        fprintf(stderr, "rt: produce: %s\n", rd_kafka_err2str(err));
        return -1;
    }
    rd_kafka_poll(pr->rk, 0);
    return 0;
}

long rt_producer_flush(struct rt_producer *pr, long timeout_ms)
{
    if (rd_kafka_flush(pr->rk, (int)timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return pr->failed + (long)rd_kafka_outq_len(pr->rk);
    return pr->failed;
}

void rt_producer_free(struct rt_producer *pr)
{
    if (pr == NULL)
        return;
    rd_kafka_destroy(pr->rk);
    free(pr);
}

/* ---- events ----------------------------------------------------------------
 */

char *rt_event(const char *event_id,
               const char *contact_id,
               const char *type,
               long seq,
               const char *text)
{
    json_t *root = json_pack("{s:s, s:s, s:s}", "event_id", event_id,
                             "contact_id", contact_id, "type", type);
    char *out = NULL;

    if (seq >= 0)
        json_object_set_new(root, "sequence", json_integer(seq));
    if (strcmp(type, "contact.started") == 0) {
        json_object_set_new(root, "channel", json_string("chat"));
        json_object_set_new(root, "queue", json_string("general"));
    }
    if (strcmp(type, "message.received") == 0 ||
        strcmp(type, "transcript.segment") == 0) {
        json_object_set_new(root, "participant",
                            json_pack("{s:s}", "role", "customer"));
        json_object_set_new(
            root, "text",
            json_string(text ? text : "I want to cancel my subscription"));
    }
    out = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return out;
}

/* ---- tallies
 * ----------------------------------------------------------------- */

static long index_of(const char *prefix, const char *id, size_t n)
{
    size_t plen = strlen(prefix);
    char *end = NULL;
    long idx = -1;

    if (id == NULL || strncmp(id, prefix, plen) != 0 || id[plen] != '-' ||
        id[plen + 1] < '0' || id[plen + 1] > '9')
        return -1;
    idx = strtol(id + plen + 1, &end, 10);
    if (*end != '\0' || idx < 0 || (size_t)idx >= n)
        return -1;
    return idx;
}

static void tally_topic(const char *bootstrap,
                        const char *topic,
                        bool dlq,
                        const char *prefix,
                        struct rt_tally *t)
{
    struct ccai_kafka_records recs = {0};

    if (ccai_kafka_consume(bootstrap, topic, 0, 1500, 60000, &recs) < 0)
        return;
    for (size_t i = 0; i < recs.n; i++) {
        json_t *root = ccai_kafka_record_json(&recs.items[i]);
        const char *id = json_string_value(json_object_get(root, "event_id"));
        long idx = -1;

        if (id == NULL && dlq)
            id = ccai_kafka_record_header(&recs.items[i], "ce_id");
        idx = index_of(prefix, id, t->n);
        if (idx >= 0) {
            if (dlq) {
                t->dlq[idx]++;
                t->n_dlq++;
            } else {
                t->results[idx]++;
                t->n_results++;
            }
        }
        json_decref(root);
    }
    ccai_kafka_records_release(&recs);
}

int rt_tally(const char *bootstrap,
             const char *prefix,
             size_t n,
             struct rt_tally *t)
{
    memset(t, 0, sizeof(*t));
    t->n = n;
    t->results = calloc(n, sizeof(*t->results));
    t->dlq = calloc(n, sizeof(*t->dlq));
    if (t->results == NULL || t->dlq == NULL)
        return -1;
    tally_topic(bootstrap, "contact-results", false, prefix, t);
    tally_topic(bootstrap, "contact-events-dlq", true, prefix, t);
    for (size_t i = 0; i < n; i++) {
        unsigned seen = t->results[i] + t->dlq[i];

        if (seen == 0)
            t->missing++;
        else
            t->duplicates += seen - 1;
    }
    return 0;
}

void rt_tally_release(struct rt_tally *t)
{
    free(t->results);
    free(t->dlq);
    memset(t, 0, sizeof(*t));
}

int rt_wait_complete(const char *bootstrap,
                     const char *prefix,
                     size_t n,
                     long timeout_ms,
                     struct rt_tally *t)
{
    int64_t deadline = ccai_test_now_ms() + timeout_ms;

    memset(t, 0, sizeof(*t));
    for (;;) {
        rt_tally_release(t);
        if (rt_tally(bootstrap, prefix, n, t) != 0)
            return -1;
        if (t->missing == 0)
            return 0;
        if (ccai_test_now_ms() >= deadline)
            return -1;
        ccai_test_sleep_ms(1000);
    }
}
