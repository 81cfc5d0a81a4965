/* request - the pure per-request logic of POST /api/v1/events[/batch]:
 * media types, single and batch bodies (JSON array, NDJSON, CloudEvents)
 * into validated ContactEvents with per-item JSON pointers, the
 * traceparent, the ingress envelope and the Kafka headers of each record.
 * No I/O, no Kafka: unit-tested and fuzzed directly. Any thread; one
 * request at a time per struct. */
#ifndef CCAI_INGRESS_REQUEST_H
#define CCAI_INGRESS_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "contact_event.h"
#include "err.h"
#include "id.h"

#define REQUEST_BATCH_MAX   500
#define REQUEST_HEADERS_MAX 8

struct request_item {
    struct contact_event ev; /* valid when err == NULL */
    struct ccai_error *err;  /* owned; NULL when the item is valid */
};

struct request_batch {
    size_t n;
    size_t n_valid;
    struct request_item *items; /* owned, n entries */
};

/** Parse the body of POST /api/v1/events. @content_type may be NULL.
 * application/json: a ContactEvent; application/cloudevents+json: a
 * CloudEvents 1.0 structured event. Fills @ev (release with
 * contact_event_release) or returns -1 with @err: CCAI_E_MEDIA_TYPE (415),
 * CCAI_E_INVALID (400, every violation with its pointer). */
int request_parse_event(const char *content_type,
                        const char *body,
                        size_t len,
                        struct contact_event *ev,
                        struct ccai_error *err);

/** Parse the body of POST /api/v1/events/batch: application/json (array
 * of ContactEvents), application/x-ndjson (one per line, blank lines
 * skipped), application/cloudevents+json or
 * application/cloudevents-batch+json (array of structured CloudEvents).
 * 1..REQUEST_BATCH_MAX items. Returns 0 with one item per element, each
 * valid or carrying its own error whose pointers start with "/<index>";
 * or -1 with @err for the whole body (415, 400 malformed / not an array /
 * empty, 413 too many items). Release @batch with request_batch_release
 * in both cases. */
int request_parse_batch(const char *content_type,
                        const char *body,
                        size_t len,
                        struct request_batch *batch,
                        struct ccai_error *err);
void request_batch_release(struct request_batch *batch);

/** The traceparent of this request's span: a child of @incoming when it is
 * valid, else a new trace. */
void request_trace(const char *incoming, char trace[CCAI_TRACEPARENT_LEN + 1]);

/** Stamp the ingress envelope on @ev: a UUIDv7 event_id when absent,
 * tenant_id, received_at (from @now_ms), trace, schema_version. */
int request_stamp(struct contact_event *ev,
                  const char *tenant,
                  const char *trace,
                  int64_t now_ms,
                  struct ccai_error *err);

/** The Kafka headers of one record (names and values borrowed from @ev,
 * @tenant, @trace and @hdr itself; valid while they are). */
struct request_headers {
    size_t n;
    const char *name[REQUEST_HEADERS_MAX];
    const char *value[REQUEST_HEADERS_MAX];
    char ce_source[96];
};

/** Fill @hdr: content-type, ce_specversion, ce_id, ce_type, ce_source
 * ("/ccai/ingress/<tenant>"), traceparent, tenant. @ev must be stamped. */
void request_kafka_headers(const struct contact_event *ev,
                           const char *tenant,
                           const char *trace,
                           struct request_headers *hdr);

/** Prefix every pointer of @err (field and violations) with @prefix. */
void request_error_prefix(struct ccai_error *err, const char *prefix);

#endif
