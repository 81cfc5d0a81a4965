/* test_env - strict number, bool and duration parsing and the
 * table-driven loader: defaults, required variables, errors naming the
 * variable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "env.h"

#include "banned.h"

struct cfg {
    long n;
    long ms;
    bool flag;
    int choice;
    char name[8];
};

static const struct env_spec specs[] = {
    {"T_N", ENV_LONG, "5", 1, 10, false, offsetof(struct cfg, n), NULL},
    {"T_MS", ENV_MS, "2s", 0, 60000, false, offsetof(struct cfg, ms), NULL},
    {"T_FLAG", ENV_BOOL, "false", 0, 0, false, offsetof(struct cfg, flag),
     NULL},
    {"T_CHOICE", ENV_ENUM, "b", 0, 0, false, offsetof(struct cfg, choice),
     "a|b|c"},
    {"T_NAME", ENV_STR, NULL, 0, 8, true, offsetof(struct cfg, name), NULL},
};

static void test_env_parse_long_is_strict(void **state)
{
    long v = 0;

    (void)state;
    assert_int_equal(ccai_parse_long("42", 0, 100, &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(ccai_parse_long("42x", 0, 100, &v), -1);
    assert_int_equal(ccai_parse_long("", 0, 100, &v), -1);
    assert_int_equal(ccai_parse_long("101", 0, 100, &v), -1);
    assert_int_equal(ccai_parse_long("-1", 0, 100, &v), -1);
    assert_int_equal(ccai_parse_long("99999999999999999999", 0, 100, &v), -1);
}

static void test_env_parse_bool_and_ms(void **state)
{
    bool b = false;
    long ms = 0;

    (void)state;
    assert_int_equal(ccai_parse_bool("YES", &b), 0);
    assert_true(b);
    assert_int_equal(ccai_parse_bool("off", &b), 0);
    assert_false(b);
    assert_int_equal(ccai_parse_bool("maybe", &b), -1);
    assert_int_equal(ccai_parse_ms("1500", 0, 100000, &ms), 0);
    assert_int_equal(ms, 1500);
    assert_int_equal(ccai_parse_ms("1500ms", 0, 100000, &ms), 0);
    assert_int_equal(ccai_parse_ms("2s", 0, 100000, &ms), 0);
    assert_int_equal(ms, 2000);
    assert_int_equal(ccai_parse_ms("1m", 0, 100000, &ms), 0);
    assert_int_equal(ms, 60000);
    assert_int_equal(ccai_parse_ms("2h", 0, 100000, &ms), -1);
    assert_int_equal(ccai_parse_ms("2m", 0, 100000, &ms), -1); /* > max */
}

static void test_env_load_defaults_and_required(void **state)
{
    struct cfg cfg;
    struct ccai_error err = {0};

    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    unsetenv("T_N");
    unsetenv("T_MS");
    unsetenv("T_FLAG");
    unsetenv("T_CHOICE");
    unsetenv("T_NAME");
    assert_int_equal(ccai_env_load(specs, 5, &cfg, &err), -1);
    assert_string_equal(err.field, "T_NAME");
    setenv("T_NAME", "abc", 1);
    assert_int_equal(ccai_env_load(specs, 5, &cfg, &err), 0);
    assert_int_equal(cfg.n, 5);
    assert_int_equal(cfg.ms, 2000);
    assert_false(cfg.flag);
    assert_int_equal(cfg.choice, 1);
    assert_string_equal(cfg.name, "abc");
}

static void test_env_load_bad_values_name_the_variable(void **state)
{
    static const char *const bad[][2] = {
        {"T_N", "11"},         {"T_N", "five"},   {"T_MS", "soon"},
        {"T_FLAG", "perhaps"}, {"T_CHOICE", "d"}, {"T_NAME", "waytoolong"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct cfg cfg;
        struct ccai_error err = {0};

        setenv("T_N", "5", 1);
        setenv("T_MS", "1s", 1);
        setenv("T_FLAG", "true", 1);
        setenv("T_CHOICE", "a", 1);
        setenv("T_NAME", "x", 1);
        setenv(bad[i][0], bad[i][1], 1);
        assert_int_equal(ccai_env_load(specs, 5, &cfg, &err), -1);
        assert_int_equal(err.status, CCAI_E_CONFIG);
        assert_string_equal(err.field, bad[i][0]);
        assert_int_equal(strncmp(err.message, bad[i][0], strlen(bad[i][0])), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_env_parse_long_is_strict),
        cmocka_unit_test(test_env_parse_bool_and_ms),
        cmocka_unit_test(test_env_load_defaults_and_required),
        cmocka_unit_test(test_env_load_bad_values_name_the_variable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
