/* consumer - librdkafka group member with incremental rebalances, our own
 * offset stores and generations per partition; see consumer.h. Main loop
 * thread only: rd_kafka_consumer_poll serves the rebalance and commit
 * callbacks there. */
#include "consumer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "id.h"
#include "kafka_conf.h"
#include "log.h"

#include "banned.h"

struct consumer {
    struct consumer_config cfg;
    rd_kafka_t *rk;
    struct consumer_partition **parts; /* owned, never shrinks */
    size_t n_parts;
    size_t cap_parts;
    bool paused;
    bool closed;
    bool close_abandoned; /* the group leave did not finish in time */
    int wake[2];
};

static struct consumer_partition *
part_get(struct consumer *c, const char *topic, int32_t partition, bool create)
{
    struct consumer_partition *p = NULL;

    for (size_t i = 0; i < c->n_parts; i++) {
        if (c->parts[i]->partition == partition &&
            strcmp(c->parts[i]->topic, topic) == 0)
            return c->parts[i];
    }
    if (!create)
        return NULL;
    if (c->n_parts == c->cap_parts) {
        size_t ncap = c->cap_parts ? c->cap_parts * 2 : 16;
        struct consumer_partition **np =
            realloc(c->parts, ncap * sizeof(struct consumer_partition *));

        if (np == NULL)
            return NULL;
        c->parts = np;
        c->cap_parts = ncap;
    }
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    (void)snprintf(p->topic, sizeof(p->topic), "%s", topic);
    p->partition = partition;
    offsets_init(&p->offs);
    p->stored = p->committed = p->position = p->high = -1;
    c->parts[c->n_parts++] = p;
    return p;
}

/* store the committable offsets of @parts (NULL: all assigned) */
static void store_parts(struct consumer *c,
                        const rd_kafka_topic_partition_list_t *only)
{
    rd_kafka_topic_partition_list_t *list =
        rd_kafka_topic_partition_list_new((int)c->n_parts + 1);
    rd_kafka_resp_err_t rerr;

    for (size_t i = 0; i < c->n_parts; i++) {
        struct consumer_partition *p = c->parts[i];
        int64_t off = offsets_committable(&p->offs);

        if (!p->assigned || off < 0 || off <= p->stored)
            continue;
        if (only && rd_kafka_topic_partition_list_find(only, p->topic,
                                                       p->partition) == NULL)
            continue;
        rd_kafka_topic_partition_list_add(list, p->topic, p->partition)
            ->offset = off;
    }
    if (list->cnt > 0) {
        rerr = rd_kafka_offsets_store(c->rk, list);
        if (rerr != RD_KAFKA_RESP_ERR_NO_ERROR)
            LOG_WARN("consumer", "cannot store offsets: %s",
                     rd_kafka_err2str(rerr));
        for (int i = 0; i < list->cnt; i++) {
            struct consumer_partition *p = part_get(
                c, list->elems[i].topic, list->elems[i].partition, false);

            if (p && list->elems[i].err == RD_KAFKA_RESP_ERR_NO_ERROR)
                p->stored = list->elems[i].offset;
        }
    }
    rd_kafka_topic_partition_list_destroy(list);
}

static void commit_parts(struct consumer *c,
                         const rd_kafka_topic_partition_list_t *parts)
{
    rd_kafka_topic_partition_list_t *list =
        rd_kafka_topic_partition_list_new(parts ? parts->cnt : 1);
    rd_kafka_resp_err_t rerr;

    for (size_t i = 0; i < c->n_parts; i++) {
        struct consumer_partition *p = c->parts[i];

        if (!p->assigned || p->stored < 0 || p->stored <= p->committed)
            continue;
        if (parts && rd_kafka_topic_partition_list_find(parts, p->topic,
                                                        p->partition) == NULL)
            continue;
        rd_kafka_topic_partition_list_add(list, p->topic, p->partition)
            ->offset = p->stored;
    }
    if (list->cnt > 0) {
        rerr = rd_kafka_commit(c->rk, list, 0 /* synchronous */);
        if (rerr != RD_KAFKA_RESP_ERR_NO_ERROR &&
            rerr != RD_KAFKA_RESP_ERR__NO_OFFSET)
            LOG_WARN("consumer", "synchronous commit failed: %s",
                     rd_kafka_err2str(rerr));
        for (int i = 0; i < list->cnt; i++) {
            struct consumer_partition *p = part_get(
                c, list->elems[i].topic, list->elems[i].partition, false);

            if (p && rerr == RD_KAFKA_RESP_ERR_NO_ERROR &&
                list->elems[i].err == RD_KAFKA_RESP_ERR_NO_ERROR)
                p->committed = list->elems[i].offset;
        }
    }
    rd_kafka_topic_partition_list_destroy(list);
}

static void parts_revoke(struct consumer *c,
                         rd_kafka_topic_partition_list_t *parts,
                         bool lost)
{
    for (int i = 0; i < parts->cnt; i++) {
        struct consumer_partition *p = part_get(
            c, parts->elems[i].topic, parts->elems[i].partition, false);

        if (p && p->assigned && c->cfg.on_revoke)
            c->cfg.on_revoke(p, c->cfg.ctx);
    }
    if (!lost) {
        /* hand over what is done: the next owner starts right after it */
        store_parts(c, parts);
        commit_parts(c, parts);
    }
    for (int i = 0; i < parts->cnt; i++) {
        struct consumer_partition *p = part_get(
            c, parts->elems[i].topic, parts->elems[i].partition, false);

        if (p == NULL)
            continue;
        p->assigned = false;
        p->paused = false;
        p->generation++;
        offsets_reset(&p->offs);
        p->stored = p->committed = p->position = -1;
        LOG_INFO("consumer", "partition %s [%d] %s", p->topic,
                 (int)p->partition, lost ? "lost" : "revoked");
    }
}

static void parts_assign(struct consumer *c,
                         rd_kafka_topic_partition_list_t *parts)
{
    for (int i = 0; i < parts->cnt; i++) {
        struct consumer_partition *p =
            part_get(c, parts->elems[i].topic, parts->elems[i].partition, true);

        if (p == NULL) {
            LOG_ERROR("consumer", "out of memory on assignment");
            continue;
        }
        p->assigned = true;
        p->paused = false;
        p->generation++;
        offsets_reset(&p->offs);
        p->stored = p->committed = p->position = -1;
        LOG_INFO("consumer", "partition %s [%d] assigned", p->topic,
                 (int)p->partition);
    }
}

/* librdkafka: inside rd_kafka_consumer_poll on the loop thread */
static void on_rebalance(rd_kafka_t *rk,
                         rd_kafka_resp_err_t rerr,
                         rd_kafka_topic_partition_list_t *parts,
                         void *opaque)
{
    struct consumer *c = opaque;
    bool cooperative =
        strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    rd_kafka_error_t *error = NULL;

    if (rerr == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        parts_assign(c, parts);
        if (cooperative)
            error = rd_kafka_incremental_assign(rk, parts);
        else
            (void)rd_kafka_assign(rk, parts);
        /* librdkafka keeps a partition's pause across a revoke and a new
         * assignment; ours starts unpaused (back-pressure pauses it again
         * below when it is on) */
        (void)rd_kafka_resume_partitions(rk, parts);
        for (int i = 0; i < parts->cnt && c->cfg.on_assign; i++) {
            struct consumer_partition *p = part_get(
                c, parts->elems[i].topic, parts->elems[i].partition, false);
            if (p)
                c->cfg.on_assign(p, c->cfg.ctx);
        }
    } else {
        parts_revoke(c, parts, rd_kafka_assignment_lost(rk) != 0);
        if (cooperative)
            error = rd_kafka_incremental_unassign(rk, parts);
        else
            (void)rd_kafka_assign(rk, NULL);
    }
    if (error) {
        LOG_ERROR("consumer", "incremental rebalance failed: %s",
                  rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    }
    if (c->paused && rerr == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS)
        consumer_pause_all(c); /* keep back-pressure on new partitions */
}

/* librdkafka: served by rd_kafka_consumer_poll on the loop thread */
static void on_commit(rd_kafka_t *rk,
                      rd_kafka_resp_err_t rerr,
                      rd_kafka_topic_partition_list_t *offsets,
                      void *opaque)
{
    struct consumer *c = opaque;

    (void)rk;
    if (rerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (rerr != RD_KAFKA_RESP_ERR__NO_OFFSET)
            LOG_WARN("consumer", "offset commit failed: %s",
                     rd_kafka_err2str(rerr));
        return;
    }
    for (int i = 0; offsets && i < offsets->cnt; i++) {
        struct consumer_partition *p = part_get(
            c, offsets->elems[i].topic, offsets->elems[i].partition, false);

        if (p && p->assigned &&
            offsets->elems[i].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
            offsets->elems[i].offset >= 0)
            p->committed = offsets->elems[i].offset;
    }
}

/* librdkafka: served by rd_kafka_consumer_poll on the loop thread */
static void on_error(rd_kafka_t *rk, int code, const char *reason, void *opaque)
{
    (void)rk;
    (void)opaque;
    LOG_WARN("consumer", "consumer error %s: %s",
             rd_kafka_err2name((rd_kafka_resp_err_t)code), reason);
}

static int make_pipe(int fds[2], struct ccai_error *err)
{
    if (pipe(fds) != 0)
        return ccai_error_set(err, CCAI_E_IO, "", "pipe: %s", strerror(errno));
    for (int i = 0; i < 2; i++) {
        int fl = fcntl(fds[i], F_GETFL);
        (void)fcntl(fds[i], F_SETFL, fl | O_NONBLOCK);
        (void)fcntl(fds[i], F_SETFD, FD_CLOEXEC);
    }
    return 0;
}

/* our consumer defaults, then the KAFKA_* environment over them */
static rd_kafka_conf_t *consumer_conf(const struct consumer_config *cfg,
                                      struct ccai_error *err)
{
    char commit_ms[32];
    char session_ms[32];
    char heartbeat_ms[32];
    const char *defaults[] = {
        "group.id",
        cfg->group,
        "partition.assignment.strategy",
        "cooperative-sticky",
        "enable.auto.offset.store",
        "false",
        "enable.auto.commit",
        "true",
        "auto.commit.interval.ms",
        commit_ms,
        "auto.offset.reset",
        "earliest",
        "isolation.level",
        "read_committed",
        "session.timeout.ms",
        session_ms,
        "heartbeat.interval.ms",
        heartbeat_ms,
        "max.poll.interval.ms",
        "300000",
        "fetch.wait.max.ms",
        "100",
        /* prefetch: 4 MB is seconds of work at thousands of events/s, and
         * what sits in it is dropped on every pause anyway; small
         * per-partition fetches interleave the partitions in the queue */
        "queued.max.messages.kbytes",
        "4096",
        "max.partition.fetch.bytes",
        "262144",
        "socket.keepalive.enable",
        "true",
        "client.id",
        "ccai-processor",
        NULL,
    };

    (void)snprintf(commit_ms, sizeof(commit_ms), "%ld",
                   cfg->commit_interval_ms);
    (void)snprintf(session_ms, sizeof(session_ms), "%ld",
                   cfg->session_timeout_ms);
    (void)snprintf(heartbeat_ms, sizeof(heartbeat_ms), "%ld",
                   cfg->session_timeout_ms / 3 > 3000
                       ? 3000
                       : cfg->session_timeout_ms / 3);
    return ccai_kafka_conf_new(defaults, NULL, err);
}

struct consumer *consumer_new(const struct consumer_config *cfg,
                              struct ccai_error *err)
{
    char errstr[512];
    struct consumer *c = calloc(1, sizeof(*c));
    rd_kafka_conf_t *conf = NULL;
    rd_kafka_queue_t *q = NULL;
    rd_kafka_topic_partition_list_t *sub = NULL;
    rd_kafka_resp_err_t rerr;

    if (c == NULL) {
        ccai_error_set(err, CCAI_E_NOMEM, "", "out of memory");
        return NULL;
    }
    c->cfg = *cfg;
    c->wake[0] = c->wake[1] = -1;
    if (make_pipe(c->wake, err) != 0)
        goto fail;
    conf = consumer_conf(cfg, err);
    if (conf == NULL)
        goto fail;
    rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    rd_kafka_conf_set_offset_commit_cb(conf, on_commit);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_opaque(conf, c);
    c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (c->rk == NULL) {
        rd_kafka_conf_destroy(conf);
        ccai_error_set(err, CCAI_E_CONFIG, "KAFKA_CONFIG_",
                       "cannot create consumer: %s", errstr);
        goto fail;
    }
    rd_kafka_poll_set_consumer(c->rk);
    q = rd_kafka_queue_get_consumer(c->rk);
    if (q) {
        rd_kafka_queue_io_event_enable(q, c->wake[1], "c", 1);
        rd_kafka_queue_destroy(q);
    }
    sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, cfg->topic, RD_KAFKA_PARTITION_UA);
    rerr = rd_kafka_subscribe(c->rk, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (rerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
        ccai_error_set(err, CCAI_E_UNAVAILABLE, "TOPIC_EVENTS",
                       "cannot subscribe to '%s': %s", cfg->topic,
                       rd_kafka_err2str(rerr));
        goto fail;
    }
    return c;
fail:
    consumer_free(c);
    return NULL;
}

void consumer_free(struct consumer *c)
{
    if (c == NULL)
        return;
    /* after an abandoned close, a plain destroy would wait for the
     * coordinator all over again */
    if (c->rk)
        rd_kafka_destroy_flags(c->rk, c->close_abandoned
                                          ? RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE
                                          : 0);
    for (size_t i = 0; i < c->n_parts; i++) {
        offsets_release(&c->parts[i]->offs);
        free(c->parts[i]);
    }
    free(c->parts);
    for (int i = 0; i < 2; i++) {
        if (c->wake[i] >= 0)
            close(c->wake[i]);
    }
    free(c);
}

static void drain_wake(struct consumer *c)
{
    char buf[64];

    while (read(c->wake[0], buf, sizeof(buf)) > 0)
        ;
}

rd_kafka_message_t *consumer_poll(struct consumer *c,
                                  struct consumer_partition **part,
                                  uint64_t *gen)
{
    drain_wake(c);
    for (;;) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(c->rk, 0);
        struct consumer_partition *p = NULL;

        if (msg == NULL)
            return NULL;
        if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                LOG_WARN("consumer", "consume error: %s",
                         rd_kafka_message_errstr(msg));
            rd_kafka_message_destroy(msg);
            continue;
        }
        p = part_get(c, rd_kafka_topic_name(msg->rkt), msg->partition, false);
        if (p == NULL || !p->assigned ||
            offsets_track(&p->offs, msg->offset) != 0) {
            /* not ours any more, or a stale re-delivery below what we
             * already track: the current owner processes it */
            rd_kafka_message_destroy(msg);
            continue;
        }
        p->position = msg->offset + 1;
        *part = p;
        *gen = p->generation;
        return msg;
    }
}

bool consumer_is_current(const struct consumer_partition *part, uint64_t gen)
{
    return part->assigned && part->generation == gen;
}

void consumer_done(struct consumer *c,
                   struct consumer_partition *part,
                   uint64_t gen,
                   int64_t offset)
{
    (void)c;
    if (!consumer_is_current(part, gen))
        return;
    if (offsets_done(&part->offs, offset) != 0)
        LOG_WARN("consumer", "offset %lld of [%d] was not pending",
                 (long long)offset, (int)part->partition);
}

void consumer_store(struct consumer *c)
{
    store_parts(c, NULL);
}

int consumer_commit_sync(struct consumer *c)
{
    store_parts(c, NULL);
    commit_parts(c, NULL);
    return 0;
}

/* apply pause/resume to every assigned partition for which @want says
 * so and which is not in that state yet */
static void set_paused_if(struct consumer *c,
                          bool pause,
                          bool (*want)(const struct consumer_partition *,
                                       size_t),
                          size_t share)
{
    rd_kafka_topic_partition_list_t *list = NULL;

    for (size_t i = 0; i < c->n_parts; i++) {
        struct consumer_partition *p = c->parts[i];

        if (!p->assigned || p->paused == pause || !want(p, share))
            continue;
        if (list == NULL)
            list = rd_kafka_topic_partition_list_new((int)c->n_parts + 1);
        rd_kafka_topic_partition_list_add(list, p->topic, p->partition);
        p->paused = pause;
    }
    if (list != NULL) {
        rd_kafka_resp_err_t rerr =
            pause ? rd_kafka_pause_partitions(c->rk, list)
                  : rd_kafka_resume_partitions(c->rk, list);
        if (rerr != RD_KAFKA_RESP_ERR_NO_ERROR)
            LOG_WARN("consumer", "cannot %s partitions: %s",
                     pause ? "pause" : "resume", rd_kafka_err2str(rerr));
        rd_kafka_topic_partition_list_destroy(list);
    }
}

static bool want_all(const struct consumer_partition *p, size_t share)
{
    (void)p;
    (void)share;
    return true;
}

static bool over_share(const struct consumer_partition *p, size_t share)
{
    return p->held >= share;
}

static bool under_half_share(const struct consumer_partition *p, size_t share)
{
    return p->held <= share / 2;
}

void consumer_pause_all(struct consumer *c)
{
    c->paused = true;
    set_paused_if(c, true, want_all, 0);
}

void consumer_resume_all(struct consumer *c)
{
    c->paused = false;
    set_paused_if(c, false, want_all, 0);
}

void consumer_balance(struct consumer *c, size_t share)
{
    if (c->paused)
        return;
    set_paused_if(c, true, over_share, share);
    set_paused_if(c, false, under_half_share, share);
}

bool consumer_is_paused(const struct consumer *c)
{
    return c->paused;
}

int consumer_wait_fd(const struct consumer *c)
{
    return c->wake[0];
}

bool consumer_is_joined(const struct consumer *c)
{
    char *id = rd_kafka_memberid(c->rk);
    bool joined = id != NULL && id[0] != '\0';

    rd_kafka_mem_free(c->rk, id);
    return joined;
}

unsigned consumer_assigned(const struct consumer *c)
{
    unsigned n = 0;

    for (size_t i = 0; i < c->n_parts; i++)
        n += c->parts[i]->assigned ? 1 : 0;
    return n;
}

void consumer_refresh(struct consumer *c)
{
    for (size_t i = 0; i < c->n_parts; i++) {
        struct consumer_partition *p = c->parts[i];
        int64_t lo = -1;
        int64_t hi = -1;

        if (!p->assigned)
            continue;
        if (rd_kafka_get_watermark_offsets(c->rk, p->topic, p->partition, &lo,
                                           &hi) == RD_KAFKA_RESP_ERR_NO_ERROR &&
            hi >= 0)
            p->high = hi;
    }
}

struct consumer_partition *consumer_partition_at(struct consumer *c, size_t i)
{
    return i < c->n_parts ? c->parts[i] : NULL;
}

void consumer_close(struct consumer *c)
{
    rd_kafka_queue_t *q = NULL;
    rd_kafka_error_t *error = NULL;
    int64_t deadline = 0;

    if (c == NULL || c->closed)
        return;
    c->closed = true;
    consumer_commit_sync(c);
    /* rd_kafka_consumer_close waits for the group coordinator without a
     * bound: with the broker gone (a local Ctrl-C stops it at the same
     * time) it blocked for minutes. Close in the background and serve its
     * callbacks (the revoke) here, for at most CONSUMER_CLOSE_MS. */
    q = rd_kafka_queue_new(c->rk);
    error = rd_kafka_consumer_close_queue(c->rk, q);
    if (error != NULL) {
        LOG_WARN("consumer", "close: %s", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
        c->close_abandoned = true;
    } else {
        deadline = ccai_mono_ms() + CONSUMER_CLOSE_MS;
        while (!rd_kafka_consumer_closed(c->rk) && ccai_mono_ms() < deadline)
            (void)rd_kafka_queue_poll_callback(q, 100);
        if (!rd_kafka_consumer_closed(c->rk)) {
            c->close_abandoned = true;
            LOG_WARN("consumer",
                     "the group coordinator did not confirm the close in "
                     "%d ms; leaving without it (the group moves the "
                     "partitions after the session timeout, uncommitted "
                     "records are redelivered)",
                     CONSUMER_CLOSE_MS);
        }
    }
    rd_kafka_queue_destroy(q);
}
