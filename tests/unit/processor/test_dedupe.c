/* test_dedupe - completed event_ids answer from the cache: hits, misses,
 * replacement, the entry bound (oldest first) and the TTL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "dedupe.h"

#include "banned.h"

static void test_hit_miss_and_replace(void **state)
{
    struct dedupe *d = dedupe_new(10, 0);
    size_t len = 0;

    (void)state;
    assert_non_null(d);
    assert_null(dedupe_get(d, "e1", 0, &len));
    assert_int_equal(dedupe_put(d, "e1", "{\"a\":1}", 7, 0), 0);
    assert_string_equal(dedupe_get(d, "e1", 1, &len), "{\"a\":1}");
    assert_int_equal(len, 7);
    assert_int_equal(dedupe_put(d, "e1", "{\"a\":2}", 7, 2), 0);
    assert_string_equal(dedupe_get(d, "e1", 3, NULL), "{\"a\":2}");
    assert_int_equal(dedupe_size(d), 1);
    assert_null(dedupe_get(d, NULL, 3, NULL));
    dedupe_free(d);
}

static void test_bound_drops_oldest(void **state)
{
    struct dedupe *d = dedupe_new(3, 0);

    (void)state;
    for (int k = 0; k < 10; k++) {
        char id[16];
        snprintf(id, sizeof(id), "e%d", k);
        assert_int_equal(dedupe_put(d, id, "x", 1, k), 0);
    }
    assert_int_equal(dedupe_size(d), 3);
    assert_null(dedupe_get(d, "e6", 10, NULL));
    assert_non_null(dedupe_get(d, "e7", 10, NULL));
    assert_non_null(dedupe_get(d, "e9", 10, NULL));
    dedupe_free(d);
}

static void test_ttl_expires(void **state)
{
    struct dedupe *d = dedupe_new(100, 1000);

    (void)state;
    assert_int_equal(dedupe_put(d, "old", "x", 1, 0), 0);
    assert_int_equal(dedupe_put(d, "new", "y", 1, 800), 0);
    assert_null(dedupe_get(d, "old", 1500, NULL));
    assert_non_null(dedupe_get(d, "new", 1500, NULL));
    assert_int_equal(dedupe_size(d), 1);
    dedupe_free(d);
}

static void test_disabled_cache_never_hits(void **state)
{
    struct dedupe *d = dedupe_new(0, 0);

    (void)state;
    assert_int_equal(dedupe_put(d, "e", "x", 1, 0), 0);
    assert_null(dedupe_get(d, "e", 0, NULL));
    dedupe_free(d);
    dedupe_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_miss_and_replace),
        cmocka_unit_test(test_bound_drops_oldest),
        cmocka_unit_test(test_ttl_expires),
        cmocka_unit_test(test_disabled_cache_never_hits),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
