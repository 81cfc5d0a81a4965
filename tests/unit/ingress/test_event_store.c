/* test_event_store - window expiry and capacity eviction with a fake
 * clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "event_store.h"

#include "banned.h"

static void test_event_store_remembers_within_window(void **state)
{
    struct event_store *s = event_store_new(1000, 8);

    (void)state;
    event_store_put(s, "e1", 0);
    event_store_put(s, "e2", 500);
    assert_true(event_store_has(s, "e1", 900));
    assert_true(event_store_has(s, "e2", 900));
    assert_false(event_store_has(s, "e3", 900));
    assert_false(event_store_has(s, "e1", 1001)); /* expired */
    assert_true(event_store_has(s, "e2", 1001));
    event_store_free(s);
}

static void test_event_store_evicts_oldest_when_full(void **state)
{
    struct event_store *s = event_store_new(60000, 4);
    char id[16];

    (void)state;
    for (int i = 0; i < 10; i++) {
        snprintf(id, sizeof(id), "e%d", i);
        event_store_put(s, id, i);
    }
    for (int i = 0; i < 10; i++) {
        snprintf(id, sizeof(id), "e%d", i);
        assert_int_equal(event_store_has(s, id, 10), i >= 6);
    }
    event_store_free(s);
}

static void test_event_store_ignores_bad_ids(void **state)
{
    struct event_store *s = event_store_new(1000, 2);
    char longid[200];

    (void)state;
    memset(longid, 'a', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = '\0';
    event_store_put(s, "", 0);
    event_store_put(s, longid, 0);
    assert_false(event_store_has(s, longid, 0));
    event_store_free(s);
    event_store_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_store_remembers_within_window),
        cmocka_unit_test(test_event_store_evicts_oldest_when_full),
        cmocka_unit_test(test_event_store_ignores_bad_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
