/* bench_engine - prints throughput figures of the analysis engine:
 * redaction MB/s, and events/s through the offline analyzer and through
 * the LLM path (prompt + canned answer). Not a test: no assertions on
 * timing. Build: cmake --build BUILD --target bench_engine; run
 * BUILD/tests/bench_engine (use a Release build for real figures). */
#include "engine.h"
#include "redact.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "banned.h"
static double now(void);
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}
static const char answer[] =
    "{\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"message\":{"
    "\"role\":\"assistant\",\"refusal\":null,\"content\":\"{\\\"sentiment\\\":"
    "null,\\\"intent\\\":null,\\\"priority\\\":null,\\\"language\\\":null,"
    "\\\"escalate\\\":false,\\\"escalation_reason\\\":null,\\\"routing\\\":"
    "null,\\\"suggested_reply\\\":null,\\\"alerts\\\":[],\\\"summary\\\":null,"
    "\\\"action_items\\\":[],\\\"resolution\\\":null,\\\"wrapup_code\\\":null,"
    "\\\"categories\\\":[]}\"},\"finish_reason\":\"stop\"}],\"usage\":{"
    "\"prompt_tokens\":1,\"completion_tokens\":1}}";
int main(void)
{
    struct ccai_error err;
    struct pipeline *p = pipeline_load(NULL, &err);
    const char *s =
        "Hi, I was charged twice on card 4111 1111 1111 1111 last month, call "
        "me at (415) 555-2671 or mail jane.doe@example.com. Order 2026-11-26 "
        "#A-123456 for $1,234.56. ";
    size_t n = 8 << 20;
    char *big = malloc(n);
    for (size_t k = 0; k < n; k++)
        big[k] = s[k % strlen(s)];
    double t0 = now();
    struct redact_counts c = {{0}};
    char *o = redact_text(big, n, &c, NULL);
    double t1 = now();
    printf("redact: %.1f MB/s (%u entities in 8 MiB)\n", n / 1e6 / (t1 - t0),
           redact_counts_total(&c));
    free(o);
    free(big);
    struct engine_config cfg = {.pipeline = p,
                                .model = "gpt-4o-mini",
                                .provider = ENGINE_PROVIDER_RULES,
                                .redact_pii = true,
                                .max_contacts = 10000,
                                .dedupe_entries = 10000,
                                .dedupe_ttl_ms = 600000,
                                .contact_idle_ttl_ms = 3600000};
    for (int mode = 0; mode < 2; mode++) {
        cfg.provider = mode ? ENGINE_PROVIDER_OPENAI : ENGINE_PROVIDER_RULES;
        struct engine *eng = engine_new(&cfg, &err);
        int N = 20000;
        char id[32], cid[32];
        size_t reqbytes = 0;
        t0 = now();
        for (int k = 0; k < N; k++) {
            struct contact_event ev;
            memset(&ev, 0, sizeof ev);
            snprintf(id, 32, "e%d", k);
            snprintf(cid, 32, "c%d", k % 500);
            ev.event_id = id;
            ev.contact_id = cid;
            ev.type = MESSAGE_RECEIVED;
            ev.role = k % 2 ? "agent" : "customer";
            ev.text = s;
            ev.text_len = strlen(s);
            ev.sequence = k;
            ev.channel = "chat";
            struct engine_meta m = {.now_ms = 1000 + k};
            struct engine_job *job = NULL;
            enum engine_action a = engine_begin(eng, &ev, &m, &job);
            if (a == ENGINE_CALL_LLM) {
                size_t l;
                engine_job_request(job, &l);
                reqbytes += l;
                if (engine_job_complete(eng, job, answer, strlen(answer), 1, 1,
                                        &err) != ENGINE_LLM_OK) {
                    printf("bad %s\n", err.message);
                    return 1;
                }
            }
            engine_job_free(job);
        }
        t1 = now();
        printf("engine %s: %d events (500 contacts, 12-turn windows) in %.2f s "
               "= %.0f events/s%s",
               mode ? "openai path (begin+prompt+complete)"
                    : "rules path (begin+analyzer)",
               N, t1 - t0, N / (t1 - t0), mode ? "" : "\n");
        if (mode)
            printf(", avg request %zu bytes\n", reqbytes / N);
        engine_free(eng);
    }
    pipeline_free(p);
    return 0;
}
