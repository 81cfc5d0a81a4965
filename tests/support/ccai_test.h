/* ccai_test - the shared support library of the integration tests
 * (ccai_testsupport): free ports, a temp dir per run, child processes
 * (start, signal, wait, log tails, kill-all at exit), the dev broker and
 * its control API, an HTTP client on libcurl and Kafka produce/consume
 * helpers on librdkafka. Everything here is for tests: failures return
 * -1/NULL and print one line to stderr, nothing aborts. Functions may be
 * called from any thread unless noted; objects are owned by one thread. */
#ifndef CCAI_TEST_H
#define CCAI_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

/* ------------------------------------------------------------------ */
/* Run-wide helpers                                                    */

/** A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0 and
 * read it back), or -1. Another process may take it before you do: start
 * servers with port 0 / ready files where the binary allows it. */
int ccai_test_free_port(void);

/** The temp dir of this run (created on first call under $TMPDIR or /tmp,
 * removed by ccai_test_finish or at exit). Borrowed, valid for the run.
 * Returns NULL when it cannot be created. */
const char *ccai_test_tmpdir(void);

/** Write @len bytes of @data to a new file @name in the run's temp dir.
 * Returns the path (new, caller frees) or NULL. */
char *ccai_test_write_file(const char *name, const void *data, size_t len);

/** Directory of the binaries under test: $CCAI_BIN_DIR, else
 * $CCAI_BINARY_DIR/bin, else "./bin". Borrowed. */
const char *ccai_test_bin_dir(void);

/** Monotonic milliseconds. */
int64_t ccai_test_now_ms(void);

/** Sleep @ms milliseconds (bounded; for poll loops only). */
void ccai_test_sleep_ms(long ms);

/** Poll @cond(@ctx) every @poll_ms until it returns true or @timeout_ms
 * passed. Returns true when the condition became true. */
typedef bool ccai_test_cond_fn(void *ctx);
bool ccai_test_wait_until(ccai_test_cond_fn *cond,
                          void *ctx,
                          long timeout_ms,
                          long poll_ms);

/** A cmocka-compatible setup/teardown (per test or per group): kills
 * every child process still running (SIGKILL) and reaps it. Always 0. */
int ccai_test_teardown(void **state);

/** Call in main before cmocka_run_group_tests: when CCAI_TEST_FILTER is
 * set (a cmocka pattern, e.g. 'test_sigterm*'), only matching tests run. */
void ccai_test_filter_from_env(void);

/** Call at the end of main with the number of failed tests (the value of
 * cmocka_run_group_tests). Kills what still runs; when @failures > 0
 * dumps the last 40 lines of every child's log to stderr and keeps the
 * temp dir (its path is printed), else removes it. Returns @failures. */
int ccai_test_finish(int failures);

/* ------------------------------------------------------------------ */
/* Child processes                                                     */

struct ccai_proc;

/** Start @name: a file in ccai_test_bin_dir() or, when it contains '/',
 * a path (or a program found in PATH when @name starts with "path:",
 * e.g. "path:kcat"). @args: NULL-terminated extra arguments (argv[1..]),
 * may be NULL. @env: NULL-terminated "NAME=value" entries added to (or
 * replacing in) the inherited environment; a bare "NAME" unsets it; may
 * be NULL. stdin is /dev/null; stdout and stderr go to a log file in the
 * temp dir. The child gets its own process group and SIGKILL when the
 * test process dies (PR_SET_PDEATHSIG: it fires when the *thread* that
 * started the child exits, so start children from the main thread).
 * Returns a new handle (free with ccai_proc_free) or NULL. */
struct ccai_proc *ccai_proc_start(const char *name,
                                  const char *const *args,
                                  const char *const *env);

/** Like ccai_proc_start with @stdin_data fed to the child's stdin (via a
 * file in the temp dir; @len bytes). */
struct ccai_proc *ccai_proc_start_stdin(const char *name,
                                        const char *const *args,
                                        const char *const *env,
                                        const void *stdin_data,
                                        size_t len);

pid_t ccai_proc_pid(const struct ccai_proc *proc);

/** Path of the child's log (stdout + stderr). Borrowed, valid until the
 * end of the run (the file outlives ccai_proc_free). */
const char *ccai_proc_log_path(const struct ccai_proc *proc);

/** Send @sig to the child (no-op once it was reaped). Returns 0 or -1. */
int ccai_proc_signal(struct ccai_proc *proc, int sig);

/** Wait up to @timeout_ms for the child to exit (reaping it). Returns 0
 * once it has exited, -1 on timeout. */
int ccai_proc_wait(struct ccai_proc *proc, long timeout_ms);

/** True once the child exited (checks without blocking, reaping it). */
bool ccai_proc_has_exited(struct ccai_proc *proc);

/** Exit code of an exited child; -1 when it is running or was killed by
 * a signal (see ccai_proc_term_signal). */
int ccai_proc_exit_code(const struct ccai_proc *proc);

/** Signal that killed the child, or 0. */
int ccai_proc_term_signal(const struct ccai_proc *proc);

/** SIGTERM, wait up to @timeout_ms, then SIGKILL. Returns the exit code
 * (0..255), 128 + signal when it died of a signal, or -1 when it had to
 * be killed. */
int ccai_proc_stop(struct ccai_proc *proc, long timeout_ms);

/** The whole log so far (new, NUL-terminated, caller frees), or NULL. */
char *ccai_proc_log(const struct ccai_proc *proc, size_t *len);

/** True when the log contains @needle. */
bool ccai_proc_log_contains(const struct ccai_proc *proc, const char *needle);

/** Poll the log until it contains @needle or @timeout_ms passed (also
 * stops early when the child exits). Returns 0 when found, else -1. */
int ccai_proc_wait_log(struct ccai_proc *proc,
                       const char *needle,
                       long timeout_ms);

/** Print the last @lines lines of the child's log to stderr. */
void ccai_proc_dump_log(const struct ccai_proc *proc, unsigned lines);

/** SIGKILL the child if it still runs, reap it and free the handle.
 * NULL-safe. */
void ccai_proc_free(struct ccai_proc *proc);

/** Run @name to completion (like ccai_proc_start_stdin, @stdin_data may be
 * NULL) within @timeout_ms; returns its exit code (128 + signal when
 * killed, -1 on timeout or start failure) and, when @out is not NULL, its
 * stdout+stderr (new, caller frees; may be NULL on error). */
int ccai_proc_run(const char *name,
                  const char *const *args,
                  const char *const *env,
                  const void *stdin_data,
                  size_t stdin_len,
                  long timeout_ms,
                  char **out);

/* ------------------------------------------------------------------ */
/* HTTP client (libcurl)                                               */

struct ccai_http_header {
    char *name; /* as received */
    char *value;
};

struct ccai_http_resp {
    long status; /* 0 when no answer (connection refused, timeout) */
    char *body;  /* NUL-terminated, never NULL after a request */
    size_t body_len;
    struct ccai_http_header *headers; /* of the final answer */
    size_t n_headers;
    char error[256]; /* curl's error text when status is 0 */
};

struct ccai_http_req {
    const char *method; /* "GET", "POST", ... */
    const char *url;
    const char *const *headers; /* NULL-terminated "Name: value" lines */
    const void *body;           /* may be NULL */
    size_t body_len;
    bool chunked;    /* send the body with Transfer-Encoding: chunked */
    long timeout_ms; /* 0 = 30000 */
};

/** Perform one request. Returns 0 when an answer arrived (any status), -1
 * when none did (resp->status 0, resp->error set). Always release @resp
 * with ccai_http_resp_release afterwards. */
int ccai_http_do(const struct ccai_http_req *req, struct ccai_http_resp *resp);

/** Shorthand for ccai_http_do. */
int ccai_http_request(const char *method,
                      const char *url,
                      const char *const *headers,
                      const void *body,
                      size_t len,
                      struct ccai_http_resp *resp);

/** Value of the first header @name (case-insensitive), or NULL.
 * Borrowed from @resp. */
const char *ccai_http_resp_header(const struct ccai_http_resp *resp,
                                  const char *name);

/** Parse the body as JSON (new reference) or NULL. */
json_t *ccai_http_resp_json(const struct ccai_http_resp *resp);

void ccai_http_resp_release(struct ccai_http_resp *resp);

/** GET @url until it answers 200 or @timeout_ms passed. 0 or -1. */
int ccai_http_wait_ok(const char *url, long timeout_ms);

/** GET @url until it answers @status or @timeout_ms passed. 0 or -1. */
int ccai_http_wait_status(const char *url, long status, long timeout_ms);

/* ------------------------------------------------------------------ */
/* Dev broker (ccai-devbroker)                                         */

struct ccai_devbroker;

/** Start ccai-devbroker ($CCAI_DEVBROKER_BIN when set: a path, e.g. a
 * non-TSan build) on a free port with --control-port 0 and a ready
 * file, plus @args (NULL-terminated, e.g. {"--brokers","3",NULL}) and
 * @env (as in ccai_proc_start); waits up to 30 s until it is ready.
 * Returns a new handle or NULL. */
struct ccai_devbroker *ccai_devbroker_start(const char *const *args,
                                            const char *const *env);

/** "127.0.0.1:PORT" for bootstrap.servers. Borrowed. */
const char *ccai_devbroker_bootstrap(const struct ccai_devbroker *db);

/** "http://127.0.0.1:PORT" of the control API. Borrowed. */
const char *ccai_devbroker_control_url(const struct ccai_devbroker *db);

struct ccai_proc *ccai_devbroker_proc(const struct ccai_devbroker *db);

/** One control call: @method @path (e.g. "/brokers/1/down") with @json
 * body (may be NULL). Returns 0 when the answer is 2xx, else -1 (the
 * answer is printed). When @resp is not NULL it receives the answer
 * (release it). */
int ccai_devbroker_control(const struct ccai_devbroker *db,
                           const char *method,
                           const char *path,
                           const char *json,
                           struct ccai_http_resp *resp);

/** Take broker @id down / up; @id -1 means every broker. 0 or -1. */
int ccai_devbroker_broker_down(const struct ccai_devbroker *db, int id);
int ccai_devbroker_broker_up(const struct ccai_devbroker *db, int id);

/** Set broker @id's round-trip time; -1 means every broker. */
int ccai_devbroker_rtt(const struct ccai_devbroker *db, int id, int ms);

/** Push @n errors (names like "NOT_ENOUGH_REPLICAS" or numbers as text)
 * for the next @n requests of @api ("Produce", "Fetch", ... or a number
 * as text), cluster-wide. */
int ccai_devbroker_push_errors(const struct ccai_devbroker *db,
                               const char *api,
                               const char *const *errors,
                               size_t n);

/** Push @n errors with per-error round-trip times on broker @id. */
int ccai_devbroker_push_broker_errors(const struct ccai_devbroker *db,
                                      int id,
                                      const char *api,
                                      const char *const *errors,
                                      const int *rtt_ms,
                                      size_t n);

/** Clear the pushed errors of @api. */
int ccai_devbroker_clear_errors(const struct ccai_devbroker *db,
                                const char *api);

/** Make @topic answer @error ("" or "NO_ERROR" clears it). */
int ccai_devbroker_topic_error(const struct ccai_devbroker *db,
                               const char *topic,
                               const char *error);

/** Create @topic with @partitions partitions. */
int ccai_devbroker_create_topic(const struct ccai_devbroker *db,
                                const char *topic,
                                int partitions);

/** GET /status (new reference) or NULL. */
json_t *ccai_devbroker_status(const struct ccai_devbroker *db);

/** SIGTERM the broker, wait, free the handle. Returns its exit code as
 * ccai_proc_stop does. NULL-safe (returns 0). */
int ccai_devbroker_stop(struct ccai_devbroker *db);

/* ------------------------------------------------------------------ */
/* Kafka helpers (librdkafka)                                          */

struct ccai_kafka_header {
    char *name;
    char *value; /* NUL-terminated copy; NULL for a null header value */
    size_t value_len;
};

struct ccai_kafka_record {
    char *topic;
    int32_t partition;
    int64_t offset;
    int64_t timestamp; /* ms, -1 when absent */
    char *key;         /* NUL-terminated copy; NULL for a null key */
    size_t key_len;
    char *value; /* NUL-terminated copy; NULL for a null value */
    size_t value_len;
    struct ccai_kafka_header *headers;
    size_t n_headers;
};

struct ccai_kafka_records {
    struct ccai_kafka_record *items;
    size_t n;
};

/** Produce one record and wait (up to @timeout_ms) for its delivery
 * report. @key may be NULL; @value @value_len bytes; @headers is NULL or
 * a NULL-terminated list of name, value pairs; @partition -1 lets the
 * producer choose (partitioner murmur2_random, as the ingress). On
 * success returns 0 and, when not NULL, the partition and offset. */
int ccai_kafka_produce(const char *bootstrap,
                       const char *topic,
                       const char *key,
                       const void *value,
                       size_t value_len,
                       const char *const *headers,
                       int32_t partition,
                       long timeout_ms,
                       int32_t *out_partition,
                       int64_t *out_offset);

/** Read @topic from the beginning of every partition (assign, no group,
 * no commits). Stops when @want records were read (@want > 0), or - when
 * @want is 0 - once every partition reached its end and nothing arrived
 * for @idle_ms; never later than @timeout_ms. Appends to @out (init it
 * with {0}). Returns the number of records read, or -1 on error. */
long ccai_kafka_consume(const char *bootstrap,
                        const char *topic,
                        size_t want,
                        long idle_ms,
                        long timeout_ms,
                        struct ccai_kafka_records *out);

/** Number of records in @topic: the sum over partitions of high - low
 * watermark (no transactions on the dev broker, so offsets are records),
 * or -1. */
long ccai_kafka_count(const char *bootstrap,
                      const char *topic,
                      long timeout_ms);

/** Number of partitions of @topic, or -1. */
int ccai_kafka_partition_count(const char *bootstrap,
                               const char *topic,
                               long timeout_ms);

/** Value of header @name of @rec (first match), or NULL. Borrowed. */
const char *ccai_kafka_record_header(const struct ccai_kafka_record *rec,
                                     const char *name);

/** Parse @rec's value as JSON (new reference) or NULL. */
json_t *ccai_kafka_record_json(const struct ccai_kafka_record *rec);

/** First record whose header @name equals @value, or NULL. Borrowed. */
const struct ccai_kafka_record *ccai_kafka_find_header(
    const struct ccai_kafka_records *recs, const char *name, const char *value);

/** First record whose JSON value has, at @path (member names separated by
 * '.', e.g. "event_id" or "analysis.priority"), a string equal to @value,
 * or NULL. Borrowed. */
const struct ccai_kafka_record *ccai_kafka_find_json(
    const struct ccai_kafka_records *recs, const char *path, const char *value);

/** Number of records ccai_kafka_find_json would match. */
size_t ccai_kafka_count_json(const struct ccai_kafka_records *recs,
                             const char *path,
                             const char *value);

/** Free every record; @recs is empty and reusable afterwards. */
void ccai_kafka_records_release(struct ccai_kafka_records *recs);

/** The Java client's murmur2 partitioner (murmur2_random for a non-null
 * key): (murmur2(key) & 0x7fffffff) % @partitions. Pure. */
int32_t
ccai_kafka_murmur2_partition(const void *key, size_t len, int32_t partitions);

#endif
