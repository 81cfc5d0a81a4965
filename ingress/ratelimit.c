/* ratelimit - token buckets with a mutex each; see ratelimit.h.
 * Any thread. */
#include "ratelimit.h"

#include <pthread.h>
#include <stdlib.h>

#include "banned.h"

struct bucket {
    pthread_mutex_t lock;
    double tokens;
    int64_t last_ms;
    bool started;
};

struct ratelimit {
    double rps;
    double burst;
    size_t n;
    struct bucket buckets[];
};

struct ratelimit *ratelimit_new(long rps, long burst, size_t n_keys)
{
    struct ratelimit *rl = NULL;

    if (rps <= 0 || burst <= 0 || n_keys == 0)
        return NULL;
    rl = calloc(1, sizeof(*rl) + n_keys * sizeof(rl->buckets[0]));
    if (rl == NULL)
        return NULL;
    rl->rps = (double)rps;
    rl->burst = (double)burst;
    rl->n = n_keys;
    for (size_t i = 0; i < n_keys; i++) {
        pthread_mutex_init(&rl->buckets[i].lock, NULL);
        rl->buckets[i].tokens = rl->burst;
    }
    return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
    if (rl == NULL)
        return;
    for (size_t i = 0; i < rl->n; i++)
        pthread_mutex_destroy(&rl->buckets[i].lock);
    free(rl);
}

bool ratelimit_take(struct ratelimit *rl,
                    size_t key,
                    double cost,
                    int64_t now_ms,
                    long *retry_after_s)
{
    struct bucket *b = NULL;
    bool ok = false;
    double wait_s = 0;

    if (rl == NULL)
        return true;
    b = &rl->buckets[key < rl->n ? key : rl->n - 1];
    pthread_mutex_lock(&b->lock);
    if (!b->started) {
        b->started = true;
        b->last_ms = now_ms;
    }
    if (now_ms > b->last_ms) {
        b->tokens += (double)(now_ms - b->last_ms) * rl->rps / 1000.0;
        if (b->tokens > rl->burst)
            b->tokens = rl->burst;
        b->last_ms = now_ms;
    }
    if (b->tokens >= cost) {
        b->tokens -= cost;
        ok = true;
    } else {
        /* a cost above the burst can never pass: report the full refill */
        double need = (cost > rl->burst ? rl->burst : cost) - b->tokens;
        wait_s = need / rl->rps;
    }
    pthread_mutex_unlock(&b->lock);
    if (!ok && retry_after_s) {
        long s = (long)wait_s;

        if ((double)s < wait_s)
            s++; /* ceil without libm */
        *retry_after_s = s < 1 ? 1 : s;
    }
    return ok;
}
