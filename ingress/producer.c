/* producer - librdkafka producer with a poll thread, readiness check and
 * rebuild after fatal errors; see producer.h. producer_send on any thread;
 * on_delivery_report, on_error and the rebuild on the poll thread. */
#define _GNU_SOURCE /* pthread_rwlockattr_setkind_np */
#include "producer.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "id.h"
#include "kafka_conf.h"
#include "log.h"
#include "metrics.h"

#include "banned.h"

#define PRODUCER_POLL_MS          100
#define PRODUCER_METADATA_TIMEOUT 1000
#define PRODUCER_PURGE_FLUSH_MS   5000
#define PRODUCER_QUEUE_HIGH_PCT   90

enum ready_state {
    READY_OK = 0,
    READY_UNKNOWN,    /* no check yet */
    READY_NO_BROKER,  /* metadata request failed */
    READY_STALE,      /* no successful check recently */
    READY_FATAL,      /* fatal error, rebuild pending */
    READY_QUEUE_FULL, /* queue nearly full */
};

static const char *const ready_reason[] = {
    [READY_OK] = "ready",
    [READY_UNKNOWN] = "broker not checked yet",
    [READY_NO_BROKER] = "broker did not answer a metadata request",
    [READY_STALE] = "no recent answer from the broker",
    [READY_FATAL] = "producer hit a fatal error and is being rebuilt",
    [READY_QUEUE_FULL] = "producer queue is nearly full",
};

struct producer {
    struct producer_config cfg;
    /* senders (read: they run in parallel, an MHD thread never sleeps on
     * another's produce call) and swaps of rk/rkt (write) */
    pthread_rwlock_t lock;
    /* the readiness thread holds it (read) while it uses rk; a swap takes
     * it (write), so the old handle is never destroyed under a check */
    pthread_rwlock_t handle_lock;
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;
    pthread_t thread;
    bool thread_started;
    pthread_t ready_thread;
    bool ready_thread_started;
    atomic_bool recheck; /* ask the readiness thread to check now */
    atomic_bool stop;
    atomic_bool fatal;
    atomic_int ready;        /* enum ready_state */
    atomic_long outstanding; /* sent, not reported */
    atomic_ulong rebuilds;
    int64_t last_ok_ms;    /* readiness thread only */
    int64_t next_check_ms; /* readiness thread only */
    struct ccai_counter *persisted;
    struct ccai_counter *not_persisted;
    struct ccai_counter *possibly_persisted;
    struct ccai_counter *rejected_full;
    struct ccai_counter *rejected_fatal;
    struct ccai_counter *rebuild_total;
    struct ccai_histogram *latency;
    struct ccai_gauge *queue_depth;
    struct ccai_gauge *outstanding_gauge;
};

/* Poll thread (librdkafka serves this from rd_kafka_poll/flush). */
static void
on_delivery_report(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    struct producer *p = opaque;
    struct producer_result res;
    rd_kafka_msg_status_t st = rd_kafka_message_status(msg);
    int64_t lat_us = rd_kafka_message_latency(msg);

    (void)rk;
    memset(&res, 0, sizeof(res));
    res.kafka_err = msg->err;
    res.reason = rd_kafka_err2str(msg->err);
    res.partition = msg->partition;
    res.offset = msg->offset;
    if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR &&
        st == RD_KAFKA_MSG_STATUS_PERSISTED) {
        res.status = CCAI_OK;
        ccai_counter_add(p->persisted, 1);
    } else if (st == RD_KAFKA_MSG_STATUS_NOT_PERSISTED) {
        res.status = CCAI_E_UNAVAILABLE;
        ccai_counter_add(p->not_persisted, 1);
    } else {
        /* possibly persisted, or "persisted" with an error: never a 202 */
        res.status = CCAI_E_TIMEOUT;
        ccai_counter_add(p->possibly_persisted, 1);
    }
    if (lat_us >= 0)
        ccai_histogram_observe(p->latency, (double)lat_us / 1e6);
    atomic_fetch_sub(&p->outstanding, 1);
    p->cfg.on_done(p->cfg.ctx, msg->_private, &res);
}

/* Poll thread, or librdkafka's internal threads for some errors. */
static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    struct producer *p = opaque;

    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char why[512];
        rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, why, sizeof(why));

        LOG_ERROR("producer", "fatal producer error %s: %s; rebuilding",
                  rd_kafka_err2name(orig), why);
        atomic_store(&p->fatal, true);
        atomic_store(&p->ready, READY_FATAL);
        return;
    }
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
        atomic_store(&p->ready, READY_NO_BROKER);
    LOG_WARN("producer", "kafka error %s: %s",
             rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

static int handle_new(struct producer *p,
                      rd_kafka_t **rkp,
                      rd_kafka_topic_t **rktp,
                      struct ccai_error *err)
{
    char timeout[24], qmsgs[24], qkb[24], errstr[512];
    /* property, value pairs; KAFKA_CONFIG_* overrides any of them.
     * linger.ms is 0, not 5: every HTTP request waits for its delivery
     * report, so the linger is paid per request (5 ms caps 64 connections
     * at ~12k requests/s, 1 ms at ~40k); batches still form while
     * Produce requests are in flight (docs/ingress.md).
     * reconnect.backoff.max.ms is 1000, not 10000: message timeouts of a
     * partition whose broker is down are only scanned when its broker
     * thread wakes, so with the default a request waited up to 5x
     * INGRESS_PRODUCE_TIMEOUT_MS for its 503 (bench/broker_down_503.sh,
     * docs/ingress.md). */
    /* clang-format off */
    const char *defaults[] = {
        "client.id", "ccai-ingress",
        "enable.idempotence", "true",
        "acks", "all",
        "compression.type", "lz4",
        "linger.ms", "0",
        "partitioner", "murmur2_random",
        "socket.keepalive.enable", "true",
        "reconnect.backoff.max.ms", "1000",
        "message.timeout.ms", timeout,
        "queue.buffering.max.messages", qmsgs,
        "queue.buffering.max.kbytes", qkb,
        NULL,
    };
    /* clang-format on */
    rd_kafka_conf_t *conf = NULL;
    rd_kafka_t *rk = NULL;
    rd_kafka_topic_t *rkt = NULL;

    (void)snprintf(timeout, sizeof(timeout), "%ld", p->cfg.timeout_ms);
    (void)snprintf(qmsgs, sizeof(qmsgs), "%ld", p->cfg.queue_max_messages);
    (void)snprintf(qkb, sizeof(qkb), "%ld", p->cfg.queue_max_kbytes);
    conf = ccai_kafka_conf_new(defaults, p->cfg.envp, err);
    if (conf == NULL)
        return -1;
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery_report);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_opaque(conf, p);
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (rk == NULL) {
        rd_kafka_conf_destroy(conf); /* not taken on failure */
        return ccai_error_set(err, CCAI_E_CONFIG, "KAFKA_CONFIG_",
                              "cannot create producer: %s", errstr);
    }
    rkt = rd_kafka_topic_new(rk, p->cfg.topic, NULL);
    if (rkt == NULL) {
        rd_kafka_destroy(rk);
        return ccai_error_set(err, CCAI_E_CONFIG, "TOPIC_EVENTS",
                              "TOPIC_EVENTS: cannot use topic '%s'",
                              p->cfg.topic);
    }
    *rkp = rk;
    *rktp = rkt;
    return 0;
}

/* Hand every message of @rk back (purged ones as not persisted, in-flight
 * ones as possibly persisted), then destroy it. Poll thread or main. */
static void handle_drain(rd_kafka_t *rk, rd_kafka_topic_t *rkt)
{
    rd_kafka_resp_err_t ferr = RD_KAFKA_RESP_ERR_NO_ERROR;

    rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    ferr = rd_kafka_flush(rk, PRODUCER_PURGE_FLUSH_MS);
    if (ferr != RD_KAFKA_RESP_ERR_NO_ERROR)
        LOG_ERROR("producer",
                  "%d messages still queued after purge; their requests "
                  "will not be answered",
                  rd_kafka_outq_len(rk));
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
}

/* Poll thread: replace a fatal handle with a fresh one. */
static void rebuild(struct producer *p)
{
    struct ccai_error err;
    rd_kafka_t *rk = NULL;
    rd_kafka_topic_t *rkt = NULL;
    rd_kafka_t *old_rk = NULL;
    rd_kafka_topic_t *old_rkt = NULL;

    ccai_error_clear(&err);
    if (handle_new(p, &rk, &rkt, &err) != 0) {
        LOG_ERROR("producer", "cannot rebuild producer: %s", err.message);
        return; /* stays fatal; retried on the next loop */
    }
    pthread_rwlock_wrlock(&p->handle_lock);
    pthread_rwlock_wrlock(&p->lock);
    old_rk = p->rk;
    old_rkt = p->rkt;
    p->rk = rk;
    p->rkt = rkt;
    atomic_store(&p->fatal, false);
    pthread_rwlock_unlock(&p->lock);
    pthread_rwlock_unlock(&p->handle_lock);
    /* nobody can reach the old handle now: drain it on this thread */
    handle_drain(old_rk, old_rkt);
    atomic_fetch_add(&p->rebuilds, 1);
    ccai_counter_add(p->rebuild_total, 1);
    atomic_store(&p->ready, READY_UNKNOWN);
    atomic_store(&p->recheck, true); /* check the broker again at once */
    LOG_WARN("producer", "producer rebuilt after a fatal error (%lu so far)",
             (unsigned long)atomic_load(&p->rebuilds));
}

/* Readiness thread: is the broker answering, is the queue sane? The
 * metadata request may block up to PRODUCER_METADATA_TIMEOUT, which is why
 * it does not run on the poll thread (it would delay delivery reports). */
static void check_ready(struct producer *p)
{
    const struct rd_kafka_metadata *md = NULL;
    int64_t now = 0;
    int qlen = 0;
    rd_kafka_resp_err_t merr = RD_KAFKA_RESP_ERR_NO_ERROR;
    enum ready_state state = READY_OK;

    pthread_rwlock_rdlock(&p->handle_lock);
    qlen = rd_kafka_outq_len(p->rk);
    merr = rd_kafka_metadata(p->rk, 0, NULL, &md, PRODUCER_METADATA_TIMEOUT);
    pthread_rwlock_unlock(&p->handle_lock);
    if (merr == RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (md->broker_cnt > 0)
            p->last_ok_ms = ccai_mono_ms();
        rd_kafka_metadata_destroy(md);
    }
    now = ccai_mono_ms();
    if (p->last_ok_ms == 0)
        state = merr ? READY_NO_BROKER : READY_UNKNOWN;
    else if (now - p->last_ok_ms >
             2 * p->cfg.ready_interval_ms + PRODUCER_METADATA_TIMEOUT)
        state = READY_STALE;
    if (merr != RD_KAFKA_RESP_ERR_NO_ERROR)
        state = READY_NO_BROKER;
    if (state == READY_OK &&
        (long)qlen * 100 >= p->cfg.queue_max_messages * PRODUCER_QUEUE_HIGH_PCT)
        state = READY_QUEUE_FULL;
    if (atomic_load(&p->fatal))
        state = READY_FATAL;
    atomic_store(&p->ready, state);
}

static void *ready_main(void *arg)
{
    struct producer *p = arg;
    struct timespec ts = {0, 20L * 1000 * 1000};

    while (!atomic_load(&p->stop)) {
        int64_t now = ccai_mono_ms();

        if (now >= p->next_check_ms || atomic_exchange(&p->recheck, false)) {
            p->next_check_ms = now + p->cfg.ready_interval_ms;
            check_ready(p);
        }
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void *poll_main(void *arg)
{
    struct producer *p = arg;

    while (!atomic_load(&p->stop)) {
        rd_kafka_t *rk = NULL;

        if (atomic_load(&p->fatal)) {
            rebuild(p);
            if (atomic_load(&p->fatal)) {
                struct timespec ts = {0, 200L * 1000 * 1000};
                nanosleep(&ts, NULL);
            }
        }
        /* only this thread swaps the handle: reading it here is safe */
        rk = p->rk;
        rd_kafka_poll(rk, PRODUCER_POLL_MS);
        ccai_gauge_set(p->queue_depth, rd_kafka_outq_len(rk));
        ccai_gauge_set(p->outstanding_gauge, atomic_load(&p->outstanding));
    }
    return NULL;
}

static void metrics_init(struct producer *p)
{
    struct ccai_metrics *m = p->cfg.metrics;
    static const char *const dr_help =
        "Delivery reports by outcome (persisted -> 202, not_persisted -> "
        "503, possibly_persisted -> 504)";
    static const char *const rej_help =
        "Messages refused before reaching the queue";

    p->persisted = ccai_metrics_counter(m, "ccai_ingress_deliveries_total",
                                        dr_help, "outcome=\"persisted\"");
    p->not_persisted =
        ccai_metrics_counter(m, "ccai_ingress_deliveries_total", dr_help,
                             "outcome=\"not_persisted\"");
    p->possibly_persisted =
        ccai_metrics_counter(m, "ccai_ingress_deliveries_total", dr_help,
                             "outcome=\"possibly_persisted\"");
    p->rejected_full =
        ccai_metrics_counter(m, "ccai_ingress_produce_rejected_total", rej_help,
                             "reason=\"queue_full\"");
    p->rejected_fatal = ccai_metrics_counter(
        m, "ccai_ingress_produce_rejected_total", rej_help, "reason=\"fatal\"");
    p->rebuild_total = ccai_metrics_counter(
        m, "ccai_ingress_producer_fatal_rebuilds_total",
        "Producer handles rebuilt after a fatal error", NULL);
    p->latency =
        ccai_metrics_histogram(m, "ccai_ingress_produce_latency_seconds",
                               "Time from produce to delivery report", NULL,
                               ccai_latency_buckets, ccai_latency_buckets_n);
    p->queue_depth = ccai_metrics_gauge(
        m, "ccai_ingress_producer_queue_messages",
        "Messages in the producer queue (rd_kafka_outq_len)", NULL);
    p->outstanding_gauge = ccai_metrics_gauge(
        m, "ccai_ingress_producer_outstanding_messages",
        "Messages sent and waiting for their delivery report", NULL);
}

struct producer *producer_new(const struct producer_config *cfg,
                              struct ccai_error *err)
{
    struct producer *p = calloc(1, sizeof(*p));
    pthread_rwlockattr_t attr;

    if (p == NULL) {
        ccai_error_set(err, CCAI_E_NOMEM, "", "out of memory");
        return NULL;
    }
    p->cfg = *cfg;
    pthread_rwlockattr_init(&attr);
    /* a rebuild must not wait behind a steady stream of senders */
    pthread_rwlockattr_setkind_np(&attr,
                                  PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&p->lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    pthread_rwlock_init(&p->handle_lock, NULL);
    atomic_store(&p->ready, READY_UNKNOWN);
    metrics_init(p);
    if (handle_new(p, &p->rk, &p->rkt, err) != 0)
        goto fail;
    if (pthread_create(&p->thread, NULL, poll_main, p) != 0) {
        ccai_error_set(err, CCAI_E_IO, "", "cannot start the poll thread");
        goto fail;
    }
    p->thread_started = true;
    if (pthread_create(&p->ready_thread, NULL, ready_main, p) != 0) {
        ccai_error_set(err, CCAI_E_IO, "", "cannot start the readiness thread");
        goto fail;
    }
    p->ready_thread_started = true;
    return p;
fail:
    producer_free(p);
    return NULL;
}

int producer_send(struct producer *p,
                  const char *key,
                  const char *value,
                  size_t len,
                  const char *const *names,
                  const char *const *values,
                  size_t n_headers,
                  void *msg_opaque,
                  struct ccai_error *err)
{
    rd_kafka_headers_t *hdrs = rd_kafka_headers_new(n_headers);
    rd_kafka_resp_err_t kerr = RD_KAFKA_RESP_ERR_NO_ERROR;

    for (size_t i = 0; i < n_headers; i++)
        rd_kafka_header_add(hdrs, names[i], -1, values[i], -1);
    atomic_fetch_add(&p->outstanding, 1);
    pthread_rwlock_rdlock(&p->lock);
    if (atomic_load(&p->fatal)) {
        kerr = RD_KAFKA_RESP_ERR__FATAL;
    } else {
        /* F_COPY: the value lands in the message's own allocation (one
         * malloc, freed by librdkafka after the report, instead of a
         * malloc here and a cross-thread free there); never F_BLOCK: a
         * full queue is answered with 503 at once */
        kerr = rd_kafka_producev(
            p->rk, RD_KAFKA_V_RKT(p->rkt), RD_KAFKA_V_KEY(key, strlen(key)),
            RD_KAFKA_V_VALUE((void *)value, len),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(hdrs),
            RD_KAFKA_V_OPAQUE(msg_opaque), RD_KAFKA_V_END);
    }
    pthread_rwlock_unlock(&p->lock);
    if (kerr == RD_KAFKA_RESP_ERR_NO_ERROR)
        return 0; /* the headers now belong to librdkafka */
    atomic_fetch_sub(&p->outstanding, 1);
    rd_kafka_headers_destroy(hdrs);
    if (kerr == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        ccai_counter_add(p->rejected_full, 1);
        return ccai_error_set(err, CCAI_E_UNAVAILABLE, "",
                              "cannot produce to '%s': queue full",
                              p->cfg.topic);
    }
    if (kerr == RD_KAFKA_RESP_ERR__FATAL) {
        ccai_counter_add(p->rejected_fatal, 1);
        return ccai_error_set(err, CCAI_E_UNAVAILABLE, "",
                              "cannot produce to '%s': producer is being "
                              "rebuilt after a fatal error",
                              p->cfg.topic);
    }
    return ccai_error_set(err, CCAI_E_UNAVAILABLE, "",
                          "cannot produce to '%s': %s", p->cfg.topic,
                          rd_kafka_err2str(kerr));
}

bool producer_is_ready(struct producer *p, char *why, size_t n)
{
    int state = atomic_load(&p->ready);

    if (atomic_load(&p->fatal))
        state = READY_FATAL;
    if (why && n)
        (void)snprintf(why, n, "%s", ready_reason[state]);
    return state == READY_OK;
}

long producer_outstanding(const struct producer *p)
{
    return atomic_load(&((struct producer *)p)->outstanding);
}

int producer_flush(struct producer *p, long timeout_ms)
{
    struct timespec ts = {0, 10L * 1000 * 1000};
    int64_t deadline = ccai_mono_ms() + timeout_ms;

    /* the poll thread serves the reports; just wait for them */
    while (atomic_load(&p->outstanding) > 0 && ccai_mono_ms() < deadline)
        nanosleep(&ts, NULL);
    return atomic_load(&p->outstanding) > 0 ? -1 : 0;
}

void producer_purge(struct producer *p)
{
    pthread_rwlock_rdlock(&p->lock);
    rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    pthread_rwlock_unlock(&p->lock);
}

int producer_inject_fatal(struct producer *p, int kafka_err)
{
    rd_kafka_resp_err_t rc = RD_KAFKA_RESP_ERR_NO_ERROR;

    pthread_rwlock_rdlock(&p->lock);
    rc = rd_kafka_test_fatal_error(p->rk, (rd_kafka_resp_err_t)kafka_err,
                                   "injected by a test");
    pthread_rwlock_unlock(&p->lock);
    return rc == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : -1;
}

unsigned long producer_rebuilds(const struct producer *p)
{
    return atomic_load(&((struct producer *)p)->rebuilds);
}

void producer_free(struct producer *p)
{
    if (p == NULL)
        return;
    atomic_store(&p->stop, true);
    if (p->thread_started)
        pthread_join(p->thread, NULL);
    if (p->ready_thread_started)
        pthread_join(p->ready_thread, NULL);
    if (p->rk) {
        /* flush what the broker can still take, then purge the rest */
        rd_kafka_flush(p->rk, 1000);
        handle_drain(p->rk, p->rkt);
    }
    pthread_rwlock_destroy(&p->lock);
    pthread_rwlock_destroy(&p->handle_lock);
    free(p);
}
