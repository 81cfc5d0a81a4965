/* test_runtime_support - helpers shared by the processor runtime
 * integration tests: start the fake OpenAI server and ccai-processor with
 * a test environment, produce many ContactEvents fast (one librdkafka
 * producer), and collect results and dead letters by event_id. Built on
 * tests/support (ccai_test.h). Test main thread only. */
#ifndef CCAI_TEST_RUNTIME_SUPPORT_H
#define CCAI_TEST_RUNTIME_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ccai_test.h"

struct rt_fake {
    struct ccai_proc *proc;
    char url[128];  /* "http://127.0.0.1:PORT/v1" */
    char base[128]; /* "http://127.0.0.1:PORT" */
};

/** Start ccai-fake-openai with --latency-ms @latency_ms (and @extra args,
 * NULL-terminated, may be NULL); 0 or -1. */
int rt_fake_start(struct rt_fake *fake,
                  long latency_ms,
                  const char *const *extra);
/** Stop the fake (SIGTERM); 0 when it exited 0 or was not running, -1
 * otherwise (e.g. LeakSanitizer's report under ASan, which it prints). */
int rt_fake_stop(struct rt_fake *fake);
/** POST @json to the fake's @path (e.g. "/_control/script"); 0 or -1. */
int rt_fake_post(const struct rt_fake *fake,
                 const char *path,
                 const char *json);
/** GET the fake's @path as JSON (new reference) or NULL. */
json_t *rt_fake_get(const struct rt_fake *fake, const char *path);

struct rt_proc {
    struct ccai_proc *proc;
    int port;
    char admin[64]; /* "http://127.0.0.1:PORT" */
};

/** Start ccai-processor against @bootstrap with the test defaults
 * (loopback admin on a free port, short session timeout, group @group)
 * plus @env ("NAME=value", NULL-terminated, may be NULL). Does not wait. */
int rt_proc_start(struct rt_proc *p,
                  const char *bootstrap,
                  const char *group,
                  const char *const *env);
/** Wait until /api/v1/processor/ready answers 200. 0 or -1. */
int rt_proc_wait_ready(const struct rt_proc *p, long timeout_ms);
/** GET /api/v1/processor/stats (new reference) or NULL. */
json_t *rt_proc_stats(const struct rt_proc *p);
void rt_proc_free(struct rt_proc *p);

struct rt_producer;
struct rt_producer *rt_producer_new(const char *bootstrap);
/** Produce asynchronously (value copied). @headers: NULL or a
 * NULL-terminated name, value list. 0 or -1. */
int rt_produce(struct rt_producer *pr,
               const char *topic,
               const char *key,
               const char *value,
               const char *const *headers);
/** Wait for every delivery; returns the number of failed deliveries. */
long rt_producer_flush(struct rt_producer *pr, long timeout_ms);
void rt_producer_free(struct rt_producer *pr);

/** A ContactEvent record value (new string, caller frees): @type with the
 * fields that type needs, @seq as "sequence" (-1 none), @text may be NULL
 * (a default is used for types that need text). */
char *rt_event(const char *event_id,
               const char *contact_id,
               const char *type,
               long seq,
               const char *text);

/** Outcome of a run: which of the event ids PREFIX-0..PREFIX-(n-1) have a
 * result or a dead letter. */
struct rt_tally {
    size_t n;          /* events expected */
    unsigned *results; /* per index: results seen */
    unsigned *dlq;     /* per index: dead letters seen */
    size_t missing;    /* indexes with neither */
    size_t duplicates; /* results + dead letters beyond the first */
    size_t n_results, n_dlq;
};

/** Read every record of TOPIC_RESULTS and TOPIC_DLQ and tally them by
 * event_id (result JSON "event_id"; dead letter header ce_id or the
 * value's "event_id"). @prefix like "e" for ids "e-0", "e-1".... 0 or -1. */
int rt_tally(const char *bootstrap,
             const char *prefix,
             size_t n,
             struct rt_tally *t);
void rt_tally_release(struct rt_tally *t);

/** Poll rt_tally until nothing is missing or @timeout_ms passed; leaves
 * the last tally in @t (release it). Returns 0 when complete. */
int rt_wait_complete(const char *bootstrap,
                     const char *prefix,
                     size_t n,
                     long timeout_ms,
                     struct rt_tally *t);

#endif
