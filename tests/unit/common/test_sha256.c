/* test_sha256 - FIPS 180-4 / NIST CAVP vectors, streaming in pieces,
 * hex round trip and constant-time equality. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sha256.h"

#include "banned.h"

static void check(const char *msg, size_t len, const char *hex)
{
    uint8_t d[CCAI_SHA256_LEN];
    char out[65];

    ccai_sha256(msg, len, d);
    ccai_sha256_hex(d, out);
    assert_string_equal(out, hex);
}

static void test_sha256_matches_fips_vectors(void **state)
{
    (void)state;
    check("", 0,
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check("abc", 3,
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    check("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    check("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
          "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
          112,
          "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_sha256_million_a_streamed(void **state)
{
    struct ccai_sha256 ctx;
    uint8_t d[CCAI_SHA256_LEN];
    char out[65];
    char chunk[1000];

    (void)state;
    memset(chunk, 'a', sizeof(chunk));
    ccai_sha256_init(&ctx);
    for (int i = 0; i < 1000; i++)
        ccai_sha256_update(&ctx, chunk, sizeof(chunk));
    ccai_sha256_final(&ctx, d);
    ccai_sha256_hex(d, out);
    assert_string_equal(
        out,
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_sha256_streaming_equals_one_shot_at_every_split(void **state)
{
    static const char msg[] = "The quick brown fox jumps over the lazy dog, "
                              "again and again, past the 64-byte block edge.";
    uint8_t one[CCAI_SHA256_LEN];

    (void)state;
    ccai_sha256(msg, sizeof(msg) - 1, one);
    for (size_t split = 0; split < sizeof(msg); split++) {
        struct ccai_sha256 ctx;
        uint8_t two[CCAI_SHA256_LEN];

        ccai_sha256_init(&ctx);
        ccai_sha256_update(&ctx, msg, split);
        ccai_sha256_update(&ctx, msg + split, sizeof(msg) - 1 - split);
        ccai_sha256_final(&ctx, two);
        assert_memory_equal(one, two, CCAI_SHA256_LEN);
    }
}

static void test_sha256_hex_round_trip_and_rejects_bad_hex(void **state)
{
    uint8_t d[CCAI_SHA256_LEN];
    uint8_t back[CCAI_SHA256_LEN];
    char hex[65];

    (void)state;
    ccai_sha256("abc", 3, d);
    ccai_sha256_hex(d, hex);
    assert_int_equal(ccai_sha256_from_hex(hex, back), 0);
    assert_true(ccai_sha256_equal(d, back));
    hex[0] = 'B'; /* uppercase accepted */
    hex[0] = 'g';
    assert_int_equal(ccai_sha256_from_hex(hex, back), -1);
    assert_int_equal(ccai_sha256_from_hex("abcd", back), -1);
    assert_int_equal(
        ccai_sha256_from_hex(
            "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
            back),
        0);
    assert_true(ccai_sha256_equal(d, back));
    back[31] ^= 1;
    assert_false(ccai_sha256_equal(d, back));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_matches_fips_vectors),
        cmocka_unit_test(test_sha256_million_a_streamed),
        cmocka_unit_test(test_sha256_streaming_equals_one_shot_at_every_split),
        cmocka_unit_test(test_sha256_hex_round_trip_and_rejects_bad_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
