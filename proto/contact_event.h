/* contact_event - ContactEvent v1 (PRODUCT.md section 3): parse, validate
 * every rule (each violation reported with its JSON pointer), normalise,
 * stamp the ingress envelope and serialise. Pure: no I/O, no logging.
 * Any thread; one struct contact_event per thread at a time. */
#ifndef CCAI_CONTACT_EVENT_H
#define CCAI_CONTACT_EVENT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "err.h"

#define CONTACT_EVENT_ID_MAX         128
#define CONTACT_EVENT_TEXT_MAX       (32 * 1024)
#define CONTACT_EVENT_MAX_DEPTH      32
#define CONTACT_EVENT_MAX_ATTRS      32
#define CONTACT_EVENT_SCHEMA_VERSION 1

enum contact_event_type {
    CONTACT_STARTED = 0,
    MESSAGE_RECEIVED,
    TRANSCRIPT_SEGMENT,
    CONTACT_UPDATED,
    CONTACT_ENDED,
};

enum contact_event_mode {
    /* an API request body: the envelope fields (schema_version, tenant_id,
     * received_at, trace) are unknown fields and rejected */
    CONTACT_EVENT_REQUEST = 0,
    /* a Kafka record: envelope fields allowed (written by the ingress) */
    CONTACT_EVENT_RECORD,
};

struct contact_event {
    json_t *root; /* owned: the validated object, normalised */
    /* borrowed views into root, valid until contact_event_release */
    const char *event_id; /* NULL when absent (request mode) */
    const char *contact_id;
    enum contact_event_type type;
    const char *channel; /* NULL when absent */
    const char *role;    /* participant.role, NULL when absent */
    const char *text;    /* NULL when absent */
    size_t text_len;
    bool is_partial;
    long long sequence;        /* -1 when absent */
    const char *segment_id;    /* NULL when absent */
    const char *language;      /* NULL when absent */
    const char *queue;         /* NULL when absent */
    const char *customer_tier; /* NULL when absent */
    const char *occurred_at;   /* NULL when absent */
    /* envelope (record mode, or after contact_event_stamp) */
    const char *tenant_id;
    const char *received_at;
    const char *trace;
};

/** Parse and validate one ContactEvent from @body. Rejects invalid UTF-8,
 * nesting deeper than CONTACT_EVENT_MAX_DEPTH, duplicate keys and unknown
 * top-level fields; reports every violation in @err (CCAI_E_INVALID).
 * On success fills @ev (release with contact_event_release). */
int contact_event_parse(const char *body,
                        size_t len,
                        enum contact_event_mode mode,
                        struct contact_event *ev,
                        struct ccai_error *err);

/** Validate an already parsed object (e.g. a batch item, or CloudEvents
 * "data"). @prefix is prepended to every JSON pointer ("/3", "/data").
 * Takes a new reference to @root on success only (the event shares the
 * object: stamping it modifies @root). Clears @err first, like
 * contact_event_parse. @err may be NULL in every function here. */
int contact_event_from_json(json_t *root,
                            enum contact_event_mode mode,
                            const char *prefix,
                            struct contact_event *ev,
                            struct ccai_error *err);

/** Parse a CloudEvents 1.0 structured event (application/cloudevents+json)
 * whose data is a ContactEvent: the CloudEvents "id" becomes event_id
 * (a different data.event_id is a violation at /data/event_id). Request
 * mode. Pointers of data violations start with "/data". */
int contact_event_parse_cloudevent(const char *body,
                                   size_t len,
                                   struct contact_event *ev,
                                   struct ccai_error *err);

/** Add the ingress envelope: event_id when absent (@generated_id),
 * occurred_at when absent (= @received_at), schema_version,
 * tenant_id, received_at, trace. Updates the borrowed views. A NULL
 * @tenant_id, @received_at or @trace leaves that field as it is. The
 * strings are copied before anything changes, so they may be views of
 * @ev itself. Each value must pass the record rules (ids, RFC 3339,
 * 1..128 characters of UTF-8), else -1 with @err (CCAI_E_INVALID, field
 * = the key) and @ev unchanged; CCAI_E_NOMEM on out-of-memory. */
int contact_event_stamp(struct contact_event *ev,
                        const char *generated_id,
                        const char *tenant_id,
                        const char *received_at,
                        const char *trace,
                        struct ccai_error *err);

/** Compact JSON of the event (new string, caller frees), or NULL. */
char *contact_event_to_json(const struct contact_event *ev, size_t *len);

/** Write the compact JSON of the event (the same text as
 * contact_event_to_json) into @buf of @size bytes, NUL-terminated when it
 * fits. Returns the length of the whole text without the NUL, like
 * snprintf: a result >= @size means it did not fit (call again with a
 * larger buffer); 0 on error. Allocates nothing for a validated event. */
size_t
contact_event_to_buf(const struct contact_event *ev, char *buf, size_t size);

void contact_event_release(struct contact_event *ev);

const char *contact_event_type_name(enum contact_event_type type);
int contact_event_type_parse(const char *name, enum contact_event_type *type);

/** True when @s is 1..128 chars of [A-Za-z0-9._:-]. */
bool contact_event_id_is_valid(const char *s);

#endif
