/* integ_ingress_kafka - what other Kafka clients see of the ingress's
 * records, and interop through the dev broker: events read back with
 * `kcat -C -J` (parsed as JSON), records produced with `kcat -P` read by
 * librdkafka and the reverse, and the murmur2_random partition agreement
 * between kcat, librdkafka and the ingress. Test main thread. */
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

static int group_setup(void **state)
{
    struct ifx *fx = calloc(1, sizeof(*fx));

    *state = fx;
    if (fx == NULL)
        return -1;
    return ifx_start(fx, NULL, NULL);
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

/* kcat -C -J of @topic from the beginning to the end: one JSON object per
 * line, parsed into an array (new reference). */
static json_t *kcat_read(struct ifx *fx, const char *topic)
{
    const char *args[] = {"-b",        ccai_devbroker_bootstrap(fx->db),
                          "-C",        "-t",
                          topic,       "-o",
                          "beginning", "-e",
                          "-q",        "-J",
                          NULL};
    char *out = NULL;
    json_t *arr = json_array();
    int rc = ccai_proc_run("path:kcat", args, NULL, NULL, 0, 60000, &out);

    if (rc != 0)
        fprintf(stderr, "kcat -C exited %d: %s\n", rc, out ? out : "");
    assert_int_equal(rc, 0);
    for (char *line = out; line && *line;) {
        char *nl = strchr(line, '\n');
        json_t *rec;

        if (nl != NULL)
            *nl = '\0';
        rec = json_loads(line, 0, NULL);
        if (rec == NULL && line[0] != '\0')
            fprintf(stderr, "kcat line is not JSON: %s\n", line);
        if (rec != NULL)
            json_array_append_new(arr, rec);
        line = nl ? nl + 1 : NULL;
    }
    free(out);
    return arr;
}

/* kcat -J headers are ["name","value",...]: the value of @name or NULL. */
static const char *kcat_header(json_t *rec, const char *name)
{
    json_t *h = json_object_get(rec, "headers");

    for (size_t i = 0; i + 1 < json_array_size(h); i += 2) {
        if (strcmp(json_string_value(json_array_get(h, i)), name) == 0)
            return json_string_value(json_array_get(h, i + 1));
    }
    return NULL;
}

static json_t *kcat_find_payload(json_t *recs,
                                 const char *field,
                                 const char *value,
                                 json_t **payload)
{
    size_t i;
    json_t *rec;

    json_array_foreach(recs, i, rec)
    {
        const char *text = json_string_value(json_object_get(rec, "payload"));
        json_t *p = text ? json_loads(text, 0, NULL) : NULL;
        const char *v = json_string_value(json_object_get(p, field));

        if (v != NULL && strcmp(v, value) == 0) {
            *payload = p;
            return rec;
        }
        json_decref(p);
    }
    *payload = NULL;
    return NULL;
}

static void test_kcat_reads_ingress_records_with_headers(void **state)
{
    struct ifx *fx = *state;
    const char *contact = "contact-kcat-1";
    int32_t expect =
        ccai_kafka_murmur2_partition(contact, strlen(contact), IFX_PARTITIONS);
    json_t *recs = NULL;

    for (int i = 0; i < 3; i++) {
        struct ccai_http_resp resp;
        char id[32];
        char *body = NULL;

        snprintf(id, sizeof(id), "evt-kcat-%d", i);
        body = ifx_event(contact, id);
        assert_int_equal(ifx_post(fx, "/api/v1/events", "application/json",
                                  body, strlen(body), NULL, &resp),
                         0);
        assert_int_equal(resp.status, 202);
        ccai_http_resp_release(&resp);
        free(body);
    }
    recs = kcat_read(fx, IFX_EVENTS_TOPIC);
    for (int i = 0; i < 3; i++) {
        char id[32];
        json_t *payload = NULL;
        json_t *rec = NULL;

        snprintf(id, sizeof(id), "evt-kcat-%d", i);
        rec = kcat_find_payload(recs, "event_id", id, &payload);
        if (rec == NULL)
            fprintf(stderr, "%s not among %zu kcat records\n", id,
                    json_array_size(recs));
        assert_non_null(rec);
        assert_string_equal(json_string_value(json_object_get(rec, "key")),
                            contact);
        assert_int_equal(json_integer_value(json_object_get(rec, "partition")),
                         expect);
        assert_string_equal(kcat_header(rec, "ce_id"), id);
        assert_string_equal(kcat_header(rec, "ce_specversion"), "1.0");
        assert_string_equal(kcat_header(rec, "ce_type"), "message.received");
        assert_string_equal(kcat_header(rec, "content-type"),
                            "application/json");
        assert_string_equal(kcat_header(rec, "tenant"), "default");
        assert_non_null(kcat_header(rec, "traceparent"));
        assert_non_null(kcat_header(rec, "ce_source"));
        assert_int_equal(
            json_integer_value(json_object_get(payload, "schema_version")), 1);
        assert_string_equal(
            json_string_value(json_object_get(payload, "tenant_id")),
            "default");
        json_decref(payload);
    }
    json_decref(recs);
}

static void test_kcat_produce_is_read_by_librdkafka(void **state)
{
    struct ifx *fx = *state;
    const char *key = "contact-from-kcat";
    const char *args[] = {"-b",
                          ccai_devbroker_bootstrap(fx->db),
                          "-P",
                          "-t",
                          IFX_EVENTS_TOPIC,
                          "-k",
                          key,
                          "-H",
                          "ce_id=evt-from-kcat",
                          "-H",
                          "content-type=application/json",
                          "-X",
                          "partitioner=murmur2_random",
                          NULL};
    static const char value[] =
        "{\"event_id\":\"evt-from-kcat\",\"contact_id\":\"contact-from-kcat\","
        "\"type\":\"contact.ended\"}";
    struct ccai_kafka_records recs = {0};
    const struct ccai_kafka_record *rec = NULL;
    char *out = NULL;
    int rc = ccai_proc_run("path:kcat", args, NULL, value, sizeof(value) - 1,
                           60000, &out);

    if (rc != 0)
        fprintf(stderr, "kcat -P: %s\n", out ? out : "");
    assert_int_equal(rc, 0);
    free(out);
    ifx_read_events(fx, &recs);
    rec = ccai_kafka_find_header(&recs, "ce_id", "evt-from-kcat");
    assert_non_null(rec);
    assert_string_equal(rec->key, key);
    assert_string_equal(rec->value, value);
    assert_string_equal(ccai_kafka_record_header(rec, "content-type"),
                        "application/json");
    /* kcat (librdkafka murmur2_random) agrees with the Java partitioner */
    assert_int_equal(rec->partition, ccai_kafka_murmur2_partition(
                                         key, strlen(key), IFX_PARTITIONS));
    ccai_kafka_records_release(&recs);
}

static void test_librdkafka_produce_is_read_by_kcat(void **state)
{
    struct ifx *fx = *state;
    static const char *const hdrs[] = {"ce_id", "evt-from-rdkafka", "tenant",
                                       "acme", NULL};
    static const char value[] =
        "{\"event_id\":\"evt-from-rdkafka\",\"contact_id\":\"contact-rd\","
        "\"type\":\"contact.ended\"}";
    int32_t part = -1;
    int64_t off = -1;
    json_t *recs = NULL;
    json_t *payload = NULL;
    json_t *rec = NULL;

    assert_int_equal(ccai_kafka_produce(ccai_devbroker_bootstrap(fx->db),
                                        IFX_EVENTS_TOPIC, "contact-rd", value,
                                        sizeof(value) - 1, hdrs, -1, 30000,
                                        &part, &off),
                     0);
    assert_int_equal(
        part, ccai_kafka_murmur2_partition("contact-rd", 10, IFX_PARTITIONS));
    recs = kcat_read(fx, IFX_EVENTS_TOPIC);
    rec = kcat_find_payload(recs, "event_id", "evt-from-rdkafka", &payload);
    assert_non_null(rec);
    assert_int_equal(json_integer_value(json_object_get(rec, "partition")),
                     part);
    assert_int_equal(json_integer_value(json_object_get(rec, "offset")), off);
    assert_string_equal(kcat_header(rec, "ce_id"), "evt-from-rdkafka");
    assert_string_equal(kcat_header(rec, "tenant"), "acme");
    json_decref(payload);
    json_decref(recs);
}

static void test_topic_count_matches_records_read(void **state)
{
    struct ifx *fx = *state;
    struct ccai_kafka_records recs = {0};
    long count = ccai_kafka_count(ccai_devbroker_bootstrap(fx->db),
                                  IFX_EVENTS_TOPIC, 30000);

    assert_true(count >= 5);
    assert_int_equal(ifx_read_events(fx, &recs), count);
    ccai_kafka_records_release(&recs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kcat_reads_ingress_records_with_headers),
        cmocka_unit_test(test_kcat_produce_is_read_by_librdkafka),
        cmocka_unit_test(test_librdkafka_produce_is_read_by_kcat),
        cmocka_unit_test(test_topic_count_matches_records_read),
    };

    if (getenv("CCAI_TEST_FILTER") != NULL)
        cmocka_set_test_filter(getenv("CCAI_TEST_FILTER"));
    return ccai_test_finish(
        cmocka_run_group_tests(tests, group_setup, group_teardown));
}
