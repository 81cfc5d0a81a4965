/* test_kafka_conf - KAFKA_CONFIG_<PROP> to property names, defaults
 * overridden by the environment, errors naming the variable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "kafka_conf.h"

#include "banned.h"

static void test_kafka_prop_name_mapping(void **state)
{
    char out[64];

    (void)state;
    assert_int_equal(
        ccai_kafka_prop_name("KAFKA_CONFIG_LINGER_MS", out, sizeof(out)), 0);
    assert_string_equal(out, "linger.ms");
    assert_int_equal(ccai_kafka_prop_name("KAFKA_CONFIG_SASL_OAUTHBEARER__X",
                                          out, sizeof(out)),
                     0);
    assert_string_equal(out, "sasl.oauthbearer_x");
    assert_int_equal(ccai_kafka_prop_name("KAFKA_CONFIG_", out, sizeof(out)),
                     -1);
    assert_int_equal(ccai_kafka_prop_name("KAFKA_LINGER_MS", out, sizeof(out)),
                     -1);
    assert_int_equal(
        ccai_kafka_prop_name("KAFKA_CONFIG_LINGER-MS", out, sizeof(out)), -1);
    assert_int_equal(
        ccai_kafka_prop_name("KAFKA_CONFIG__LINGER", out, sizeof(out)), -1);
    assert_int_equal(ccai_kafka_prop_name("KAFKA_CONFIG_LINGER_MS", out, 5),
                     -1);
}

static void test_kafka_prop_secret_names(void **state)
{
    (void)state;
    assert_true(ccai_kafka_prop_is_secret("sasl.password"));
    assert_true(ccai_kafka_prop_is_secret("ssl.key.password"));
    assert_false(ccai_kafka_prop_is_secret("linger.ms"));
}

static const char *
get(rd_kafka_conf_t *conf, const char *prop, char *buf, size_t n)
{
    size_t size = n;

    if (rd_kafka_conf_get(conf, prop, buf, &size) != RD_KAFKA_CONF_OK)
        return "";
    return buf;
}

static void test_kafka_conf_env_overrides_defaults(void **state)
{
    static const char *const defaults[] = {"linger.ms", "5", "acks", "all",
                                           NULL};
    char e1[] = "KAFKA_BOOTSTRAP_SERVERS=10.0.0.1:9094";
    char e2[] = "KAFKA_CONFIG_LINGER_MS=20";
    char e3[] = "KAFKA_SECURITY_PROTOCOL=SASL_SSL";
    char e4[] = "OTHER=1";
    char *envp[] = {e1, e2, e3, e4, NULL};
    struct ccai_error err = {0};
    rd_kafka_conf_t *conf = NULL;
    char buf[128];

    (void)state;
    conf = ccai_kafka_conf_new(defaults, envp, &err);
    assert_non_null(conf);
    assert_string_equal(get(conf, "bootstrap.servers", buf, sizeof(buf)),
                        "10.0.0.1:9094");
    assert_string_equal(get(conf, "linger.ms", buf, sizeof(buf)), "20");
    assert_string_equal(get(conf, "acks", buf, sizeof(buf)), "-1");
    assert_string_equal(get(conf, "security.protocol", buf, sizeof(buf)),
                        "sasl_ssl");
    rd_kafka_conf_destroy(conf);
}

static void test_kafka_conf_bad_values_name_the_variable(void **state)
{
    char v1[] = "KAFKA_CONFIG_LINGER_MS=soon";
    char v2[] = "KAFKA_CONFIG_NO_SUCH_THING=1";
    char v3[] = "KAFKA_CONFIG_A-B=1";
    char *bad_value[] = {v1, NULL};
    char *bad_prop[] = {v2, NULL};
    char *bad_name[] = {v3, NULL};
    struct ccai_error err = {0};

    (void)state;
    assert_null(ccai_kafka_conf_new(NULL, bad_value, &err));
    assert_string_equal(err.field, "KAFKA_CONFIG_LINGER_MS");
    assert_null(ccai_kafka_conf_new(NULL, bad_prop, &err));
    assert_string_equal(err.field, "KAFKA_CONFIG_NO_SUCH_THING");
    assert_null(ccai_kafka_conf_new(NULL, bad_name, &err));
    assert_string_equal(err.field, "KAFKA_CONFIG_A-B");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kafka_prop_name_mapping),
        cmocka_unit_test(test_kafka_prop_secret_names),
        cmocka_unit_test(test_kafka_conf_env_overrides_defaults),
        cmocka_unit_test(test_kafka_conf_bad_values_name_the_variable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
