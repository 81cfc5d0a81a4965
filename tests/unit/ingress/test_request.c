/* test_request - media types, single events, batches (JSON array, NDJSON,
 * CloudEvents) with per-item pointers, traceparent handling, stamping and
 * the Kafka headers of a record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

#include "banned.h"

#define STARTED                                            \
    "{\"contact_id\":\"c1\",\"type\":\"contact.started\"," \
    "\"channel\":\"voice\"}"
#define MESSAGE                                             \
    "{\"contact_id\":\"c2\",\"type\":\"message.received\"," \
    "\"participant\":{\"role\":\"customer\"},\"text\":\"hi\"}"

static int parse_one(const char *ct, const char *body, struct ccai_error *err)
{
    struct contact_event ev;
    int rc = request_parse_event(ct, body, strlen(body), &ev, err);

    if (rc == 0)
        contact_event_release(&ev);
    return rc;
}

static void test_request_media_types_of_single_events(void **state)
{
    struct ccai_error err = {0};

    (void)state;
    assert_int_equal(parse_one("application/json", STARTED, &err), 0);
    assert_int_equal(
        parse_one("Application/JSON; charset=utf-8", STARTED, &err), 0);
    assert_int_equal(parse_one("text/plain", STARTED, &err), -1);
    assert_int_equal(err.status, CCAI_E_MEDIA_TYPE);
    assert_int_equal(parse_one(NULL, STARTED, &err), -1);
    assert_int_equal(err.status, CCAI_E_MEDIA_TYPE);
    /* NDJSON is for the batch endpoint only */
    assert_int_equal(parse_one("application/x-ndjson", STARTED, &err), -1);
    assert_int_equal(err.status, CCAI_E_MEDIA_TYPE);
    assert_int_equal(parse_one("application/json", "", &err), -1);
    assert_int_equal(err.status, CCAI_E_INVALID);
}

static void test_request_single_event_violations_have_pointers(void **state)
{
    struct ccai_error err = {0};

    (void)state;
    assert_int_equal(
        parse_one("application/json", "{\"type\":\"contact.started\"}", &err),
        -1);
    assert_int_equal(err.status, CCAI_E_INVALID);
    assert_true(err.n_violations >= 1);
    assert_string_equal(err.violations[0].pointer, "/contact_id");
    assert_int_equal(parse_one("application/json", "{not json", &err), -1);
    assert_int_equal(err.status, CCAI_E_INVALID);
}

static void test_request_cloudevent_id_becomes_event_id(void **state)
{
    static const char ce[] =
        "{\"specversion\":\"1.0\",\"id\":\"ce-42\",\"source\":\"/pbx\","
        "\"type\":\"contact.started\",\"data\":" STARTED "}";
    struct contact_event ev;
    struct ccai_error err = {0};

    (void)state;
    assert_int_equal(request_parse_event("application/cloudevents+json", ce,
                                         strlen(ce), &ev, &err),
                     0);
    assert_string_equal(ev.event_id, "ce-42");
    assert_string_equal(ev.contact_id, "c1");
    contact_event_release(&ev);
}

static void test_request_batch_array_mixed_items(void **state)
{
    static const char body[] =
        "[" STARTED ",{\"contact_id\":\"c9\"}," MESSAGE ",42]";
    struct request_batch b;
    struct ccai_error err = {0};

    (void)state;
    assert_int_equal(
        request_parse_batch("application/json", body, strlen(body), &b, &err),
        0);
    assert_int_equal(b.n, 4);
    assert_int_equal(b.n_valid, 2);
    assert_null(b.items[0].err);
    assert_non_null(b.items[1].err);
    assert_string_equal(b.items[1].err->violations[0].pointer, "/1/type");
    assert_null(b.items[2].err);
    assert_string_equal(b.items[2].ev.contact_id, "c2");
    assert_non_null(b.items[3].err);
    assert_int_equal(strncmp(b.items[3].err->violations[0].pointer, "/3", 2),
                     0);
    request_batch_release(&b);
}

static void test_request_batch_ndjson_lines_and_blank_lines(void **state)
{
    static const char body[] = STARTED "\n\n{\"broken\"\n" MESSAGE "\r\n";
    struct request_batch b;
    struct ccai_error err = {0};

    (void)state;
    assert_int_equal(request_parse_batch("application/x-ndjson", body,
                                         strlen(body), &b, &err),
                     0);
    assert_int_equal(b.n, 3);
    assert_null(b.items[0].err);
    assert_non_null(b.items[1].err);
    assert_string_equal(b.items[1].err->violations[0].pointer, "/1");
    assert_null(b.items[2].err);
    request_batch_release(&b);
}

static void test_request_batch_cloudevents_prefix_pointers(void **state)
{
    static const char body[] =
        "[{\"specversion\":\"1.0\",\"id\":\"a1\",\"source\":\"/s\","
        "\"type\":\"t\",\"data\":" STARTED "},"
        "{\"specversion\":\"1.0\",\"id\":\"a2\",\"source\":\"/s\","
        "\"type\":\"t\",\"data\":{\"type\":\"contact.started\","
        "\"channel\":\"voice\"}}]";
    struct request_batch b;
    struct ccai_error err = {0};

    (void)state;
    assert_int_equal(request_parse_batch("application/cloudevents-batch+json",
                                         body, strlen(body), &b, &err),
                     0);
    assert_int_equal(b.n, 2);
    assert_null(b.items[0].err);
    assert_string_equal(b.items[0].ev.event_id, "a1");
    assert_non_null(b.items[1].err);
    assert_string_equal(b.items[1].err->violations[0].pointer,
                        "/1/data/contact_id");
    request_batch_release(&b);
}

static void test_request_batch_whole_body_errors(void **state)
{
    struct request_batch b;
    struct ccai_error err = {0};
    char *big = NULL;
    size_t len = 0;

    (void)state;
    assert_int_equal(request_parse_batch("application/json", "{}", 2, &b, &err),
                     -1);
    assert_int_equal(err.status, CCAI_E_INVALID);
    request_batch_release(&b);
    assert_int_equal(request_parse_batch("application/json", "[]", 2, &b, &err),
                     -1);
    assert_int_equal(err.status, CCAI_E_INVALID);
    request_batch_release(&b);
    assert_int_equal(request_parse_batch("text/csv", "a,b", 3, &b, &err), -1);
    assert_int_equal(err.status, CCAI_E_MEDIA_TYPE);
    request_batch_release(&b);

    /* 501 items: too many */
    big = malloc(501 * 3 + 2);
    big[len++] = '[';
    for (int i = 0; i < 501; i++) {
        memcpy(big + len, i ? ",{}" : "{}", i ? 3 : 2);
        len += i ? 3 : 2;
    }
    big[len++] = ']';
    assert_int_equal(
        request_parse_batch("application/json", big, len, &b, &err), -1);
    assert_int_equal(err.status, CCAI_E_TOO_LARGE);
    request_batch_release(&b);
    /* the same as NDJSON */
    len = 0;
    for (int i = 0; i < 501; i++) {
        memcpy(big + len, "{}\n", 3);
        len += 3;
    }
    assert_int_equal(
        request_parse_batch("application/x-ndjson", big, len, &b, &err), -1);
    assert_int_equal(err.status, CCAI_E_TOO_LARGE);
    request_batch_release(&b);
    free(big);
}

static void test_request_batch_rejects_deep_nesting(void **state)
{
    char body[256];
    size_t o = 0;
    struct request_batch b;
    struct ccai_error err = {0};

    (void)state;
    body[o++] = '[';
    for (int i = 0; i < 40; i++)
        body[o++] = '[';
    for (int i = 0; i < 40; i++)
        body[o++] = ']';
    body[o++] = ']';
    assert_int_equal(request_parse_batch("application/json", body, o, &b, &err),
                     -1);
    assert_int_equal(err.status, CCAI_E_INVALID);
    request_batch_release(&b);
}

static void test_request_traceparent_continues_or_starts(void **state)
{
    static const char in[] =
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    char tp[CCAI_TRACEPARENT_LEN + 1];

    (void)state;
    request_trace(in, tp);
    assert_true(ccai_traceparent_is_valid(tp));
    assert_memory_equal(tp, in, 36);               /* same trace id */
    assert_memory_not_equal(tp + 36, in + 36, 16); /* new span */
    request_trace("garbage", tp);
    assert_true(ccai_traceparent_is_valid(tp));
    assert_memory_not_equal(tp + 3, in + 3, 32);
    request_trace(NULL, tp);
    assert_true(ccai_traceparent_is_valid(tp));
}

static const char *header(const struct request_headers *h, const char *name)
{
    for (size_t i = 0; i < h->n; i++)
        if (strcmp(h->name[i], name) == 0)
            return h->value[i];
    return NULL;
}

static void test_request_stamp_and_kafka_headers(void **state)
{
    struct contact_event ev;
    struct ccai_error err = {0};
    struct request_headers h;
    char tp[CCAI_TRACEPARENT_LEN + 1];
    char *json = NULL;

    (void)state;
    request_trace(NULL, tp);
    assert_int_equal(request_parse_event("application/json", MESSAGE,
                                         strlen(MESSAGE), &ev, &err),
                     0);
    assert_null(ev.event_id);
    assert_int_equal(request_stamp(&ev, "acme", tp, 1764201600123LL, &err), 0);
    assert_non_null(ev.event_id);
    assert_int_equal(strlen(ev.event_id), CCAI_UUID_LEN);
    assert_string_equal(ev.tenant_id, "acme");
    assert_string_equal(ev.trace, tp);
    assert_string_equal(ev.received_at, "2025-11-27T00:00:00.123Z");
    json = contact_event_to_json(&ev, NULL);
    assert_non_null(strstr(json, "\"schema_version\":1"));
    assert_non_null(strstr(json, "\"tenant_id\":\"acme\""));
    free(json);

    request_kafka_headers(&ev, "acme", tp, &h);
    assert_int_equal(h.n, 7);
    assert_string_equal(header(&h, "content-type"), "application/json");
    assert_string_equal(header(&h, "ce_specversion"), "1.0");
    assert_string_equal(header(&h, "ce_id"), ev.event_id);
    assert_string_equal(header(&h, "ce_type"), "message.received");
    assert_string_equal(header(&h, "ce_source"), "/ccai/ingress/acme");
    assert_string_equal(header(&h, "traceparent"), tp);
    assert_string_equal(header(&h, "tenant"), "acme");
    contact_event_release(&ev);
}

static void test_request_given_event_id_is_kept(void **state)
{
    static const char body[] = "{\"event_id\":\"mine-1\",\"contact_id\":\"c1\","
                               "\"type\":\"contact.ended\"}";
    struct contact_event ev;
    struct ccai_error err = {0};

    (void)state;
    assert_int_equal(
        request_parse_event("application/json", body, strlen(body), &ev, &err),
        0);
    assert_int_equal(request_stamp(&ev, "t", NULL, 0, &err), 0);
    assert_string_equal(ev.event_id, "mine-1");
    contact_event_release(&ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_media_types_of_single_events),
        cmocka_unit_test(test_request_single_event_violations_have_pointers),
        cmocka_unit_test(test_request_cloudevent_id_becomes_event_id),
        cmocka_unit_test(test_request_batch_array_mixed_items),
        cmocka_unit_test(test_request_batch_ndjson_lines_and_blank_lines),
        cmocka_unit_test(test_request_batch_cloudevents_prefix_pointers),
        cmocka_unit_test(test_request_batch_whole_body_errors),
        cmocka_unit_test(test_request_batch_rejects_deep_nesting),
        cmocka_unit_test(test_request_traceparent_continues_or_starts),
        cmocka_unit_test(test_request_stamp_and_kafka_headers),
        cmocka_unit_test(test_request_given_event_id_is_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
