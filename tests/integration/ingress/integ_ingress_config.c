/* integ_ingress_config - the ingress binary's start-up contract: a bad
 * environment value stops it with exit code 2 and one line naming the
 * variable (PRODUCT.md section 7); --help and --version answer 0. No
 * broker is needed: configuration is checked before anything starts.
 * Test main thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ccai_test.h"

#include "banned.h"

/* Lines of @out that contain @needle. */
static int lines_with(const char *out, const char *needle)
{
    int n = 0;

    for (const char *line = out; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        const char *hit = strstr(line, needle);

        if (hit != NULL && hit < line + len)
            n++;
        line = nl ? nl + 1 : NULL;
    }
    return n;
}

static void
expect_config_error(const char *var, const char *setting, const char *extra)
{
    char port[32];
    const char *env[] = {port,
                         "KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:1",
                         "INGRESS_BIND=127.0.0.1",
                         "INGRESS_AUTH=none",
                         extra ? extra : "CCAI_TEST_UNUSED=1",
                         setting,
                         NULL};
    char *out = NULL;
    int rc;

    snprintf(port, sizeof(port), "PORT=%d", ccai_test_free_port());
    rc = ccai_proc_run("ccai-ingress", NULL, env, NULL, 0, 20000, &out);
    if (rc != 2 || out == NULL || lines_with(out, var) != 1)
        fprintf(stderr, "%s: exit %d, output:\n%s\n", setting, rc,
                out ? out : "(none)");
    assert_int_equal(rc, 2);
    assert_non_null(out);
    assert_int_equal(lines_with(out, var), 1);
    free(out);
}

static void test_bad_port(void **state)
{
    (void)state;
    expect_config_error("PORT", "PORT=eighty", NULL);
    expect_config_error("PORT", "PORT=70000", NULL);
}

static void test_bad_body_limit(void **state)
{
    (void)state;
    expect_config_error("INGRESS_MAX_BODY_BYTES", "INGRESS_MAX_BODY_BYTES=12x",
                        NULL);
    expect_config_error("INGRESS_MAX_BODY_BYTES", "INGRESS_MAX_BODY_BYTES=-5",
                        NULL);
}

static void test_bad_auth_mode(void **state)
{
    (void)state;
    expect_config_error("INGRESS_AUTH", "INGRESS_AUTH=maybe", NULL);
}

static void test_keys_required_without_auth_none(void **state)
{
    (void)state;
    /* keys mode (the default) with no INGRESS_API_KEYS must not start */
    expect_config_error("INGRESS_API_KEYS", "INGRESS_AUTH=keys",
                        "INGRESS_API_KEYS=");
    expect_config_error("INGRESS_API_KEYS", "INGRESS_API_KEYS=no-colon-here",
                        "INGRESS_AUTH=keys");
}

static void test_bad_rate_limit_and_timeouts(void **state)
{
    (void)state;
    expect_config_error("INGRESS_RATE_LIMIT_RPS", "INGRESS_RATE_LIMIT_RPS=-1",
                        NULL);
    expect_config_error("INGRESS_PRODUCE_TIMEOUT_MS",
                        "INGRESS_PRODUCE_TIMEOUT_MS=soon", NULL);
}

static void test_bad_log_level(void **state)
{
    (void)state;
    expect_config_error("LOG_LEVEL", "LOG_LEVEL=loud", NULL);
}

static void test_bad_kafka_passthrough(void **state)
{
    (void)state;
    expect_config_error("KAFKA_CONFIG_NO_SUCH_PROPERTY",
                        "KAFKA_CONFIG_NO_SUCH_PROPERTY=1", NULL);
    expect_config_error("KAFKA_CONFIG_LINGER_MS", "KAFKA_CONFIG_LINGER_MS=soon",
                        NULL);
}

static void test_help_and_version(void **state)
{
    static const char *const help[] = {"--help", NULL};
    static const char *const version[] = {"--version", NULL};
    char *out = NULL;

    (void)state;
    assert_int_equal(
        ccai_proc_run("ccai-ingress", help, NULL, NULL, 0, 10000, &out), 0);
    assert_non_null(out);
    assert_non_null(strstr(out, "PORT"));
    free(out);
    assert_int_equal(
        ccai_proc_run("ccai-ingress", version, NULL, NULL, 0, 10000, &out), 0);
    assert_non_null(out);
    assert_non_null(strstr(out, "0."));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_port),
        cmocka_unit_test(test_bad_body_limit),
        cmocka_unit_test(test_bad_auth_mode),
        cmocka_unit_test(test_keys_required_without_auth_none),
        cmocka_unit_test(test_bad_rate_limit_and_timeouts),
        cmocka_unit_test(test_bad_log_level),
        cmocka_unit_test(test_bad_kafka_passthrough),
        cmocka_unit_test(test_help_and_version),
    };

    if (getenv("CCAI_TEST_FILTER") != NULL)
        cmocka_set_test_filter(getenv("CCAI_TEST_FILTER"));
    return ccai_test_finish(
        cmocka_run_group_tests(tests, NULL, ccai_test_teardown));
}
