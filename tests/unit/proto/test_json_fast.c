/* test_json_fast - the fast JSON loader against jansson itself: for every
 * input, json_fast_loadb must give what json_loadb(JSON_REJECT_DUPLICATES)
 * gives (the same tree, the same dump, the same error text and position),
 * and the fast path must really take the inputs it is meant for and hand
 * the others to jansson. Single-threaded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json_fast.h"

/* Same result as jansson for @text (@len bytes); returns whether the fast
 * path decided it alone. */
static bool same_as_jansson(const char *text, size_t len)
{
    json_error_t jerr, ferr;
    json_t *want = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    json_t *got = json_fast_loadb(text, len, &ferr);
    json_t *fast = json_fast_try(text, len);
    bool decided = fast != NULL;

    if (want == NULL) {
        assert_null(got);
        assert_null(fast); /* the fast path never accepts what jansson
                              rejects */
        assert_string_equal(jerr.text, ferr.text);
        assert_int_equal(jerr.line, ferr.line);
        assert_int_equal(jerr.column, ferr.column);
        assert_int_equal(jerr.position, ferr.position);
        assert_int_equal(json_error_code(&jerr), json_error_code(&ferr));
    } else {
        char *a = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);
        char *b = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);

        assert_non_null(got);
        assert_true(json_equal(want, got));
        assert_string_equal(a, b); /* key order and number types too */
        if (fast != NULL)
            assert_true(json_equal(want, fast));
        free(a);
        free(b);
    }
    json_decref(want);
    json_decref(got);
    json_decref(fast);
    return decided;
}

static bool same(const char *text)
{
    return same_as_jansson(text, strlen(text));
}

static void test_fast_path_takes_events(void **state)
{
    (void)state;
    assert_true(same("{\"contact_id\":\"c-1\",\"type\":\"message.received\","
                     "\"sequence\":12,\"participant\":{\"role\":\"customer\","
                     "\"id\":\"u\"},\"text\":\"hello\",\"is_partial\":false,"
                     "\"attributes\":{\"a\":null,\"b\":true,\"n\":-7}}"));
    assert_true(same("  {\"a\" : [ 1 , 2 , [ ] , { } ] }\r\n\t"));
    assert_true(same("[]"));
    assert_true(same("{}"));
    assert_true(same("[0,-0,123456789012345678,-123456789012345678]"));
    /* keys keep their order; an empty key is a key */
    assert_true(same("{\"z\":1,\"a\":2,\"m\":3,\"\":4}"));
}

static void test_fast_path_strings(void **state)
{
    (void)state;
    assert_true(same("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]"));
    assert_true(same("[\"\\u00e9\\u20AC\\ud83d\\ude00 x\"]"));
    assert_true(same("{\"caf\\u00e9\":\"\\u0041\"}"));
    assert_true(same("[\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"]"));
    assert_true(same("[\"\x7f\"]")); /* DEL is not a control character */
    assert_true(same("{\"k\\n\":\"v\"}"));
}

static void test_long_strings(void **state)
{
    size_t n = 70000;
    char *text = malloc(n + 16);
    char *key = malloc(n + 16);

    (void)state;
    assert_non_null(text);
    assert_non_null(key);
    /* longer than the stack buffer, with escapes and UTF-8 */
    memcpy(text, "[\"", 2);
    for (size_t i = 0; i < n; i += 5)
        memcpy(text + 2 + i, i % 2 ? "\\n\xc3\xa9x" : "abcde", 5);
    memcpy(text + 2 + n, "\"]", 3);
    assert_true(same(text));
    (void)snprintf(key, 8, "{\"");
    memset(key + 2, 'k', n);
    memcpy(key + 2 + n, "\\t\":1}", 7);
    assert_true(same(key));
    free(text);
    free(key);
}

/* Valid JSON the fast path leaves to jansson: same tree all the same. */
static void test_jansson_decides_the_rest(void **state)
{
    (void)state;
    assert_false(same("[1.5]"));
    assert_false(same("[1e3]"));
    assert_false(same("[-2E-2]"));
    assert_false(same("[1234567890123456789]")); /* 19 digits: fits */
    assert_false(same("{\"n\":9223372036854775807}"));
}

/* Invalid input: jansson's exact error, never a tree. */
static void test_errors_are_janssons(void **state)
{
    static const char *const bad[] = {
        "",
        "   ",
        "5",
        "\"s\"",
        "null",
        "{",
        "[",
        "{\"a\":1,}",
        "[1,]",
        "{\"a\" 1}",
        "{a:1}",
        "{\"a\":1}x",
        "{\"a\":1} {}",
        "[01]",
        "[-]",
        "[--1]",
        "[+1]",
        "[.5]",
        "[1.]",
        "[tru]",
        "[truex]",
        "[nul]",
        "[\"\\x\"]",
        "[\"\\u12\"]",
        "[\"\\u0000\"]",
        "[\"\\ud800\"]",
        "[\"\\ud800\\u0041\"]",
        "[\"\\udc00\"]",
        "[\"a\x01\"]",
        "[\"a\nb\"]",
        "[\"\xc3\"]",
        "[\"\xc0\x80\"]",
        "[\"\xe0\x80\x80\"]",
        "[\"\xed\xa0\x80\"]",
        "[\"\xf4\x90\x80\x80\"]",
        "[\"\xff\"]",
        "[\"\x80\"]",
        "{\"a\":1,\"a\":2}",
        "{\"a\":{\"b\":1,\"b\":1}}",
        "[99999999999999999999]",
        "[-99999999999999999999]",
        "[\"unterminated",
        "[\"a\\",
        "\xef\xbb\xbf{}",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(same(bad[i]));
    /* a NUL byte inside the buffer */
    assert_false(same_as_jansson("[\"a\0b\"]", 7));
    assert_false(same_as_jansson("{}\0", 3));
    assert_false(same_as_jansson(NULL, 0)); /* "wrong arguments" */
}

/* Every prefix of a valid document: each is invalid, and the error is
 * jansson's (truncation at every possible state of the parser). */
static void test_every_prefix(void **state)
{
    const char *doc = "{\"a\":[1,-2,true,false,null,\"x\\u00e9\\n\xc3\xa9\"],"
                      "\"b\":{\"c\":{}}}";
    size_t len = strlen(doc);

    (void)state;
    for (size_t i = 0; i < len; i++)
        assert_false(same_as_jansson(doc, i));
    assert_true(same_as_jansson(doc, len));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fast_path_takes_events),
        cmocka_unit_test(test_fast_path_strings),
        cmocka_unit_test(test_long_strings),
        cmocka_unit_test(test_jansson_decides_the_rest),
        cmocka_unit_test(test_errors_are_janssons),
        cmocka_unit_test(test_every_prefix),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
