/* test_metrics - Prometheus text rendering: HELP/TYPE once per family,
 * labels, counters, gauges and cumulative histogram buckets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "metrics.h"

#include "banned.h"

static int count_of(const char *hay, const char *needle)
{
    int n = 0;

    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_metrics_render_families_and_series(void **state)
{
    struct ccai_metrics *m = ccai_metrics_new();
    struct ccai_counter *c202 =
        ccai_metrics_counter(m, "req_total", "Requests", "code=\"202\"");
    struct ccai_counter *c503 =
        ccai_metrics_counter(m, "req_total", "Requests", "code=\"503\"");
    struct ccai_gauge *g = ccai_metrics_gauge(m, "inflight", "In flight", NULL);
    static const double bounds[] = {0.01, 0.1};
    struct ccai_histogram *h =
        ccai_metrics_histogram(m, "lat_seconds", "Latency", NULL, bounds, 2);
    char *text = NULL;
    size_t len = 0;

    (void)state;
    ccai_counter_add(c202, 3);
    ccai_counter_add(c503, 1);
    assert_ptr_equal(
        ccai_metrics_counter(m, "req_total", "Requests", "code=\"202\""), c202);
    ccai_gauge_set(g, 7);
    ccai_gauge_add(g, -2);
    ccai_histogram_observe(h, 0.005);
    ccai_histogram_observe(h, 0.05);
    ccai_histogram_observe(h, 5);
    text = ccai_metrics_render(m, &len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    assert_int_equal(count_of(text, "# TYPE req_total counter"), 1);
    assert_int_equal(count_of(text, "# HELP req_total Requests"), 1);
    assert_non_null(strstr(text, "req_total{code=\"202\"} 3\n"));
    assert_non_null(strstr(text, "req_total{code=\"503\"} 1\n"));
    assert_non_null(strstr(text, "# TYPE inflight gauge"));
    assert_non_null(strstr(text, "inflight 5\n"));
    assert_non_null(strstr(text, "# TYPE lat_seconds histogram"));
    assert_non_null(strstr(text, "lat_seconds_bucket{le=\"0.01\"} 1\n"));
    assert_non_null(strstr(text, "lat_seconds_bucket{le=\"0.1\"} 2\n"));
    assert_non_null(strstr(text, "lat_seconds_bucket{le=\"+Inf\"} 3\n"));
    assert_non_null(strstr(text, "lat_seconds_count 3\n"));
    free(text);
    ccai_metrics_free(m);
}

static void test_metrics_null_series_are_ignored(void **state)
{
    (void)state;
    ccai_counter_add(NULL, 1);
    ccai_gauge_set(NULL, 1);
    ccai_histogram_observe(NULL, 1);
    assert_null(ccai_metrics_counter(NULL, "x", "y", NULL));
    ccai_metrics_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_render_families_and_series),
        cmocka_unit_test(test_metrics_null_series_are_ignored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
