/* worker - the processor's main loop and the life of one record, from the
 * consumer to its acknowledged result or dead letter; see worker.h and
 * docs/processor.md. Main loop thread only: every callback (rebalance,
 * delivery report, LLM answer) runs inside worker_run on that thread. */
#include "worker.h"

#include <inttypes.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "admin.h"
#include "consumer.h"
#include "contact_event.h"
#include "engine.h"
#include "id.h"
#include "llm_client.h"
#include "log.h"
#include "metrics.h"
#include "pipeline.h"
#include "publisher.h"
#include "scheduler.h"
#include "shutdown.h"

#include "banned.h"

#define WORKER_POLL_BATCH    2000 /* records taken per loop iteration */
#define WORKER_IDLE_MS       100
#define WORKER_SNAPSHOT_MS   500
#define WORKER_DLQ_RETRY_MS  1000
#define WORKER_FLUSH_MS      5000
#define WORKER_RESULT_SOURCE "/ccai/processor"
#define WORKER_RESULT_TYPE   "ccai.analysis.result.v1"

enum work_state {
    WORK_WAITING = 0, /* in the scheduler */
    WORK_LLM,         /* LLM call submitted */
    WORK_PUBLISHING,  /* result or dead letter produced, waiting for DR */
};

enum work_record {
    RECORD_RESULT = 0,
    RECORD_DLQ,
};

struct work {
    struct scheduler_item sitem; /* first: the scheduler hands it back */
    struct worker *w;
    struct work *prev, *next;        /* every live record */
    struct consumer_partition *part; /* borrowed (consumer owns) */
    uint64_t gen;
    struct contact_event ev;
    bool parsed;
    struct engine_job *job; /* owned while running */
    enum work_state state;
    enum work_record record; /* what is being published */
    bool key_held;           /* returned by scheduler_next, not done */
    unsigned output_retries;
    unsigned llm_attempts;
    int64_t consumed_ms; /* monotonic */
    char trace[CCAI_TRACEPARENT_LEN + 1];
    struct work_dlq *dlq; /* owned; set when dead-lettered (re-sends) */
    /* the record, copied at consume: a librdkafka message keeps its whole
     * fetch response alive for as long as the record waits */
    const char *value; /* NULL when the record has none; in data[] */
    size_t value_len;
    const char *key; /* NULL when none; in data[] */
    size_t key_len;
    rd_kafka_headers_t *hdrs; /* owned copy, NULL when none */
    int32_t partition;
    int64_t offset;
    int64_t ts_ms; /* record timestamp, -1 when none */
    char data[];   /* key and value, each NUL-terminated */
};

/* why a record is dead-lettered; allocated only for those records */
struct work_dlq {
    char code[64];
    char message[192];
    const char *stage;
};

struct worker_metrics {
    struct ccai_counter *consumed;
    struct ccai_counter *completed;
    struct ccai_counter *degraded;
    struct ccai_counter *skipped;
    struct ccai_counter *duplicates;
    struct ccai_counter *dlq_validate;
    struct ccai_counter *dlq_llm;
    struct ccai_counter *dlq_output;
    struct ccai_counter *dlq_produce;
    struct ccai_counter *output_retries;
    struct ccai_counter *tokens_prompt;
    struct ccai_counter *tokens_completion;
    struct ccai_counter *replayed_dropped;
    struct ccai_gauge *in_flight;
    struct ccai_gauge *buffered;
    struct ccai_gauge *paused;
    struct ccai_histogram *duration;
};

struct worker {
    const struct processor_config *cfg;
    struct ccai_metrics *metrics; /* borrowed, may be NULL */
    struct admin *admin;          /* borrowed, may be NULL */
    struct pipeline *pipeline;
    struct engine *eng;
    struct llm_client *llm;
    struct publisher *pub;
    struct consumer *cons;
    struct scheduler *sched;
    struct work *head; /* every live record */
    size_t n_work;
    unsigned llm_in_flight;
    bool draining;
    struct worker_metrics m;
    uint64_t n_acked; /* records acknowledged (fault drill) */
    /* rates for stats */
    uint64_t n_consumed, n_finished;
    uint64_t last_consumed, last_finished;
    int64_t last_snapshot_ms;
    double rate_consumed, rate_finished;
};

static void work_publish_result(struct work *wk);
static void work_dead_letter(struct work *wk,
                             const char *stage,
                             const char *code,
                             const char *fmt,
                             ...) __attribute__((format(printf, 4, 5)));

/* ---- record lifetime ---------------------------------------------- */

/* copy what the record's life needs out of @msg, then destroy @msg
 * (always, even when out of memory: NULL) */
static struct work *work_new(struct worker *w,
                             rd_kafka_message_t *msg,
                             struct consumer_partition *part,
                             uint64_t gen)
{
    size_t klen = msg->key != NULL ? msg->key_len : 0;
    size_t vlen = msg->payload != NULL ? msg->len : 0;
    struct work *wk = calloc(1, sizeof(*wk) + klen + vlen + 2);
    rd_kafka_headers_t *hdrs = NULL;

    if (wk == NULL) {
        rd_kafka_message_destroy(msg);
        return NULL;
    }
    if (msg->key != NULL) {
        memcpy(wk->data, msg->key, klen);
        wk->key = wk->data;
        wk->key_len = klen;
    }
    if (msg->payload != NULL) {
        memcpy(wk->data + klen + 1, msg->payload, vlen);
        wk->value = wk->data + klen + 1;
        wk->value_len = vlen;
    }
    if (rd_kafka_message_headers(msg, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        hdrs != NULL)
        wk->hdrs = rd_kafka_headers_copy(hdrs);
    wk->partition = msg->partition;
    wk->offset = msg->offset;
    wk->ts_ms = rd_kafka_message_timestamp(msg, NULL);
    rd_kafka_message_destroy(msg);
    wk->w = w;
    wk->part = part;
    wk->gen = gen;
    wk->consumed_ms = ccai_mono_ms();
    part->held++;
    wk->next = w->head;
    if (w->head)
        w->head->prev = wk;
    w->head = wk;
    w->n_work++;
    return wk;
}

/* unlink and free; the offset is NOT marked done here */
static void work_free(struct work *wk)
{
    struct worker *w = wk->w;

    if (wk->key_held)
        scheduler_done(w->sched, &wk->sitem);
    if (wk->job) {
        engine_job_abandon(w->eng, wk->job);
        engine_job_free(wk->job);
    }
    if (wk->parsed)
        contact_event_release(&wk->ev);
    if (wk->prev)
        wk->prev->next = wk->next;
    else
        w->head = wk->next;
    if (wk->next)
        wk->next->prev = wk->prev;
    w->n_work--;
    wk->part->held--;
    if (wk->hdrs)
        rd_kafka_headers_destroy(wk->hdrs);
    free(wk->dlq);
    free(wk);
}

/* the record's result or dead letter is acknowledged: store its offset */
static void work_finished(struct work *wk)
{
    struct worker *w = wk->w;

    consumer_done(w->cons, wk->part, wk->gen, wk->offset);
    w->n_finished++;
    ccai_histogram_observe(w->m.duration,
                           (double)(ccai_mono_ms() - wk->consumed_ms) / 1e3);
    work_free(wk);
}

/* the key may run its next record (the engine's job of this contact is
 * complete, fallen back or abandoned) */
static void work_release_key(struct work *wk)
{
    if (wk->key_held) {
        scheduler_done(wk->w->sched, &wk->sitem);
        wk->key_held = false;
    }
}

/* ---- headers ---------------------------------------------------------- */

static const char *header_str(const rd_kafka_headers_t *hdrs,
                              const char *name,
                              char *buf,
                              size_t n)
{
    const void *val = NULL;
    size_t len = 0;

    if (hdrs == NULL)
        return NULL;
    if (rd_kafka_header_get_last(hdrs, name, &val, &len) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        val == NULL)
        return NULL;
    if (len >= n)
        len = n - 1;
    memcpy(buf, val, len);
    buf[len] = '\0';
    return buf;
}

static void
hdr_add(rd_kafka_headers_t *hdrs, const char *name, const char *value)
{
    (void)rd_kafka_header_add(hdrs, name, -1, value, -1);
}

/* ---- dead letters ------------------------------------------------------ */

static struct ccai_counter *dlq_counter(struct worker *w, const char *stage)
{
    if (strcmp(stage, "validate") == 0)
        return w->m.dlq_validate;
    if (strcmp(stage, "llm") == 0)
        return w->m.dlq_llm;
    if (strcmp(stage, "output") == 0)
        return w->m.dlq_output;
    return w->m.dlq_produce;
}

static void work_send_dlq(struct work *wk)
{
    struct worker *w = wk->w;
    rd_kafka_headers_t *hdrs = NULL;
    struct ccai_error err = {0};
    char num[32];

    if (wk->hdrs)
        hdrs = rd_kafka_headers_copy(wk->hdrs);
    else
        hdrs = rd_kafka_headers_new(8);
    hdr_add(hdrs, "error.code", wk->dlq->code);
    hdr_add(hdrs, "error.message", wk->dlq->message);
    hdr_add(hdrs, "error.stage", wk->dlq->stage);
    (void)snprintf(num, sizeof(num), "%u", wk->llm_attempts);
    hdr_add(hdrs, "attempts", num);
    hdr_add(hdrs, "original.topic", wk->part->topic);
    (void)snprintf(num, sizeof(num), "%" PRId32, wk->partition);
    hdr_add(hdrs, "original.partition", num);
    (void)snprintf(num, sizeof(num), "%" PRId64, wk->offset);
    hdr_add(hdrs, "original.offset", num);
    wk->state = WORK_PUBLISHING;
    wk->record = RECORD_DLQ;
    /* the original value, unchanged (publisher copies it) */
    if (publisher_send(w->pub, w->cfg->topic_dlq, wk->key, wk->key_len,
                       wk->value ? wk->value : "", wk->value_len, hdrs, wk,
                       &err) != 0) {
        LOG_ERROR("worker", "cannot queue dead letter: %s", err.message);
        work_free(wk); /* not done: replayed by the next owner */
    }
    rd_kafka_headers_destroy(hdrs);
}

static void work_dead_letter(
    struct work *wk, const char *stage, const char *code, const char *fmt, ...)
{
    va_list ap;
    char fields[640];
    char reason[384];

    if (wk->dlq == NULL)
        wk->dlq = calloc(1, sizeof(*wk->dlq));
    if (wk->dlq == NULL) {
        LOG_ERROR("worker", "out of memory: record left for replay");
        work_free(wk); /* not done: replayed by the next owner */
        return;
    }
    wk->dlq->stage = stage;
    (void)snprintf(wk->dlq->code, sizeof(wk->dlq->code), "%s", code);
    va_start(ap, fmt);
    /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive */
    (void)vsnprintf(wk->dlq->message, sizeof(wk->dlq->message), fmt, ap);
    va_end(ap);
    if (wk->job) {
        engine_job_abandon(wk->w->eng, wk->job);
        engine_job_free(wk->job);
        wk->job = NULL;
    }
    work_release_key(wk);
    ccai_counter_add(dlq_counter(wk->w, stage), 1);
    /* exactly one line with msg "dead-lettered" per dead letter: the
     * CloudWatch metric filter of terraform/modules/observability counts them
     */
    if (ccai_log_enabled(CCAI_LOG_WARN)) {
        (void)ccai_log_json_escape(wk->dlq->message, reason, sizeof(reason));
        (void)snprintf(fields, sizeof(fields),
                       "\"partition\":%d,\"offset\":%" PRId64
                       ",\"stage\":\"%s\",\"code\":\"%s\",\"reason\":\"%s\"",
                       (int)wk->partition, wk->offset, stage, code, reason);
        ccai_log_emitf(CCAI_LOG_WARN, "worker", fields, "dead-lettered");
    }
    work_send_dlq(wk);
}

/* ---- results ----------------------------------------------------------- */

static void count_result(struct worker *w, const char *json, size_t len)
{
    (void)len;
    if (strstr(json, "\"status\":\"degraded\""))
        ccai_counter_add(w->m.degraded, 1);
    else if (strstr(json, "\"status\":\"skipped\""))
        ccai_counter_add(w->m.skipped, 1);
    else
        ccai_counter_add(w->m.completed, 1);
}

static void work_publish_result(struct work *wk)
{
    struct worker *w = wk->w;
    size_t len = 0;
    const char *json = engine_job_result(wk->job, &len);
    rd_kafka_headers_t *hdrs = NULL;
    struct ccai_error err = {0};
    char trace[CCAI_TRACEPARENT_LEN + 1];
    char ce_id[CONTACT_EVENT_ID_MAX + 16];
    char tenant[160];
    unsigned pt = 0, ct = 0;

    if (json == NULL) {
        work_dead_letter(wk, "output", "no_result",
                         "the engine produced no result");
        return;
    }
    engine_job_usage(wk->job, &pt, &ct);
    ccai_counter_add(w->m.tokens_prompt, pt);
    ccai_counter_add(w->m.tokens_completion, ct);
    count_result(w, json, len);
    hdrs = rd_kafka_headers_new(8);
    ccai_traceparent_child(wk->trace[0] ? wk->trace : NULL, trace);
    (void)snprintf(ce_id, sizeof(ce_id), "%s:result", wk->ev.event_id);
    hdr_add(hdrs, "content-type", "application/json");
    hdr_add(hdrs, "traceparent", trace);
    hdr_add(hdrs, "ce_specversion", "1.0");
    hdr_add(hdrs, "ce_id", ce_id);
    hdr_add(hdrs, "ce_type", WORKER_RESULT_TYPE);
    hdr_add(hdrs, "ce_source", WORKER_RESULT_SOURCE);
    hdr_add(hdrs, "ce_subject", wk->ev.contact_id);
    hdr_add(hdrs, "event_id", wk->ev.event_id);
    if (wk->ev.tenant_id) {
        (void)snprintf(tenant, sizeof(tenant), "%s", wk->ev.tenant_id);
        hdr_add(hdrs, "tenant", tenant);
    }
    wk->state = WORK_PUBLISHING;
    wk->record = RECORD_RESULT;
    if (publisher_send(w->pub, w->cfg->topic_results, wk->ev.contact_id,
                       strlen(wk->ev.contact_id), json, len, hdrs, wk,
                       &err) != 0) {
        LOG_ERROR("worker", "cannot queue result: %s", err.message);
        rd_kafka_headers_destroy(hdrs);
        work_free(wk);
        return;
    }
    rd_kafka_headers_destroy(hdrs);
    /* the value was copied: the job and the key can go; produce order per
     * partition keeps this contact's results in order */
    engine_job_free(wk->job);
    wk->job = NULL;
    work_release_key(wk);
}

/* publisher: from publisher_poll on the loop thread */
static void on_published(void *opaque, rd_kafka_resp_err_t rerr, void *ctx)
{
    struct work *wk = opaque;
    struct worker *w = ctx;

    if (rerr == RD_KAFKA_RESP_ERR_NO_ERROR) {
        work_finished(wk);
        if (++w->n_acked == (uint64_t)w->cfg->test_fatal_after) {
            LOG_WARN("worker", "fault drill: raising a fatal producer error");
            publisher_inject_fatal(w->pub);
        }
        return;
    }
    if (w->draining && !consumer_is_current(wk->part, wk->gen)) {
        work_free(wk);
        return;
    }
    if (wk->record == RECORD_RESULT) {
        work_dead_letter(wk, "produce", rd_kafka_err2name(rerr),
                         "cannot produce the result to '%s': %s",
                         w->cfg->topic_results, rd_kafka_err2str(rerr));
        return;
    }
    /* a dead letter that cannot be written: never store the offset; keep
     * trying (the publisher already backed off) unless we are leaving */
    if (w->draining) {
        work_free(wk);
        return;
    }
    LOG_ERROR("worker", "cannot produce a dead letter to '%s': %s; retrying",
              w->cfg->topic_dlq, rd_kafka_err2str(rerr));
    work_send_dlq(wk);
}

/* ---- LLM ---------------------------------------------------------------- */

static const char *fallback_reason(enum llm_outcome outcome)
{
    switch (outcome) {
    case LLM_FAIL_RATE_LIMITED:
        return "rate_limited";
    case LLM_FAIL_CIRCUIT_OPEN:
        return "circuit_open";
    case LLM_FAIL_QUOTA:
        return "quota";
    case LLM_FAIL_TIMEOUT:
    case LLM_FAIL_SERVER:
    case LLM_FAIL_NETWORK:
    default:
        return "timeout";
    }
}

static const char *outcome_name(enum llm_outcome outcome)
{
    static const char *const names[] = {
        "ok",    "timeout",  "rate_limited", "server_error", "network_error",
        "quota", "rejected", "circuit_open", "cancelled",
    };

    return (unsigned)outcome < sizeof(names) / sizeof(names[0]) ? names[outcome]
                                                                : "unknown";
}

static void on_llm_done(void *opaque, const struct llm_answer *ans);

static void work_submit_llm(struct work *wk)
{
    struct worker *w = wk->w;
    size_t len = 0;
    const char *body = engine_job_request(wk->job, &len);
    struct ccai_error err = {0};

    wk->state = WORK_LLM;
    w->llm_in_flight++;
    ccai_gauge_set(w->m.in_flight, w->llm_in_flight);
    if (llm_client_submit(w->llm, body, len,
                          engine_job_estimated_tokens(wk->job), on_llm_done, wk,
                          &err) != 0) {
        struct llm_answer ans;

        memset(&ans, 0, sizeof(ans));
        ans.outcome = LLM_FAIL_NETWORK;
        (void)snprintf(ans.error, sizeof(ans.error), "%.150s", err.message);
        on_llm_done(wk, &ans);
    }
}

static void work_llm_failed(struct work *wk, const struct llm_answer *ans)
{
    struct worker *w = wk->w;

    if (ans->outcome == LLM_FAIL_REJECTED) {
        /* 4xx other than 429: our request or our key is wrong; falling
         * back would hide it, so the record goes to the dead letters */
        work_dead_letter(wk, "llm", "llm_rejected",
                         "the LLM rejected the request (HTTP %ld): %s",
                         ans->http_status, ans->error);
        return;
    }
    if (w->cfg->fallback == PROCESSOR_FALLBACK_DLQ) {
        char code[48];

        (void)snprintf(code, sizeof(code), "llm_%s",
                       outcome_name(ans->outcome));
        work_dead_letter(wk, "llm", code,
                         "LLM call failed after %u attempts: %s", ans->attempts,
                         ans->error);
        return;
    }
    engine_job_fallback(w->eng, wk->job, fallback_reason(ans->outcome),
                        ans->elapsed_ms, ans->attempts);
    work_publish_result(wk);
}

/* llm_client: from llm_client_poll on the loop thread, once per submit */
static void on_llm_done(void *opaque, const struct llm_answer *ans)
{
    struct work *wk = opaque;
    struct worker *w = wk->w;
    struct ccai_error err = {0};
    enum engine_llm_failure fail;

    w->llm_in_flight--;
    ccai_gauge_set(w->m.in_flight, w->llm_in_flight);
    wk->llm_attempts += ans->attempts;
    if (ans->outcome == LLM_FAIL_CANCELLED) {
        work_free(wk); /* shutdown: not done, replayed by the next owner */
        return;
    }
    if (ans->outcome != LLM_OK) {
        work_llm_failed(wk, ans);
        return;
    }
    fail = engine_job_complete(w->eng, wk->job, ans->body, ans->len,
                               ans->elapsed_ms, wk->llm_attempts, &err);
    if (fail == ENGINE_LLM_OK) {
        work_publish_result(wk);
        return;
    }
    if (wk->output_retries == 0 && fail != ENGINE_LLM_REFUSAL) {
        /* output that does not validate is retried once */
        wk->output_retries++;
        ccai_counter_add(w->m.output_retries, 1);
        work_submit_llm(wk);
        return;
    }
    if (w->cfg->fallback == PROCESSOR_FALLBACK_DLQ) {
        work_dead_letter(wk, "output", "invalid_output",
                         "the LLM answer is not valid: %s", err.message);
        return;
    }
    engine_job_fallback(w->eng, wk->job, "invalid_output", ans->elapsed_ms,
                        wk->llm_attempts);
    work_publish_result(wk);
}

/* ---- running a record ---------------------------------------------------- */

static int work_parse(struct work *wk, struct ccai_error *err);

static void work_run(struct work *wk)
{
    struct worker *w = wk->w;
    struct engine_meta meta;
    enum engine_action act;
    struct ccai_error err = {0};

    /* validated at consume: this parse of the same bytes fails only when
     * out of memory */
    if (!wk->parsed && work_parse(wk, &err) != 0) {
        work_dead_letter(wk, "validate", "invalid_event", "%s", err.message);
        return;
    }
    meta.now_ms = ccai_now_ms();
    meta.record_ts_ms = wk->ts_ms;
    if (meta.record_ts_ms < 0)
        meta.record_ts_ms = 0;
    meta.trace = wk->trace[0] ? wk->trace : NULL;
    act = engine_begin(w->eng, &wk->ev, &meta, &wk->job);
    switch (act) {
    case ENGINE_DUPLICATE:
        ccai_counter_add(w->m.duplicates, 1);
        work_publish_result(wk);
        break;
    case ENGINE_RESULT:
        work_publish_result(wk);
        break;
    case ENGINE_CALL_LLM:
        work_submit_llm(wk);
        break;
    }
}

static void schedule(struct worker *w)
{
    struct scheduler_item *it = NULL;

    while ((it = scheduler_next(w->sched)) != NULL) {
        struct work *wk = (struct work *)(void *)it;

        wk->key_held = true;
        work_run(wk);
    }
}

/* validate a record as the ingress would, accepting binary-mode
 * CloudEvents (plain ContactEvent value, ce_* headers) too */
static int work_parse(struct work *wk, struct ccai_error *err)
{
    const rd_kafka_headers_t *hdrs = wk->hdrs;
    char ce_id[CONTACT_EVENT_ID_MAX + 2];
    char ce_type[64];
    char tenant[160];
    char tp[128];
    char gen_id[CONTACT_EVENT_ID_MAX + 2];
    char received[32];
    const char *hdr_id = header_str(hdrs, "ce_id", ce_id, sizeof(ce_id));
    const char *hdr_type =
        header_str(hdrs, "ce_type", ce_type, sizeof(ce_type));
    const char *hdr_tenant = header_str(hdrs, "tenant", tenant, sizeof(tenant));
    const char *hdr_tp = header_str(hdrs, "traceparent", tp, sizeof(tp));

    if (wk->value == NULL || wk->value_len == 0)
        return ccai_error_set(err, CCAI_E_INVALID, "", "empty record value");
    if (contact_event_parse(wk->value, wk->value_len, CONTACT_EVENT_RECORD,
                            &wk->ev, err) != 0)
        return -1;
    wk->parsed = true;
    if (hdr_id && wk->ev.event_id && strcmp(hdr_id, wk->ev.event_id) != 0)
        return ccai_error_set(err, CCAI_E_INVALID, "/event_id",
                              "event_id differs from the ce_id header");
    if (hdr_type && strcmp(hdr_type, contact_event_type_name(wk->ev.type)) != 0)
        return ccai_error_set(err, CCAI_E_INVALID, "/type",
                              "type differs from the ce_type header");
    if (wk->ev.event_id == NULL || wk->ev.tenant_id == NULL ||
        wk->ev.received_at == NULL || wk->ev.trace == NULL) {
        char trace[CCAI_TRACEPARENT_LEN + 1];
        int64_t ts = wk->ts_ms;

        if (hdr_id && contact_event_id_is_valid(hdr_id))
            (void)snprintf(gen_id, sizeof(gen_id), "%s", hdr_id);
        else /* deterministic, so a replay dedupes */
            (void)snprintf(gen_id, sizeof(gen_id), "kafka-%" PRId32 "-%" PRId64,
                           wk->partition, wk->offset);
        ccai_time_rfc3339(ts > 0 ? ts : ccai_now_ms(), received);
        if (hdr_tp && ccai_traceparent_is_valid(hdr_tp))
            (void)snprintf(trace, sizeof(trace), "%.55s", hdr_tp);
        else
            ccai_traceparent_new(trace);
        if (contact_event_stamp(
                &wk->ev, gen_id,
                wk->ev.tenant_id ? wk->ev.tenant_id
                                 : (hdr_tenant ? hdr_tenant : "default"),
                wk->ev.received_at ? wk->ev.received_at : received,
                wk->ev.trace ? wk->ev.trace : trace, err) != 0)
            return -1;
    }
    if (hdr_tp && ccai_traceparent_is_valid(hdr_tp))
        (void)snprintf(wk->trace, sizeof(wk->trace), "%.55s", hdr_tp);
    else if (wk->ev.trace && ccai_traceparent_is_valid(wk->ev.trace))
        (void)snprintf(wk->trace, sizeof(wk->trace), "%.55s", wk->ev.trace);
    return 0;
}

static void on_record(struct worker *w,
                      rd_kafka_message_t *msg,
                      struct consumer_partition *part,
                      uint64_t gen)
{
    struct work *wk = work_new(w, msg, part, gen);
    struct ccai_error err = {0};

    w->n_consumed++;
    ccai_counter_add(w->m.consumed, 1);
    if (wk == NULL) { /* work_new destroyed msg */
        LOG_ERROR("worker", "out of memory: record left for replay");
        return;
    }
    if (w->draining) {
        work_free(wk); /* fetched while stopping: not ours to finish */
        return;
    }
    if (work_parse(wk, &err) != 0) {
        /* the message names the first violation's pointer; never text */
        if (err.n_violations > 1)
            work_dead_letter(wk, "validate", "invalid_event",
                             "%s (and %zu more)", err.message,
                             err.n_violations - 1 + err.n_dropped);
        else
            work_dead_letter(wk, "validate", "invalid_event", "%s",
                             err.message);
        return;
    }
    if (wk->ev.contact_id == NULL) { /* the parser guarantees it; be sure */
        work_dead_letter(wk, "validate", "invalid_event",
                         "/contact_id: is required");
        return;
    }
    if (scheduler_push(w->sched, wk->ev.contact_id, strlen(wk->ev.contact_id),
                       &wk->sitem) != 0) {
        LOG_ERROR("worker", "out of memory: record left for replay");
        work_free(wk);
        return;
    }
    /* valid, queued under its contact (the scheduler copied the key): the
     * parsed tree is dropped while the record waits and rebuilt from the
     * same bytes when it runs (about 2 KB per waiting record) */
    contact_event_release(&wk->ev);
    wk->parsed = false;
}

/* ---- rebalance hooks ----------------------------------------------------- */

static bool match_partition(struct scheduler_item *it, void *ctx)
{
    return ((struct work *)(void *)it)->part == ctx;
}

static bool match_any(struct scheduler_item *it, void *ctx)
{
    (void)it;
    (void)ctx;
    return true;
}

static void drop_work(struct scheduler_item *it, void *ctx)
{
    (void)ctx;
    work_free((struct work *)(void *)it);
}

/* consumer: inside consumer_poll on the loop thread */
static void on_revoke(struct consumer_partition *part, void *ctx)
{
    struct worker *w = ctx;
    size_t n = scheduler_cancel(w->sched, match_partition, drop_work, part);

    if (n > 0)
        LOG_INFO("worker",
                 "partition [%d] revoked: %zu waiting records "
                 "left to the next owner",
                 (int)part->partition, n);
    ccai_counter_add(w->m.replayed_dropped, n);
}

/* ---- stats and readiness --------------------------------------------- */

/* the assignment array of the stats document; also feeds the lag gauges */
static json_t *assignment_json(struct worker *w)
{
    json_t *assign = json_array();
    struct consumer_partition *p = NULL;

    consumer_refresh(w->cons);
    for (size_t i = 0; (p = consumer_partition_at(w->cons, i)) != NULL; i++) {
        int64_t base = offsets_committable(&p->offs);
        int64_t lag = -1;
        char labels[64];

        if (!p->assigned)
            continue;
        if (base < 0)
            base = p->committed;
        if (p->high >= 0 && base >= 0)
            lag = p->high - base;
        json_array_append_new(
            assign, json_pack("{s:s, s:i, s:I, s:I, s:I, s:I, s:b, s:I}",
                              "topic", p->topic, "partition", (int)p->partition,
                              "committed", (json_int_t)p->committed, "position",
                              (json_int_t)p->position, "high_watermark",
                              (json_int_t)p->high, "lag", (json_int_t)lag,
                              "paused", p->paused, "pending",
                              (json_int_t)offsets_pending(&p->offs)));
        (void)snprintf(labels, sizeof(labels), "partition=\"%d\"",
                       (int)p->partition);
        ccai_gauge_set(
            ccai_metrics_gauge(w->metrics, "ccai_processor_consumer_lag",
                               "Records behind the high watermark", labels),
            lag < 0 ? 0 : lag);
    }
    return assign;
}

static char *stats_json(struct worker *w)
{
    json_t *root = json_object();
    json_t *assign = assignment_json(w);
    struct llm_client_stats ls;
    struct engine_stats es;
    char *text = NULL;

    llm_client_stats(w->llm, &ls);
    engine_stats(w->eng, &es);
    json_object_set_new(root, "assignment", assign);
    json_object_set_new(root, "in_flight", json_integer(w->llm_in_flight));
    json_object_set_new(root, "buffered", json_integer((json_int_t)w->n_work));
    json_object_set_new(root, "waiting",
                        json_integer((json_int_t)scheduler_waiting(w->sched)));
    json_object_set_new(root, "contacts_active",
                        json_integer((json_int_t)scheduler_keys(w->sched)));
    json_object_set_new(root, "paused",
                        json_boolean(consumer_is_paused(w->cons)));
    json_object_set_new(root, "draining", json_boolean(w->draining));
    json_object_set_new(root, "rates",
                        json_pack("{s:f, s:f}", "consumed_per_s",
                                  w->rate_consumed, "finished_per_s",
                                  w->rate_finished));
    json_object_set_new(root, "totals",
                        json_pack("{s:I, s:I}", "consumed",
                                  (json_int_t)w->n_consumed, "finished",
                                  (json_int_t)w->n_finished));
    json_object_set_new(root, "breaker",
                        json_string(ls.breaker ? ls.breaker : "unknown"));
    json_object_set_new(
        root, "llm",
        json_pack("{s:i, s:i, s:s, s:I, s:I, s:I, s:I, s:I}", "in_flight",
                  (int)ls.in_flight, "waiting", (int)ls.waiting, "breaker",
                  ls.breaker ? ls.breaker : "unknown", "calls",
                  (json_int_t)ls.calls, "retries", (json_int_t)ls.retries,
                  "failures", (json_int_t)ls.failures, "rpm_remaining",
                  (json_int_t)ls.rpm_remaining, "tpm_remaining",
                  (json_int_t)ls.tpm_remaining));
    json_object_set_new(root, "engine",
                        json_pack("{s:i, s:i, s:I, s:I}", "contexts",
                                  (int)es.contexts, "dedupe_size",
                                  (int)es.dedupe_size, "evicted",
                                  (json_int_t)es.evicted, "dedupe_hits",
                                  (json_int_t)es.dedupe_hits));
    json_object_set_new(root, "producer",
                        json_pack("{s:I, s:b, s:i}", "outstanding",
                                  (json_int_t)publisher_outstanding(w->pub),
                                  "healthy", publisher_is_healthy(w->pub),
                                  "rebuilds", (int)publisher_rebuilds(w->pub)));
    json_object_set_new(root, "provider",
                        json_string(processor_config_provider_name(w->cfg)));
    text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return text;
}

static void snapshot(struct worker *w, bool force)
{
    int64_t now = ccai_mono_ms();
    double dt = (double)(now - w->last_snapshot_ms) / 1e3;
    bool ready = false;
    const char *why = NULL;

    if (!force && now - w->last_snapshot_ms < WORKER_SNAPSHOT_MS)
        return;
    if (dt > 0) {
        w->rate_consumed = (double)(w->n_consumed - w->last_consumed) / dt;
        w->rate_finished = (double)(w->n_finished - w->last_finished) / dt;
    }
    w->last_consumed = w->n_consumed;
    w->last_finished = w->n_finished;
    w->last_snapshot_ms = now;
    ccai_gauge_set(w->m.buffered, (int64_t)w->n_work);
    ccai_gauge_set(w->m.paused, consumer_is_paused(w->cons) ? 1 : 0);
    if (w->draining)
        why = "shutting down";
    else if (!publisher_is_healthy(w->pub))
        why = "producer unhealthy";
    else if (consumer_assigned(w->cons) == 0 && !consumer_is_joined(w->cons))
        why = "not in the consumer group yet";
    else
        ready = true;
    if (w->admin)
        admin_publish(w->admin, ready, why, stats_json(w));
    /* give the pages of freed records, results and calls back to the
     * system: glibc only trims the top of the heap by itself, and records
     * finish in a different order than they arrived (a few ms per call) */
    (void)malloc_trim(0);
}

/* ---- construction ------------------------------------------------------ */

static void metrics_init(struct worker *w)
{
    struct ccai_metrics *m = w->metrics;
    const char *res = "ccai_processor_results_total";
    const char *res_help = "Results published by status";
    const char *dlq = "ccai_processor_dead_letters_total";
    const char *dlq_help = "Records dead-lettered by stage";

    if (m == NULL)
        return;
    w->m.consumed = ccai_metrics_counter(m, "ccai_processor_consumed_total",
                                         "Records consumed", NULL);
    w->m.completed =
        ccai_metrics_counter(m, res, res_help, "status=\"completed\"");
    w->m.degraded =
        ccai_metrics_counter(m, res, res_help, "status=\"degraded\"");
    w->m.skipped = ccai_metrics_counter(m, res, res_help, "status=\"skipped\"");
    w->m.duplicates = ccai_metrics_counter(
        m, "ccai_processor_duplicates_total",
        "Events already completed, answered from the dedupe cache", NULL);
    w->m.dlq_validate =
        ccai_metrics_counter(m, dlq, dlq_help, "stage=\"validate\"");
    w->m.dlq_llm = ccai_metrics_counter(m, dlq, dlq_help, "stage=\"llm\"");
    w->m.dlq_output =
        ccai_metrics_counter(m, dlq, dlq_help, "stage=\"output\"");
    w->m.dlq_produce =
        ccai_metrics_counter(m, dlq, dlq_help, "stage=\"produce\"");
    w->m.output_retries =
        ccai_metrics_counter(m, "ccai_processor_retries_total",
                             "Retries by cause", "cause=\"invalid_output\"");
    w->m.tokens_prompt =
        ccai_metrics_counter(m, "ccai_processor_llm_tokens_total",
                             "Tokens reported by the LLM", "kind=\"prompt\"");
    w->m.tokens_completion = ccai_metrics_counter(
        m, "ccai_processor_llm_tokens_total", "Tokens reported by the LLM",
        "kind=\"completion\"");
    w->m.replayed_dropped = ccai_metrics_counter(
        m, "ccai_processor_revoked_waiting_total",
        "Waiting records left to the next owner on revoke", NULL);
    w->m.in_flight = ccai_metrics_gauge(m, "ccai_processor_llm_in_flight",
                                        "Records waiting for the LLM", NULL);
    w->m.buffered =
        ccai_metrics_gauge(m, "ccai_processor_buffered",
                           "Records consumed and not finished", NULL);
    w->m.paused = ccai_metrics_gauge(m, "ccai_processor_paused",
                                     "1 while fetching is paused", NULL);
    w->m.duration = ccai_metrics_histogram(
        m, "ccai_processor_record_duration_seconds",
        "From consume to acknowledged result or dead letter", NULL,
        ccai_latency_buckets, ccai_latency_buckets_n);
}

static int build_engine(struct worker *w, struct ccai_error *err)
{
    const struct processor_config *cfg = w->cfg;
    struct engine_config ec;

    w->pipeline = pipeline_load(cfg->pipeline_config, err);
    if (w->pipeline == NULL)
        return -1;
    memset(&ec, 0, sizeof(ec));
    ec.pipeline = w->pipeline;
    ec.model = cfg->openai_model;
    ec.provider = cfg->provider;
    ec.redact_pii = cfg->redact_pii;
    ec.context_turns = (unsigned)cfg->context_turns;
    ec.max_contacts = (unsigned)cfg->max_contacts;
    ec.contact_idle_ttl_ms = cfg->contact_idle_s * 1000;
    ec.dedupe_entries = (unsigned)cfg->dedupe_entries;
    ec.dedupe_ttl_ms = cfg->dedupe_window_s * 1000;
    w->eng = engine_new(&ec, err);
    return w->eng ? 0 : -1;
}

static int build_llm(struct worker *w, struct ccai_error *err)
{
    const struct processor_config *cfg = w->cfg;
    struct llm_client_config lc;

    memset(&lc, 0, sizeof(lc));
    lc.base_url = cfg->openai_base_url;
    lc.api_key = cfg->openai_api_key[0] ? cfg->openai_api_key : NULL;
    lc.timeout_ms = cfg->openai_timeout_ms;
    lc.max_retries = (unsigned)cfg->openai_max_retries;
    lc.max_inflight = (unsigned)cfg->max_inflight;
    lc.rpm = cfg->openai_rpm;
    lc.tpm = cfg->openai_tpm;
    lc.backoff_base_ms = cfg->openai_backoff_base_ms;
    lc.backoff_max_ms = cfg->openai_backoff_max_ms;
    lc.breaker_threshold = (unsigned)cfg->breaker_threshold;
    lc.breaker_open_ms = cfg->breaker_open_ms;
    lc.metrics = w->metrics;
    w->llm = llm_client_new(&lc, err);
    return w->llm ? 0 : -1;
}

struct worker *worker_new(const struct processor_config *cfg,
                          struct ccai_metrics *metrics,
                          struct admin *admin,
                          struct ccai_error *err)
{
    struct worker *w = calloc(1, sizeof(*w));
    struct publisher_config pc;
    struct consumer_config cc;

    if (w == NULL) {
        ccai_error_set(err, CCAI_E_NOMEM, "", "out of memory");
        return NULL;
    }
    w->cfg = cfg;
    w->metrics = metrics;
    w->admin = admin;
    metrics_init(w);
    if (build_engine(w, err) != 0 || build_llm(w, err) != 0)
        goto fail;
    w->sched = scheduler_new((unsigned)cfg->max_inflight);
    if (w->sched == NULL) {
        ccai_error_set(err, CCAI_E_NOMEM, "", "out of memory");
        goto fail;
    }
    memset(&pc, 0, sizeof(pc));
    pc.message_timeout_ms = cfg->produce_timeout_ms;
    pc.max_retries = (unsigned)cfg->produce_retries;
    pc.done = on_published;
    pc.ctx = w;
    pc.metrics = metrics;
    w->pub = publisher_new(&pc, err);
    if (w->pub == NULL)
        goto fail;
    memset(&cc, 0, sizeof(cc));
    cc.group = cfg->consumer_group;
    cc.topic = cfg->topic_events;
    cc.commit_interval_ms = cfg->commit_interval_ms;
    cc.session_timeout_ms = cfg->session_timeout_ms;
    cc.on_revoke = on_revoke;
    cc.ctx = w;
    w->cons = consumer_new(&cc, err);
    if (w->cons == NULL)
        goto fail;
    w->last_snapshot_ms = ccai_mono_ms();
    return w;
fail:
    worker_free(w);
    return NULL;
}

void worker_free(struct worker *w)
{
    if (w == NULL)
        return;
    /* LLM calls first: their callbacks must not see freed parts */
    if (w->llm)
        llm_client_cancel_all(w->llm);
    if (w->pub)
        (void)publisher_flush(w->pub, 0);
    while (w->head)
        work_free(w->head);
    llm_client_free(w->llm);
    publisher_free(w->pub); /* no work left: no callback can fire on it */
    consumer_free(w->cons);
    scheduler_free(w->sched);
    engine_free(w->eng);
    pipeline_free(w->pipeline);
    free(w);
}

/* ---- the loop ------------------------------------------------------------ */

/* Each assigned partition may hold its share of PROCESSOR_MAX_BUFFERED:
 * librdkafka hands over records a partition at a time, so without a share
 * one partition's backlog fills the buffer with many turns of few contacts
 * (run one at a time) while the contacts of the other partitions wait
 * unfetched. */
static size_t partition_share(const struct worker *w)
{
    unsigned n = consumer_assigned(w->cons);
    size_t share = (size_t)w->cfg->max_buffered / (n > 0 ? n : 1);

    return share > 0 ? share : 1;
}

static bool take_records(struct worker *w)
{
    size_t share = partition_share(w);

    for (int i = 0; i < WORKER_POLL_BATCH; i++) {
        struct consumer_partition *part = NULL;
        uint64_t gen = 0;
        rd_kafka_message_t *msg = NULL;

        if (!w->draining && w->n_work >= (size_t)w->cfg->max_buffered) {
            if (!consumer_is_paused(w->cons))
                consumer_pause_all(w->cons);
        }
        msg = consumer_poll(w->cons, &part, &gen);
        if (msg == NULL)
            return false;
        on_record(w, msg, part, gen);
        if (!w->draining && part->held >= share && !part->paused)
            consumer_balance(w->cons, share);
    }
    return true; /* more may be waiting */
}

static void back_pressure(struct worker *w)
{
    size_t low = (size_t)w->cfg->max_buffered / 2;

    if (w->draining)
        return;
    if (!consumer_is_paused(w->cons) &&
        w->n_work >= (size_t)w->cfg->max_buffered)
        consumer_pause_all(w->cons);
    else if (consumer_is_paused(w->cons) && w->n_work <= low)
        consumer_resume_all(w->cons);
    consumer_balance(w->cons, partition_share(w));
}

static int wait_for_events(struct worker *w, int timeout_ms)
{
    struct curl_waitfd extra[3];
    long due = publisher_next_due_ms(w->pub);

    if (due >= 0 && due < timeout_ms)
        timeout_ms = (int)due;
    memset(extra, 0, sizeof(extra));
    extra[0].fd = consumer_wait_fd(w->cons);
    extra[0].events = CURL_WAIT_POLLIN;
    extra[1].fd = publisher_wait_fd(w->pub);
    extra[1].events = CURL_WAIT_POLLIN;
    extra[2].fd = ccai_shutdown_fd();
    extra[2].events = CURL_WAIT_POLLIN;
    return llm_client_poll(w->llm, extra, extra[2].fd >= 0 ? 3 : 2, timeout_ms);
}

static int iterate(struct worker *w, int idle_ms)
{
    bool more = take_records(w);

    schedule(w);
    publisher_poll(w->pub);
    consumer_store(w->cons);
    back_pressure(w);
    snapshot(w, false);
    if (wait_for_events(w, more ? 0 : idle_ms) != 0) {
        LOG_ERROR("worker", "LLM transport failed");
        return -1;
    }
    publisher_poll(w->pub);
    return 0;
}

static size_t busy_work(struct worker *w)
{
    size_t n = 0;

    for (struct work *wk = w->head; wk; wk = wk->next)
        n += wk->state != WORK_WAITING ? 1 : 0;
    return n;
}

static void drain(struct worker *w)
{
    int64_t deadline = ccai_mono_ms() + w->cfg->drain_timeout_ms;
    size_t left = 0;

    w->draining = true;
    consumer_pause_all(w->cons);
    /* records not started are handed back uncommitted */
    (void)scheduler_cancel(w->sched, match_any, drop_work, NULL);
    snapshot(w, true);
    LOG_INFO("worker", "draining: %zu records in flight, %ld ms budget",
             busy_work(w), w->cfg->drain_timeout_ms);
    while (busy_work(w) > 0 && ccai_mono_ms() < deadline) {
        if (iterate(w, 50) != 0)
            break;
    }
    left = busy_work(w);
    if (left > 0)
        LOG_WARN("worker",
                 "drain budget spent: %zu records left for the "
                 "next owner",
                 left);
    llm_client_cancel_all(w->llm); /* callbacks free those records */
    left = publisher_flush(w->pub, WORKER_FLUSH_MS);
    if (left > 0)
        LOG_WARN("worker", "%zu records not acknowledged at exit", left);
    consumer_close(w->cons);
    LOG_INFO("worker", "drained: %" PRIu64 " records finished in total",
             w->n_finished);
}

int worker_run(struct worker *w)
{
    int rc = 0;

    LOG_INFO("worker",
             "consuming '%s' as group '%s' (provider %s, "
             "max in flight %ld)",
             w->cfg->topic_events, w->cfg->consumer_group,
             processor_config_provider_name(w->cfg), w->cfg->max_inflight);
    while (!ccai_shutdown_requested()) {
        if (iterate(w, WORKER_IDLE_MS) != 0) {
            rc = -1;
            break;
        }
    }
    drain(w);
    snapshot(w, true);
    return rc;
}
