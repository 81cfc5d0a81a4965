/* test_auth - INGRESS_API_KEYS parsing (plain and sha256 keys), both
 * header forms, wrong and missing keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "auth.h"

#include "banned.h"

/* sha256("key2") */
#define KEY2_HEX \
    "c1b4a7b3d0b4bfd4c5e6f8e2b1d0f9f3a2a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8"

static void test_auth_parses_tenants_and_matches_plain_keys(void **state)
{
    struct ccai_error err = {0};
    struct auth *a = auth_new(" acme:secret1 , beta:s3cr3t-2 ", &err);

    (void)state;
    assert_non_null(a);
    assert_int_equal(a->n_keys, 2);
    assert_string_equal(a->keys[0].tenant, "acme");
    assert_string_equal(a->keys[1].tenant, "beta");
    assert_int_equal(auth_check(a, "secret1", &err), 0);
    assert_int_equal(auth_check(a, "s3cr3t-2", &err), 1);
    auth_free(a);
}

static void test_auth_accepts_sha256_digest_keys(void **state)
{
    struct ccai_error err = {0};
    uint8_t d[CCAI_SHA256_LEN];
    char hex[65];
    char spec[128];
    struct auth *a = NULL;

    (void)state;
    ccai_sha256("key2", 4, d);
    ccai_sha256_hex(d, hex);
    snprintf(spec, sizeof(spec), "acme:k1,beta:sha256:%s", hex);
    a = auth_new(spec, &err);
    assert_non_null(a);
    assert_int_equal(auth_check(a, "key2", &err), 1);
    /* the digest itself is not a valid key */
    assert_int_equal(auth_check(a, hex, &err), -1);
    auth_free(a);
}

static void test_auth_rejects_wrong_and_missing_keys(void **state)
{
    struct ccai_error err = {0};
    struct auth *a = auth_new("acme:secret1", &err);

    (void)state;
    assert_non_null(a);
    assert_int_equal(auth_check(a, "secret2", &err), -1);
    assert_int_equal(err.status, CCAI_E_UNAUTHORIZED);
    assert_int_equal(auth_check(a, "secret1x", &err), -1);
    assert_int_equal(auth_check(a, "", &err), -1);
    assert_int_equal(auth_check(a, NULL, &err), -1);
    assert_int_equal(err.status, CCAI_E_UNAUTHORIZED);
    auth_free(a);
}

static void test_auth_invalid_specs_name_the_variable_not_the_key(void **state)
{
    static const char *const bad[] = {
        "acme",             /* no colon */
        ":key",             /* empty tenant */
        "ac me:key",        /* bad tenant char */
        "acme:",            /* empty key */
        "acme:sha256:abcd", /* short digest */
        "acme:sha256:" KEY2_HEX "zz",
        ",,,", /* no entries */
        "",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct ccai_error err = {0};

        assert_null(auth_new(bad[i], &err));
        assert_int_equal(err.status, CCAI_E_CONFIG);
        assert_string_equal(err.field, "INGRESS_API_KEYS");
        assert_non_null(strstr(err.message, "INGRESS_API_KEYS"));
        assert_null(strstr(err.message, "key2"));
    }
}

static void test_auth_presented_key_from_both_header_forms(void **state)
{
    (void)state;
    assert_string_equal(auth_presented_key("Bearer abc", NULL), "abc");
    assert_string_equal(auth_presented_key("bearer  abc", NULL), "abc");
    assert_string_equal(auth_presented_key(NULL, "xyz"), "xyz");
    /* Authorization wins when both are present */
    assert_string_equal(auth_presented_key("Bearer abc", "xyz"), "abc");
    /* another scheme falls back to X-API-Key */
    assert_string_equal(auth_presented_key("Basic Zm9v", "xyz"), "xyz");
    assert_null(auth_presented_key("Basic Zm9v", NULL));
    assert_null(auth_presented_key("Bearer ", NULL));
    assert_null(auth_presented_key(NULL, ""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auth_parses_tenants_and_matches_plain_keys),
        cmocka_unit_test(test_auth_accepts_sha256_digest_keys),
        cmocka_unit_test(test_auth_rejects_wrong_and_missing_keys),
        cmocka_unit_test(test_auth_invalid_specs_name_the_variable_not_the_key),
        cmocka_unit_test(test_auth_presented_key_from_both_header_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
