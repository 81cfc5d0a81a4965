/* ccai-llm-bench - drives processor/llm_client against an OpenAI-compatible
 * endpoint (normally ccai-fake-openai) and prints throughput and call
 * latency: N calls submitted at once, at most M in flight. A benchmark
 * prints figures; it asserts nothing. Single-threaded (the loop thread). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "env.h"
#include "llm_client.h"

#include "banned.h"

struct bench {
    long *elapsed; /* per call, ms */
    long n_done;
    long n_failed;
};

struct bench_call {
    struct bench *b;
    long idx;
};

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* llm_client: from llm_client_poll on the loop thread */
static void on_done(void *opaque, const struct llm_answer *ans)
{
    struct bench_call *bc = opaque;

    bc->b->elapsed[bc->idx] = ans->elapsed_ms;
    bc->b->n_done++;
    if (ans->outcome != LLM_OK) {
        bc->b->n_failed++;
        if (bc->b->n_failed <= 5)
            (void)fprintf(stderr, "call %ld: %s: %s\n", bc->idx,
                          llm_outcome_name(ans->outcome), ans->error);
    }
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a;
    long y = *(const long *)b;

    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    static const char body[] =
        "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\","
        "\"content\":\"benchmark\"}]}";
    struct llm_client_config cfg;
    struct llm_client *c = NULL;
    struct bench b = {NULL, 0, 0};
    struct bench_call *calls = NULL;
    struct ccai_error err;
    long n = 0;
    long inflight = 0;
    int64_t t0 = 0;
    long wall = 0;
    int rc = 1;

    if (argc != 4 || ccai_parse_long(argv[2], 1, 10000000, &n) != 0 ||
        ccai_parse_long(argv[3], 1, 100000, &inflight) != 0) {
        (void)fprintf(stderr, "usage: ccai-llm-bench BASE_URL CALLS "
                              "MAX_INFLIGHT\n"
                              "e.g. ccai-llm-bench http://127.0.0.1:PORT/v1 "
                              "5000 1000\n");
        return 2;
    }
    memset(&cfg, 0, sizeof(cfg));
    cfg.base_url = argv[1];
    cfg.api_key = "sk-bench";
    cfg.timeout_ms = 30000;
    cfg.max_retries = 4;
    cfg.max_inflight = (unsigned)inflight;
    cfg.backoff_base_ms = 500;
    cfg.backoff_max_ms = 30000;
    ccai_error_clear(&err);
    b.elapsed = calloc((size_t)n, sizeof(long));
    calls = calloc((size_t)n, sizeof(*calls));
    c = llm_client_new(&cfg, &err);
    if (b.elapsed == NULL || calls == NULL || c == NULL) {
        (void)fprintf(stderr, "ccai-llm-bench: %s\n",
                      c ? "out of memory" : err.message);
        goto out;
    }
    t0 = mono_ms();
    for (long i = 0; i < n; i++) {
        calls[i].b = &b;
        calls[i].idx = i;
        if (llm_client_submit(c, body, sizeof(body) - 1, 20, on_done, &calls[i],
                              &err) != 0)
            goto out;
    }
    while (b.n_done < n)
        if (llm_client_poll(c, NULL, 0, 100) != 0)
            goto out;
    wall = (long)(mono_ms() - t0);
    qsort(b.elapsed, (size_t)n, sizeof(long), cmp_long);
    printf("calls=%ld failed=%ld max_inflight=%ld wall_ms=%ld rate=%.0f/s "
           "call_ms p50=%ld p99=%ld max=%ld\n",
           n, b.n_failed, inflight, wall,
           wall > 0 ? (double)n * 1000.0 / (double)wall : 0.0, b.elapsed[n / 2],
           b.elapsed[n * 99 / 100], b.elapsed[n - 1]);
    rc = b.n_failed == 0 ? 0 : 1;
out:
    llm_client_free(c);
    free(calls);
    free(b.elapsed);
    return rc;
}
