/* test_engine - the engine flows for every event type and provider mode:
 * rules answers for contact.started, skipped partial segments, provider
 * rules and no_key, the LLM path (request, completion, failures,
 * fallback), dedupe, context across turns, handover and final, abandon,
 * and that no raw PII reaches a request or a result. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

#include "banned.h"

#define CARD "4111 1111 1111 1111"

struct fixture {
    struct pipeline *p;
};

static int setup(void **state)
{
    static struct fixture fx;
    struct ccai_error err;

    fx.p = pipeline_load(NULL, &err);
    *state = &fx;
    return fx.p != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;

    pipeline_free(fx->p);
    return 0;
}

static struct engine *engine(void **state, enum engine_provider provider)
{
    struct fixture *fx = *state;
    struct engine_config cfg = {
        .pipeline = fx->p,
        .model = "gpt-4o-mini",
        .provider = provider,
        .redact_pii = true,
        .context_turns = 4,
        .max_contacts = 100,
        .contact_idle_ttl_ms = 3600 * 1000,
        .dedupe_entries = 100,
        .dedupe_ttl_ms = 600 * 1000,
    };
    struct ccai_error err;
    struct engine *eng = engine_new(&cfg, &err);

    assert_non_null(eng);
    return eng;
}

static struct contact_event event(enum contact_event_type type,
                                  const char *id,
                                  const char *role,
                                  const char *text)
{
    struct contact_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.event_id = id;
    ev.contact_id = "contact-1";
    ev.type = type;
    ev.channel = "chat";
    ev.role = role;
    ev.text = text;
    ev.text_len = text != NULL ? strlen(text) : 0;
    ev.sequence = -1;
    ev.language = "en";
    ev.tenant_id = "acme";
    ev.received_at = "2026-11-26T10:00:00.000Z";
    ev.trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    return ev;
}

static const struct engine_meta meta = {
    .now_ms = 1795687200000LL, /* 2026-11-26T10:00:00Z */
    .record_ts_ms = 0,
    .trace = NULL,
};

static json_t *result_of(const struct engine_job *job)
{
    size_t len = 0;
    const char *s = engine_job_result(job, &len);
    json_t *root = NULL;

    assert_non_null(s);
    assert_int_equal(strlen(s), len);
    assert_null(strstr(s, CARD));
    root = json_loads(s, JSON_REJECT_DUPLICATES, NULL);
    assert_non_null(root);
    return root;
}

static const char *path_str(const json_t *root, const char *a, const char *b)
{
    const json_t *v = json_object_get(root, a);

    if (b != NULL)
        v = json_object_get(v, b);
    return json_string_value(v);
}

static char *completion(const char *content)
{
    json_t *root = json_pack(
        "{s:s, s:[{s:i, s:{s:s, s:s, s:n}, s:s}], s:{s:i, s:i}}", "model",
        "gpt-4o-mini-2024-07-18", "choices", "index", 0, "message", "role",
        "assistant", "content", content, "refusal", "finish_reason", "stop",
        "usage", "prompt_tokens", 1000000, "completion_tokens", 1000000);
    char *s = json_dumps(root, JSON_COMPACT);

    json_decref(root);
    return s;
}

static const char good_analysis[] =
    "{\"sentiment\":{\"label\":\"negative\",\"score\":-0.5,"
    "\"by_participant\":{\"customer\":{\"label\":\"negative\",\"score\":-0.5},"
    "\"agent\":null}},\"intent\":{\"name\":\"billing\",\"confidence\":0.9},"
    "\"priority\":\"normal\",\"language\":null,\"escalate\":false,"
    "\"escalation_reason\":null,\"routing\":{\"queue\":\"billing\","
    "\"reason\":\"billing question\"},\"suggested_reply\":\"Mail me at "
    "bob@example.com\",\"alerts\":[],\"summary\":\"should be dropped\","
    "\"action_items\":[\"x\"],\"resolution\":\"resolved\","
    "\"wrapup_code\":\"SALE\",\"categories\":[\"billing\"]}";

static void test_started_is_answered_by_rules(void **state)
{
    struct engine *eng = engine(state, ENGINE_PROVIDER_OPENAI);
    struct contact_event ev = event(CONTACT_STARTED, "e-start", NULL, NULL);
    struct engine_job *job = NULL;
    json_t *r = NULL;

    ev.queue = "billing";
    ev.customer_tier = "vip";
    assert_int_equal(engine_begin(eng, &ev, &meta, &job), ENGINE_RESULT);
    assert_null(engine_job_request(job, NULL));
    r = result_of(job);
    assert_string_equal(path_str(r, "provider", "name"), "rules");
    assert_string_equal(path_str(r, "status", NULL), "completed");
    assert_string_equal(path_str(r, "result_kind", NULL), "turn");
    assert_string_equal(path_str(r, "event_type", NULL), "contact.started");
    assert_string_equal(
        path_str(json_object_get(r, "analysis"), "routing", "queue"), "vip");
    assert_true(json_is_null(
        json_object_get(json_object_get(r, "provider"), "fallback_reason")));
    assert_true(json_is_null(
        json_object_get(json_object_get(r, "usage"), "cost_estimate_usd")));
    assert_string_equal(path_str(r, "tenant_id", NULL), "acme");
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(r, "timing"), "queue_ms")),
                     0);
    json_decref(r);
    engine_job_free(job);
    engine_free(eng);
}

static void test_partial_segment_is_skipped(void **state)
{
    struct engine *eng = engine(state, ENGINE_PROVIDER_OPENAI);
    struct contact_event ev =
        event(TRANSCRIPT_SEGMENT, "e-part", "customer", "I want to canc");
    struct engine_job *job = NULL;
    struct engine_stats st;
    json_t *r = NULL;

    ev.is_partial = true;
    assert_int_equal(engine_begin(eng, &ev, &meta, &job), ENGINE_RESULT);
    r = result_of(job);
    assert_string_equal(path_str(r, "status", NULL), "skipped");
    assert_true(json_is_null(json_object_get(r, "analysis")));
    engine_stats(eng, &st);
    assert_int_equal(st.contexts, 0); /* partials are not context */
    json_decref(r);
    engine_job_free(job);
    engine_free(eng);
}

static void test_provider_rules_and_no_key(void **state)
{
    struct engine *eng = engine(state, ENGINE_PROVIDER_RULES);
    struct contact_event ev =
        event(MESSAGE_RECEIVED, "e-r1", "customer",
              "I was double charged, card " CARD ", please refund");
    struct engine_job *job = NULL;
    struct engine_stats st;
    json_t *r = NULL;

    assert_int_equal(engine_begin(eng, &ev, &meta, &job), ENGINE_RESULT);
    r = result_of(job);
    assert_string_equal(path_str(r, "status", NULL), "completed");
    assert_string_equal(path_str(r, "provider", "name"), "rules");
    assert_string_equal(
        path_str(json_object_get(r, "analysis"), "intent", "name"), "billing");
    assert_true(
        json_is_true(json_object_get(json_object_get(r, "pii"), "redacted")));
    assert_string_equal(
        path_str(json_array_get(
                     json_object_get(json_object_get(r, "pii"), "entities"), 0),
                 "type", NULL),
        "credit_card");
    assert_int_equal(engine_job_pii_count(job), 1);
    engine_stats(eng, &st);
    assert_int_equal(st.contexts, 1);
    json_decref(r);
    engine_job_free(job);
    engine_free(eng);

    eng = engine(state, ENGINE_PROVIDER_NO_KEY);
    assert_int_equal(engine_begin(eng, &ev, &meta, &job), ENGINE_RESULT);
    r = result_of(job);
    assert_string_equal(path_str(r, "status", NULL), "degraded");
    assert_string_equal(path_str(r, "provider", "fallback_reason"), "no_key");
    json_decref(r);
    engine_job_free(job);
    engine_free(eng);
}

static void test_llm_path_complete_and_duplicate(void **state)
{
    struct engine *eng = engine(state, ENGINE_PROVIDER_OPENAI);
    struct contact_event ev = event(MESSAGE_RECEIVED, "e-llm", "customer",
                                    "My card " CARD " was charged twice");
    struct engine_job *job = NULL;
    struct engine_job *dup = NULL;
    struct ccai_error err;
    struct engine_stats st;
    size_t len = 0;
    const char *req = NULL;
    char *body = completion(good_analysis);
    json_t *r = NULL, *a = NULL;
    unsigned pt = 0, ct = 0;

    assert_int_equal(engine_begin(eng, &ev, &meta, &job), ENGINE_CALL_LLM);
    req = engine_job_request(job, &len);
    assert_non_null(req);
    assert_null(strstr(req, CARD));
    assert_non_null(strstr(req, "[CREDIT_CARD]"));
    assert_true(engine_job_estimated_tokens(job) > len / 4);
    assert_null(engine_job_result(job, NULL));
    assert_int_equal(
        engine_job_complete(eng, job, body, strlen(body), 812, 1, &err),
        ENGINE_LLM_OK);
    r = result_of(job);
    a = json_object_get(r, "analysis");
    assert_string_equal(path_str(r, "provider", "name"), "openai");
    assert_string_equal(path_str(r, "provider", "model"),
                        "gpt-4o-mini-2024-07-18");
    assert_string_equal(path_str(r, "provider", "prompt_version"),
                        "2026-11-26.1");
    /* 1M + 1M tokens at 0.15 + 0.60 USD per 1M */
    assert_true(json_real_value(json_object_get(json_object_get(r, "usage"),
                                                "cost_estimate_usd")) > 0.74);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(r, "timing"), "llm_ms")),
                     812);
    /* fields the model does not own on a turn */
    assert_true(json_is_null(json_object_get(a, "summary")));
    assert_true(json_is_null(json_object_get(a, "resolution")));
    assert_true(json_is_null(json_object_get(a, "wrapup_code")));
    assert_string_equal(path_str(a, "language", NULL), "en");
    assert_string_equal(path_str(a, "suggested_reply", NULL),
                        "Mail me at [EMAIL]");
    engine_job_usage(job, &pt, &ct);
    assert_int_equal(pt, 1000000);

    /* the same event again: cached, no LLM call */
    assert_int_equal(engine_begin(eng, &ev, &meta, &dup), ENGINE_DUPLICATE);
    assert_string_equal(engine_job_result(dup, NULL),
                        engine_job_result(job, NULL));
    engine_stats(eng, &st);
    assert_int_equal(st.dedupe_hits, 1);
    assert_int_equal(st.dedupe_size, 1);
    json_decref(r);
    free(body);
    engine_job_free(dup);
    engine_job_free(job);
    engine_free(eng);
}

static void test_llm_failures_then_fallback(void **state)
{
    struct engine *eng = engine(state, ENGINE_PROVIDER_OPENAI);
    struct contact_event ev =
        event(MESSAGE_RECEIVED, "e-bad", "customer", "my internet is down");
    struct engine_job *job = NULL;
    struct ccai_error err;
    char *bad = completion("{\"sentiment\":null}");
    json_t *r = NULL;

    assert_int_equal(engine_begin(eng, &ev, &meta, &job), ENGINE_CALL_LLM);
    assert_int_equal(
        engine_job_complete(eng, job, bad, strlen(bad), 10, 1, &err),
        ENGINE_LLM_SCHEMA);
    assert_int_equal(engine_job_complete(eng, job, "nope", 4, 10, 2, &err),
                     ENGINE_LLM_MALFORMED);
    assert_null(engine_job_result(job, NULL));
    engine_job_fallback(eng, job, "invalid_output", 25, 2);
    r = result_of(job);
    assert_string_equal(path_str(r, "status", NULL), "degraded");
    assert_string_equal(path_str(r, "provider", "name"), "rules");
    assert_string_equal(path_str(r, "provider", "fallback_reason"),
                        "invalid_output");
    assert_int_equal(json_integer_value(json_object_get(r, "attempts")), 2);
    assert_string_equal(
        path_str(json_object_get(r, "analysis"), "intent", "name"),
        "technical_support");
    json_decref(r);
    free(bad);
    engine_job_free(job);
    engine_free(eng);
}

static void
run_rules(struct engine *eng, struct contact_event *ev, json_t **out)
{
    struct engine_job *job = NULL;

    assert_int_equal(engine_begin(eng, ev, &meta, &job), ENGINE_RESULT);
    if (out != NULL)
        *out = result_of(job);
    engine_job_free(job);
}

static void test_context_handover_final_and_drop(void **state)
{
    struct engine *eng = engine(state, ENGINE_PROVIDER_RULES);
    static const char *const lines[][2] = {
        {"customer", "My package never arrived and the tracking is stuck."},
        {"agent", "I am sorry. I will open a ticket with the courier."},
        {"customer", "Thanks. Please also email me at pat@example.com."},
        {"agent", "Done. We will send you an update tomorrow."},
        {"customer", "Great, that helps. All set."},
        {"agent", "Anything else?"},
    };
    struct engine_stats st;
    json_t *r = NULL;
    char id[32];

    for (size_t k = 0; k < 6; k++) {
        struct contact_event ev =
            event(MESSAGE_RECEIVED, NULL, lines[k][0], lines[k][1]);
        snprintf(id, sizeof(id), "e-ctx-%zu", k);
        ev.event_id = id;
        ev.sequence = (long long)k;
        run_rules(eng, &ev, &r);
        assert_int_equal(json_integer_value(json_object_get(
                             json_object_get(r, "context"), "turns_used")),
                         k + 1);
        json_decref(r);
    }
    {
        struct contact_event ev = event(CONTACT_UPDATED, "e-upd", NULL, NULL);
        run_rules(eng, &ev, &r);
        assert_string_equal(path_str(r, "result_kind", NULL), "handover");
        assert_non_null(
            path_str(json_object_get(r, "analysis"), "summary", NULL));
        json_decref(r);
    }
    {
        struct contact_event ev = event(CONTACT_ENDED, "e-end", NULL, NULL);
        const json_t *a = NULL;
        run_rules(eng, &ev, &r);
        a = json_object_get(r, "analysis");
        assert_string_equal(path_str(r, "result_kind", NULL), "final");
        assert_string_equal(path_str(a, "intent", "name"), "shipping");
        assert_string_equal(path_str(a, "resolution", NULL), "resolved");
        assert_string_equal(path_str(a, "wrapup_code", NULL), "ORDER_RESOLVED");
        assert_true(json_array_size(json_object_get(a, "action_items")) >= 1);
        /* 4 recent turns + 2 digest lines */
        assert_int_equal(json_integer_value(json_object_get(
                             json_object_get(r, "context"), "turns_used")),
                         6);
        assert_true(json_is_true(json_object_get(json_object_get(r, "context"),
                                                 "truncated")) == false);
        json_decref(r);
    }
    engine_stats(eng, &st);
    assert_int_equal(st.contexts, 0); /* dropped after contact.ended */
    engine_free(eng);
}

static void test_llm_request_carries_context(void **state)
{
    struct engine *eng = engine(state, ENGINE_PROVIDER_OPENAI);
    struct contact_event ev1 = event(MESSAGE_RECEIVED, "c1", "customer",
                                     "first message with 123-45-6789");
    struct contact_event ev2 =
        event(MESSAGE_RECEIVED, "c2", "customer", "second message");
    struct engine_job *job = NULL;
    char *body = completion(good_analysis);
    struct ccai_error err;
    const char *req = NULL;

    assert_int_equal(engine_begin(eng, &ev1, &meta, &job), ENGINE_CALL_LLM);
    assert_int_equal(
        engine_job_complete(eng, job, body, strlen(body), 5, 1, &err),
        ENGINE_LLM_OK);
    engine_job_free(job);
    assert_int_equal(engine_begin(eng, &ev2, &meta, &job), ENGINE_CALL_LLM);
    req = engine_job_request(job, NULL);
    assert_non_null(strstr(req, "first message with [SSN]"));
    assert_non_null(strstr(req, "second message"));
    assert_null(strstr(req, "123-45-6789"));
    /* abandoned: the turn does not enter the context */
    engine_job_abandon(eng, job);
    assert_null(engine_job_result(job, NULL));
    engine_job_free(job);
    ev2.event_id = "c3";
    ev2.text = "third";
    ev2.text_len = 5;
    assert_int_equal(engine_begin(eng, &ev2, &meta, &job), ENGINE_CALL_LLM);
    req = engine_job_request(job, NULL);
    assert_null(strstr(req, "second message"));
    engine_job_free(job);
    free(body);
    engine_free(eng);
}

static void test_redaction_off_keeps_text(void **state)
{
    struct fixture *fx = *state;
    struct engine_config cfg = {
        .pipeline = fx->p,
        .model = "gpt-4o",
        .provider = ENGINE_PROVIDER_OPENAI,
        .redact_pii = false,
        .max_contacts = 10,
        .dedupe_entries = 0,
    };
    struct ccai_error err;
    struct engine *eng = engine_new(&cfg, &err);
    struct contact_event ev =
        event(MESSAGE_RECEIVED, "e", "customer", "mail a@b.co");
    struct engine_job *job = NULL;

    assert_non_null(eng);
    assert_int_equal(engine_begin(eng, &ev, &meta, &job), ENGINE_CALL_LLM);
    assert_non_null(strstr(engine_job_request(job, NULL), "mail a@b.co"));
    assert_non_null(strstr(engine_job_request(job, NULL), "\"gpt-4o\""));
    assert_int_equal(engine_job_pii_count(job), 0);
    engine_job_free(job);
    engine_free(eng);
    cfg.pipeline = NULL;
    assert_null(engine_new(&cfg, &err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_started_is_answered_by_rules),
        cmocka_unit_test(test_partial_segment_is_skipped),
        cmocka_unit_test(test_provider_rules_and_no_key),
        cmocka_unit_test(test_llm_path_complete_and_duplicate),
        cmocka_unit_test(test_llm_failures_then_fallback),
        cmocka_unit_test(test_context_handover_final_and_drop),
        cmocka_unit_test(test_llm_request_carries_context),
        cmocka_unit_test(test_redaction_off_keeps_text),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
