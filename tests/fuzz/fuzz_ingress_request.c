/* fuzz_ingress_request - the ingress request entry points (no Kafka): the
 * first input byte picks the media type and endpoint, the rest is the
 * body. Parsed events are stamped and their Kafka headers built, as the
 * handler does; every error must be a well-formed problem. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const media[] = {
    "application/json",     "application/cloudevents+json",
    "application/x-ndjson", "application/cloudevents-batch+json",
    "text/plain",           NULL,
};

static void use_event(struct contact_event *ev)
{
    struct ccai_error err;
    struct request_headers hdr;
    char trace[CCAI_TRACEPARENT_LEN + 1];
    char *json = NULL;

    ccai_error_clear(&err);
    request_trace(NULL, trace);
    if (request_stamp(ev, "fuzz", trace, 1764201600000LL, &err) != 0)
        return;
    request_kafka_headers(ev, "fuzz", trace, &hdr);
    if (hdr.n != 7 || ev->event_id == NULL || ev->contact_id == NULL)
        abort();
    json = contact_event_to_json(ev, NULL);
    if (json == NULL)
        abort();
    free(json);
}

static void check_error(const struct ccai_error *err)
{
    if (err->status == CCAI_OK)
        abort();
    for (size_t i = 0; i < err->n_violations; i++)
        if (err->violations[i].pointer[0] != '\0' &&
            err->violations[i].pointer[0] != '/')
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ccai_error err;
    const char *ct = NULL;
    bool batch = false;
    const char *body = NULL;

    if (size < 1)
        return 0;
    ct = media[data[0] % (sizeof(media) / sizeof(media[0]))];
    batch = (data[0] & 0x80) != 0;
    body = (const char *)data + 1;
    size--;
    ccai_error_clear(&err);
    if (batch) {
        struct request_batch b;

        if (request_parse_batch(ct, body, size, &b, &err) == 0) {
            if (b.n == 0 || b.n > REQUEST_BATCH_MAX)
                abort();
            for (size_t i = 0; i < b.n; i++) {
                if (b.items[i].err)
                    check_error(b.items[i].err);
                else
                    use_event(&b.items[i].ev);
            }
        } else {
            check_error(&err);
        }
        request_batch_release(&b);
    } else {
        struct contact_event ev;

        if (request_parse_event(ct, body, size, &ev, &err) == 0) {
            use_event(&ev);
            contact_event_release(&ev);
        } else {
            check_error(&err);
        }
    }
    return 0;
}
