/* publisher - idempotent producer with owned copies, retries and a rebuild
 * after fatal errors; see publisher.h. Main loop thread only: delivery
 * reports and error callbacks are served from rd_kafka_poll called by
 * publisher_poll. */
#include "publisher.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "id.h"
#include "kafka_conf.h"
#include "log.h"
#include "metrics.h"

#include "banned.h"

#define PUB_RETRY_BASE_MS   200
#define PUB_RETRY_MAX_MS    5000
#define PUB_REBUILD_WAIT_MS 5000

struct pub_msg {
    struct pub_msg *next; /* retry list */
    char *topic;
    void *key;
    size_t key_len;
    void *value; /* borrowed by librdkafka while produced (flags 0) */
    size_t len;
    rd_kafka_headers_t *hdrs; /* template, copied for each produce */
    void *opaque;
    unsigned attempts;
    unsigned gen;   /* producer generation it was produced on */
    int64_t due_ms; /* when on the retry list */
    rd_kafka_resp_err_t last_err;
};

struct publisher {
    struct publisher_config cfg;
    rd_kafka_t *rk;
    unsigned gen;
    bool fatal;
    bool healthy;
    bool closing; /* publisher_free: no more callbacks */
    unsigned rebuilds;
    size_t outstanding;
    struct pub_msg *retry_head; /* unsorted; small in practice */
    int wake[2];
    struct ccai_counter *m_acked;
    struct ccai_counter *m_failed;
    struct ccai_counter *m_retried;
    struct ccai_counter *m_rebuilds;
};

static void pub_msg_free(struct pub_msg *pm)
{
    if (pm == NULL)
        return;
    free(pm->topic);
    free(pm->key);
    free(pm->value);
    if (pm->hdrs)
        rd_kafka_headers_destroy(pm->hdrs);
    free(pm);
}

static void
retry_later(struct publisher *pub, struct pub_msg *pm, long delay_ms)
{
    pm->due_ms = ccai_mono_ms() + delay_ms;
    pm->next = pub->retry_head;
    pub->retry_head = pm;
}

static void
finish(struct publisher *pub, struct pub_msg *pm, rd_kafka_resp_err_t err)
{
    pub->outstanding--;
    if (pub->closing) {
        pub_msg_free(pm);
        return;
    }
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        ccai_counter_add(pub->m_acked, 1);
        pub->healthy = true;
    } else {
        ccai_counter_add(pub->m_failed, 1);
    }
    pub->cfg.done(pm->opaque, err, pub->cfg.ctx);
    pub_msg_free(pm);
}

/* librdkafka: on the thread calling rd_kafka_poll/flush (the loop) */
static void
on_delivery_report(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    struct publisher *pub = opaque;
    struct pub_msg *pm = msg->_private;
    long delay = 0;

    (void)rk;
    if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        finish(pub, pm, RD_KAFKA_RESP_ERR_NO_ERROR);
        return;
    }
    pm->last_err = msg->err;
    if (pub->closing) {
        finish(pub, pm, msg->err);
        return;
    }
    if (pm->gen != pub->gen || pub->fatal ||
        msg->err == RD_KAFKA_RESP_ERR__FATAL ||
        msg->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
        msg->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
        /* purged by a rebuild: not the record's fault, not an attempt */
        retry_later(pub, pm, 0);
        return;
    }
    pub->healthy = false;
    pm->attempts++;
    if (pm->attempts > pub->cfg.max_retries) {
        LOG_WARN("publisher", "cannot produce to '%s': %s (after %u attempts)",
                 pm->topic, rd_kafka_err2str(msg->err), pm->attempts);
        finish(pub, pm, msg->err);
        return;
    }
    delay = PUB_RETRY_BASE_MS << (pm->attempts < 5 ? pm->attempts - 1 : 4);
    if (delay > PUB_RETRY_MAX_MS)
        delay = PUB_RETRY_MAX_MS;
    ccai_counter_add(pub->m_retried, 1);
    LOG_WARN("publisher", "delivery to '%s' failed: %s; retry %u in %ld ms",
             pm->topic, rd_kafka_err2str(msg->err), pm->attempts, delay);
    retry_later(pub, pm, delay);
}

/* librdkafka: served by rd_kafka_poll on the loop thread */
static void on_error(rd_kafka_t *rk, int code, const char *reason, void *opaque)
{
    struct publisher *pub = opaque;

    if (code == RD_KAFKA_RESP_ERR__FATAL) {
        char why[256];
        rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, why, sizeof(why));

        LOG_ERROR("publisher", "fatal producer error %s: %s; rebuilding",
                  rd_kafka_err2name(orig), why);
        pub->fatal = true;
        pub->healthy = false;
        return;
    }
    LOG_WARN("publisher", "producer error %s: %s",
             rd_kafka_err2name((rd_kafka_resp_err_t)code), reason);
}

static rd_kafka_t *producer_create(struct publisher *pub,
                                   struct ccai_error *err)
{
    char timeout[32];
    char errstr[512];
    const char *defaults[] = {
        "enable.idempotence",
        "true",
        "acks",
        "all",
        "linger.ms",
        "5",
        "compression.type",
        "lz4",
        "partitioner", /* as the ingress: keyed by contact_id, murmur2 */
        "murmur2_random",
        "queue.buffering.max.messages",
        "200000",
        "message.timeout.ms",
        timeout,
        "socket.keepalive.enable",
        "true",
        "client.id",
        "ccai-processor",
        NULL,
    };
    rd_kafka_conf_t *conf = NULL;
    rd_kafka_t *rk = NULL;
    rd_kafka_queue_t *q = NULL;

    (void)snprintf(timeout, sizeof(timeout), "%ld",
                   pub->cfg.message_timeout_ms);
    conf = ccai_kafka_conf_new(defaults, NULL, err);
    if (conf == NULL)
        return NULL;
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery_report);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_opaque(conf, pub);
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (rk == NULL) {
        rd_kafka_conf_destroy(conf);
        ccai_error_set(err, CCAI_E_CONFIG, "KAFKA_CONFIG_",
                       "cannot create producer: %s", errstr);
        return NULL;
    }
    q = rd_kafka_queue_get_main(rk);
    rd_kafka_queue_io_event_enable(q, pub->wake[1], "p", 1);
    rd_kafka_queue_destroy(q);
    return rk;
}

struct publisher *publisher_new(const struct publisher_config *cfg,
                                struct ccai_error *err)
{
    struct publisher *pub = calloc(1, sizeof(*pub));

    if (pub == NULL) {
        ccai_error_set(err, CCAI_E_NOMEM, "", "out of memory");
        return NULL;
    }
    pub->cfg = *cfg;
    pub->wake[0] = pub->wake[1] = -1;
    if (pipe(pub->wake) != 0) {
        ccai_error_set(err, CCAI_E_IO, "", "pipe: %s", strerror(errno));
        goto fail;
    }
    for (int i = 0; i < 2; i++) {
        int fl = fcntl(pub->wake[i], F_GETFL);
        (void)fcntl(pub->wake[i], F_SETFL, fl | O_NONBLOCK);
        (void)fcntl(pub->wake[i], F_SETFD, FD_CLOEXEC);
    }
    pub->rk = producer_create(pub, err);
    if (pub->rk == NULL)
        goto fail;
    pub->healthy = true;
    if (cfg->metrics) {
        pub->m_acked = ccai_metrics_counter(
            cfg->metrics, "ccai_processor_produced_total",
            "Records acknowledged by the broker", "outcome=\"acked\"");
        pub->m_failed = ccai_metrics_counter(
            cfg->metrics, "ccai_processor_produced_total",
            "Records acknowledged by the broker", "outcome=\"failed\"");
        pub->m_retried = ccai_metrics_counter(
            cfg->metrics, "ccai_processor_produce_retries_total",
            "Deliveries re-produced after a failed delivery report", NULL);
        pub->m_rebuilds = ccai_metrics_counter(
            cfg->metrics, "ccai_processor_producer_rebuilds_total",
            "Producer rebuilds after a fatal idempotence error", NULL);
    }
    return pub;
fail:
    publisher_free(pub);
    return NULL;
}

void publisher_free(struct publisher *pub)
{
    if (pub == NULL)
        return;
    pub->closing = true;
    if (pub->rk) {
        rd_kafka_purge(pub->rk,
                       RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        /* DRs of purged records re-queue them on the retry list */
        rd_kafka_flush(pub->rk, 1000);
        rd_kafka_destroy(pub->rk);
    }
    while (pub->retry_head) {
        struct pub_msg *pm = pub->retry_head;
        pub->retry_head = pm->next;
        pub_msg_free(pm);
    }
    for (int i = 0; i < 2; i++) {
        if (pub->wake[i] >= 0)
            close(pub->wake[i]);
    }
    free(pub);
}

static void produce(struct publisher *pub, struct pub_msg *pm)
{
    rd_kafka_headers_t *hdrs =
        pm->hdrs ? rd_kafka_headers_copy(pm->hdrs) : NULL;
    rd_kafka_resp_err_t rerr;

    pm->gen = pub->gen;
    /* msgflags 0: the value stays owned by pm until its DR (no copy);
     * the headers copy is owned by librdkafka once producev succeeds */
    rerr = rd_kafka_producev(pub->rk, RD_KAFKA_V_TOPIC(pm->topic),
                             RD_KAFKA_V_KEY(pm->key, pm->key_len),
                             RD_KAFKA_V_VALUE(pm->value, pm->len),
                             RD_KAFKA_V_MSGFLAGS(0), RD_KAFKA_V_HEADERS(hdrs),
                             RD_KAFKA_V_OPAQUE(pm), RD_KAFKA_V_END);
    if (rerr == RD_KAFKA_RESP_ERR_NO_ERROR)
        return;
    if (hdrs)
        rd_kafka_headers_destroy(hdrs);
    pm->last_err = rerr;
    if (rerr != RD_KAFKA_RESP_ERR__QUEUE_FULL)
        LOG_WARN("publisher", "cannot produce to '%s': %s", pm->topic,
                 rd_kafka_err2str(rerr));
    retry_later(pub, pm, rerr == RD_KAFKA_RESP_ERR__QUEUE_FULL ? 20 : 200);
}

static void *dup_bytes(const void *p, size_t n)
{
    void *d = malloc(n ? n : 1);

    if (d && n)
        memcpy(d, p, n);
    return d;
}

int publisher_send(struct publisher *pub,
                   const char *topic,
                   const void *key,
                   size_t key_len,
                   const void *value,
                   size_t len,
                   const rd_kafka_headers_t *hdrs,
                   void *opaque,
                   struct ccai_error *err)
{
    struct pub_msg *pm = calloc(1, sizeof(*pm));

    if (pm == NULL)
        goto oom;
    pm->topic = strdup(topic);
    pm->key = key ? dup_bytes(key, key_len) : NULL;
    pm->key_len = key ? key_len : 0;
    pm->value = dup_bytes(value, len);
    pm->len = len;
    pm->hdrs = hdrs ? rd_kafka_headers_copy(hdrs) : NULL;
    pm->opaque = opaque;
    if (pm->topic == NULL || (key && pm->key == NULL) || pm->value == NULL ||
        (hdrs && pm->hdrs == NULL))
        goto oom;
    pub->outstanding++;
    if (pub->fatal)
        retry_later(pub, pm, 0);
    else
        produce(pub, pm);
    return 0;
oom:
    pub_msg_free(pm);
    return ccai_error_set(err, CCAI_E_NOMEM, "", "out of memory");
}

static void drain_wake(struct publisher *pub)
{
    char buf[64];

    while (read(pub->wake[0], buf, sizeof(buf)) > 0)
        ;
}

static void rebuild(struct publisher *pub)
{
    struct ccai_error err = {0};
    rd_kafka_t *old = pub->rk;
    rd_kafka_t *fresh = producer_create(pub, &err);

    if (fresh == NULL) {
        LOG_ERROR("publisher", "cannot rebuild producer: %s", err.message);
        return; /* try again on the next poll */
    }
    pub->gen++;
    pub->rk = fresh;
    /* every record not acknowledged by the old producer comes back through
     * its DR (purged or fatal) and lands on the retry list */
    rd_kafka_purge(old, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    (void)rd_kafka_flush(old, PUB_REBUILD_WAIT_MS);
    rd_kafka_destroy(old);
    pub->fatal = false;
    pub->rebuilds++;
    ccai_counter_add(pub->m_rebuilds, 1);
    LOG_WARN("publisher", "producer rebuilt (generation %u)", pub->gen);
}

static void resend_due(struct publisher *pub)
{
    int64_t now = ccai_mono_ms();
    struct pub_msg **pp = &pub->retry_head;
    struct pub_msg *due = NULL;

    while (*pp) {
        struct pub_msg *pm = *pp;

        if (pm->due_ms <= now) {
            *pp = pm->next;
            pm->next = due;
            due = pm;
        } else {
            pp = &pm->next;
        }
    }
    while (due) {
        struct pub_msg *pm = due;

        due = pm->next;
        pm->next = NULL;
        produce(pub, pm);
    }
}

void publisher_poll(struct publisher *pub)
{
    drain_wake(pub);
    (void)rd_kafka_poll(pub->rk, 0);
    if (pub->fatal)
        rebuild(pub);
    if (!pub->fatal && pub->retry_head)
        resend_due(pub);
}

int publisher_wait_fd(const struct publisher *pub)
{
    return pub->wake[0];
}

long publisher_next_due_ms(const struct publisher *pub)
{
    int64_t now = ccai_mono_ms();
    long best = -1;

    for (const struct pub_msg *pm = pub->retry_head; pm; pm = pm->next) {
        long d = pm->due_ms <= now ? 0 : (long)(pm->due_ms - now);

        if (best < 0 || d < best)
            best = d;
    }
    return best;
}

size_t publisher_flush(struct publisher *pub, long timeout_ms)
{
    int64_t deadline = ccai_mono_ms() + timeout_ms;

    while (pub->outstanding > 0 && ccai_mono_ms() < deadline) {
        publisher_poll(pub);
        if (pub->outstanding > 0)
            (void)rd_kafka_poll(pub->rk, 20);
    }
    return pub->outstanding;
}

size_t publisher_outstanding(const struct publisher *pub)
{
    return pub->outstanding;
}

bool publisher_is_healthy(const struct publisher *pub)
{
    return pub->healthy && !pub->fatal;
}

unsigned publisher_rebuilds(const struct publisher *pub)
{
    return pub->rebuilds;
}

void publisher_inject_fatal(struct publisher *pub)
{
    (void)rd_kafka_test_fatal_error(
        pub->rk, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
        "injected by a test");
}
