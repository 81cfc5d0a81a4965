/* test_context - per-contact windows: the last N turns in order, older
 * turns as digest lines, turn text cut at a UTF-8 boundary, LRU eviction
 * at max_contacts, idle TTL, and drop on contact.ended. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"

#include "banned.h"

static struct context *make(
    unsigned contacts, unsigned turns, size_t chars, unsigned earlier, long ttl)
{
    struct context_limits lim = {
        .max_contacts = contacts,
        .max_turns = turns,
        .max_turn_chars = chars,
        .max_earlier = earlier,
        .earlier_chars = 8,
        .idle_ttl_ms = ttl,
    };
    struct context *ctx = context_new(&lim);

    assert_non_null(ctx);
    return ctx;
}

static void test_window_keeps_last_turns_in_order(void **state)
{
    struct context *ctx = make(10, 3, 100, 2, 0);
    struct context_window win;

    (void)state;
    for (int k = 0; k < 6; k++) {
        char text[32];
        snprintf(text, sizeof(text), "turn number %d", k);
        assert_int_equal(context_append(ctx, "c1", k % 2 ? "agent" : "customer",
                                        text, k, 1000 + k),
                         0);
    }
    assert_int_equal(context_get(ctx, "c1", 2000, &win), 0);
    assert_int_equal(win.n_turns, 3);
    assert_string_equal(win.turns[0].text, "turn number 3");
    assert_string_equal(win.turns[2].text, "turn number 5");
    assert_string_equal(win.turns[2].role, "agent");
    assert_int_equal(win.turns[1].sequence, 4);
    /* digest of older turns: two lines kept, 8 bytes each */
    assert_int_equal(win.n_earlier, 2);
    assert_string_equal(win.earlier[0].text, "turn num");
    assert_int_equal(win.earlier[1].sequence, 2);
    assert_int_equal(win.total_turns, 6);
    assert_true(win.truncated); /* turn 0 fell out of the digest */
    context_window_release(&win);
    assert_int_equal(context_get(ctx, "unknown", 2000, &win), 0);
    assert_int_equal(win.n_turns, 0);
    context_window_release(&win);
    context_free(ctx);
}

static void test_text_is_cut_at_utf8_boundary(void **state)
{
    struct context *ctx = make(10, 3, 5, 0, 0);
    struct context_window win;
    bool cut = false;
    char *s = NULL;

    (void)state;
    /* "abcd" + a 2-byte char would cross the 5-byte cap */
    assert_int_equal(
        context_append(ctx, "c", "customer", "abcd\xc3\xa9xyz", 1, 1), 0);
    assert_int_equal(context_get(ctx, "c", 1, &win), 0);
    assert_string_equal(win.turns[0].text, "abcd");
    assert_true(win.truncated);
    context_window_release(&win);
    s = context_truncate_utf8("h\xe2\x82\xac", 3, &cut);
    assert_string_equal(s, "h");
    assert_true(cut);
    free(s);
    s = context_truncate_utf8("short", 10, &cut);
    assert_string_equal(s, "short");
    assert_false(cut);
    free(s);
    context_free(ctx);
}

static void test_lru_evicts_least_recently_used(void **state)
{
    struct context *ctx = make(2, 3, 100, 0, 0);
    struct context_window win;

    (void)state;
    assert_int_equal(context_append(ctx, "a", "customer", "a1", 1, 1), 0);
    assert_int_equal(context_append(ctx, "b", "customer", "b1", 1, 2), 0);
    /* touch a, so b is the least recently used */
    assert_int_equal(context_get(ctx, "a", 3, &win), 0);
    context_window_release(&win);
    assert_int_equal(context_append(ctx, "c", "customer", "c1", 1, 4), 0);
    assert_int_equal(context_size(ctx), 2);
    assert_int_equal(context_evicted(ctx), 1);
    assert_int_equal(context_get(ctx, "b", 5, &win), 0);
    assert_int_equal(win.n_turns, 0);
    context_window_release(&win);
    assert_int_equal(context_get(ctx, "a", 5, &win), 0);
    assert_int_equal(win.n_turns, 1);
    context_window_release(&win);
    context_free(ctx);
}

static void test_idle_ttl_and_drop(void **state)
{
    struct context *ctx = make(100, 3, 100, 0, 1000);
    struct context_window win;

    (void)state;
    assert_int_equal(context_append(ctx, "old", "customer", "x", 1, 0), 0);
    assert_int_equal(context_append(ctx, "new", "customer", "y", 1, 900), 0);
    context_expire(ctx, 1500);
    assert_int_equal(context_size(ctx), 1);
    assert_int_equal(context_evicted(ctx), 1);
    assert_int_equal(context_get(ctx, "new", 1500, &win), 0);
    assert_int_equal(win.n_turns, 1);
    context_window_release(&win);
    context_drop(ctx, "new");
    context_drop(ctx, "never-seen");
    assert_int_equal(context_size(ctx), 0);
    context_free(ctx);
}

static void test_many_contacts_stay_bounded(void **state)
{
    struct context *ctx = make(50, 2, 16, 1, 0);

    (void)state;
    for (int k = 0; k < 5000; k++) {
        char id[32];
        snprintf(id, sizeof(id), "contact-%d", k % 300);
        assert_int_equal(context_append(ctx, id, "customer",
                                        "some text that is long enough", k, k),
                         0);
    }
    assert_int_equal(context_size(ctx), 50);
    context_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_keeps_last_turns_in_order),
        cmocka_unit_test(test_text_is_cut_at_utf8_boundary),
        cmocka_unit_test(test_lru_evicts_least_recently_used),
        cmocka_unit_test(test_idle_ttl_and_drop),
        cmocka_unit_test(test_many_contacts_stay_bounded),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
