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
    struct entry *next; /* toward newer; oldest at head */
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
    d->buckets = calloc(d->n_buckets, sizeof(struct entry *));
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

/* entries only ever leave from the head (oldest first) */
static void remove_oldest(struct dedupe *d)
{
    struct entry *e = d->head;
    struct entry **slot = find_slot(d, e->id);

    if (*slot == e)
        *slot = e->hnext;
    d->head = e->next;
    if (d->head == NULL)
        d->tail = NULL;
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
        remove_oldest(d);
}

void dedupe_free(struct dedupe *d)
{
    if (d == NULL)
        return;
    while (d->head != NULL)
        remove_oldest(d);
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
    struct entry **slot = NULL;
    char *copy = NULL;

    if (event_id == NULL || d->max_entries == 0)
        return 0;
    expire(d, now_ms);
    copy = malloc(len + 1);
    if (copy == NULL)
        return -1;
    memcpy(copy, json, len);
    copy[len] = '\0';
    e = *find_slot(d, event_id);
    if (e != NULL) {
        /* same event again: new answer, same place in the age order */
        free(e->json);
        e->json = copy;
        e->len = len;
        return 0;
    }
    while (d->size >= d->max_entries && d->head != NULL)
        remove_oldest(d);
    e = calloc(1, sizeof(*e));
    if (e != NULL)
        e->id = strdup(event_id);
    if (e == NULL || e->id == NULL) {
        free(e);
        free(copy);
        return -1;
    }
    e->json = copy;
    e->len = len;
    e->at_ms = now_ms;
    slot = find_slot(d, event_id);
    *slot = e;
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
