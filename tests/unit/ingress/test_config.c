/* test_config - every ingress variable: defaults, parsing, and a bad value
 * stops loading with an error naming the variable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "config.h"

#include "banned.h"

static void clear_env(void)
{
    size_t n = 0;
    const struct env_spec *specs = ingress_config_specs(&n);

    for (size_t i = 0; i < n; i++)
        unsetenv(specs[i].name);
}

static int setup(void **state)
{
    (void)state;
    clear_env();
    setenv("INGRESS_API_KEYS", "acme:k1", 1);
    return 0;
}

static void test_config_defaults(void **state)
{
    struct ingress_config cfg;
    struct ccai_error err = {0};

    (void)state;
    assert_int_equal(ingress_config_load(&cfg, &err), 0);
    assert_int_equal(cfg.port, 8000);
    assert_string_equal(cfg.bind_addr, "0.0.0.0");
    assert_int_equal(cfg.auth_mode, INGRESS_AUTH_KEYS);
    assert_int_equal(cfg.max_body_bytes, 262144);
    assert_int_equal(cfg.rate_limit_rps, 0);
    assert_int_equal(cfg.rate_limit_burst, 0);
    assert_int_equal(cfg.results_window_s, 900);
    assert_string_equal(cfg.topic_events, "contact-events");
    assert_string_equal(cfg.topic_results, "contact-results");
    assert_string_equal(cfg.topic_dlq, "contact-events-dlq");
    assert_int_equal(cfg.log_level, CCAI_LOG_INFO);
    assert_int_equal(cfg.threads, 2);
    assert_int_equal(cfg.produce_timeout_ms, 10000);
    assert_int_equal(cfg.max_inflight, 4096);
    assert_int_equal(cfg.queue_max_kbytes, 32768);
    assert_int_equal(cfg.shutdown_grace_ms, 20000);
}

static void test_config_reads_every_variable(void **state)
{
    struct ingress_config cfg;
    struct ccai_error err = {0};

    (void)state;
    setenv("PORT", "9001", 1);
    setenv("INGRESS_BIND", "127.0.0.1", 1);
    setenv("INGRESS_MAX_BODY_BYTES", "4096", 1);
    setenv("INGRESS_RATE_LIMIT_RPS", "50", 1);
    setenv("INGRESS_RESULTS_WINDOW_S", "60", 1);
    setenv("TOPIC_EVENTS", "ev", 1);
    setenv("TOPIC_RESULTS", "res", 1);
    setenv("TOPIC_DLQ", "dlq", 1);
    setenv("LOG_LEVEL", "debug", 1);
    setenv("INGRESS_THREADS", "4", 1);
    setenv("INGRESS_MAX_CONNECTIONS", "100", 1);
    setenv("INGRESS_PRODUCE_TIMEOUT_MS", "2s", 1);
    setenv("INGRESS_MAX_INFLIGHT", "10", 1);
    setenv("INGRESS_QUEUE_MAX_MESSAGES", "1000", 1);
    setenv("INGRESS_QUEUE_MAX_KBYTES", "2048", 1);
    setenv("INGRESS_READY_INTERVAL_MS", "500ms", 1);
    setenv("INGRESS_SHUTDOWN_GRACE_MS", "1m", 1);
    assert_int_equal(ingress_config_load(&cfg, &err), 0);
    assert_int_equal(cfg.port, 9001);
    assert_string_equal(cfg.bind_addr, "127.0.0.1");
    assert_int_equal(cfg.max_body_bytes, 4096);
    assert_int_equal(cfg.rate_limit_rps, 50);
    assert_int_equal(cfg.rate_limit_burst, 50); /* defaults to rps */
    assert_int_equal(cfg.results_window_s, 60);
    assert_string_equal(cfg.topic_events, "ev");
    assert_string_equal(cfg.topic_results, "res");
    assert_string_equal(cfg.topic_dlq, "dlq");
    assert_int_equal(cfg.log_level, CCAI_LOG_DEBUG);
    assert_int_equal(cfg.threads, 4);
    assert_int_equal(cfg.max_connections, 100);
    assert_int_equal(cfg.produce_timeout_ms, 2000);
    assert_int_equal(cfg.max_inflight, 10);
    assert_int_equal(cfg.queue_max_messages, 1000);
    assert_int_equal(cfg.queue_max_kbytes, 2048);
    assert_int_equal(cfg.ready_interval_ms, 500);
    assert_int_equal(cfg.shutdown_grace_ms, 60000);
    setenv("INGRESS_RATE_LIMIT_BURST", "7", 1);
    assert_int_equal(ingress_config_load(&cfg, &err), 0);
    assert_int_equal(cfg.rate_limit_burst, 7);
}

static void test_config_keys_required_unless_auth_none(void **state)
{
    struct ingress_config cfg;
    struct ccai_error err = {0};

    (void)state;
    unsetenv("INGRESS_API_KEYS");
    assert_int_equal(ingress_config_load(&cfg, &err), -1);
    assert_string_equal(err.field, "INGRESS_API_KEYS");
    setenv("INGRESS_AUTH", "none", 1);
    assert_int_equal(ingress_config_load(&cfg, &err), 0);
    assert_int_equal(cfg.auth_mode, INGRESS_AUTH_NONE);
}

static void test_config_bad_values_name_the_variable(void **state)
{
    static const char *const bad[][2] = {
        {"PORT", "80x"},
        {"PORT", "70000"},
        {"INGRESS_AUTH", "maybe"},
        {"INGRESS_API_KEYS", "acme"},
        {"INGRESS_API_KEYS", "acme:sha256:1234"},
        {"INGRESS_MAX_BODY_BYTES", "-1"},
        {"INGRESS_MAX_BODY_BYTES", "big"},
        {"INGRESS_RATE_LIMIT_RPS", "-5"},
        {"INGRESS_RATE_LIMIT_BURST", "5"}, /* burst without rps */
        {"INGRESS_RESULTS_WINDOW_S", "0"},
        {"TOPIC_EVENTS", "bad topic"},
        {"TOPIC_RESULTS", "a/b"},
        {"TOPIC_DLQ", "x y"},
        {"LOG_LEVEL", "loud"},
        {"INGRESS_THREADS", "0"},
        {"INGRESS_MAX_CONNECTIONS", "0"},
        {"INGRESS_PRODUCE_TIMEOUT_MS", "10x"},
        {"INGRESS_MAX_INFLIGHT", "0"},
        {"INGRESS_QUEUE_MAX_MESSAGES", "1"},
        {"INGRESS_QUEUE_MAX_KBYTES", "1"},
        {"INGRESS_READY_INTERVAL_MS", "1"},
        {"INGRESS_SHUTDOWN_GRACE_MS", "forever"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct ingress_config cfg;
        struct ccai_error err = {0};

        setup(NULL);
        setenv(bad[i][0], bad[i][1], 1);
        assert_int_equal(ingress_config_load(&cfg, &err), -1);
        assert_int_equal(err.status, CCAI_E_CONFIG);
        assert_string_equal(err.field, bad[i][0]);
        assert_non_null(strstr(err.message, bad[i][0]));
        assert_null(strchr(err.message, '\n'));
    }
}

static void test_config_every_variable_is_in_the_table(void **state)
{
    size_t n = 0;
    const struct env_spec *specs = ingress_config_specs(&n);
    static const char *const documented[] = {"PORT",
                                             "INGRESS_AUTH",
                                             "INGRESS_API_KEYS",
                                             "INGRESS_MAX_BODY_BYTES",
                                             "INGRESS_RATE_LIMIT_RPS",
                                             "INGRESS_RATE_LIMIT_BURST",
                                             "INGRESS_RESULTS_WINDOW_S",
                                             "TOPIC_EVENTS",
                                             "TOPIC_RESULTS",
                                             "TOPIC_DLQ",
                                             "LOG_LEVEL"};

    (void)state;
    for (size_t d = 0; d < sizeof(documented) / sizeof(documented[0]); d++) {
        bool found = false;
        for (size_t i = 0; i < n; i++)
            found = found || strcmp(specs[i].name, documented[d]) == 0;
        assert_true(found);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_config_defaults, setup),
        cmocka_unit_test_setup(test_config_reads_every_variable, setup),
        cmocka_unit_test_setup(test_config_keys_required_unless_auth_none,
                               setup),
        cmocka_unit_test_setup(test_config_bad_values_name_the_variable, setup),
        cmocka_unit_test(test_config_every_variable_is_in_the_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
