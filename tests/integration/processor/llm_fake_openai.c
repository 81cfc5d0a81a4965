/* llm_fake_openai - the fake OpenAI server's own contract, over HTTP
 * against the real ccai-fake-openai binary: it rejects what the real API
 * rejects (auth, unknown fields, bad messages, bad json_schema names,
 * non-strict schemas in strict mode, out-of-range numbers) with the API's
 * error shape, and its completions are CreateChatCompletionResponse
 * documents whose content validates against the json_schema sent (checked
 * by a small JSON Schema validator here; the invalid_schema rule proves
 * the validator can fail). Test main thread only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ccai_test.h"

#include "banned.h"

/* the fixture shared by the group: set once in group_setup */
static struct {
    struct ccai_proc *proc;
    char url[160];
    char base[160];
} g_fake;

/* An analysis-shaped strict schema: enums, nullable unions, nested
 * objects, arrays, numeric ranges and a $defs reference. */
static const char schema_text[] =
    "{\"type\":\"object\",\"additionalProperties\":false,"
    "\"required\":[\"sentiment\",\"intent\",\"priority\",\"escalate\","
    "\"alerts\",\"summary\",\"turns\"],"
    "\"properties\":{"
    "\"sentiment\":{\"type\":\"object\",\"additionalProperties\":false,"
    "\"required\":[\"label\",\"score\"],\"properties\":{"
    "\"label\":{\"type\":\"string\",\"enum\":[\"positive\",\"neutral\","
    "\"negative\"]},"
    "\"score\":{\"type\":\"number\",\"minimum\":-1,\"maximum\":1}}},"
    "\"intent\":{\"anyOf\":[{\"$ref\":\"#/$defs/intent\"},{\"type\":"
    "\"null\"}]},"
    "\"priority\":{\"type\":\"string\",\"enum\":[\"low\",\"normal\","
    "\"high\",\"urgent\"]},"
    "\"escalate\":{\"type\":\"boolean\"},"
    "\"alerts\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
    "\"additionalProperties\":false,\"required\":[\"name\",\"severity\"],"
    "\"properties\":{\"name\":{\"type\":\"string\"},\"severity\":{\"type\":"
    "\"string\",\"enum\":[\"info\",\"warning\",\"critical\"]}}}},"
    "\"summary\":{\"type\":[\"string\",\"null\"],\"maxLength\":200},"
    "\"turns\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":50}},"
    "\"$defs\":{\"intent\":{\"type\":\"object\",\"additionalProperties\":"
    "false,\"required\":[\"name\",\"confidence\"],\"properties\":{"
    "\"name\":{\"type\":\"string\",\"enum\":[\"billing\",\"cancel\","
    "\"support\"]},\"confidence\":{\"type\":\"number\",\"minimum\":0,"
    "\"maximum\":1}}}}}";

/* ---- a small JSON Schema validator (the subset strict mode allows) --- */

static bool type_matches(const char *type, json_t *v)
{
    if (strcmp(type, "object") == 0)
        return json_is_object(v);
    if (strcmp(type, "array") == 0)
        return json_is_array(v);
    if (strcmp(type, "string") == 0)
        return json_is_string(v);
    if (strcmp(type, "integer") == 0)
        return json_is_integer(v);
    if (strcmp(type, "number") == 0)
        return json_is_number(v);
    if (strcmp(type, "boolean") == 0)
        return json_is_boolean(v);
    if (strcmp(type, "null") == 0)
        return json_is_null(v);
    return false;
}

static bool validate(json_t *root, json_t *schema, json_t *v, int depth);

static bool validate_object(json_t *root, json_t *schema, json_t *v, int depth)
{
    json_t *props = json_object_get(schema, "properties");
    json_t *req = json_object_get(schema, "required");
    const char *key = NULL;
    json_t *val = NULL;
    size_t i = 0;
    json_t *r = NULL;

    json_array_foreach(req, i, r)
    {
        if (json_object_get(v, json_string_value(r)) == NULL) {
            fprintf(stderr, "missing required '%s'\n", json_string_value(r));
            return false;
        }
    }
    json_object_foreach(v, key, val)
    {
        json_t *sub = json_object_get(props, key);

        if (sub == NULL) {
            if (json_is_false(
                    json_object_get(schema, "additionalProperties"))) {
                fprintf(stderr, "unexpected property '%s'\n", key);
                return false;
            }
            continue;
        }
        if (!validate(root, sub, val, depth + 1))
            return false;
    }
    return true;
}

static bool validate(json_t *root, json_t *schema, json_t *v, int depth)
{
    const char *ref = json_string_value(json_object_get(schema, "$ref"));
    json_t *type = json_object_get(schema, "type");
    json_t *e = NULL;
    size_t i = 0;
    bool ok = false;

    if (depth > 32)
        return false;
    if (ref && strncmp(ref, "#/$defs/", 8) == 0)
        return validate(
            root, json_object_get(json_object_get(root, "$defs"), ref + 8), v,
            depth + 1);
    e = json_object_get(schema, "anyOf");
    if (e != NULL) {
        json_array_foreach(e, i, schema)
        {
            ok = ok || validate(root, schema, v, depth + 1);
        }
        return ok;
    }
    if (json_is_string(type) && !type_matches(json_string_value(type), v))
        return false;
    if (json_is_array(type)) {
        json_array_foreach(type, i, e)
        {
            ok = ok || type_matches(json_string_value(e), v);
        }
        if (!ok)
            return false;
    }
    e = json_object_get(schema, "enum");
    if (e != NULL) {
        ok = false;
        json_array_foreach(e, i, type)
        {
            ok = ok || json_equal(type, v);
        }
        if (!ok)
            return false;
    }
    if (json_is_number(v)) {
        json_t *lo = json_object_get(schema, "minimum");
        json_t *hi = json_object_get(schema, "maximum");

        if (lo && json_number_value(v) < json_number_value(lo))
            return false;
        if (hi && json_number_value(v) > json_number_value(hi))
            return false;
    }
    if (json_is_string(v) && json_object_get(schema, "maxLength") &&
        (json_int_t)json_string_length(v) >
            json_integer_value(json_object_get(schema, "maxLength")))
        return false;
    if (json_is_array(v)) {
        json_array_foreach(v, i, e)
        {
            if (!validate(root, json_object_get(schema, "items"), e, depth + 1))
                return false;
        }
    }
    if (json_is_object(v))
        return validate_object(root, schema, v, depth);
    return true;
}

/* ---- HTTP helpers -------------------------------------------------------- */

static char *chat_request(const char *schema, bool strict, const char *extra)
{
    char *text = NULL;
    size_t n = strlen(schema) + (extra ? strlen(extra) : 0) + 512;

    text = malloc(n);
    assert_non_null(text);
    snprintf(text, n,
             "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":"
             "\"developer\",\"content\":\"Analyse the turn.\"},{\"role\":"
             "\"user\",\"content\":[{\"type\":\"text\",\"text\":\"My bill "
             "is wrong\"}]}],\"temperature\":0.2,\"max_completion_tokens\":"
             "400,\"response_format\":{\"type\":\"json_schema\","
             "\"json_schema\":{\"name\":\"turn_analysis\",\"strict\":%s,"
             "\"schema\":%s}}%s}",
             strict ? "true" : "false", schema, extra ? extra : "");
    return text;
}

static long
post_chat(const char *body, const char *auth, struct ccai_http_resp *resp)
{
    char url[256];
    char hdr[128];
    const char *hdrs[3] = {"Content-Type: application/json", NULL, NULL};

    if (auth) {
        snprintf(hdr, sizeof(hdr), "Authorization: %s", auth);
        hdrs[1] = hdr;
    }
    snprintf(url, sizeof(url), "%s/chat/completions", g_fake.url);
    memset(resp, 0, sizeof(*resp));
    assert_int_equal(
        ccai_http_request("POST", url, hdrs, body, strlen(body), resp), 0);
    return resp->status;
}

/* POST @body with a key; expect a 400 invalid_request_error whose message
 * contains @needle. */
static void expect_400(const char *body, const char *needle)
{
    struct ccai_http_resp resp;
    json_t *root = NULL;
    json_t *err = NULL;
    const char *msg = NULL;

    assert_int_equal(post_chat(body, "Bearer sk-test", &resp), 400);
    root = ccai_http_resp_json(&resp);
    err = json_object_get(root, "error");
    assert_true(json_is_object(err));
    assert_string_equal(json_string_value(json_object_get(err, "type")),
                        "invalid_request_error");
    /* the API's error object always has these four members */
    assert_non_null(json_object_get(err, "param"));
    assert_non_null(json_object_get(err, "code"));
    msg = json_string_value(json_object_get(err, "message"));
    assert_non_null(msg);
    if (strstr(msg, needle) == NULL)
        fprintf(stderr, "message '%s' lacks '%s'\n", msg, needle);
    assert_non_null(strstr(msg, needle));
    json_decref(root);
    ccai_http_resp_release(&resp);
}

static void control(const char *path, const char *json)
{
    char url[256];
    struct ccai_http_resp resp;

    snprintf(url, sizeof(url), "%s%s", g_fake.base, path);
    memset(&resp, 0, sizeof(resp));
    assert_int_equal(
        ccai_http_request("POST", url, NULL, json, strlen(json), &resp), 0);
    assert_int_equal(resp.status, 200);
    ccai_http_resp_release(&resp);
}

/* The completion's message content parsed as JSON (new reference). */
static json_t *completion_content(const struct ccai_http_resp *resp,
                                  const char **finish_reason)
{
    json_t *root = ccai_http_resp_json(resp);
    json_t *choice = json_array_get(json_object_get(root, "choices"), 0);
    json_t *msg = json_object_get(choice, "message");
    const char *content = json_string_value(json_object_get(msg, "content"));
    json_t *doc = NULL;

    assert_non_null(root);
    assert_string_equal(json_string_value(json_object_get(root, "object")),
                        "chat.completion");
    assert_true(json_is_string(json_object_get(root, "id")));
    assert_true(json_is_integer(json_object_get(root, "created")));
    assert_string_equal(json_string_value(json_object_get(root, "model")),
                        "gpt-4o-mini");
    assert_int_equal(json_integer_value(json_object_get(choice, "index")), 0);
    assert_true(json_is_null(json_object_get(choice, "logprobs")));
    assert_string_equal(json_string_value(json_object_get(msg, "role")),
                        "assistant");
    assert_non_null(json_object_get(msg, "refusal"));
    assert_true(json_is_integer(
        json_object_get(json_object_get(root, "usage"), "total_tokens")));
    if (finish_reason) {
        *finish_reason = NULL;
        if (json_is_string(json_object_get(choice, "finish_reason")))
            *finish_reason = strdup(
                json_string_value(json_object_get(choice, "finish_reason")));
    }
    if (content)
        doc = json_loads(content, 0, NULL);
    json_decref(root);
    return doc;
}

/* ---- fixture ------------------------------------------------------------- */

static int group_setup(void **state)
{
    const char *dir = ccai_test_tmpdir();
    char path[512];
    const char *args[] = {"--port", "0", "--ready-file", path, NULL};
    int64_t deadline = 0;

    (void)state;
    if (dir == NULL)
        return -1;
    snprintf(path, sizeof(path), "%s/fake-openai-self.ready", dir);
    g_fake.proc = ccai_proc_start("ccai-fake-openai", args, NULL);
    if (g_fake.proc == NULL)
        return -1;
    deadline = ccai_test_now_ms() + 20000;
    while (g_fake.url[0] == '\0' && ccai_test_now_ms() < deadline) {
        FILE *fp = fopen(path, "r");
        char line[256];

        while (fp && fgets(line, sizeof(line), fp)) {
            line[strcspn(line, "\r\n")] = '\0';
            if (strncmp(line, "url=", 4) == 0)
                snprintf(g_fake.url, sizeof(g_fake.url), "%s", line + 4);
        }
        if (fp)
            fclose(fp);
        else
            ccai_test_sleep_ms(20);
    }
    if (g_fake.url[0] == '\0')
        return -1;
    snprintf(g_fake.base, sizeof(g_fake.base), "%.*s",
             (int)(strlen(g_fake.url) - 3), g_fake.url);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    assert_int_equal(ccai_proc_stop(g_fake.proc, 10000), 0);
    ccai_proc_free(g_fake.proc);
    return 0;
}

static int test_setup(void **state)
{
    (void)state;
    control("/_control/reset", "{}");
    return 0;
}

/* ---- tests ------------------------------------------------------------ */

static void test_completion_content_validates_against_the_schema(void **s)
{
    json_t *schema = json_loads(schema_text, 0, NULL);
    char *body = chat_request(schema_text, true, NULL);
    struct ccai_http_resp resp;
    json_t *doc = NULL;
    const char *finish = NULL;

    (void)s;
    assert_non_null(schema);
    assert_int_equal(post_chat(body, "Bearer sk-test", &resp), 200);
    assert_non_null(
        ccai_http_resp_header(&resp, "x-ratelimit-remaining-requests"));
    assert_non_null(ccai_http_resp_header(&resp, "x-ratelimit-reset-tokens"));
    doc = completion_content(&resp, &finish);
    assert_non_null(doc);
    assert_string_equal(finish, "stop");
    assert_true(validate(schema, schema, doc, 0));
    free((void *)finish);
    json_decref(doc);
    ccai_http_resp_release(&resp);
    free(body);
    json_decref(schema);
}

static void test_invalid_schema_rule_fails_validation(void **s)
{
    json_t *schema = json_loads(schema_text, 0, NULL);
    char *body = chat_request(schema_text, true, NULL);
    struct ccai_http_resp resp;
    json_t *doc = NULL;

    (void)s;
    control("/_control/script",
            "{\"rules\":[{\"times\":1,\"invalid_schema\":true}]}");
    assert_int_equal(post_chat(body, "Bearer sk-test", &resp), 200);
    doc = completion_content(&resp, NULL);
    assert_non_null(doc);
    assert_false(validate(schema, schema, doc, 0));
    json_decref(doc);
    ccai_http_resp_release(&resp);
    free(body);
    json_decref(schema);
}

static void test_truncated_and_refusal_rules(void **s)
{
    char *body = chat_request(schema_text, true, NULL);
    struct ccai_http_resp resp;
    json_t *doc = NULL;
    const char *finish = NULL;
    json_t *root = NULL;

    (void)s;
    control("/_control/script",
            "{\"rules\":[{\"times\":1,\"truncated\":true},{\"times\":1,"
            "\"refusal\":\"I can't help with that\"},{\"times\":1,"
            "\"malformed\":true}]}");
    assert_int_equal(post_chat(body, "Bearer sk-test", &resp), 200);
    doc = completion_content(&resp, &finish);
    assert_null(doc); /* cut in the middle: not JSON */
    assert_string_equal(finish, "length");
    free((void *)finish);
    ccai_http_resp_release(&resp);

    assert_int_equal(post_chat(body, "Bearer sk-test", &resp), 200);
    root = ccai_http_resp_json(&resp);
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_array_get(json_object_get(root, "choices"), 0),
                            "message"),
            "refusal")),
        "I can't help with that");
    json_decref(root);
    ccai_http_resp_release(&resp);

    assert_int_equal(post_chat(body, "Bearer sk-test", &resp), 200);
    assert_null(ccai_http_resp_json(&resp));
    ccai_http_resp_release(&resp);
    free(body);
}

static void test_requires_a_bearer_key(void **s)
{
    char *body = chat_request(schema_text, true, NULL);
    struct ccai_http_resp resp;

    (void)s;
    assert_int_equal(post_chat(body, NULL, &resp), 401);
    ccai_http_resp_release(&resp);
    assert_int_equal(post_chat(body, "Basic abc", &resp), 401);
    ccai_http_resp_release(&resp);
    assert_int_equal(post_chat(body, "Bearer ", &resp), 401);
    ccai_http_resp_release(&resp);
    free(body);
}

static void test_rejects_what_the_api_rejects(void **s)
{
    char *body = NULL;
    static const char no_props_closed[] =
        "{\"type\":\"object\",\"required\":[\"a\"],\"properties\":{\"a\":"
        "{\"type\":\"string\"}}}";
    static const char missing_required[] =
        "{\"type\":\"object\",\"additionalProperties\":false,\"required\":"
        "[],\"properties\":{\"a\":{\"type\":\"string\"}}}";

    (void)s;
    expect_400("not json", "could not parse the JSON body");
    expect_400("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
               "model");
    expect_400("{\"model\":\"m\"}", "'messages'");
    expect_400("{\"model\":\"m\",\"messages\":[]}", "empty array");
    expect_400("{\"model\":\"m\",\"messages\":[{\"role\":\"robot\","
               "\"content\":\"x\"}]}",
               "robot");
    expect_400("{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
               "\"content\":42}]}",
               "content");
    body = chat_request(schema_text, true, ",\"temprature\":1");
    expect_400(body, "Unrecognized request argument supplied: temprature");
    free(body);
    body = chat_request(schema_text, true, ",\"top_p\":3");
    expect_400(body, "top_p");
    free(body);
    expect_400("{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
               "\"content\":\"x\"}],\"temperature\":2.5}",
               "temperature");
    expect_400("{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
               "\"content\":\"x\"}],\"max_tokens\":\"10\"}",
               "max_tokens");
    expect_400("{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
               "\"content\":\"x\"}],\"response_format\":{\"type\":"
               "\"json_schema\",\"json_schema\":{\"name\":\"bad name!\","
               "\"schema\":{\"type\":\"object\"}}}}",
               "pattern");
    body = chat_request(no_props_closed, true, NULL);
    expect_400(body, "'additionalProperties' is required");
    free(body);
    body = chat_request(missing_required, true, NULL);
    expect_400(body, "Missing 'a'");
    free(body);
    /* the same schemas are fine when strict is off */
    {
        struct ccai_http_resp resp;

        body = chat_request(no_props_closed, false, NULL);
        assert_int_equal(post_chat(body, "Bearer sk-test", &resp), 200);
        ccai_http_resp_release(&resp);
        free(body);
    }
}

static void test_stats_count_by_status(void **s)
{
    char *body = chat_request(schema_text, true, NULL);
    struct ccai_http_resp resp;
    char url[256];
    json_t *root = NULL;
    json_t *by = NULL;

    (void)s;
    control("/_control/script",
            "{\"rules\":[{\"times\":1,\"status\":500},{\"times\":1,"
            "\"status\":429,\"retry_after_ms\":250}]}");
    assert_int_equal(post_chat(body, "Bearer sk-test", &resp), 500);
    ccai_http_resp_release(&resp);
    assert_int_equal(post_chat(body, "Bearer sk-test", &resp), 429);
    assert_string_equal(ccai_http_resp_header(&resp, "retry-after-ms"), "250");
    ccai_http_resp_release(&resp);
    assert_int_equal(post_chat(body, "Bearer sk-test", &resp), 200);
    ccai_http_resp_release(&resp);
    snprintf(url, sizeof(url), "%s/_control/stats", g_fake.base);
    memset(&resp, 0, sizeof(resp));
    assert_int_equal(ccai_http_request("GET", url, NULL, NULL, 0, &resp), 0);
    root = ccai_http_resp_json(&resp);
    assert_int_equal(json_integer_value(json_object_get(root, "requests")), 3);
    by = json_object_get(root, "by_status");
    assert_int_equal(json_integer_value(json_object_get(by, "500")), 1);
    assert_int_equal(json_integer_value(json_object_get(by, "429")), 1);
    assert_int_equal(json_integer_value(json_object_get(by, "200")), 1);
    json_decref(root);
    ccai_http_resp_release(&resp);
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(
            test_completion_content_validates_against_the_schema, test_setup),
        cmocka_unit_test_setup(test_invalid_schema_rule_fails_validation,
                               test_setup),
        cmocka_unit_test_setup(test_truncated_and_refusal_rules, test_setup),
        cmocka_unit_test_setup(test_requires_a_bearer_key, test_setup),
        cmocka_unit_test_setup(test_rejects_what_the_api_rejects, test_setup),
        cmocka_unit_test_setup(test_stats_count_by_status, test_setup),
    };

    return ccai_test_finish(
        cmocka_run_group_tests(tests, group_setup, group_teardown));
}
