/* test_scheduler - per-key FIFO order, one running item per key, the cap on
 * running keys, fairness between keys and cancellation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "scheduler.h"

struct rec {
    struct scheduler_item item; /* first: cast back from the item */
    int key;
    int seq;
    int partition;
};

static struct rec *rec_of(struct scheduler_item *it)
{
    return (struct rec *)(void *)it;
}

static void push(struct scheduler *s, struct rec *r)
{
    char k[16];

    snprintf(k, sizeof(k), "c-%d", r->key);
    assert_int_equal(scheduler_push(s, k, strlen(k), &r->item), 0);
}

static void test_one_key_runs_one_at_a_time_in_order(void **state)
{
    struct scheduler *s = scheduler_new(8);
    struct rec r[3] = {
        {.key = 1, .seq = 0}, {.key = 1, .seq = 1}, {.key = 1, .seq = 2}};

    (void)state;
    for (int i = 0; i < 3; i++)
        push(s, &r[i]);
    assert_ptr_equal(scheduler_next(s), &r[0].item);
    assert_null(scheduler_next(s)); /* key busy */
    scheduler_done(s, &r[0].item);
    assert_ptr_equal(scheduler_next(s), &r[1].item);
    assert_null(scheduler_next(s));
    scheduler_done(s, &r[1].item);
    assert_ptr_equal(scheduler_next(s), &r[2].item);
    scheduler_done(s, &r[2].item);
    assert_null(scheduler_next(s));
    assert_int_equal(scheduler_keys(s), 0);
    assert_int_equal(scheduler_waiting(s), 0);
    scheduler_free(s);
}

static void test_different_keys_run_in_parallel_up_to_cap(void **state)
{
    struct scheduler *s = scheduler_new(3);
    struct rec r[5];
    struct scheduler_item *got[5] = {0};

    (void)state;
    for (int i = 0; i < 5; i++) {
        r[i] = (struct rec){.key = i, .seq = 0};
        push(s, &r[i]);
    }
    for (int i = 0; i < 3; i++) {
        got[i] = scheduler_next(s);
        assert_ptr_equal(got[i], &r[i].item); /* FIFO over keys */
    }
    assert_null(scheduler_next(s)); /* cap */
    assert_int_equal(scheduler_running(s), 3);
    assert_int_equal(scheduler_waiting(s), 2);
    scheduler_done(s, got[1]);
    assert_ptr_equal(scheduler_next(s), &r[3].item);
    assert_null(scheduler_next(s));
    scheduler_free(s);
}

static void test_busy_key_does_not_block_other_keys(void **state)
{
    struct scheduler *s = scheduler_new(4);
    struct rec a0 = {.key = 1, .seq = 0}, a1 = {.key = 1, .seq = 1};
    struct rec b0 = {.key = 2, .seq = 0};

    (void)state;
    push(s, &a0);
    push(s, &a1);
    push(s, &b0);
    assert_ptr_equal(scheduler_next(s), &a0.item);
    assert_ptr_equal(scheduler_next(s), &b0.item); /* a1 waits for a0 */
    assert_null(scheduler_next(s));
    scheduler_done(s, &a0.item);
    assert_ptr_equal(scheduler_next(s), &a1.item);
    scheduler_free(s);
}

/* a randomised run: many keys, many items, random completion order; every
 * key's items come out strictly in push order and never two at once */
static void test_random_completion_keeps_per_key_order(void **state)
{
    enum { KEYS = 50, PER = 40, N = KEYS * PER, CAP = 7 };
    static struct rec recs[N];
    struct scheduler *s = scheduler_new(CAP);
    struct rec *running[N];
    size_t n_running = 0;
    int next_seq[KEYS] = {0};
    int busy[KEYS] = {0};
    unsigned seed = 42;
    size_t finished = 0;

    (void)state;
    for (int i = 0; i < N; i++) {
        recs[i] = (struct rec){.key = i % KEYS, .seq = i / KEYS};
        push(s, &recs[i]);
    }
    while (finished < N) {
        struct scheduler_item *it = NULL;

        while ((it = scheduler_next(s)) != NULL) {
            struct rec *r = rec_of(it);

            assert_int_equal(busy[r->key], 0);
            assert_int_equal(r->seq, next_seq[r->key]);
            busy[r->key] = 1;
            next_seq[r->key]++;
            running[n_running++] = r;
        }
        assert_true(n_running <= CAP);
        assert_true(n_running > 0);
        seed = seed * 1103515245u + 12345u;
        size_t pick = (seed >> 8) % n_running;
        struct rec *r = running[pick];

        running[pick] = running[--n_running];
        busy[r->key] = 0;
        scheduler_done(s, &r->item);
        finished++;
    }
    for (int k = 0; k < KEYS; k++)
        assert_int_equal(next_seq[k], PER);
    assert_int_equal(scheduler_keys(s), 0);
    scheduler_free(s);
}

static bool match_partition(struct scheduler_item *it, void *ctx)
{
    return rec_of(it)->partition == *(int *)ctx;
}

static void count_drop(struct scheduler_item *it, void *ctx)
{
    (void)it;
    (void)ctx;
    function_called();
}

static void test_cancel_drops_waiting_items_only(void **state)
{
    struct scheduler *s = scheduler_new(8);
    struct rec a0 = {.key = 1, .seq = 0, .partition = 0};
    struct rec a1 = {.key = 1, .seq = 1, .partition = 0};
    struct rec b0 = {.key = 2, .seq = 0, .partition = 0};
    struct rec c0 = {.key = 3, .seq = 0, .partition = 1};
    int part = 0;

    (void)state;
    push(s, &a0);
    push(s, &a1);
    push(s, &b0);
    push(s, &c0);
    assert_ptr_equal(scheduler_next(s), &a0.item); /* a0 runs */
    expect_function_calls(count_drop, 2);          /* a1, b0 */
    assert_int_equal(scheduler_cancel(s, match_partition, count_drop, &part),
                     2);
    assert_int_equal(scheduler_waiting(s), 1);
    assert_ptr_equal(scheduler_next(s), &c0.item);
    assert_null(scheduler_next(s));
    scheduler_done(s, &a0.item);
    scheduler_done(s, &c0.item);
    assert_null(scheduler_next(s));
    assert_int_equal(scheduler_keys(s), 0);
    scheduler_free(s);
}

static void test_many_keys_grow_table(void **state)
{
    enum { N = 20000 };
    static struct rec recs[N];
    struct scheduler *s = scheduler_new(N);

    (void)state;
    for (int i = 0; i < N; i++) {
        recs[i] = (struct rec){.key = i};
        push(s, &recs[i]);
    }
    assert_int_equal(scheduler_keys(s), N);
    for (int i = 0; i < N; i++)
        assert_ptr_equal(scheduler_next(s), &recs[i].item);
    for (int i = 0; i < N; i++)
        scheduler_done(s, &recs[i].item);
    assert_int_equal(scheduler_keys(s), 0);
    scheduler_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_key_runs_one_at_a_time_in_order),
        cmocka_unit_test(test_different_keys_run_in_parallel_up_to_cap),
        cmocka_unit_test(test_busy_key_does_not_block_other_keys),
        cmocka_unit_test(test_random_completion_keeps_per_key_order),
        cmocka_unit_test(test_cancel_drops_waiting_items_only),
        cmocka_unit_test(test_many_keys_grow_table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
