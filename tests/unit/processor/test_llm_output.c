/* test_llm_output - chat completion answers: a valid analysis, refusal,
 * truncation, malformed bodies and every kind of schema violation, plus
 * usage and the redaction of model-written text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "llm_output.h"

#include "banned.h"

static const char valid_analysis[] =
    "{\"sentiment\":{\"label\":\"negative\",\"score\":-0.7,"
    "\"by_participant\":{\"customer\":{\"label\":\"negative\",\"score\":-0.8},"
    "\"agent\":null}},"
    "\"intent\":{\"name\":\"cancel_service\",\"confidence\":0.86},"
    "\"priority\":\"high\",\"language\":\"en\",\"escalate\":true,"
    "\"escalation_reason\":\"customer threatens to leave\","
    "\"routing\":{\"queue\":\"retention\",\"reason\":\"churn\"},"
    "\"suggested_reply\":\"I understand, let me help.\","
    "\"alerts\":[{\"name\":\"churn_risk\",\"severity\":\"warning\","
    "\"reason\":\"mentions a competitor\"}],"
    "\"summary\":null,\"action_items\":[],\"resolution\":null,"
    "\"wrapup_code\":null,\"categories\":[\"billing\"]}";

static int setup(void **state)
{
    struct ccai_error err;

    *state = pipeline_load(NULL, &err);
    return *state != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    pipeline_free(*state);
    return 0;
}

/* a chat completion around @content (a JSON string value, or NULL) */
static char *
completion(const char *content, const char *finish, const char *refusal)
{
    json_t *root = json_pack(
        "{s:s, s:s, s:s, s:[{s:i, s:{s:s, s:o, s:o}, s:s}], "
        "s:{s:i, s:i, s:i}}",
        "id", "chatcmpl-1", "object", "chat.completion", "model",
        "gpt-4o-mini-2024-07-18", "choices", "index", 0, "message", "role",
        "assistant", "content",
        content != NULL ? json_string(content) : json_null(), "refusal",
        refusal != NULL ? json_string(refusal) : json_null(), "finish_reason",
        finish, "usage", "prompt_tokens", 412, "completion_tokens", 96,
        "total_tokens", 508);
    char *s = json_dumps(root, JSON_COMPACT);

    json_decref(root);
    assert_non_null(s);
    return s;
}

static enum llm_output_status parse(void **state,
                                    const char *body,
                                    struct llm_output *out,
                                    struct ccai_error *err)
{
    ccai_error_clear(err);
    return llm_output_parse(*state, body, strlen(body), out, err);
}

static void test_valid_answer(void **state)
{
    char *body = completion(valid_analysis, "stop", NULL);
    struct llm_output out;
    struct ccai_error err;

    assert_int_equal(parse(state, body, &out, &err), LLM_OUTPUT_OK);
    assert_non_null(out.analysis);
    assert_int_equal(out.prompt_tokens, 412);
    assert_int_equal(out.completion_tokens, 96);
    assert_string_equal(out.model, "gpt-4o-mini-2024-07-18");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(out.analysis, "intent"), "name")),
                        "cancel_service");
    llm_output_release(&out);
    free(body);
}

static void test_refusal_and_truncation(void **state)
{
    char *body = completion(NULL, "stop", "I can't help with that.");
    struct llm_output out;
    struct ccai_error err;

    assert_int_equal(parse(state, body, &out, &err), LLM_OUTPUT_REFUSAL);
    assert_null(out.analysis);
    assert_int_equal(out.prompt_tokens, 412); /* usage still counted */
    free(body);
    body = completion("{\"sentiment\":", "length", NULL);
    assert_int_equal(parse(state, body, &out, &err), LLM_OUTPUT_TRUNCATED);
    free(body);
    body = completion(valid_analysis, "content_filter", NULL);
    assert_int_equal(parse(state, body, &out, &err), LLM_OUTPUT_TRUNCATED);
    free(body);
}

static void test_malformed_bodies(void **state)
{
    static const char *const bodies[] = {
        "",
        "not json",
        "[]",
        "{}",
        "{\"choices\":[]}",
        "{\"choices\":[{\"message\":\"x\"}]}",
        "{\"choices\":[{\"message\":{\"content\":null}}]}",
        "{\"choices\":[{\"message\":{\"content\":42}}]}",
    };
    struct llm_output out;
    struct ccai_error err;

    for (size_t k = 0; k < sizeof(bodies) / sizeof(bodies[0]); k++)
        assert_int_equal(parse(state, bodies[k], &out, &err),
                         LLM_OUTPUT_MALFORMED);
}

/* replace one member of the valid analysis with @json and expect a schema
 * violation at @pointer */
static void
violation(void **state, const char *key, const char *json, const char *pointer)
{
    json_t *a = json_loads(valid_analysis, 0, NULL);
    json_t *v = json != NULL ? json_loads(json, JSON_DECODE_ANY, NULL) : NULL;
    char *content = NULL;
    char *body = NULL;
    struct llm_output out;
    struct ccai_error err;

    assert_non_null(a);
    if (v != NULL)
        json_object_set_new(a, key, v);
    else
        json_object_del(a, key);
    content = json_dumps(a, JSON_COMPACT);
    body = completion(content, "stop", NULL);
    if (parse(state, body, &out, &err) != LLM_OUTPUT_SCHEMA ||
        strcmp(err.field, pointer) != 0)
        print_error("%s=%s: want %s, got '%s' (%s)\n", key, json ? json : "-",
                    pointer, err.field, err.message);
    assert_int_equal(llm_output_parse(*state, body, strlen(body), &out, &err),
                     LLM_OUTPUT_SCHEMA);
    assert_string_equal(err.field, pointer);
    assert_null(out.analysis);
    free(body);
    free(content);
    json_decref(a);
}

static void test_schema_violations(void **state)
{
    violation(state, "intent", "{\"name\":\"made_up\",\"confidence\":0.5}",
              "/intent/name");
    violation(state, "intent", "{\"name\":\"billing\",\"confidence\":1.5}",
              "/intent/confidence");
    violation(state, "sentiment",
              "{\"label\":\"angry\",\"score\":0,\"by_participant\":"
              "{\"customer\":null,\"agent\":null}}",
              "/sentiment/label");
    violation(state, "sentiment",
              "{\"label\":\"negative\",\"score\":-1.2,\"by_participant\":"
              "{\"customer\":null,\"agent\":null}}",
              "/sentiment/score");
    violation(state, "sentiment",
              "{\"label\":\"negative\",\"score\":-0.2,\"by_participant\":"
              "{\"customer\":{\"label\":\"neutral\",\"score\":\"0\"},"
              "\"agent\":null}}",
              "/sentiment/by_participant/customer/score");
    violation(state, "routing", "{\"queue\":\"mars\",\"reason\":null}",
              "/routing/queue");
    violation(state, "priority", "\"asap\"", "/priority");
    violation(state, "wrapup_code", "\"NOT_A_CODE\"", "/wrapup_code");
    violation(state, "resolution", "\"maybe\"", "/resolution");
    violation(state, "categories", "[\"astrology\"]", "/categories/0");
    violation(state, "alerts",
              "[{\"name\":\"x\",\"severity\":\"panic\",\"reason\":null}]",
              "/alerts/0/severity");
    violation(state, "escalate", "\"yes\"", "/escalate");
    violation(state, "summary", "42", "/summary");
    violation(state, "summary", NULL, "/summary");
    violation(state, "extra_field", "1", "/extra_field");
}

static void test_content_not_json_is_schema_failure(void **state)
{
    char *body = completion("Sure! Here is the analysis: ...", "stop", NULL);
    struct llm_output out;
    struct ccai_error err;

    assert_int_equal(parse(state, body, &out, &err), LLM_OUTPUT_SCHEMA);
    free(body);
    body = completion("[1,2]", "stop", NULL);
    assert_int_equal(parse(state, body, &out, &err), LLM_OUTPUT_SCHEMA);
    free(body);
}

static void test_model_text_is_redacted(void **state)
{
    json_t *a = json_loads(valid_analysis, 0, NULL);

    (void)state;
    json_object_set_new(a, "suggested_reply",
                        json_string("We will email jane@example.com"));
    json_object_set_new(a, "action_items",
                        json_pack("[s]", "call 415-555-2671 back"));
    assert_int_equal(llm_output_redact(a), 0);
    assert_string_equal(
        json_string_value(json_object_get(a, "suggested_reply")),
        "We will email [EMAIL]");
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(a, "action_items"), 0)),
                        "call [PHONE] back");
    json_decref(a);
    assert_string_equal(llm_output_status_name(LLM_OUTPUT_REFUSAL), "refusal");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_answer),
        cmocka_unit_test(test_refusal_and_truncation),
        cmocka_unit_test(test_malformed_bodies),
        cmocka_unit_test(test_schema_violations),
        cmocka_unit_test(test_content_not_json_is_schema_failure),
        cmocka_unit_test(test_model_text_is_redacted),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
