/* scheduler - per-key FIFO queues, a FIFO of ready keys and a cap on
 * running keys; see scheduler.h. Keys live in a chained hash table (FNV-1a)
 * and are freed as soon as they have nothing waiting or running. Pure;
 * main loop thread only. */
#include "scheduler.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define SCHED_MIN_BUCKETS 1024

struct scheduler_key {
    struct scheduler_key *hnext; /* hash chain */
    struct scheduler_key *rnext; /* ready list */
    struct scheduler_item *head; /* waiting items, FIFO */
    struct scheduler_item *tail;
    uint64_t hash;
    bool running;
    bool ready; /* on the ready list */
    size_t len;
    char name[]; /* key bytes, NUL-terminated for convenience */
};

struct scheduler {
    struct scheduler_key **buckets;
    size_t n_buckets; /* power of two */
    size_t n_keys;
    struct scheduler_key *ready_head;
    struct scheduler_key *ready_tail;
    size_t waiting;
    unsigned running;
    unsigned max_running;
};

static uint64_t fnv1a(const char *key, size_t len)
{
    uint64_t h = 1469598103934665603ULL;

    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 1099511628211ULL;
    }
    return h;
}

struct scheduler *scheduler_new(unsigned max_running)
{
    struct scheduler *s = calloc(1, sizeof(*s));

    if (s == NULL)
        return NULL;
    s->n_buckets = SCHED_MIN_BUCKETS;
    s->buckets = calloc(s->n_buckets, sizeof(struct scheduler_key *));
    if (s->buckets == NULL) {
        free(s);
        return NULL;
    }
    s->max_running = max_running ? max_running : 1;
    return s;
}

void scheduler_free(struct scheduler *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n_buckets; i++) {
        struct scheduler_key *k = s->buckets[i];

        while (k) {
            struct scheduler_key *next = k->hnext;
            free(k);
            k = next;
        }
    }
    free(s->buckets);
    free(s);
}

static int rehash(struct scheduler *s)
{
    size_t n = s->n_buckets * 2;
    struct scheduler_key **nb = calloc(n, sizeof(struct scheduler_key *));

    if (nb == NULL)
        return -1;
    for (size_t i = 0; i < s->n_buckets; i++) {
        struct scheduler_key *k = s->buckets[i];

        while (k) {
            struct scheduler_key *next = k->hnext;
            size_t b = (size_t)k->hash & (n - 1);

            k->hnext = nb[b];
            nb[b] = k;
            k = next;
        }
    }
    free(s->buckets);
    s->buckets = nb;
    s->n_buckets = n;
    return 0;
}

static struct scheduler_key *
key_get(struct scheduler *s, const char *key, size_t len, bool create)
{
    uint64_t h = fnv1a(key, len);
    size_t b = (size_t)h & (s->n_buckets - 1);
    struct scheduler_key *k = NULL;

    for (k = s->buckets[b]; k; k = k->hnext) {
        if (k->hash == h && k->len == len && memcmp(k->name, key, len) == 0)
            return k;
    }
    if (!create)
        return NULL;
    if (s->n_keys >= s->n_buckets && rehash(s) == 0)
        b = (size_t)h & (s->n_buckets - 1);
    k = calloc(1, sizeof(*k) + len + 1);
    if (k == NULL)
        return NULL;
    memcpy(k->name, key, len);
    k->len = len;
    k->hash = h;
    k->hnext = s->buckets[b];
    s->buckets[b] = k;
    s->n_keys++;
    return k;
}

static void key_unlink_free(struct scheduler *s, struct scheduler_key *k)
{
    size_t b = (size_t)k->hash & (s->n_buckets - 1);
    struct scheduler_key **pp = &s->buckets[b];

    while (*pp && *pp != k)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = k->hnext;
    s->n_keys--;
    free(k);
}

static void ready_append(struct scheduler *s, struct scheduler_key *k)
{
    if (k->ready || k->running || k->head == NULL)
        return;
    k->ready = true;
    k->rnext = NULL;
    if (s->ready_tail)
        s->ready_tail->rnext = k;
    else
        s->ready_head = k;
    s->ready_tail = k;
}

int scheduler_push(struct scheduler *s,
                   const char *key,
                   size_t len,
                   struct scheduler_item *item)
{
    struct scheduler_key *k = key_get(s, key ? key : "", key ? len : 0, true);

    if (k == NULL)
        return -1;
    item->next = NULL;
    item->key = k;
    if (k->tail)
        k->tail->next = item;
    else
        k->head = item;
    k->tail = item;
    s->waiting++;
    ready_append(s, k);
    return 0;
}

struct scheduler_item *scheduler_next(struct scheduler *s)
{
    struct scheduler_key *k = s->ready_head;
    struct scheduler_item *item = NULL;

    if (k == NULL || s->running >= s->max_running)
        return NULL;
    s->ready_head = k->rnext;
    if (s->ready_head == NULL)
        s->ready_tail = NULL;
    k->rnext = NULL;
    k->ready = false;
    item = k->head;
    k->head = item->next;
    if (k->head == NULL)
        k->tail = NULL;
    item->next = NULL;
    k->running = true;
    s->running++;
    s->waiting--;
    return item;
}

void scheduler_done(struct scheduler *s, struct scheduler_item *item)
{
    struct scheduler_key *k = item->key;

    if (k == NULL || !k->running)
        return;
    item->key = NULL;
    k->running = false;
    s->running--;
    if (k->head == NULL)
        key_unlink_free(s, k);
    else
        ready_append(s, k);
}

static void ready_remove(struct scheduler *s, struct scheduler_key *k)
{
    struct scheduler_key *prev = NULL;

    for (struct scheduler_key *r = s->ready_head; r; r = r->rnext) {
        if (r == k) {
            if (prev)
                prev->rnext = r->rnext;
            else
                s->ready_head = r->rnext;
            if (s->ready_tail == r)
                s->ready_tail = prev;
            r->rnext = NULL;
            r->ready = false;
            return;
        }
        prev = r;
    }
}

size_t scheduler_cancel(struct scheduler *s,
                        scheduler_match_fn *match,
                        scheduler_drop_fn *drop,
                        void *ctx)
{
    size_t dropped = 0;

    for (size_t b = 0; b < s->n_buckets; b++) {
        struct scheduler_key *k = s->buckets[b];

        while (k) {
            struct scheduler_key *knext = k->hnext;
            struct scheduler_item **pp = &k->head;
            struct scheduler_item *last = NULL;

            while (*pp) {
                struct scheduler_item *it = *pp;

                if (match(it, ctx)) {
                    *pp = it->next;
                    it->next = NULL;
                    it->key = NULL;
                    s->waiting--;
                    dropped++;
                    if (drop)
                        drop(it, ctx);
                } else {
                    last = it;
                    pp = &it->next;
                }
            }
            k->tail = last;
            if (k->head == NULL) {
                if (k->ready)
                    ready_remove(s, k);
                if (!k->running)
                    key_unlink_free(s, k);
            }
            k = knext;
        }
    }
    return dropped;
}

size_t scheduler_waiting(const struct scheduler *s)
{
    return s->waiting;
}

unsigned scheduler_running(const struct scheduler *s)
{
    return s->running;
}

size_t scheduler_keys(const struct scheduler *s)
{
    return s->n_keys;
}
