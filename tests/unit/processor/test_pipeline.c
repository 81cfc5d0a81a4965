/* test_pipeline - the pipeline config: the shipped default loads, sections
 * of PIPELINE_CONFIG replace the default's, the lexicon extends the
 * built-in one, and every invalid field is reported with its JSON
 * pointer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline.h"

#include "banned.h"

static struct pipeline *load(const char *text, struct ccai_error *err)
{
    ccai_error_clear(err);
    return pipeline_load_text(text, strlen(text), err);
}

static void expect_error(const char *text, const char *pointer)
{
    struct ccai_error err;
    struct pipeline *p = load(text, &err);

    if (p != NULL || strcmp(err.field, pointer) != 0)
        print_error("config %s\nwant pointer %s, got '%s' (%s)\n", text,
                    pointer, err.field, err.message);
    assert_null(p);
    assert_int_equal(err.status, CCAI_E_CONFIG);
    assert_string_equal(err.field, pointer);
}

static void test_default_loads_with_taxonomy(void **state)
{
    struct ccai_error err;
    struct pipeline *p = pipeline_load(NULL, &err);
    const struct pipeline_spec *sp = NULL;
    double pp = 0, cp = 0;

    (void)state;
    assert_non_null(p);
    sp = pipeline_spec(p);
    assert_string_equal(pipeline_prompt_version(p), "2026-11-26.1");
    assert_true(sp->n_intents >= 8);
    assert_non_null(pipeline_find_intent(p, "billing"));
    assert_non_null(pipeline_find_intent(p, "cancel_service"));
    assert_non_null(pipeline_find_intent(p, "general_inquiry"));
    assert_non_null(pipeline_find_queue(p, "retention"));
    assert_null(pipeline_find_queue(p, "nope"));
    assert_true(sp->n_wrapups > 0);
    assert_true(sp->positive.n > 20 && sp->negative.n > 20);
    assert_true(sp->negators.n > 5);
    assert_int_equal(sp->negation_window, 3);
    assert_true(sp->max_tokens_final >= sp->max_tokens_turn);
    pipeline_price(p, "gpt-4o-mini", &pp, &cp);
    assert_true(pp > 0.14 && pp < 0.16 && cp > 0.59 && cp < 0.61);
    pipeline_price(p, "gpt-4o", &pp, &cp);
    assert_true(pp > 2.4 && cp > 9.9);
    /* a dated snapshot takes its family's price */
    pipeline_price(p, "gpt-4o-mini-2024-07-18", &pp, &cp);
    assert_true(pp > 0.14 && pp < 0.16);
    pipeline_price(p, "unknown-model", &pp, &cp);
    assert_true(pp == 0 && cp == 0);
    assert_non_null(pipeline_json(p));
    pipeline_free(p);
}

static void test_sections_replace_and_lexicon_extends(void **state)
{
    struct ccai_error err;
    struct pipeline *p =
        load("{\"prompt_version\":\"x.1\","
             "\"sentiment\":{\"positive\":{\"Stellar\":2.0}},"
             "\"model\":{\"temperature\":0,"
             "\"max_tokens\":{\"turn\":100,\"handover\":200,\"final\":300}}}",
             &err);
    const struct pipeline_spec *sp = NULL;
    bool found = false, good = false;

    (void)state;
    assert_non_null(p);
    sp = pipeline_spec(p);
    assert_string_equal(pipeline_prompt_version(p), "x.1");
    assert_int_equal(sp->max_tokens_turn, 100);
    for (size_t k = 0; k < sp->positive.n; k++) {
        if (strcmp(sp->positive.v[k].word, "stellar") == 0)
            found = true; /* lowercased */
        if (strcmp(sp->positive.v[k].word, "good") == 0)
            good = true; /* built-in kept */
        if (k > 0)
            assert_true(
                strcmp(sp->positive.v[k - 1].word, sp->positive.v[k].word) < 0);
    }
    assert_true(found && good);
    pipeline_free(p);

    p = load(
        "{\"sentiment\":{\"extend_builtin\":false,\"positive\":{\"yay\":1},"
        "\"negative\":{\"boo\":1},\"intensifiers\":{},\"negators\":[]}}",
        &err);
    assert_non_null(p);
    sp = pipeline_spec(p);
    assert_int_equal(sp->positive.n, 1);
    assert_int_equal(sp->negators.n, 0);
    pipeline_free(p);
}

static void test_invalid_fields_name_their_pointer(void **state)
{
    (void)state;
    expect_error("{\"intentz\":[]}", "/intentz");
    expect_error("{\"version\":2}", "/version");
    expect_error("{\"prompt_version\":\"\"}", "/prompt_version");
    expect_error("{\"queues\":[]}", "/queues");
    expect_error("{\"intents\":[{\"name\":\"a\",\"description\":\"d\","
                 "\"keywords\":[],\"queue\":\"nowhere\"}]}",
                 "/intents/0/queue");
    expect_error("{\"intents\":[{\"name\":\"Bad Name\",\"description\":\"d\","
                 "\"keywords\":[]}]}",
                 "/intents/0/name");
    expect_error("{\"model\":{\"temperature\":3,\"max_tokens\":{\"turn\":1,"
                 "\"handover\":1,\"final\":1}}}",
                 "/model/temperature");
    expect_error("{\"model\":{\"temperature\":1,\"max_tokens\":{\"turn\":1,"
                 "\"handover\":100,\"final\":100}}}",
                 "/model/max_tokens/turn");
    expect_error("{\"default_priority\":\"asap\"}", "/default_priority");
    expect_error("{\"routing_rules\":[{\"when\":{\"tier\":\"vip\"},"
                 "\"queue\":\"vip\"}]}",
                 "/routing_rules/0/when/tier");
    expect_error("{\"priority_rules\":[{\"when\":{\"intent\":\"nope\"},"
                 "\"priority\":\"high\"}]}",
                 "/priority_rules/0/when/intent");
    expect_error("{\"alerts\":[{\"name\":\"x\",\"severity\":\"loud\","
                 "\"reason\":\"r\",\"keywords\":[\"a\"]}]}",
                 "/alerts/0/severity");
    expect_error("{\"alerts\":[{\"name\":\"x\",\"severity\":\"info\","
                 "\"reason\":\"r\"}]}",
                 "/alerts/0");
    expect_error("{\"wrapup_codes\":[{\"code\":\"A\",\"description\":\"d\"},"
                 "{\"code\":\"A\",\"description\":\"d\"}]}",
                 "/wrapup_codes/1/code");
    expect_error("{\"sentiment\":{\"positive\":{\"two words\":1}}}",
                 "/sentiment/positive/two words");
    expect_error("{\"sentiment\":{\"negative\":{\"bad\":-1}}}",
                 "/sentiment/negative/bad");
    expect_error("{\"context\":{\"max_turns\":0,\"max_turn_chars\":100,"
                 "\"max_earlier\":1}}",
                 "/context/max_turns");
    expect_error("{\"prices\":{\"m\":{\"prompt_per_1m\":-1,"
                 "\"completion_per_1m\":1}}}",
                 "/prices/m/prompt_per_1m");
    expect_error("{\"prompts\":{\"system\":\"s\"}}", "/prompts/turn");
    expect_error("{\"escalation\":{\"keywords\":[],\"churn_keywords\":[],"
                 "\"sentiment_threshold\":-2}}",
                 "/escalation/sentiment_threshold");
}

static void test_not_json_and_wrong_root(void **state)
{
    struct ccai_error err;

    (void)state;
    assert_null(load("{", &err));
    assert_int_equal(err.status, CCAI_E_CONFIG);
    assert_non_null(strstr(err.message, "not JSON"));
    assert_null(load("[1]", &err));
    assert_null(load("{\"a\":1,\"a\":2}", &err));
}

static void test_load_from_file(void **state)
{
    char path[] = "/tmp/ccai-pipeline-XXXXXX";
    int fd = mkstemp(path);
    static const char doc[] = "{\"prompt_version\":\"file.7\"}";
    struct ccai_error err;
    struct pipeline *p = NULL;

    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, doc, sizeof(doc) - 1), sizeof(doc) - 1);
    close(fd);
    p = pipeline_load(path, &err);
    assert_non_null(p);
    assert_string_equal(pipeline_prompt_version(p), "file.7");
    pipeline_free(p);
    unlink(path);
    p = pipeline_load("/nonexistent/pipeline.json", &err);
    assert_null(p);
    assert_non_null(strstr(err.message, "cannot open"));
}

static void test_priority_names(void **state)
{
    (void)state;
    assert_int_equal(pipeline_priority_rank("low"), 0);
    assert_int_equal(pipeline_priority_rank("urgent"), 3);
    assert_int_equal(pipeline_priority_rank("x"), -1);
    assert_string_equal(pipeline_priority_name(9), "urgent");
    assert_string_equal(pipeline_priority_name(-1), "low");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_loads_with_taxonomy),
        cmocka_unit_test(test_sections_replace_and_lexicon_extends),
        cmocka_unit_test(test_invalid_fields_name_their_pointer),
        cmocka_unit_test(test_not_json_and_wrong_root),
        cmocka_unit_test(test_load_from_file),
        cmocka_unit_test(test_priority_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
