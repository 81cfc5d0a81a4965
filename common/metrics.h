/* metrics - a small Prometheus registry: counters, gauges and histograms
 * registered once at start, updated lock-free (atomics) from any thread,
 * rendered in the text exposition format for GET /metrics. The registry
 * owns every series; pointers stay valid until ccai_metrics_free. */
#ifndef CCAI_METRICS_H
#define CCAI_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct ccai_metrics;
struct ccai_counter;
struct ccai_gauge;
struct ccai_histogram;

struct ccai_metrics *ccai_metrics_new(void);
void ccai_metrics_free(struct ccai_metrics *m);

/** Register (or find) a series. @family is the metric name, @labels is
 * NULL or the label set without braces, e.g. "status=\"202\"". @help is
 * used the first time a family is seen. Thread-safe; returns NULL only on
 * out-of-memory (the update functions accept NULL and do nothing). */
struct ccai_counter *ccai_metrics_counter(struct ccai_metrics *m,
                                          const char *family,
                                          const char *help,
                                          const char *labels);
struct ccai_gauge *ccai_metrics_gauge(struct ccai_metrics *m,
                                      const char *family,
                                      const char *help,
                                      const char *labels);
/** @bounds: ascending upper bounds (the +Inf bucket is implicit), copied. */
struct ccai_histogram *ccai_metrics_histogram(struct ccai_metrics *m,
                                              const char *family,
                                              const char *help,
                                              const char *labels,
                                              const double *bounds,
                                              size_t n_bounds);

void ccai_counter_add(struct ccai_counter *c, uint64_t n);
uint64_t ccai_counter_get(const struct ccai_counter *c);
void ccai_gauge_set(struct ccai_gauge *g, int64_t v);
void ccai_gauge_add(struct ccai_gauge *g, int64_t delta);
int64_t ccai_gauge_get(const struct ccai_gauge *g);
void ccai_histogram_observe(struct ccai_histogram *h, double v);

/** Default latency buckets in seconds (1 ms .. 30 s). */
extern const double ccai_latency_buckets[];
extern const size_t ccai_latency_buckets_n;

/** Render every series (new string, caller frees; NULL on OOM). */
char *ccai_metrics_render(struct ccai_metrics *m, size_t *len);

#endif
