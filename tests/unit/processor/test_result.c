/* test_result - AnalysisResult v1 rendering: every top-level field in
 * contract order, nulls where nothing is known, pii entities only for
 * kinds seen, usage and cost, timing from the received time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "result.h"

#include "banned.h"

static const char *const keys[] = {
    "schema_version", "event_id", "contact_id", "tenant_id", "event_type",
    "result_kind",    "status",   "analysis",   "context",   "pii",
    "provider",       "usage",    "timing",     "attempts",  "trace"};

static json_t *render(const struct result_info *ri)
{
    size_t len = 0;
    char *s = result_to_json(ri, &len);
    json_t *root = NULL;

    assert_non_null(s);
    assert_int_equal(strlen(s), len);
    root = json_loads(s, JSON_REJECT_DUPLICATES, NULL);
    assert_non_null(root);
    free(s);
    return root;
}

static void test_fields_in_contract_order(void **state)
{
    struct redact_counts pii = {{0}};
    json_t *analysis = json_pack("{s:b}", "escalate", 0);
    struct result_info ri = {
        .event_id = "e1",
        .contact_id = "c1",
        .event_type = "message.received",
        .result_kind = "turn",
        .status = "completed",
        .analysis = analysis,
        .turns_used = 3,
        .pii = &pii,
        .provider = "openai",
        .model = "gpt-4o-mini",
        .prompt_version = "v1",
        .has_usage = true,
        .prompt_tokens = 412,
        .completion_tokens = 96,
        .cost_usd = result_cost_usd(412, 96, 0.15, 0.60),
        .received_at = "2026-11-26T10:00:00.000Z",
        .received_ms = result_parse_time_ms("2026-11-26T10:00:00.000Z"),
        .llm_ms = 812,
        .attempts = 1,
    };
    json_t *r = NULL;
    const char *key = NULL;
    json_t *val = NULL;
    size_t k = 0;

    (void)state;
    pii.n[REDACT_EMAIL] = 2;
    ri.started_ms = ri.received_ms + 4;
    ri.processed_ms = ri.received_ms + 820;
    r = render(&ri);
    json_object_foreach(r, key, val)
    {
        assert_true(k < 15);
        assert_string_equal(key, keys[k]);
        k++;
    }
    assert_int_equal(k, 15);
    assert_true(json_is_null(json_object_get(r, "tenant_id")));
    assert_true(json_is_null(json_object_get(r, "trace")));
    assert_int_equal(
        json_array_size(json_object_get(json_object_get(r, "pii"), "entities")),
        1);
    assert_true(
        json_is_true(json_object_get(json_object_get(r, "pii"), "redacted")));
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(r, "usage"), "total_tokens")),
                     508);
    /* 412 * 0.15 / 1e6 + 96 * 0.60 / 1e6 */
    assert_true(json_real_value(json_object_get(json_object_get(r, "usage"),
                                                "cost_estimate_usd")) >
                0.00011936 - 1e-9);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(r, "timing"), "queue_ms")),
                     4);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(r, "timing"), "total_ms")),
                     820);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(r, "timing"), "processed_at")),
                        "2026-11-26T10:00:00.820Z");
    json_decref(r);
    json_decref(analysis);
}

static void test_rules_result_has_null_cost_and_timing(void **state)
{
    struct result_info ri = {
        .event_id = "e2",
        .contact_id = "c2",
        .tenant_id = "t",
        .event_type = "transcript.segment",
        .result_kind = "turn",
        .status = "skipped",
        .provider = "rules",
        .received_ms = -1,
        .started_ms = 1000,
        .processed_ms = 1000,
        .llm_ms = -1,
        .trace = "00-x",
    };
    json_t *r = render(&ri);
    const json_t *timing = json_object_get(r, "timing");

    (void)state;
    assert_true(json_is_null(json_object_get(r, "analysis")));
    assert_true(
        json_is_false(json_object_get(json_object_get(r, "pii"), "redacted")));
    assert_true(json_is_null(
        json_object_get(json_object_get(r, "usage"), "cost_estimate_usd")));
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(r, "usage"), "prompt_tokens")),
                     0);
    assert_true(json_is_null(json_object_get(timing, "received_at")));
    assert_true(json_is_null(json_object_get(timing, "queue_ms")));
    assert_true(json_is_null(json_object_get(timing, "llm_ms")));
    assert_true(
        json_is_null(json_object_get(json_object_get(r, "provider"), "model")));
    json_decref(r);
}

static void test_analysis_members_in_contract_order(void **state)
{
    json_t *analysis =
        json_pack("{s:[], s:n, s:b, s:s, s:n}", "categories", "summary",
                  "escalate", 0, "priority", "low", "sentiment");
    struct result_info ri = {
        .event_id = "e3",
        .contact_id = "c3",
        .event_type = "message.received",
        .result_kind = "turn",
        .status = "completed",
        .analysis = analysis,
        .provider = "rules",
        .received_ms = -1,
        .llm_ms = -1,
    };
    static const char *const want[] = {"sentiment", "priority", "escalate",
                                       "summary", "categories"};
    json_t *r = NULL;
    const char *key = NULL;
    json_t *val = NULL;
    size_t k = 0;

    (void)state;
    r = render(&ri);
    json_object_foreach(json_object_get(r, "analysis"), key, val)
    {
        assert_true(k < 5);
        assert_string_equal(key, want[k]);
        k++;
    }
    assert_int_equal(k, 5);
    json_decref(r);
    json_decref(analysis);
}

static void test_parse_time(void **state)
{
    (void)state;
    assert_true(result_parse_time_ms("1970-01-01T00:00:00Z") == 0);
    assert_true(result_parse_time_ms("1970-01-01T00:00:01.5Z") == 1500);
    assert_true(result_parse_time_ms("1970-01-01T01:00:00+01:00") == 0);
    assert_true(result_parse_time_ms("2026-11-26T10:00:00.123456Z") ==
                result_parse_time_ms("2026-11-26T10:00:00Z") + 123);
    assert_true(result_parse_time_ms("2026-13-01T00:00:00Z") == -1);
    assert_true(result_parse_time_ms("2026-11-26 10:00") == -1);
    assert_true(result_parse_time_ms("2026-11-26T10:00:00") == -1);
    assert_true(result_parse_time_ms(NULL) == -1);
    assert_true(result_cost_usd(0, 0, 1, 1) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields_in_contract_order),
        cmocka_unit_test(test_rules_result_has_null_cost_and_timing),
        cmocka_unit_test(test_analysis_members_in_contract_order),
        cmocka_unit_test(test_parse_time),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
