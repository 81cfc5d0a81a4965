/* event_store - FIFO ring + chained hash of recent event ids; see
 * event_store.h. Any thread (one mutex). */
#include "event_store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define ID_MAX 129
#define NONE   UINT32_MAX

struct entry {
    char id[ID_MAX];
    int64_t at_ms;
};

/* The hash chains live apart from the (large) entries: unlinking the
 * oldest entry walks its chain, and dense arrays keep that walk in cache
 * (it was the poll thread's top symbol under load). */
struct link {
    uint32_t hash;
    uint32_t next; /* next entry in the same bucket, NONE at the end */
};

struct event_store {
    pthread_mutex_t lock;
    long window_ms;
    size_t cap;
    size_t head; /* oldest entry */
    size_t len;
    size_t n_buckets;
    uint32_t *buckets;
    struct link *links; /* parallel to ring */
    struct entry *ring;
};

static uint32_t hash_id(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

struct event_store *event_store_new(long window_ms, size_t capacity)
{
    struct event_store *store = calloc(1, sizeof(*store));

    if (store == NULL)
        return NULL;
    pthread_mutex_init(&store->lock, NULL);
    store->cap = capacity ? capacity : EVENT_STORE_DEFAULT_CAPACITY;
    store->window_ms = window_ms;
    store->n_buckets = 1;
    while (store->n_buckets < store->cap)
        store->n_buckets <<= 1;
    store->buckets = malloc(store->n_buckets * sizeof(store->buckets[0]));
    store->links = calloc(store->cap, sizeof(store->links[0]));
    store->ring = calloc(store->cap, sizeof(store->ring[0]));
    if (store->buckets == NULL || store->links == NULL || store->ring == NULL) {
        event_store_free(store);
        return NULL;
    }
    memset(store->buckets, 0xff, store->n_buckets * sizeof(store->buckets[0]));
    return store;
}

void event_store_free(struct event_store *store)
{
    if (store == NULL)
        return;
    pthread_mutex_destroy(&store->lock);
    free(store->buckets);
    free(store->links);
    free(store->ring);
    free(store);
}

/* Drop the oldest entry; lock held. */
static void drop_oldest(struct event_store *store)
{
    uint32_t idx = (uint32_t)store->head;
    struct link *l = &store->links[idx];
    uint32_t *link = &store->buckets[l->hash & (store->n_buckets - 1)];

    while (*link != NONE && *link != idx)
        link = &store->links[*link].next;
    if (*link == idx)
        *link = l->next;
    store->head = (store->head + 1) % store->cap;
    store->len--;
}

static void expire(struct event_store *store, int64_t now_ms)
{
    while (store->len > 0 &&
           now_ms - store->ring[store->head].at_ms > store->window_ms)
        drop_oldest(store);
}

void event_store_put(struct event_store *store,
                     const char *event_id,
                     int64_t now_ms)
{
    size_t n = strlen(event_id);
    uint32_t idx = 0;
    uint32_t h = 0;
    struct entry *e = NULL;

    if (store == NULL || n == 0 || n >= ID_MAX)
        return;
    h = hash_id(event_id); /* outside the lock */
    pthread_mutex_lock(&store->lock);
    expire(store, now_ms);
    if (store->len == store->cap)
        drop_oldest(store);
    idx = (uint32_t)((store->head + store->len) % store->cap);
    e = &store->ring[idx];
    memcpy(e->id, event_id, n + 1);
    e->at_ms = now_ms;
    store->links[idx].hash = h;
    store->links[idx].next = store->buckets[h & (store->n_buckets - 1)];
    store->buckets[h & (store->n_buckets - 1)] = idx;
    store->len++;
    pthread_mutex_unlock(&store->lock);
}

bool event_store_has(struct event_store *store,
                     const char *event_id,
                     int64_t now_ms)
{
    uint32_t h = hash_id(event_id);
    bool found = false;

    if (store == NULL)
        return false;
    pthread_mutex_lock(&store->lock);
    expire(store, now_ms);
    for (uint32_t i = store->buckets[h & (store->n_buckets - 1)]; i != NONE;
         i = store->links[i].next) {
        if (store->links[i].hash == h &&
            strcmp(store->ring[i].id, event_id) == 0) {
            found = true;
            break;
        }
    }
    pthread_mutex_unlock(&store->lock);
    return found;
}
