/* test_offsets - the per-partition offset tracker: committable offset with
 * out-of-order completions, gaps, resets and growth. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "offsets.h"

static void test_nothing_committable_before_first_done(void **state)
{
    struct offsets o;

    (void)state;
    offsets_init(&o);
    assert_int_equal(offsets_committable(&o), -1);
    assert_int_equal(offsets_track(&o, 10), 0);
    assert_int_equal(offsets_committable(&o), -1);
    assert_int_equal(offsets_pending(&o), 1);
    offsets_release(&o);
}

static void test_in_order_completion_advances(void **state)
{
    struct offsets o;

    (void)state;
    offsets_init(&o);
    for (int64_t i = 0; i < 5; i++)
        assert_int_equal(offsets_track(&o, i), 0);
    assert_int_equal(offsets_done(&o, 0), 0);
    assert_int_equal(offsets_committable(&o), 1);
    assert_int_equal(offsets_done(&o, 1), 0);
    assert_int_equal(offsets_committable(&o), 2);
    assert_int_equal(offsets_pending(&o), 3);
    offsets_release(&o);
}

static void test_out_of_order_completion_waits_for_lowest(void **state)
{
    struct offsets o;

    (void)state;
    offsets_init(&o);
    for (int64_t i = 100; i < 105; i++)
        assert_int_equal(offsets_track(&o, i), 0);
    assert_int_equal(offsets_done(&o, 103), 0);
    assert_int_equal(offsets_done(&o, 101), 0);
    assert_int_equal(offsets_committable(&o), -1);
    assert_true(offsets_is_pending(&o, 100));
    assert_false(offsets_is_pending(&o, 101));
    assert_int_equal(offsets_done(&o, 100), 0);
    /* 100 and 101 done, 102 pending */
    assert_int_equal(offsets_committable(&o), 102);
    assert_int_equal(offsets_done(&o, 102), 0);
    /* 103 was already done: jumps to 104 */
    assert_int_equal(offsets_committable(&o), 104);
    assert_int_equal(offsets_done(&o, 104), 0);
    assert_int_equal(offsets_committable(&o), 105);
    assert_int_equal(offsets_pending(&o), 0);
    offsets_release(&o);
}

static void test_gaps_commit_last_plus_one(void **state)
{
    struct offsets o;

    (void)state;
    offsets_init(&o);
    assert_int_equal(offsets_track(&o, 3), 0);
    assert_int_equal(offsets_track(&o, 7), 0);
    assert_int_equal(offsets_track(&o, 20), 0);
    assert_int_equal(offsets_done(&o, 20), 0);
    assert_int_equal(offsets_done(&o, 3), 0);
    assert_int_equal(offsets_committable(&o), 4);
    assert_int_equal(offsets_done(&o, 7), 0);
    assert_int_equal(offsets_committable(&o), 21);
    offsets_release(&o);
}

static void test_rejects_non_increasing_and_unknown(void **state)
{
    struct offsets o;

    (void)state;
    offsets_init(&o);
    assert_int_equal(offsets_track(&o, 5), 0);
    assert_int_equal(offsets_track(&o, 5), -1);
    assert_int_equal(offsets_track(&o, 4), -1);
    assert_int_equal(offsets_track(&o, -1), -1);
    assert_int_equal(offsets_done(&o, 6), -1);
    assert_int_equal(offsets_done(&o, 5), 0);
    assert_int_equal(offsets_done(&o, 5), -1); /* twice */
    offsets_release(&o);
}

static void test_reset_forgets_everything(void **state)
{
    struct offsets o;

    (void)state;
    offsets_init(&o);
    assert_int_equal(offsets_track(&o, 5), 0);
    assert_int_equal(offsets_done(&o, 5), 0);
    assert_int_equal(offsets_track(&o, 6), 0);
    offsets_reset(&o);
    assert_int_equal(offsets_committable(&o), -1);
    assert_int_equal(offsets_pending(&o), 0);
    assert_int_equal(offsets_done(&o, 6), -1);
    /* after a reassignment the fetch may restart lower */
    assert_int_equal(offsets_track(&o, 2), 0);
    assert_int_equal(offsets_done(&o, 2), 0);
    assert_int_equal(offsets_committable(&o), 3);
    offsets_release(&o);
}

/* many offsets, ring wrap-around and growth, completed in a scrambled
 * order: committable is always the lowest pending offset */
static void test_scrambled_completion_matches_model(void **state)
{
    enum { N = 5000 };
    struct offsets o;
    int64_t *order = malloc(N * sizeof(*order));
    char *done = calloc(N, 1);
    unsigned seed = 12345;

    (void)state;
    assert_non_null(order);
    assert_non_null(done);
    offsets_init(&o);
    /* interleave tracking and completion so the ring wraps */
    for (int64_t i = 0; i < N; i++) {
        assert_int_equal(offsets_track(&o, i * 2), 0);
        order[i] = i;
    }
    for (int i = N - 1; i > 0; i--) {
        int j = 0;
        int64_t t = 0;

        seed = seed * 1103515245u + 12345u;
        j = (int)((seed >> 8) % (unsigned)(i + 1));
        t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (int i = 0; i < N; i++) {
        int64_t lowest = 0;

        assert_int_equal(offsets_done(&o, order[i] * 2), 0);
        done[order[i]] = 1;
        while (lowest < N && done[lowest])
            lowest++;
        if (lowest == 0)
            assert_int_equal(offsets_committable(&o), -1);
        else if (lowest == N)
            assert_int_equal(offsets_committable(&o), (N - 1) * 2 + 1);
        else
            assert_int_equal(offsets_committable(&o), (lowest - 1) * 2 + 1);
    }
    assert_int_equal(offsets_pending(&o), 0);
    offsets_release(&o);
    free(order);
    free(done);
}

static void test_ring_wraps_while_streaming(void **state)
{
    struct offsets o;
    int64_t next_done = 0;

    (void)state;
    offsets_init(&o);
    for (int64_t i = 0; i < 10000; i++) {
        assert_int_equal(offsets_track(&o, i), 0);
        if (i % 3 == 2) { /* finish in order, three behind */
            assert_int_equal(offsets_done(&o, next_done), 0);
            next_done++;
            assert_int_equal(offsets_committable(&o), next_done);
        }
    }
    assert_true(o.cap <= 8192);
    offsets_release(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_committable_before_first_done),
        cmocka_unit_test(test_in_order_completion_advances),
        cmocka_unit_test(test_out_of_order_completion_waits_for_lowest),
        cmocka_unit_test(test_gaps_commit_last_plus_one),
        cmocka_unit_test(test_rejects_non_increasing_and_unknown),
        cmocka_unit_test(test_reset_forgets_everything),
        cmocka_unit_test(test_scrambled_completion_matches_model),
        cmocka_unit_test(test_ring_wraps_while_streaming),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
