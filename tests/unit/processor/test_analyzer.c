/* test_analyzer - the offline analyzer on the default pipeline:
 * sentiment with negation and intensifiers, intents, routing and
 * priority rules, escalation, alerts, categories, and the handover/final
 * summary, action items, resolution and wrap-up code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"

#include "banned.h"

#define TURN(r, t)                                               \
    {                                                            \
        .role = (char *)(r), .text = (char *)(t), .sequence = -1 \
    }

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

static double
score_of(const struct pipeline *p, const char *text, const char **label)
{
    struct analyzer_sentiment s;

    analyzer_sentiment(p, text, strlen(text), &s);
    if (label != NULL)
        *label = s.label;
    assert_true(s.score >= -1 && s.score <= 1);
    return s.score;
}

static void test_sentiment_polarity_and_neutral(void **state)
{
    const char *label = NULL;

    assert_true(score_of(*state, "This is great, thank you so much!", &label) >
                0.3);
    assert_string_equal(label, "positive");
    assert_true(score_of(*state, "This is terrible and I am angry", &label) <
                -0.3);
    assert_string_equal(label, "negative");
    assert_true(
        score_of(*state, "My account number is on the letter", &label) == 0);
    assert_string_equal(label, "neutral");
    score_of(*state, "", &label);
    assert_string_equal(label, "neutral");
}

static void test_negation_flips_within_window(void **state)
{
    double good = score_of(*state, "the service is good", NULL);
    double not_good = score_of(*state, "the service is not good", NULL);
    double not_very = score_of(*state, "it is not really that good", NULL);
    double far =
        score_of(*state, "not that I mind, the new router is good", NULL);
    double not_bad = score_of(*state, "that's not bad", NULL);
    double curly = score_of(*state,
                            "it doesn\xe2\x80\x99t work, it is "
                            "not helpful",
                            NULL);

    assert_true(good > 0);
    assert_true(not_good < 0);
    assert_true(not_very < 0);
    assert_true(far > 0); /* the negator is more than 3 tokens away */
    assert_true(not_bad > 0);
    assert_true(curly < 0);
}

static void test_intensifiers_scale(void **state)
{
    double plain = score_of(*state, "I am happy", NULL);
    double very = score_of(*state, "I am very happy", NULL);
    double extremely = score_of(*state, "I am extremely happy", NULL);
    double slightly = score_of(*state, "I am slightly happy", NULL);

    assert_true(very > plain);
    assert_true(extremely > very);
    assert_true(slightly < plain && slightly > 0);
}

static void test_mixed_label(void **state)
{
    const char *label = NULL;

    score_of(*state,
             "The agent was great and friendly but the app is "
             "terrible and broken",
             &label);
    assert_string_equal(label, "mixed");
}

static json_t *run(const struct pipeline *p,
                   enum analyzer_kind kind,
                   const struct context_turn *turns,
                   size_t n,
                   const char *tier)
{
    struct analyzer_input in = {
        .kind = kind,
        .turns = turns,
        .n_turns = n,
        .has_new_turn = kind == ANALYZER_TURN,
        .channel = "chat",
        .customer_tier = tier,
        .language = "en",
    };
    json_t *a = analyzer_run(p, &in);

    assert_non_null(a);
    assert_int_equal(json_object_size(a), 14);
    return a;
}

static const char *str_at(const json_t *root, const char *a, const char *b)
{
    const json_t *v = json_object_get(root, a);

    if (b != NULL)
        v = json_object_get(v, b);
    return json_string_value(v);
}

static void test_turn_intent_routing_and_nulls(void **state)
{
    const struct context_turn turns[] = {
        TURN("customer", "Hi, I was charged twice on my last bill and want "
                         "a refund for the extra charge."),
    };
    json_t *a = run(*state, ANALYZER_TURN, turns, 1, NULL);
    double conf = json_number_value(
        json_object_get(json_object_get(a, "intent"), "confidence"));

    assert_string_equal(str_at(a, "intent", "name"), "billing");
    assert_true(conf >= 0.5 && conf <= 0.95);
    assert_string_equal(str_at(a, "routing", "queue"), "billing");
    assert_string_equal(str_at(a, "language", NULL), "en");
    assert_true(json_is_null(json_object_get(a, "suggested_reply")));
    assert_true(json_is_null(json_object_get(a, "summary")));
    assert_true(json_is_null(json_object_get(a, "resolution")));
    assert_true(json_is_null(json_object_get(a, "wrapup_code")));
    assert_int_equal(json_array_size(json_object_get(a, "action_items")), 0);
    assert_true(json_is_false(json_object_get(a, "escalate")));
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(a, "categories"), 0)),
        "billing");
    assert_true(json_is_null(json_object_get(
        json_object_get(json_object_get(a, "sentiment"), "by_participant"),
        "agent")));
    json_decref(a);
}

static void test_fallback_intent_when_no_keyword(void **state)
{
    const struct context_turn turns[] = {TURN("customer", "Hello there.")};
    json_t *a = run(*state, ANALYZER_TURN, turns, 1, NULL);

    assert_string_equal(str_at(a, "intent", "name"), "general_inquiry");
    assert_true(json_number_value(json_object_get(json_object_get(a, "intent"),
                                                  "confidence")) < 0.5);
    json_decref(a);
}

static void test_churn_threat_escalates_to_retention_rules(void **state)
{
    const struct context_turn turns[] = {
        TURN("agent", "How can I help you today?"),
        TURN("customer", "This is ridiculous. I want to cancel my service "
                         "and I am switching to a competitor."),
    };
    json_t *a = run(*state, ANALYZER_TURN, turns, 2, NULL);
    const json_t *alerts = json_object_get(a, "alerts");
    bool churn = false;

    assert_string_equal(str_at(a, "intent", "name"), "cancel_service");
    assert_true(json_is_true(json_object_get(a, "escalate")));
    assert_string_equal(str_at(a, "escalation_reason", NULL),
                        "customer threatens to leave");
    /* the escalate routing rule of the default pipeline */
    assert_string_equal(str_at(a, "routing", "queue"), "escalations");
    assert_string_equal(str_at(a, "priority", NULL), "urgent");
    for (size_t k = 0; k < json_array_size(alerts); k++)
        if (strcmp(str_at(json_array_get(alerts, k), "name", NULL),
                   "churn_risk") == 0)
            churn = true;
    assert_true(churn);
    assert_non_null(json_object_get(
        json_object_get(json_object_get(a, "sentiment"), "by_participant"),
        "agent"));
    json_decref(a);
}

static void test_supervisor_request_and_vip_routing(void **state)
{
    const struct context_turn turns[] = {
        TURN("customer", "My internet is not working. Let me speak to your "
                         "supervisor."),
    };
    json_t *a = run(*state, ANALYZER_TURN, turns, 1, "VIP");

    assert_true(json_is_true(json_object_get(a, "escalate")));
    assert_string_equal(str_at(a, "escalation_reason", NULL),
                        "customer asked for a supervisor or manager");
    /* the vip rule comes first in the default routing rules */
    assert_string_equal(str_at(a, "routing", "queue"), "vip");
    assert_string_equal(str_at(a, "priority", NULL), "urgent");
    json_decref(a);
}

static void test_final_summary_actions_resolution_wrapup(void **state)
{
    const struct context_turn turns[] = {
        TURN("customer", "Hello. My internet connection keeps dropping every "
                         "evening and the router shows an error light."),
        TURN("agent", "I am sorry about that. I will reset your line from "
                      "here and I will send you a confirmation email."),
        TURN("customer", "Ok, it works now. That fixed it, thank you!"),
        TURN("agent", "Great. We will follow up tomorrow to check the "
                      "connection."),
    };
    json_t *a = run(*state, ANALYZER_FINAL, turns, 4, NULL);
    const char *summary = str_at(a, "summary", NULL);
    const json_t *actions = json_object_get(a, "action_items");

    assert_non_null(summary);
    assert_non_null(strstr(summary, "Customer: "));
    assert_non_null(strstr(summary, "internet connection keeps dropping"));
    assert_true(json_array_size(actions) >= 2);
    assert_non_null(strstr(json_string_value(json_array_get(actions, 0)),
                           "I will reset your line"));
    assert_string_equal(str_at(a, "resolution", NULL), "resolved");
    assert_string_equal(str_at(a, "intent", "name"), "technical_support");
    assert_string_equal(str_at(a, "wrapup_code", NULL), "TECH_RESOLVED");
    json_decref(a);
}

static void test_unresolved_is_not_counted_as_resolved(void **state)
{
    const struct context_turn turns[] = {
        TURN("customer", "I was overcharged on my invoice."),
        TURN("customer", "This is still not resolved and your answer did "
                         "not help."),
    };
    json_t *a = run(*state, ANALYZER_FINAL, turns, 2, NULL);

    assert_string_equal(str_at(a, "resolution", NULL), "unresolved");
    assert_string_equal(str_at(a, "wrapup_code", NULL), "BILLING_FOLLOW_UP");
    json_decref(a);
}

static void test_handover_has_summary_but_no_resolution(void **state)
{
    const struct context_turn turns[] = {
        TURN("customer", "I cannot log in, my account is locked."),
        TURN("agent", "I will transfer you to account services."),
    };
    json_t *a = run(*state, ANALYZER_HANDOVER, turns, 2, NULL);

    assert_non_null(str_at(a, "summary", NULL));
    assert_true(json_is_null(json_object_get(a, "resolution")));
    assert_true(json_is_null(json_object_get(a, "wrapup_code")));
    assert_string_equal(str_at(a, "intent", "name"), "account_access");
    json_decref(a);
}

static void test_common_words_do_not_trigger(void **state)
{
    const struct context_turn turns[] = {
        TURN("customer", "Sue from accounting said I could leave a message "
                         "in order to get my new plan details."),
    };
    json_t *a = run(*state, ANALYZER_TURN, turns, 1, NULL);

    assert_string_equal(str_at(a, "intent", "name"), "sales");
    assert_int_equal(json_array_size(json_object_get(a, "alerts")), 0);
    assert_true(json_is_false(json_object_get(a, "escalate")));
    json_decref(a);
}

static void test_started_routes_by_queue_and_tier(void **state)
{
    json_t *a = analyzer_started(*state, "voice", NULL, "billing", "en-US");

    assert_non_null(a);
    assert_int_equal(json_object_size(a), 14);
    assert_string_equal(str_at(a, "routing", "queue"), "billing");
    assert_true(json_is_null(json_object_get(a, "sentiment")));
    assert_true(json_is_null(json_object_get(a, "intent")));
    assert_string_equal(str_at(a, "priority", NULL), "normal");
    assert_string_equal(str_at(a, "language", NULL), "en-US");
    json_decref(a);
    a = analyzer_started(*state, "chat", "vip", "unknown-queue", NULL);
    assert_string_equal(str_at(a, "routing", "queue"), "vip");
    assert_string_equal(str_at(a, "priority", NULL), "high");
    assert_true(json_is_null(json_object_get(a, "language")));
    json_decref(a);
    a = analyzer_started(*state, "sms", NULL, NULL, NULL);
    assert_string_equal(str_at(a, "routing", "queue"), "general");
    json_decref(a);
}

static void test_deterministic_and_no_turns(void **state)
{
    const struct context_turn turns[] = {
        TURN("customer", "Where is my package? The delivery is late."),
    };
    json_t *a = run(*state, ANALYZER_TURN, turns, 1, NULL);
    json_t *b = run(*state, ANALYZER_TURN, turns, 1, NULL);
    json_t *c = NULL;

    assert_true(json_equal(a, b));
    assert_string_equal(str_at(a, "intent", "name"), "shipping");
    json_decref(a);
    json_decref(b);
    c = run(*state, ANALYZER_FINAL, NULL, 0, NULL);
    assert_true(json_is_null(json_object_get(c, "sentiment")));
    assert_true(json_is_null(json_object_get(c, "summary")));
    assert_string_equal(str_at(c, "resolution", NULL), "unknown");
    json_decref(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sentiment_polarity_and_neutral),
        cmocka_unit_test(test_negation_flips_within_window),
        cmocka_unit_test(test_intensifiers_scale),
        cmocka_unit_test(test_mixed_label),
        cmocka_unit_test(test_turn_intent_routing_and_nulls),
        cmocka_unit_test(test_fallback_intent_when_no_keyword),
        cmocka_unit_test(test_churn_threat_escalates_to_retention_rules),
        cmocka_unit_test(test_supervisor_request_and_vip_routing),
        cmocka_unit_test(test_final_summary_actions_resolution_wrapup),
        cmocka_unit_test(test_unresolved_is_not_counted_as_resolved),
        cmocka_unit_test(test_handover_has_summary_but_no_resolution),
        cmocka_unit_test(test_common_words_do_not_trigger),
        cmocka_unit_test(test_started_routes_by_queue_and_tier),
        cmocka_unit_test(test_deterministic_and_no_turns),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
