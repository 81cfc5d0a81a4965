/* metrics - Prometheus registry with atomic updates; see metrics.h. */
#include "metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#include "banned.h"

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

#define HIST_MAX_BOUNDS 24

struct series {
    struct series *next;
    enum metric_type type;
    char *family;
    char *help;
    char *labels; /* "" when none */
    atomic_uint_fast64_t counter;
    atomic_int_fast64_t gauge;
    size_t n_bounds;
    double bounds[HIST_MAX_BOUNDS];
    atomic_uint_fast64_t buckets[HIST_MAX_BOUNDS + 1];
    atomic_uint_fast64_t sum_micros;
};

struct ccai_counter {
    struct series s;
};
struct ccai_gauge {
    struct series s;
};
struct ccai_histogram {
    struct series s;
};

struct ccai_metrics {
    pthread_mutex_t lock;
    struct series *head;
    struct series *tail;
};

const double ccai_latency_buckets[] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
const size_t ccai_latency_buckets_n =
    sizeof(ccai_latency_buckets) / sizeof(ccai_latency_buckets[0]);

struct ccai_metrics *ccai_metrics_new(void)
{
    struct ccai_metrics *m = calloc(1, sizeof(*m));

    if (m == NULL)
        return NULL;
    pthread_mutex_init(&m->lock, NULL);
    return m;
}

void ccai_metrics_free(struct ccai_metrics *m)
{
    struct series *s = NULL;

    if (m == NULL)
        return;
    s = m->head;
    while (s) {
        struct series *next = s->next;
        free(s->family);
        free(s->help);
        free(s->labels);
        free(s);
        s = next;
    }
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static struct series *series_get(struct ccai_metrics *m,
                                 enum metric_type type,
                                 const char *family,
                                 const char *help,
                                 const char *labels)
{
    struct series *s = NULL;

    if (m == NULL)
        return NULL;
    if (labels == NULL)
        labels = "";
    pthread_mutex_lock(&m->lock);
    for (s = m->head; s; s = s->next) {
        if (s->type == type && strcmp(s->family, family) == 0 &&
            strcmp(s->labels, labels) == 0)
            goto out;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        goto out;
    s->type = type;
    s->family = strdup(family);
    s->help = strdup(help ? help : "");
    s->labels = strdup(labels);
    if (!s->family || !s->help || !s->labels) {
        free(s->family);
        free(s->help);
        free(s->labels);
        free(s);
        s = NULL;
        goto out;
    }
    /* keep a family's series together: insert after its last series */
    {
        struct series *after = NULL;
        for (struct series *p = m->head; p; p = p->next)
            if (strcmp(p->family, family) == 0)
                after = p;
        if (after) {
            s->next = after->next;
            after->next = s;
            if (m->tail == after)
                m->tail = s;
        } else if (m->tail) {
            m->tail->next = s;
            m->tail = s;
        } else {
            m->head = m->tail = s;
        }
    }
out:
    pthread_mutex_unlock(&m->lock);
    return s;
}

struct ccai_counter *ccai_metrics_counter(struct ccai_metrics *m,
                                          const char *family,
                                          const char *help,
                                          const char *labels)
{
    return (struct ccai_counter *)series_get(m, METRIC_COUNTER, family, help,
                                             labels);
}

struct ccai_gauge *ccai_metrics_gauge(struct ccai_metrics *m,
                                      const char *family,
                                      const char *help,
                                      const char *labels)
{
    return (struct ccai_gauge *)series_get(m, METRIC_GAUGE, family, help,
                                           labels);
}

struct ccai_histogram *ccai_metrics_histogram(struct ccai_metrics *m,
                                              const char *family,
                                              const char *help,
                                              const char *labels,
                                              const double *bounds,
                                              size_t n_bounds)
{
    struct series *s = series_get(m, METRIC_HISTOGRAM, family, help, labels);

    if (s == NULL)
        return NULL;
    pthread_mutex_lock(&m->lock);
    if (s->n_bounds == 0) {
        if (n_bounds > HIST_MAX_BOUNDS)
            n_bounds = HIST_MAX_BOUNDS;
        memcpy(s->bounds, bounds, n_bounds * sizeof(double));
        s->n_bounds = n_bounds;
    }
    pthread_mutex_unlock(&m->lock);
    return (struct ccai_histogram *)s;
}

void ccai_counter_add(struct ccai_counter *c, uint64_t n)
{
    if (c)
        atomic_fetch_add_explicit(&c->s.counter, n, memory_order_relaxed);
}

uint64_t ccai_counter_get(const struct ccai_counter *c)
{
    return c ? atomic_load(&((struct ccai_counter *)c)->s.counter) : 0;
}

void ccai_gauge_set(struct ccai_gauge *g, int64_t v)
{
    if (g)
        atomic_store_explicit(&g->s.gauge, v, memory_order_relaxed);
}

void ccai_gauge_add(struct ccai_gauge *g, int64_t delta)
{
    if (g)
        atomic_fetch_add_explicit(&g->s.gauge, delta, memory_order_relaxed);
}

int64_t ccai_gauge_get(const struct ccai_gauge *g)
{
    return g ? atomic_load(&((struct ccai_gauge *)g)->s.gauge) : 0;
}

void ccai_histogram_observe(struct ccai_histogram *h, double v)
{
    size_t i = 0;

    if (h == NULL)
        return;
    while (i < h->s.n_bounds && v > h->s.bounds[i])
        i++;
    atomic_fetch_add_explicit(&h->s.buckets[i], 1, memory_order_relaxed);
    if (v > 0)
        atomic_fetch_add_explicit(&h->s.sum_micros, (uint64_t)(v * 1e6),
                                  memory_order_relaxed);
}

static int render_histogram(struct ccai_buf *b, const struct series *s)
{
    uint64_t cum = 0;
    const char *sep = s->labels[0] ? "," : "";

    for (size_t i = 0; i <= s->n_bounds; i++) {
        cum += atomic_load(&((struct series *)s)->buckets[i]);
        if (i < s->n_bounds) {
            if (ccai_buf_addf(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", s->family,
                              s->labels, sep, s->bounds[i],
                              (unsigned long long)cum) != 0)
                return -1;
        } else if (ccai_buf_addf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n",
                                 s->family, s->labels, sep,
                                 (unsigned long long)cum) != 0) {
            return -1;
        }
    }
    return ccai_buf_addf(
        b, "%s_sum%s%s%s %.6f\n%s_count%s%s%s %llu\n", s->family,
        s->labels[0] ? "{" : "", s->labels, s->labels[0] ? "}" : "",
        (double)atomic_load(&((struct series *)s)->sum_micros) / 1e6, s->family,
        s->labels[0] ? "{" : "", s->labels, s->labels[0] ? "}" : "",
        (unsigned long long)cum);
}

char *ccai_metrics_render(struct ccai_metrics *m, size_t *len)
{
    static const char *const type_names[] = {"counter", "gauge", "histogram"};
    struct ccai_buf b;
    const char *last_family = NULL;
    int rc = 0;

    ccai_buf_init(&b, 16u << 20);
    pthread_mutex_lock(&m->lock);
    for (struct series *s = m->head; s && rc == 0; s = s->next) {
        if (last_family == NULL || strcmp(last_family, s->family) != 0) {
            rc |= ccai_buf_addf(&b, "# HELP %s %s\n# TYPE %s %s\n", s->family,
                                s->help, s->family, type_names[s->type]);
            last_family = s->family;
        }
        if (s->type == METRIC_HISTOGRAM) {
            rc |= render_histogram(&b, s);
            continue;
        }
        rc |= ccai_buf_addf(&b, "%s%s%s%s ", s->family, s->labels[0] ? "{" : "",
                            s->labels, s->labels[0] ? "}" : "");
        if (s->type == METRIC_COUNTER)
            rc |= ccai_buf_addf(&b, "%llu\n",
                                (unsigned long long)atomic_load(&s->counter));
        else
            rc |=
                ccai_buf_addf(&b, "%lld\n", (long long)atomic_load(&s->gauge));
    }
    pthread_mutex_unlock(&m->lock);
    if (rc != 0) {
        ccai_buf_release(&b);
        return NULL;
    }
    return ccai_buf_detach(&b, len);
}
