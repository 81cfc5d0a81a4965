/* test_processor_config - defaults, provider selection and bad values that
 * name their variable. Runs with a controlled environment (setenv). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"

static const char *const vars[] = {
    "TOPIC_EVENTS",
    "TOPIC_RESULTS",
    "TOPIC_DLQ",
    "LOG_LEVEL",
    "PROCESSOR_PORT",
    "CONSUMER_GROUP",
    "PROCESSOR_MAX_INFLIGHT",
    "PROCESSOR_FALLBACK",
    "AI_PROVIDER",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_MODEL",
    "OPENAI_TIMEOUT_MS",
    "OPENAI_MAX_RETRIES",
    "OPENAI_RPM",
    "OPENAI_TPM",
    "REDACT_PII",
    "PIPELINE_CONFIG",
    "PROCESSOR_DRAIN_TIMEOUT_MS",
    "PROCESSOR_MAX_BUFFERED",
    "PROCESSOR_CONTEXT_TURNS",
    "PROCESSOR_DEDUPE_WINDOW_S",
    "OPENAI_BACKOFF_BASE_MS",
    "OPENAI_BACKOFF_MAX_MS",
};

static int clean_env(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);
    return 0;
}

static void test_defaults_follow_the_contract(void **state)
{
    struct processor_config cfg;
    struct ccai_error err = {0};

    (void)state;
    assert_int_equal(processor_config_load(&cfg, &err), 0);
    assert_string_equal(cfg.topic_events, "contact-events");
    assert_string_equal(cfg.topic_results, "contact-results");
    assert_string_equal(cfg.topic_dlq, "contact-events-dlq");
    assert_int_equal(cfg.port, 8001);
    assert_string_equal(cfg.consumer_group, "ccai-processor");
    assert_int_equal(cfg.max_inflight, 256);
    assert_int_equal(cfg.fallback, PROCESSOR_FALLBACK_RULES);
    assert_int_equal(cfg.ai_provider, PROCESSOR_AI_AUTO);
    assert_string_equal(cfg.openai_base_url, "https://api.openai.com/v1");
    assert_string_equal(cfg.openai_model, "gpt-4o-mini");
    assert_int_equal(cfg.openai_timeout_ms, 30000);
    assert_int_equal(cfg.openai_max_retries, 4);
    assert_int_equal(cfg.openai_rpm, 0);
    assert_int_equal(cfg.openai_tpm, 0);
    assert_true(cfg.redact_pii);
    assert_string_equal(cfg.pipeline_config, "");
    assert_int_equal(cfg.drain_timeout_ms, 20000);
    /* auto without a key: the offline analyzer, degraded no_key */
    assert_int_equal(cfg.provider, ENGINE_PROVIDER_NO_KEY);
    assert_string_equal(processor_config_provider_name(&cfg), "no_key");
}

static void test_auto_with_key_uses_openai(void **state)
{
    struct processor_config cfg;
    struct ccai_error err = {0};

    (void)state;
    setenv("OPENAI_API_KEY", "sk-test", 1);
    assert_int_equal(processor_config_load(&cfg, &err), 0);
    assert_int_equal(cfg.provider, ENGINE_PROVIDER_OPENAI);
}

static void test_openai_without_key_is_an_error(void **state)
{
    struct processor_config cfg;
    struct ccai_error err = {0};

    (void)state;
    setenv("AI_PROVIDER", "openai", 1);
    assert_int_equal(processor_config_load(&cfg, &err), -1);
    assert_int_equal(err.status, CCAI_E_CONFIG);
    assert_string_equal(err.field, "OPENAI_API_KEY");
    assert_non_null(strstr(err.message, "OPENAI_API_KEY"));
}

static void test_rules_provider(void **state)
{
    struct processor_config cfg;
    struct ccai_error err = {0};

    (void)state;
    setenv("AI_PROVIDER", "rules", 1);
    setenv("OPENAI_API_KEY", "sk-test", 1);
    assert_int_equal(processor_config_load(&cfg, &err), 0);
    assert_int_equal(cfg.provider, ENGINE_PROVIDER_RULES);
}

static void test_values_are_parsed(void **state)
{
    struct processor_config cfg;
    struct ccai_error err = {0};

    (void)state;
    setenv("PROCESSOR_MAX_INFLIGHT", "1024", 1);
    setenv("PROCESSOR_FALLBACK", "dlq", 1);
    setenv("OPENAI_TIMEOUT_MS", "2s", 1);
    setenv("REDACT_PII", "false", 1);
    setenv("PROCESSOR_DRAIN_TIMEOUT_MS", "500ms", 1);
    setenv("CONSUMER_GROUP", "g1", 1);
    assert_int_equal(processor_config_load(&cfg, &err), 0);
    assert_int_equal(cfg.max_inflight, 1024);
    assert_int_equal(cfg.fallback, PROCESSOR_FALLBACK_DLQ);
    assert_int_equal(cfg.openai_timeout_ms, 2000);
    assert_false(cfg.redact_pii);
    assert_int_equal(cfg.drain_timeout_ms, 500);
    assert_string_equal(cfg.consumer_group, "g1");
}

static void expect_bad(const char *name, const char *value)
{
    struct processor_config cfg;
    struct ccai_error err = {0};

    clean_env(NULL);
    setenv(name, value, 1);
    assert_int_equal(processor_config_load(&cfg, &err), -1);
    assert_int_equal(err.status, CCAI_E_CONFIG);
    assert_string_equal(err.field, name);
    assert_true(strncmp(err.message, name, strlen(name)) == 0);
}

static void test_bad_values_name_the_variable(void **state)
{
    (void)state;
    expect_bad("PROCESSOR_PORT", "0");
    expect_bad("PROCESSOR_PORT", "80a");
    expect_bad("PROCESSOR_MAX_INFLIGHT", "0");
    expect_bad("PROCESSOR_MAX_INFLIGHT", "-5");
    expect_bad("PROCESSOR_FALLBACK", "drop");
    expect_bad("AI_PROVIDER", "anthropic");
    expect_bad("OPENAI_TIMEOUT_MS", "fast");
    expect_bad("OPENAI_MAX_RETRIES", "100");
    expect_bad("OPENAI_RPM", "-1");
    expect_bad("REDACT_PII", "maybe");
    expect_bad("LOG_LEVEL", "loud");
    expect_bad("OPENAI_BASE_URL", "ftp://x");
    expect_bad("PROCESSOR_DRAIN_TIMEOUT_MS", "20h");
    expect_bad("PROCESSOR_MAX_BUFFERED", "0");
    expect_bad("PROCESSOR_CONTEXT_TURNS", "1000");
    expect_bad("PROCESSOR_DEDUPE_WINDOW_S", "x");
    expect_bad("TOPIC_RESULTS", "contact-events");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults_follow_the_contract, clean_env),
        cmocka_unit_test_setup(test_auto_with_key_uses_openai, clean_env),
        cmocka_unit_test_setup(test_openai_without_key_is_an_error, clean_env),
        cmocka_unit_test_setup(test_rules_provider, clean_env),
        cmocka_unit_test_setup(test_values_are_parsed, clean_env),
        cmocka_unit_test_setup(test_bad_values_name_the_variable, clean_env),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
