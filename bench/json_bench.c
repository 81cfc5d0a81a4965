/* json_bench - the ingress's JSON path per event, against its baseline in
 * the same process: json_loadb (jansson, the baseline) vs json_fast_loadb
 * on the benchmark's ~430-byte message.received event, then the rest of
 * the path (validate, stamp, serialise). Prints ns per call and the ratio.
 * usage: ccai-json-bench [ITERATIONS] (default 200000). Single-threaded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "contact_event.h"
#include "json_fast.h"

static const char event[] =
    "{\"contact_id\":\"contact-123\",\"type\":\"message.received\","
    "\"channel\":\"chat\",\"occurred_at\":\"2026-11-26T23:00:00.000Z\","
    "\"sequence\":5,\"participant\":{\"role\":\"customer\",\"id\":"
    "\"cust-123\"},\"text\":\"Hi, I was charged twice for my subscription "
    "this month and I want a refund. This is the third billing problem this "
    "year; if it is not fixed today I will cancel and move to another "
    "provider.\",\"language\":\"en\",\"attributes\":{\"crm_ticket\":\"T-5\"}}";

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ns per load of @event with @fast or jansson; -1 on a failed parse. */
static double time_load(long n, int fast)
{
    size_t len = sizeof(event) - 1;
    json_error_t jerr;
    double t0 = now_ns();

    for (long i = 0; i < n; i++) {
        json_t *root =
            fast ? json_fast_loadb(event, len, &jerr)
                 : json_loadb(event, len, JSON_REJECT_DUPLICATES, &jerr);

        if (root == NULL)
            return -1;
        json_decref(root);
    }
    return (now_ns() - t0) / (double)n;
}

/* ns per parse + validate, stamp and serialise (contact_event API). */
static int time_path(long n, double out[3])
{
    struct contact_event ev;
    struct ccai_error err;
    char buf[4096];
    double parse = 0, stamp = 0, ser = 0;

    for (long i = 0; i < n; i++) {
        double a = now_ns(), b = 0, c = 0;

        if (contact_event_parse(event, sizeof(event) - 1, CONTACT_EVENT_REQUEST,
                                &ev, &err) != 0)
            return -1;
        b = now_ns();
        if (contact_event_stamp(&ev, "01a21c17-eca0-7a95-8a3c-59ab3e6fe559",
                                "default", "2026-11-27T08:00:00.000Z",
                                "00-0af7651916cd43dd8448eb211c80319c-"
                                "b7ad6b7169203331-01",
                                &err) != 0)
            return -1;
        c = now_ns();
        if (contact_event_to_buf(&ev, buf, sizeof(buf)) == 0)
            return -1;
        ser += now_ns() - c;
        stamp += c - b;
        parse += b - a;
        contact_event_release(&ev);
    }
    out[0] = parse / (double)n;
    out[1] = stamp / (double)n;
    out[2] = ser / (double)n;
    return 0;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
    double jansson = 0, fast = 0, path[3];

    if (n < 1) {
        fprintf(stderr, "usage: ccai-json-bench [ITERATIONS]\n");
        return 2;
    }
    (void)time_load(n / 10 + 1, 0); /* warm up */
    jansson = time_load(n, 0);
    fast = time_load(n, 1);
    if (jansson < 0 || fast < 0 || time_path(n, path) != 0) {
        fprintf(stderr, "json_bench: the event did not parse\n");
        return 1;
    }
    printf("json_bench: %ld iterations, %zu-byte event\n", n,
           sizeof(event) - 1);
    printf("  load, json_loadb (baseline)  %8.0f ns\n", jansson);
    printf("  load, json_fast_loadb        %8.0f ns  (%.1fx faster)\n", fast,
           jansson / fast);
    printf("  contact_event_parse          %8.0f ns  (load + validate)\n",
           path[0]);
    printf("  contact_event_stamp          %8.0f ns\n", path[1]);
    printf("  contact_event_to_buf         %8.0f ns\n", path[2]);
    return 0;
}
