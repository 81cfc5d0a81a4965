/* request - media types, batches, envelope and Kafka headers; see
 * request.h. Pure; any thread. */
#include "request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http.h"
#include "json_fast.h"
#include "json_limits.h"

#include "banned.h"

enum body_kind {
    BODY_JSON,
    BODY_CLOUDEVENT,
    BODY_NDJSON,
};

static int media_type(const char *content_type,
                      size_t len,
                      bool batch,
                      enum body_kind *kind,
                      struct ccai_error *err)
{
    if (len == 0)
        return ccai_error_set(err, CCAI_E_INVALID, "", "request body is empty");
    if (content_type == NULL || *content_type == '\0')
        return ccai_error_set(err, CCAI_E_MEDIA_TYPE, "",
                              "missing Content-Type (use application/json)");
    if (http_media_type_is(content_type, "application/json")) {
        *kind = BODY_JSON;
        return 0;
    }
    if (http_media_type_is(content_type, "application/cloudevents+json") ||
        (batch && http_media_type_is(content_type,
                                     "application/cloudevents-batch+json"))) {
        *kind = BODY_CLOUDEVENT;
        return 0;
    }
    if (batch && http_media_type_is(content_type, "application/x-ndjson")) {
        *kind = BODY_NDJSON;
        return 0;
    }
    return ccai_error_set(err, CCAI_E_MEDIA_TYPE, "",
                          batch ? "unsupported media type (use "
                                  "application/json, application/x-ndjson "
                                  "or application/cloudevents-batch+json)"
                                : "unsupported media type (use "
                                  "application/json or "
                                  "application/cloudevents+json)");
}

int request_parse_event(const char *content_type,
                        const char *body,
                        size_t len,
                        struct contact_event *ev,
                        struct ccai_error *err)
{
    enum body_kind kind = BODY_JSON;

    if (media_type(content_type, len, false, &kind, err) != 0)
        return -1;
    if (kind == BODY_CLOUDEVENT)
        return contact_event_parse_cloudevent(body, len, ev, err);
    return contact_event_parse(body, len, CONTACT_EVENT_REQUEST, ev, err);
}

/* Prepend @prefix to the NUL-terminated pointer in @ptr (size @size),
 * truncating at the end when it does not fit. */
static void prefix_pointer(char *ptr, size_t size, const char *prefix)
{
    size_t plen = strlen(prefix);
    size_t len = strlen(ptr);

    if (size == 0 || plen >= size)
        return;
    if (plen + len >= size)
        len = size - 1 - plen;
    memmove(ptr + plen, ptr, len);
    memcpy(ptr, prefix, plen);
    ptr[plen + len] = '\0';
}

void request_error_prefix(struct ccai_error *err, const char *prefix)
{
    prefix_pointer(err->field, sizeof(err->field), prefix);
    for (size_t i = 0; i < err->n_violations; i++)
        prefix_pointer(err->violations[i].pointer,
                       sizeof(err->violations[i].pointer), prefix);
    /* the message of a violation starts with its pointer: keep it true */
    if (err->n_violations > 0 && err->message[0] == '/')
        prefix_pointer(err->message, sizeof(err->message), prefix);
}

/* One CloudEvents array element: dump it back and run the production
 * CloudEvents parser, then move its pointers under "/<idx>". */
static int parse_cloudevent_item(json_t *elem,
                                 const char *prefix,
                                 struct contact_event *ev,
                                 struct ccai_error *err)
{
    char *text = json_dumps(elem, JSON_COMPACT | JSON_ENCODE_ANY);
    int rc = -1;

    if (text == NULL) {
        ccai_error_set(err, CCAI_E_NOMEM, prefix, "out of memory");
        return -1;
    }
    rc = contact_event_parse_cloudevent(text, strlen(text), ev, err);
    if (rc != 0)
        request_error_prefix(err, prefix);
    free(text);
    return rc;
}

static int add_item(struct request_batch *batch,
                    json_t *elem,
                    enum body_kind kind,
                    const char *line_error,
                    struct ccai_error *err)
{
    struct request_item *item = NULL;
    struct ccai_error *ierr = NULL;
    char prefix[24];
    int rc = -1;

    if (batch->n >= REQUEST_BATCH_MAX)
        return ccai_error_set(err, CCAI_E_TOO_LARGE, "",
                              "a batch holds at most %d events",
                              REQUEST_BATCH_MAX);
    item = &batch->items[batch->n];
    memset(item, 0, sizeof(*item));
    (void)snprintf(prefix, sizeof(prefix), "/%zu", batch->n);
    batch->n++;
    ierr = calloc(1, sizeof(*ierr));
    if (ierr == NULL)
        return ccai_error_set(err, CCAI_E_NOMEM, "", "out of memory");
    if (line_error != NULL) {
        ccai_error_add(ierr, prefix, "%s", line_error);
    } else if (kind == BODY_CLOUDEVENT) {
        rc = parse_cloudevent_item(elem, prefix, &item->ev, ierr);
    } else {
        rc = contact_event_from_json(elem, CONTACT_EVENT_REQUEST, prefix,
                                     &item->ev, ierr);
    }
    if (rc == 0) {
        free(ierr);
        batch->n_valid++;
    } else {
        if (ierr->status == CCAI_OK)
            ccai_error_add(ierr, prefix, "invalid event");
        item->err = ierr;
    }
    return 0;
}

static int parse_array(const char *body,
                       size_t len,
                       enum body_kind kind,
                       struct request_batch *batch,
                       struct ccai_error *err)
{
    json_error_t jerr;
    json_t *root = NULL;
    size_t idx = 0;
    json_t *elem = NULL;
    int rc = -1;

    if (json_limits_check_depth(body, len, CONTACT_EVENT_MAX_DEPTH + 1) != 0) {
        ccai_error_set(err, CCAI_E_INVALID, "",
                       "JSON nested deeper than %d levels",
                       CONTACT_EVENT_MAX_DEPTH);
        goto out;
    }
    root = json_fast_loadb(body, len, &jerr);
    if (root == NULL) {
        ccai_error_set(err, CCAI_E_INVALID, "",
                       "body is not valid JSON: %s (line %d, column %d)",
                       jerr.text, jerr.line, jerr.column);
        goto out;
    }
    if (!json_is_array(root)) {
        ccai_error_set(err, CCAI_E_INVALID, "",
                       "a batch body is a JSON array of events");
        goto out;
    }
    if (json_array_size(root) > REQUEST_BATCH_MAX) {
        ccai_error_set(err, CCAI_E_TOO_LARGE, "",
                       "a batch holds at most %d events, got %zu",
                       REQUEST_BATCH_MAX, json_array_size(root));
        goto out;
    }
    json_array_foreach(root, idx, elem)
    {
        if (add_item(batch, elem, kind, NULL, err) != 0)
            goto out;
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}

static bool is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

static int parse_ndjson(const char *body,
                        size_t len,
                        struct request_batch *batch,
                        struct ccai_error *err)
{
    const char *p = body;
    const char *end = body + len;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t llen = nl ? (size_t)(nl - p) : (size_t)(end - p);
        json_t *root = NULL;
        json_error_t jerr;
        char why[192];
        int rc = 0;

        if (!is_blank(p, llen)) {
            if (batch->n >= REQUEST_BATCH_MAX)
                return ccai_error_set(err, CCAI_E_TOO_LARGE, "",
                                      "a batch holds at most %d events",
                                      REQUEST_BATCH_MAX);
            if (json_limits_check_depth(p, llen, CONTACT_EVENT_MAX_DEPTH) !=
                0) {
                (void)snprintf(why, sizeof(why),
                               "JSON nested deeper than %d levels",
                               CONTACT_EVENT_MAX_DEPTH);
                rc = add_item(batch, NULL, BODY_JSON, why, err);
            } else {
                root = json_fast_loadb(p, llen, &jerr);
                if (root == NULL) {
                    (void)snprintf(why, sizeof(why),
                                   "line is not valid JSON: %s", jerr.text);
                    rc = add_item(batch, NULL, BODY_JSON, why, err);
                } else {
                    rc = add_item(batch, root, BODY_JSON, NULL, err);
                    json_decref(root);
                }
            }
            if (rc != 0)
                return -1;
        }
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    return 0;
}

int request_parse_batch(const char *content_type,
                        const char *body,
                        size_t len,
                        struct request_batch *batch,
                        struct ccai_error *err)
{
    enum body_kind kind = BODY_JSON;
    int rc = -1;

    memset(batch, 0, sizeof(*batch));
    if (media_type(content_type, len, true, &kind, err) != 0)
        return -1;
    batch->items = calloc(REQUEST_BATCH_MAX, sizeof(batch->items[0]));
    if (batch->items == NULL)
        return ccai_error_set(err, CCAI_E_NOMEM, "", "out of memory");
    if (kind == BODY_NDJSON)
        rc = parse_ndjson(body, len, batch, err);
    else
        rc = parse_array(body, len, kind, batch, err);
    if (rc == 0 && batch->n == 0)
        rc = ccai_error_set(err, CCAI_E_INVALID, "", "the batch is empty");
    return rc;
}

void request_batch_release(struct request_batch *batch)
{
    if (batch == NULL || batch->items == NULL)
        return;
    for (size_t i = 0; i < batch->n; i++) {
        if (batch->items[i].err == NULL)
            contact_event_release(&batch->items[i].ev);
        free(batch->items[i].err);
    }
    free(batch->items);
    memset(batch, 0, sizeof(*batch));
}

void request_trace(const char *incoming, char trace[CCAI_TRACEPARENT_LEN + 1])
{
    ccai_traceparent_child(incoming, trace);
}

int request_stamp(struct contact_event *ev,
                  const char *tenant,
                  const char *trace,
                  int64_t now_ms,
                  struct ccai_error *err)
{
    char id[CCAI_UUID_LEN + 1];
    char received_at[32];

    ccai_uuid7(id);
    ccai_time_rfc3339(now_ms, received_at);
    return contact_event_stamp(ev, id, tenant, received_at, trace, err);
}

static void
header_add(struct request_headers *hdr, const char *name, const char *value)
{
    if (hdr->n >= REQUEST_HEADERS_MAX || value == NULL)
        return;
    hdr->name[hdr->n] = name;
    hdr->value[hdr->n] = value;
    hdr->n++;
}

void request_kafka_headers(const struct contact_event *ev,
                           const char *tenant,
                           const char *trace,
                           struct request_headers *hdr)
{
    hdr->n = 0;
    (void)snprintf(hdr->ce_source, sizeof(hdr->ce_source), "/ccai/ingress/%s",
                   tenant);
    header_add(hdr, "content-type", "application/json");
    header_add(hdr, "ce_specversion", "1.0");
    header_add(hdr, "ce_id", ev->event_id);
    header_add(hdr, "ce_type", contact_event_type_name(ev->type));
    header_add(hdr, "ce_source", hdr->ce_source);
    header_add(hdr, "traceparent", trace);
    header_add(hdr, "tenant", tenant);
}
