/* integ_ingress_http - the ingress HTTP contract against a real
 * ccai-ingress and ccai-devbroker (PRODUCT.md sections 2-3): 202 answers
 * and the record they produce (key, partition by murmur2, stamped value,
 * headers), tracing, CloudEvents, batches, and every error status with
 * its problem+json body. Test main thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ingress_fixture.h"

#include "banned.h"

#define KEY_ACME "key-acme-123"
#define KEY_BETA "key-beta-456"
#define TRACE_ID "4bf92f3577b34da6a3ce929d0e0e4736"

static int group_setup(void **state)
{
    static const char *const sh[] = {
        "-c", "printf %s '" KEY_BETA "' | sha256sum | cut -c1-64", NULL};
    struct ifx *fx = calloc(1, sizeof(*fx));
    char *hex = NULL;
    char keys[256];
    char keys_env[300];
    const char *env[] = {"INGRESS_AUTH=keys", keys_env,
                         "INGRESS_MAX_BODY_BYTES=4096", NULL};

    if (fx == NULL ||
        ccai_proc_run("path:sh", sh, NULL, NULL, 0, 10000, &hex) != 0 ||
        hex == NULL || strlen(hex) < 64) {
        free(hex);
        free(fx);
        return -1;
    }
    hex[64] = '\0';
    snprintf(keys, sizeof(keys), "acme:%s,beta:sha256:%s", KEY_ACME, hex);
    snprintf(keys_env, sizeof(keys_env), "INGRESS_API_KEYS=%s", keys);
    free(hex);
    snprintf(fx->api_key, sizeof(fx->api_key), "%s", KEY_ACME);
    *state = fx;
    return ifx_start(fx, NULL, env);
}

static int group_teardown(void **state)
{
    struct ifx *fx = *state;

    if (fx != NULL) {
        ifx_stop(fx);
        free(fx);
    }
    return ccai_test_teardown(state);
}

/* POST one event; returns the parsed 202 body (new) or fails the test. */
static json_t *post_ok(struct ifx *fx,
                       const char *body,
                       const char *const *headers,
                       struct ccai_http_resp *resp)
{
    json_t *root = NULL;

    assert_int_equal(ifx_post(fx, "/api/v1/events", "application/json", body,
                              strlen(body), headers, resp),
                     0);
    if (resp->status != 202)
        ifx_dump_resp("expected 202", resp);
    assert_int_equal(resp->status, 202);
    root = ccai_http_resp_json(resp);
    assert_non_null(root);
    return root;
}

/* The record with @event_id in contact-events (waits for it), or fails. */
static void read_event(struct ifx *fx,
                       const char *event_id,
                       struct ccai_kafka_records *recs,
                       const struct ccai_kafka_record **rec)
{
    int64_t deadline = ccai_test_now_ms() + 30000;

    for (;;) {
        ifx_read_events(fx, recs);
        *rec = ccai_kafka_find_json(recs, "event_id", event_id);
        if (*rec != NULL || ccai_test_now_ms() > deadline)
            break;
        ccai_kafka_records_release(recs);
        ccai_test_sleep_ms(200);
    }
    if (*rec == NULL)
        fprintf(stderr, "event %s not in %s (%zu records)\n", event_id,
                IFX_EVENTS_TOPIC, recs->n);
    assert_non_null(*rec);
}

/* Problem+json checks shared by every error test. */
static json_t *expect_problem(const struct ccai_http_resp *resp, long status)
{
    const char *ct = ccai_http_resp_header(resp, "Content-Type");
    json_t *root = NULL;

    if (resp->status != status)
        ifx_dump_resp("unexpected status", resp);
    assert_int_equal(resp->status, status);
    assert_non_null(ct);
    assert_non_null(strstr(ct, "application/problem+json"));
    root = ccai_http_resp_json(resp);
    assert_non_null(root);
    assert_int_equal(json_integer_value(json_object_get(root, "status")),
                     status);
    assert_true(json_is_string(json_object_get(root, "title")));
    assert_true(json_is_string(json_object_get(root, "type")));
    return root;
}

static bool has_pointer(json_t *problem, const char *pointer)
{
    json_t *errors = json_object_get(problem, "errors");
    size_t i;
    json_t *e;

    json_array_foreach(errors, i, e)
    {
        const char *p = json_string_value(json_object_get(e, "pointer"));

        if (p != NULL && strcmp(p, pointer) == 0 &&
            json_is_string(json_object_get(e, "message")))
            return true;
    }
    return false;
}

static void test_health_answers_ok(void **state)
{
    struct ifx *fx = *state;
    struct ccai_http_resp resp;
    json_t *root;

    assert_int_equal(ifx_get(fx, "/api/v1/health", &resp), 0);
    assert_int_equal(resp.status, 200);
    root = ccai_http_resp_json(&resp);
    assert_non_null(root);
    assert_string_equal(json_string_value(json_object_get(root, "status")),
                        "ok");
    assert_string_equal(json_string_value(json_object_get(root, "service")),
                        "ingress");
    assert_true(json_is_string(json_object_get(root, "version")));
    json_decref(root);
    ccai_http_resp_release(&resp);
}

static void
test_event_is_produced_with_key_partition_value_and_headers(void **state)
{
    static const char *const hdrs[] = {"traceparent: 00-" TRACE_ID
                                       "-00f067aa0ba902b7-01",
                                       "X-Request-Id: req-abc-123", NULL};
    struct ifx *fx = *state;
    struct ccai_http_resp resp;
    struct ccai_kafka_records recs = {0};
    const struct ccai_kafka_record *rec = NULL;
    char *body = ifx_event("contact-http-1", "evt-http-1");
    json_t *ack = post_ok(fx, body, hdrs, &resp);
    json_t *value = NULL;
    const char *tp;
    int32_t expect_part =
        ccai_kafka_murmur2_partition("contact-http-1", 14, IFX_PARTITIONS);

    /* the 202 answer */
    assert_string_equal(json_string_value(json_object_get(ack, "event_id")),
                        "evt-http-1");
    assert_string_equal(json_string_value(json_object_get(ack, "contact_id")),
                        "contact-http-1");
    assert_string_equal(json_string_value(json_object_get(ack, "status")),
                        "accepted");
    assert_int_equal(json_integer_value(json_object_get(ack, "partition")),
                     expect_part);
    assert_true(json_is_integer(json_object_get(ack, "offset")));
    assert_non_null(ccai_http_resp_header(&resp, "Location"));
    assert_string_equal(ccai_http_resp_header(&resp, "Location"),
                        "/api/v1/events/evt-http-1");
    assert_non_null(ccai_http_resp_header(&resp, "X-Request-Id"));
    assert_string_equal(ccai_http_resp_header(&resp, "X-Request-Id"),
                        "req-abc-123");

    /* the record */
    read_event(fx, "evt-http-1", &recs, &rec);
    assert_string_equal(rec->key, "contact-http-1");
    assert_int_equal(rec->partition, expect_part);
    assert_int_equal(rec->offset,
                     json_integer_value(json_object_get(ack, "offset")));
    value = ccai_kafka_record_json(rec);
    assert_non_null(value);
    assert_int_equal(
        json_integer_value(json_object_get(value, "schema_version")), 1);
    assert_string_equal(json_string_value(json_object_get(value, "tenant_id")),
                        "acme");
    assert_true(json_is_string(json_object_get(value, "received_at")));
    assert_string_equal(json_string_value(json_object_get(value, "contact_id")),
                        "contact-http-1");
    assert_string_equal(json_string_value(json_object_get(value, "type")),
                        "message.received");
    assert_non_null(strstr(json_string_value(json_object_get(value, "text")),
                           "charged twice"));
    assert_non_null(json_string_value(json_object_get(value, "trace")));
    assert_non_null(
        strstr(json_string_value(json_object_get(value, "trace")), TRACE_ID));

    /* the headers */
    assert_string_equal(ccai_kafka_record_header(rec, "content-type"),
                        "application/json");
    assert_string_equal(ccai_kafka_record_header(rec, "ce_specversion"), "1.0");
    assert_string_equal(ccai_kafka_record_header(rec, "ce_id"), "evt-http-1");
    assert_string_equal(ccai_kafka_record_header(rec, "ce_type"),
                        "message.received");
    assert_non_null(ccai_kafka_record_header(rec, "ce_source"));
    assert_true(strlen(ccai_kafka_record_header(rec, "ce_source")) > 0);
    assert_string_equal(ccai_kafka_record_header(rec, "tenant"), "acme");
    tp = ccai_kafka_record_header(rec, "traceparent");
    assert_non_null(tp);
    assert_int_equal(strlen(tp), 55);
    assert_memory_equal(tp, "00-" TRACE_ID "-", 36);

    json_decref(value);
    json_decref(ack);
    ccai_kafka_records_release(&recs);
    ccai_http_resp_release(&resp);
    free(body);
}

static void test_missing_traceparent_is_generated_and_event_id_too(void **state)
{
    struct ifx *fx = *state;
    struct ccai_http_resp resp;
    struct ccai_kafka_records recs = {0};
    const struct ccai_kafka_record *rec = NULL;
    char *body = ifx_event("contact-http-2", NULL);
    json_t *ack = post_ok(fx, body, NULL, &resp);
    const char *id = json_string_value(json_object_get(ack, "event_id"));
    const char *tp;

    assert_non_null(id);
    assert_int_equal(strlen(id), 36); /* UUIDv7 */
    assert_int_equal(id[14], '7');
    assert_non_null(ccai_http_resp_header(&resp, "X-Request-Id"));
    read_event(fx, id, &recs, &rec);
    assert_string_equal(ccai_kafka_record_header(rec, "ce_id"), id);
    tp = ccai_kafka_record_header(rec, "traceparent");
    assert_non_null(tp);
    assert_int_equal(strlen(tp), 55);
    assert_memory_equal(tp, "00-", 3);
    json_decref(ack);
    ccai_kafka_records_release(&recs);
    ccai_http_resp_release(&resp);
    free(body);
}

static void test_same_contact_same_partition_matches_java_murmur2(void **state)
{
    struct ifx *fx = *state;
    char contact[32];
    char event_id[32];

    for (int c = 0; c < 8; c++) {
        snprintf(contact, sizeof(contact), "contact-part-%d", c);
        int32_t expect = ccai_kafka_murmur2_partition(contact, strlen(contact),
                                                      IFX_PARTITIONS);

        for (int i = 0; i < 2; i++) {
            struct ccai_http_resp resp;
            char *body = NULL;
            json_t *ack = NULL;

            snprintf(event_id, sizeof(event_id), "evt-part-%d-%d", c, i);
            body = ifx_event(contact, event_id);
            ack = post_ok(fx, body, NULL, &resp);
            assert_int_equal(
                json_integer_value(json_object_get(ack, "partition")), expect);
            json_decref(ack);
            ccai_http_resp_release(&resp);
            free(body);
        }
    }
}

static void test_sha256_key_and_x_api_key_stamp_their_tenant(void **state)
{
    static const char *const hdrs[] = {"X-API-Key: " KEY_BETA, NULL};
    struct ifx *fx = *state;
    struct ifx beta = *fx;
    struct ccai_http_resp resp;
    struct ccai_kafka_records recs = {0};
    const struct ccai_kafka_record *rec = NULL;
    char *body = ifx_event("contact-beta-1", "evt-beta-1");
    json_t *ack = NULL;
    json_t *value = NULL;

    beta.api_key[0] = '\0';
    ack = post_ok(&beta, body, hdrs, &resp);
    read_event(fx, "evt-beta-1", &recs, &rec);
    value = ccai_kafka_record_json(rec);
    assert_string_equal(json_string_value(json_object_get(value, "tenant_id")),
                        "beta");
    assert_string_equal(ccai_kafka_record_header(rec, "tenant"), "beta");
    json_decref(value);
    json_decref(ack);
    ccai_kafka_records_release(&recs);
    ccai_http_resp_release(&resp);
    free(body);
}

static void test_cloudevents_structured_uses_ce_id(void **state)
{
    struct ifx *fx = *state;
    struct ccai_http_resp resp;
    struct ccai_kafka_records recs = {0};
    const struct ccai_kafka_record *rec = NULL;
    char *data = ifx_event("contact-ce-1", NULL);
    json_t *ce =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "specversion", "1.0", "id",
                  "ce-evt-1", "source", "/crm/test", "type", "message.received",
                  "datacontenttype", "application/json", "data",
                  json_loads(data, 0, NULL));
    char *body = json_dumps(ce, JSON_COMPACT);
    json_t *ack = NULL;

    assert_int_equal(ifx_post(fx, "/api/v1/events",
                              "application/cloudevents+json", body,
                              strlen(body), NULL, &resp),
                     0);
    if (resp.status != 202)
        ifx_dump_resp("cloudevents", &resp);
    assert_int_equal(resp.status, 202);
    ack = ccai_http_resp_json(&resp);
    assert_string_equal(json_string_value(json_object_get(ack, "event_id")),
                        "ce-evt-1");
    read_event(fx, "ce-evt-1", &recs, &rec);
    assert_string_equal(rec->key, "contact-ce-1");
    assert_string_equal(ccai_kafka_record_header(rec, "ce_id"), "ce-evt-1");
    json_decref(ack);
    json_decref(ce);
    ccai_kafka_records_release(&recs);
    ccai_http_resp_release(&resp);
    free(body);
    free(data);
}

/* Post a batch with items 0 and 2 valid, 1 invalid; check statuses and
 * the topic. */
static void check_batch(struct ifx *fx,
                        const char *content_type,
                        const char *body,
                        const char *prefix)
{
    struct ccai_http_resp resp;
    struct ccai_kafka_records recs = {0};
    json_t *root = NULL;
    json_t *items = NULL;
    char id[64];
    const struct ccai_kafka_record *rec = NULL;

    assert_int_equal(ifx_post(fx, "/api/v1/events/batch", content_type, body,
                              strlen(body), NULL, &resp),
                     0);
    if (resp.status != 200)
        ifx_dump_resp("batch", &resp);
    assert_int_equal(resp.status, 200);
    root = ccai_http_resp_json(&resp);
    assert_non_null(root);
    items = json_object_get(root, "items");
    assert_int_equal(json_array_size(items), 3);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(items, 0), "status")),
        "accepted");
    assert_string_not_equal(
        json_string_value(json_object_get(json_array_get(items, 1), "status")),
        "accepted");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(items, 2), "status")),
        "accepted");
    snprintf(id, sizeof(id), "%s-2", prefix);
    read_event(fx, id, &recs, &rec);
    snprintf(id, sizeof(id), "%s-0", prefix);
    assert_non_null(ccai_kafka_find_json(&recs, "event_id", id));
    snprintf(id, sizeof(id), "%s-1", prefix);
    assert_null(ccai_kafka_find_json(&recs, "event_id", id));
    json_decref(root);
    ccai_kafka_records_release(&recs);
    ccai_http_resp_release(&resp);
}

static void test_batch_json_array_lands_valid_items_only(void **state)
{
    struct ifx *fx = *state;
    char *a = ifx_event("contact-batch-a", "evt-batch-arr-0");
    char *c = ifx_event("contact-batch-c", "evt-batch-arr-2");
    char body[4096];

    snprintf(body, sizeof(body),
             "[%s,{\"event_id\":\"evt-batch-arr-1\",\"type\":"
             "\"message.received\"},%s]",
             a, c);
    check_batch(fx, "application/json", body, "evt-batch-arr");
    free(a);
    free(c);
}

static void test_batch_ndjson_lands_valid_items_only(void **state)
{
    struct ifx *fx = *state;
    char *a = ifx_event("contact-batch-a", "evt-batch-nd-0");
    char *c = ifx_event("contact-batch-c", "evt-batch-nd-2");
    char body[4096];

    snprintf(body, sizeof(body),
             "%s\n{\"event_id\":\"evt-batch-nd-1\",\"contact_id\":\"x\","
             "\"type\":\"no.such.type\"}\n%s\n",
             a, c);
    check_batch(fx, "application/x-ndjson", body, "evt-batch-nd");
    free(a);
    free(c);
}

static void post_expect(struct ifx *fx,
                        const char *path,
                        const char *ct,
                        const char *body,
                        size_t len,
                        long status,
                        json_t **problem)
{
    struct ccai_http_resp resp;

    assert_int_equal(ifx_post(fx, path, ct, body, len, NULL, &resp), 0);
    *problem = expect_problem(&resp, status);
    ccai_http_resp_release(&resp);
}

static void test_400_malformed_json(void **state)
{
    static const char body[] = "{\"contact_id\": \"c1\", ";
    json_t *p = NULL;

    post_expect(*state, "/api/v1/events", "application/json", body,
                sizeof(body) - 1, 400, &p);
    json_decref(p);
}

static void test_400_lists_every_violation_with_pointer(void **state)
{
    /* contact_id missing, bad type, bad sequence, participant role bad,
     * attributes value not a string */
    static const char body[] =
        "{\"type\":\"message.recieved\",\"sequence\":-1,"
        "\"participant\":{\"role\":\"robot\"},\"text\":\"x\","
        "\"attributes\":{\"a\":1}}";
    json_t *p = NULL;

    post_expect(*state, "/api/v1/events", "application/json", body,
                sizeof(body) - 1, 400, &p);
    assert_true(json_array_size(json_object_get(p, "errors")) >= 4);
    assert_true(has_pointer(p, "/contact_id"));
    assert_true(has_pointer(p, "/type"));
    assert_true(has_pointer(p, "/sequence"));
    assert_true(has_pointer(p, "/participant/role"));
    assert_true(has_pointer(p, "/attributes/a"));
    json_decref(p);
}

static void test_400_required_fields_of_message_received(void **state)
{
    static const char body[] =
        "{\"contact_id\":\"c1\",\"type\":\"message.received\"}";
    json_t *p = NULL;

    post_expect(*state, "/api/v1/events", "application/json", body,
                sizeof(body) - 1, 400, &p);
    assert_true(has_pointer(p, "/participant"));
    assert_true(has_pointer(p, "/text"));
    json_decref(p);
}

static void test_400_unknown_field(void **state)
{
    static const char body[] =
        "{\"contact_id\":\"c1\",\"type\":\"contact.ended\",\"contactid\":1}";
    json_t *p = NULL;

    post_expect(*state, "/api/v1/events", "application/json", body,
                sizeof(body) - 1, 400, &p);
    assert_true(has_pointer(p, "/contactid"));
    json_decref(p);
}

static void test_400_nesting_deeper_than_32(void **state)
{
    char body[512];
    size_t n = 0;
    json_t *p = NULL;

    n += (size_t)snprintf(body, sizeof(body),
                          "{\"contact_id\":\"c1\",\"type\":\"contact.ended\","
                          "\"attributes\":");
    for (int i = 0; i < 32; i++)
        body[n++] = '[';
    for (int i = 0; i < 32; i++)
        body[n++] = ']';
    body[n++] = '}';
    /* depth: the object (1) + 32 arrays = 33 */
    post_expect(*state, "/api/v1/events", "application/json", body, n, 400, &p);
    json_decref(p);
}

static void test_400_invalid_utf8(void **state)
{
    static const char body[] =
        "{\"contact_id\":\"c1\",\"type\":\"message.received\","
        "\"participant\":{\"role\":\"customer\"},\"text\":\"bad \xc3\x28 "
        "byte\"}";
    json_t *p = NULL;

    post_expect(*state, "/api/v1/events", "application/json", body,
                sizeof(body) - 1, 400, &p);
    json_decref(p);
}

static void test_401_without_key_and_with_wrong_key(void **state)
{
    static const char *const wrong[] = {"Authorization: Bearer nope-nope",
                                        NULL};
    struct ifx *fx = *state;
    struct ifx anon = *fx;
    struct ccai_http_resp resp;
    char *body = ifx_event("contact-401", NULL);
    json_t *p = NULL;

    anon.api_key[0] = '\0';
    assert_int_equal(ifx_post(&anon, "/api/v1/events", "application/json", body,
                              strlen(body), NULL, &resp),
                     0);
    p = expect_problem(&resp, 401);
    json_decref(p);
    ccai_http_resp_release(&resp);
    assert_int_equal(ifx_post(&anon, "/api/v1/events", "application/json", body,
                              strlen(body), wrong, &resp),
                     0);
    p = expect_problem(&resp, 401);
    json_decref(p);
    ccai_http_resp_release(&resp);
    free(body);
}

static void test_404_and_405(void **state)
{
    struct ifx *fx = *state;
    struct ccai_http_resp resp;
    char url[128];
    json_t *p = NULL;

    assert_int_equal(ifx_get(fx, "/api/v1/nothing-here", &resp), 0);
    p = expect_problem(&resp, 404);
    json_decref(p);
    ccai_http_resp_release(&resp);

    assert_int_equal(ifx_get(fx, "/api/v1/events/evt-never-seen", &resp), 0);
    p = expect_problem(&resp, 404);
    json_decref(p);
    ccai_http_resp_release(&resp);

    assert_int_equal(
        ccai_http_request("DELETE",
                          ifx_url(fx, "/api/v1/health", url, sizeof(url)), NULL,
                          NULL, 0, &resp),
        0);
    p = expect_problem(&resp, 405);
    json_decref(p);
    ccai_http_resp_release(&resp);

    assert_int_equal(ifx_get(fx, "/api/v1/events", &resp), 0);
    p = expect_problem(&resp, 405);
    json_decref(p);
    ccai_http_resp_release(&resp);
}

static void test_413_content_length_and_chunked(void **state)
{
    struct ifx *fx = *state;
    size_t len = 8192; /* INGRESS_MAX_BODY_BYTES=4096 in this group */
    char *body = malloc(len);
    char url[128];
    char auth[128];
    const char *h[] = {"Content-Type: application/json", auth, NULL};
    struct ccai_http_req req = {
        .method = "POST",
        .url = ifx_url(fx, "/api/v1/events", url, sizeof(url)),
        .headers = h,
        .body = body,
        .body_len = len};
    struct ccai_http_resp resp;
    json_t *p = NULL;

    assert_non_null(body);
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", fx->api_key);
    memset(body, ' ', len);
    body[0] = '{';
    body[len - 1] = '}';
    assert_int_equal(ccai_http_do(&req, &resp), 0);
    p = expect_problem(&resp, 413);
    json_decref(p);
    ccai_http_resp_release(&resp);

    req.chunked = true;
    assert_int_equal(ccai_http_do(&req, &resp), 0);
    p = expect_problem(&resp, 413);
    json_decref(p);
    ccai_http_resp_release(&resp);
    free(body);
}

static void test_415_media_types(void **state)
{
    struct ifx *fx = *state;
    char *body = ifx_event("contact-415", NULL);
    json_t *p = NULL;

    post_expect(fx, "/api/v1/events", "text/plain", body, strlen(body), 415,
                &p);
    json_decref(p);
    post_expect(fx, "/api/v1/events", NULL, body, strlen(body), 415, &p);
    json_decref(p);
    /* NDJSON is for the batch endpoint only */
    post_expect(fx, "/api/v1/events", "application/x-ndjson", body,
                strlen(body), 415, &p);
    json_decref(p);
    free(body);
}

static void test_json_with_charset_is_accepted(void **state)
{
    struct ifx *fx = *state;
    struct ccai_http_resp resp;
    char *body = ifx_event("contact-charset", NULL);

    assert_int_equal(ifx_post(fx, "/api/v1/events",
                              "application/json; charset=utf-8", body,
                              strlen(body), NULL, &resp),
                     0);
    assert_int_equal(resp.status, 202);
    ccai_http_resp_release(&resp);
    free(body);
}

static void test_event_lookup_after_202_and_metrics(void **state)
{
    struct ifx *fx = *state;
    struct ccai_http_resp resp;
    char *body = ifx_event("contact-lookup", "evt-lookup-1");
    json_t *ack = post_ok(fx, body, NULL, &resp);
    json_t *root = NULL;

    ccai_http_resp_release(&resp);
    assert_int_equal(ifx_get(fx, "/api/v1/events/evt-lookup-1", &resp), 0);
    if (resp.status != 200)
        ifx_dump_resp("lookup", &resp);
    assert_int_equal(resp.status, 200);
    root = ccai_http_resp_json(&resp);
    assert_string_equal(json_string_value(json_object_get(root, "event_id")),
                        "evt-lookup-1");
    assert_string_equal(json_string_value(json_object_get(root, "status")),
                        "pending");
    json_decref(root);
    ccai_http_resp_release(&resp);

    assert_int_equal(ifx_get(fx, "/metrics", &resp), 0);
    assert_int_equal(resp.status, 200);
    assert_non_null(strstr(resp.body, "# TYPE"));
    ccai_http_resp_release(&resp);
    json_decref(ack);
    free(body);
}

static void test_x_request_id_is_echoed_on_errors(void **state)
{
    static const char *const hdrs[] = {"X-Request-Id: req-err-77", NULL};
    struct ifx *fx = *state;
    struct ccai_http_resp resp;

    assert_int_equal(
        ifx_post(fx, "/api/v1/events", "application/json", "{", 1, hdrs, &resp),
        0);
    assert_int_equal(resp.status, 400);
    assert_non_null(ccai_http_resp_header(&resp, "X-Request-Id"));
    assert_string_equal(ccai_http_resp_header(&resp, "X-Request-Id"),
                        "req-err-77");
    ccai_http_resp_release(&resp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_health_answers_ok),
        cmocka_unit_test(
            test_event_is_produced_with_key_partition_value_and_headers),
        cmocka_unit_test(
            test_missing_traceparent_is_generated_and_event_id_too),
        cmocka_unit_test(test_same_contact_same_partition_matches_java_murmur2),
        cmocka_unit_test(test_sha256_key_and_x_api_key_stamp_their_tenant),
        cmocka_unit_test(test_cloudevents_structured_uses_ce_id),
        cmocka_unit_test(test_batch_json_array_lands_valid_items_only),
        cmocka_unit_test(test_batch_ndjson_lands_valid_items_only),
        cmocka_unit_test(test_400_malformed_json),
        cmocka_unit_test(test_400_lists_every_violation_with_pointer),
        cmocka_unit_test(test_400_required_fields_of_message_received),
        cmocka_unit_test(test_400_unknown_field),
        cmocka_unit_test(test_400_nesting_deeper_than_32),
        cmocka_unit_test(test_400_invalid_utf8),
        cmocka_unit_test(test_401_without_key_and_with_wrong_key),
        cmocka_unit_test(test_404_and_405),
        cmocka_unit_test(test_413_content_length_and_chunked),
        cmocka_unit_test(test_415_media_types),
        cmocka_unit_test(test_json_with_charset_is_accepted),
        cmocka_unit_test(test_event_lookup_after_202_and_metrics),
        cmocka_unit_test(test_x_request_id_is_echoed_on_errors),
    };

    if (getenv("CCAI_TEST_FILTER") != NULL)
        cmocka_set_test_filter(getenv("CCAI_TEST_FILTER"));
    return ccai_test_finish(
        cmocka_run_group_tests(tests, group_setup, group_teardown));
}
