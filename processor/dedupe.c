/* dedupe - event_id -> result cache (see dedupe.h): a chained hash table
 * plus an insertion-ordered list; the oldest entries leave first, at the
 * bound or when older than the TTL. Main loop thread only. */
#include "dedupe.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

struct entry {
    char *id;
    char *json;
    size_t len;
    int64_t at_ms;
    struct entry *hnext;
    struct entry *prev, *next; /* oldest at head */
};

struct dedupe {
    unsigned max_entries;
    long ttl_ms;
    struct entry **buckets;
    size_t n_buckets;
    struct entry *head, *tail;
    unsigned size;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

struct dedupe *dedupe_new(unsigned max_entries, long ttl_ms)
{
    struct dedupe *d = calloc(1, sizeof(*d));

    if (d == NULL)
        return NULL;
    d->max_entries = max_entries;
    d->ttl_ms = ttl_ms;
    d->n_buckets = 64;
    while (d->n_buckets < max_entries && d->n_buckets < (1u << 20))
        d->n_buckets *= 2;
    d->buckets = calloc(d->n_buckets, sizeof(*d->buckets));
    if (d->buckets == NULL) {
        free(d);
        return NULL;
    }
    return d;
}

static struct entry **find_slot(struct dedupe *d, const char *id)
{
    struct entry **slot = &d->buckets[hash_str(id) & (d->n_buckets - 1)];

    while (*slot != NULL && strcmp((*slot)->id, id) != 0)
        slot = &(*slot)->hnext;
    return slot;
}

static void entry_remove(struct dedupe *d, struct entry *e)
{
    struct entry **slot = find_slot(d, e->id);

    if (*slot == e)
        *slot = e->hnext;
    if (e->prev != NULL)
        e->prev->next = e->next;
    else
        d->head = e->next;
    if (e->next != NULL)
        e->next->prev = e->prev;
    else
        d->tail = e->prev;
    d->size--;
    free(e->id);
    free(e->json);
    free(e);
}

static void expire(struct dedupe *d, int64_t now_ms)
{
    if (d->ttl_ms <= 0)
        return;
    while (d->head != NULL && now_ms - d->head->at_ms > d->ttl_ms)
        entry_remove(d, d->head);
}

void dedupe_free(struct dedupe *d)
{
    if (d == NULL)
        return;
    while (d->head != NULL)
        entry_remove(d, d->head);
    free(d->buckets);
    free(d);
}

const char *
dedupe_get(struct dedupe *d, const char *event_id, int64_t now_ms, size_t *len)
{
    struct entry *e = NULL;

    if (event_id == NULL || d->max_entries == 0)
        return NULL;
    expire(d, now_ms);
    e = *find_slot(d, event_id);
    if (e == NULL)
        return NULL;
    if (len != NULL)
        *len = e->len;
    return e->json;
}

int dedupe_put(struct dedupe *d,
               const char *event_id,
               const char *json,
               size_t len,
               int64_t now_ms)
{
    struct entry *e = NULL;
    struct entry *old = NULL;

    if (event_id == NULL || d->max_entries == 0)
        return 0;
    expire(d, now_ms);
    old = *find_slot(d, event_id);
    if (old != NULL)
        entry_remove(d, old);
    while (d->size >= d->max_entries && d->head != NULL)
        entry_remove(d, d->head);
    e = calloc(1, sizeof(*e));
    if (e == NULL)
        return -1;
    e->id = strdup(event_id);
    e->json = malloc(len + 1);
    if (e->id == NULL || e->json == NULL) {
        free(e->id);
        free(e->json);
        free(e);
        return -1;
    }
    memcpy(e->json, json, len);
    e->json[len] = '\0';
    e->len = len;
    e->at_ms = now_ms;
    struct entry **slot = find_slot(d, event_id);
    *slot = e;
    e->prev = d->tail;
    if (d->tail != NULL)
        d->tail->next = e;
    else
        d->head = e;
    d->tail = e;
    d->size++;
    return 0;
}

unsigned dedupe_size(const struct dedupe *d)
{
    return d->size;
}
