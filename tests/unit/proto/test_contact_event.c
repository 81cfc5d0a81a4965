/* test_contact_event - ContactEvent v1 parsing and validation: one test per
 * rule of PRODUCT.md section 3, each asserting the exact JSON pointers;
 * parser limits (duplicates, depth, UTF-8), record mode, stamping, round
 * trip and the CloudEvents mapping. Single-threaded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "contact_event.h"

#define MSG_BASE                                            \
    "\"contact_id\":\"c-1\",\"type\":\"message.received\"," \
    "\"participant\":{\"role\":\"customer\"},\"text\":\"hello\""

/* Parse @body in @mode and assert it fails with exactly the pointers of
 * the NULL-terminated @ptrs, in order. Returns the error for more checks. */
static struct ccai_error expect_invalid_mode(const char *body,
                                             enum contact_event_mode mode,
                                             const char *const *ptrs)
{
    struct contact_event ev;
    struct ccai_error err;
    size_t n = 0;

    assert_int_equal(contact_event_parse(body, strlen(body), mode, &ev, &err),
                     -1);
    assert_int_equal(err.status, CCAI_E_INVALID);
    assert_null(ev.root);
    while (ptrs[n] != NULL)
        n++;
    if (err.n_violations != n) {
        for (size_t i = 0; i < err.n_violations; i++)
            print_message("violation %s: %s\n", err.violations[i].pointer,
                          err.violations[i].message);
    }
    assert_int_equal(err.n_violations, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(err.violations[i].pointer, ptrs[i]);
    assert_string_equal(err.field, ptrs[0]);
    contact_event_release(&ev); /* safe after a failure */
    return err;
}

#define EXPECT_INVALID(body, ...)                      \
    expect_invalid_mode((body), CONTACT_EVENT_REQUEST, \
                        (const char *const[]){__VA_ARGS__, NULL})
#define EXPECT_INVALID_RECORD(body, ...)              \
    expect_invalid_mode((body), CONTACT_EVENT_RECORD, \
                        (const char *const[]){__VA_ARGS__, NULL})

static void expect_valid_mode(const char *body, enum contact_event_mode mode)
{
    struct contact_event ev;
    struct ccai_error err;
    int rc = contact_event_parse(body, strlen(body), mode, &ev, &err);

    if (rc != 0)
        print_message("unexpected violation %s: %s\n", err.field, err.message);
    assert_int_equal(rc, 0);
    assert_int_equal(err.status, CCAI_OK);
    assert_non_null(ev.root);
    contact_event_release(&ev);
}

#define EXPECT_VALID(body) expect_valid_mode((body), CONTACT_EVENT_REQUEST)

/* "{" MSG_BASE "," @extra "}" in a static buffer */
static const char *msg_with(const char *extra)
{
    static char buf[80000];

    snprintf(buf, sizeof(buf), "{" MSG_BASE ",%s}", extra);
    return buf;
}

static char *repeat(const char *unit, size_t times)
{
    size_t ulen = strlen(unit);
    char *s = malloc(ulen * times + 1);

    assert_non_null(s);
    for (size_t i = 0; i < times; i++)
        memcpy(s + i * ulen, unit, ulen);
    s[ulen * times] = '\0';
    return s;
}

/* ---- valid events and views ---------------------------------------- */

static void test_minimal_event_is_valid_with_defaults(void **state)
{
    static const char body[] =
        "{\"contact_id\":\"c-1\",\"type\":\"contact.ended\"}";
    struct contact_event ev;
    struct ccai_error err;

    (void)state;
    assert_int_equal(contact_event_parse(body, sizeof(body) - 1,
                                         CONTACT_EVENT_REQUEST, &ev, &err),
                     0);
    assert_string_equal(ev.contact_id, "c-1");
    assert_int_equal(ev.type, CONTACT_ENDED);
    assert_null(ev.event_id);
    assert_null(ev.channel);
    assert_null(ev.text);
    assert_int_equal(ev.sequence, -1);
    assert_false(ev.is_partial);
    assert_null(ev.tenant_id);
    contact_event_release(&ev);
    assert_null(ev.root);
}

static void test_full_segment_fills_every_view(void **state)
{
    static const char body[] =
        "{\"event_id\":\"e-1\",\"contact_id\":\"C-Mixed.Case:1\","
        "\"type\":\"transcript.segment\",\"channel\":\"voice\","
        "\"occurred_at\":\"2026-11-26T23:45:00.5+01:00\",\"sequence\":7,"
        "\"participant\":{\"role\":\"agent\",\"id\":\"a1\",\"name\":\"Kim\"},"
        "\"text\":\"h\\u00e9llo\",\"segment_id\":\"s-1\",\"is_partial\":true,"
        "\"start_ms\":10,\"end_ms\":20,\"language\":\"pt-BR\","
        "\"customer\":{\"id\":\"k\",\"tier\":\"gold\",\"name\":\"Ada\"},"
        "\"queue\":\"billing\",\"attributes\":{\"crm.case\":\"42\"}}";
    struct contact_event ev;
    struct ccai_error err;

    (void)state;
    assert_int_equal(contact_event_parse(body, sizeof(body) - 1,
                                         CONTACT_EVENT_REQUEST, &ev, &err),
                     0);
    assert_string_equal(ev.event_id, "e-1");
    assert_string_equal(ev.contact_id, "C-Mixed.Case:1"); /* kept as sent */
    assert_int_equal(ev.type, TRANSCRIPT_SEGMENT);
    assert_string_equal(ev.channel, "voice");
    assert_string_equal(ev.role, "agent");
    assert_string_equal(ev.text, "h\xc3\xa9llo");
    assert_int_equal(ev.text_len, 6);
    assert_true(ev.is_partial);
    assert_int_equal(ev.sequence, 7);
    assert_string_equal(ev.segment_id, "s-1");
    assert_string_equal(ev.language, "pt-BR");
    assert_string_equal(ev.queue, "billing");
    assert_string_equal(ev.customer_tier, "gold");
    assert_string_equal(ev.occurred_at, "2026-11-26T23:45:00.5+01:00");
    contact_event_release(&ev);
}

/* ---- required fields and types ------------------------------------- */

static void test_missing_contact_id_is_required(void **state)
{
    struct ccai_error err;

    (void)state;
    err = EXPECT_INVALID("{\"type\":\"contact.ended\"}", "/contact_id");
    assert_string_equal(err.violations[0].message, "is required");
}

static void test_empty_object_reports_both_required_fields(void **state)
{
    (void)state;
    EXPECT_INVALID("{}", "/contact_id", "/type");
}

static void test_wrong_types_are_reported(void **state)
{
    struct ccai_error err;

    (void)state;
    err = EXPECT_INVALID("{\"contact_id\":12,\"type\":\"contact.ended\"}",
                         "/contact_id");
    assert_string_equal(err.violations[0].message, "must be a string");
    EXPECT_INVALID("{\"contact_id\":null,\"type\":[]}", "/contact_id", "/type");
    EXPECT_INVALID(msg_with("\"is_partial\":\"yes\""), "/is_partial",
                   "/is_partial");
}

static void test_type_enum_lists_allowed_values(void **state)
{
    struct ccai_error err;

    (void)state;
    err = EXPECT_INVALID("{\"contact_id\":\"c\",\"type\":\"Contact.Ended\"}",
                         "/type");
    assert_non_null(strstr(err.violations[0].message,
                           "contact.started, message.received, "
                           "transcript.segment, contact.updated, "
                           "contact.ended"));
}

static void test_channel_enum_lists_allowed_values(void **state)
{
    struct ccai_error err;

    (void)state;
    err = EXPECT_INVALID(msg_with("\"channel\":\"fax\""), "/channel");
    assert_non_null(
        strstr(err.violations[0].message, "voice, chat, email, sms, social"));
}

static void test_id_charset_and_length(void **state)
{
    char body[400];
    char *id128 = repeat("a", 128);
    char *id129 = repeat("a", 129);

    (void)state;
    snprintf(body, sizeof(body),
             "{\"event_id\":\"%s\",\"contact_id\":\"%s\","
             "\"type\":\"contact.ended\"}",
             id128, id128);
    EXPECT_VALID(body);
    snprintf(body, sizeof(body),
             "{\"event_id\":\"%s\",\"contact_id\":\"c\","
             "\"type\":\"contact.ended\"}",
             id129);
    EXPECT_INVALID(body, "/event_id");
    EXPECT_INVALID("{\"event_id\":\"a b\",\"contact_id\":\"c/1\","
                   "\"type\":\"contact.ended\"}",
                   "/event_id", "/contact_id");
    EXPECT_INVALID("{\"contact_id\":\"\",\"type\":\"contact.ended\"}",
                   "/contact_id");
    EXPECT_VALID("{\"contact_id\":\"A-z_0.9:x\",\"type\":\"contact.ended\"}");
    assert_true(contact_event_id_is_valid(id128));
    assert_false(contact_event_id_is_valid(id129));
    assert_false(contact_event_id_is_valid(""));
    assert_false(contact_event_id_is_valid(NULL));
    assert_false(contact_event_id_is_valid("caf\xc3\xa9"));
    free(id128);
    free(id129);
}

static void test_text_limit_counts_utf8_bytes(void **state)
{
    char *ok = repeat("t", CONTACT_EVENT_TEXT_MAX);
    char *long_ascii = repeat("t", CONTACT_EVENT_TEXT_MAX + 1);
    char *long_utf8 = repeat("\xe2\x82\xac", 10923); /* 32769 bytes */
    char *body = malloc(CONTACT_EVENT_TEXT_MAX * 2);

    (void)state;
    snprintf(body, CONTACT_EVENT_TEXT_MAX * 2,
             "{\"contact_id\":\"c\",\"type\":\"message.received\","
             "\"participant\":{\"role\":\"customer\"},\"text\":\"%s\"}",
             ok);
    EXPECT_VALID(body);
    snprintf(body, CONTACT_EVENT_TEXT_MAX * 2,
             "{\"contact_id\":\"c\",\"type\":\"message.received\","
             "\"participant\":{\"role\":\"customer\"},\"text\":\"%s\"}",
             long_ascii);
    EXPECT_INVALID(body, "/text");
    snprintf(body, CONTACT_EVENT_TEXT_MAX * 2,
             "{\"contact_id\":\"c\",\"type\":\"message.received\","
             "\"participant\":{\"role\":\"customer\"},\"text\":\"%s\"}",
             long_utf8);
    EXPECT_INVALID(body, "/text");
    free(ok);
    free(long_ascii);
    free(long_utf8);
    free(body);
}

/* ---- type-dependent rules ------------------------------------------ */

static void test_channel_required_on_contact_started(void **state)
{
    struct ccai_error err;

    (void)state;
    err = EXPECT_INVALID("{\"contact_id\":\"c\",\"type\":\"contact.started\"}",
                         "/channel");
    assert_string_equal(err.violations[0].message,
                        "is required on contact.started");
    EXPECT_VALID("{\"contact_id\":\"c\",\"type\":\"contact.started\","
                 "\"channel\":\"chat\"}");
    EXPECT_VALID("{\"contact_id\":\"c\",\"type\":\"contact.updated\"}");
}

static void test_participant_and_text_required_on_turns(void **state)
{
    (void)state;
    EXPECT_INVALID("{\"contact_id\":\"c\",\"type\":\"message.received\"}",
                   "/participant", "/text");
    EXPECT_INVALID("{\"contact_id\":\"c\",\"type\":\"transcript.segment\","
                   "\"text\":\"x\"}",
                   "/participant");
    EXPECT_INVALID("{\"contact_id\":\"c\",\"type\":\"transcript.segment\","
                   "\"participant\":{\"role\":\"agent\"}}",
                   "/text");
    EXPECT_VALID("{\"contact_id\":\"c\",\"type\":\"contact.ended\","
                 "\"text\":\"bye\"}");
}

static void test_is_partial_only_on_transcript_segment(void **state)
{
    struct ccai_error err;

    (void)state;
    err = EXPECT_INVALID(msg_with("\"is_partial\":false"), "/is_partial");
    assert_string_equal(err.violations[0].message,
                        "is allowed only on transcript.segment");
    EXPECT_INVALID("{\"contact_id\":\"c\",\"type\":\"contact.ended\","
                   "\"is_partial\":true}",
                   "/is_partial");
    EXPECT_VALID("{\"contact_id\":\"c\",\"type\":\"transcript.segment\","
                 "\"participant\":{\"role\":\"customer\"},\"text\":\"x\","
                 "\"is_partial\":true}");
    /* with an invalid type only the type is reported */
    EXPECT_INVALID("{\"contact_id\":\"c\",\"type\":\"nope\","
                   "\"is_partial\":true}",
                   "/type");
}

/* ---- numbers ------------------------------------------------------- */

static void test_integers_must_be_non_negative(void **state)
{
    struct ccai_error err;

    (void)state;
    err = EXPECT_INVALID(msg_with("\"sequence\":-1"), "/sequence");
    assert_string_equal(err.violations[0].message, "must be >= 0");
    EXPECT_INVALID(msg_with("\"start_ms\":-1,\"end_ms\":-2"), "/start_ms",
                   "/end_ms");
    EXPECT_VALID(msg_with("\"sequence\":0,\"start_ms\":0,\"end_ms\":0"));
    EXPECT_VALID(msg_with("\"sequence\":9223372036854775807"));
}

static void test_integers_reject_fraction_and_exponent(void **state)
{
    struct ccai_error err;

    (void)state;
    err = EXPECT_INVALID(msg_with("\"sequence\":1.5"), "/sequence");
    assert_string_equal(err.violations[0].message, "must be an integer");
    EXPECT_INVALID(msg_with("\"sequence\":2.0"), "/sequence");
    EXPECT_INVALID(msg_with("\"start_ms\":1e3"), "/start_ms");
    EXPECT_INVALID(msg_with("\"end_ms\":\"5\""), "/end_ms");
}

static void test_end_ms_not_before_start_ms(void **state)
{
    struct ccai_error err;

    (void)state;
    err = EXPECT_INVALID(msg_with("\"start_ms\":5000,\"end_ms\":4999"),
                         "/end_ms");
    assert_string_equal(err.violations[0].message, "must be >= start_ms");
    EXPECT_VALID(msg_with("\"start_ms\":5000,\"end_ms\":5000"));
    EXPECT_VALID(msg_with("\"end_ms\":1"));
}

/* ---- formats ------------------------------------------------------- */

static void test_occurred_at_is_strict_rfc3339(void **state)
{
    static const char *const good[] = {
        "2026-11-26T23:45:00Z",           "2026-11-26T23:45:00.1Z",
        "2026-11-26T23:45:00.123456789Z", "2026-11-26T23:45:00+01:00",
        "2026-11-26T23:45:00-23:59",      "2028-02-29T00:00:00Z",
        "2000-02-29T00:00:00Z",           "2026-12-31T23:59:60Z",
        "0001-01-01T00:00:00Z",
    };
    static const char *const bad[] = {
        "2026-11-26T23:45:00",
        "2026-11-26t23:45:00Z",
        "2026-11-26T23:45:00z",
        "2026-11-26 23:45:00Z",
        "2026-11-26",
        "2026-13-01T00:00:00Z",
        "2026-00-01T00:00:00Z",
        "2026-11-00T00:00:00Z",
        "2026-02-29T00:00:00Z",
        "1900-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z",
        "2026-11-26T24:00:00Z",
        "2026-11-26T23:60:00Z",
        "2026-11-26T23:59:61Z",
        "2026-11-26T23:45:00.Z",
        "2026-11-26T23:45:00.1234567890Z",
        "2026-11-26T23:45:00+24:00",
        "2026-11-26T23:45:00+01:60",
        "2026-11-26T23:45:00+0100",
        "2026-11-26T23:45:00+01",
        "2026-11-26T23:45:00Z ",
        " 2026-11-26T23:45:00Z",
        "2026-1-26T23:45:00Z",
        "+2026-11-26T23:45:00Z",
        "",
    };
    char extra[128];

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        snprintf(extra, sizeof(extra), "\"occurred_at\":\"%s\"", good[i]);
        EXPECT_VALID(msg_with(extra));
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(extra, sizeof(extra), "\"occurred_at\":\"%s\"", bad[i]);
        EXPECT_INVALID(msg_with(extra), "/occurred_at");
    }
    EXPECT_INVALID(msg_with("\"occurred_at\":1764200700"), "/occurred_at");
}

static void test_language_is_a_bcp47_tag(void **state)
{
    static const char *const good[] = {
        "en", "eng", "en-US", "pt-BR", "zh-Hant-TW", "en-x-custom", "es-419"};
    static const char *const bad[] = {
        "e",   "english",      "en_US", "en-",   "en--US",
        "-en", "en-abcdefghi", "12",    "en US", ""};
    char extra[128];

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        snprintf(extra, sizeof(extra), "\"language\":\"%s\"", good[i]);
        EXPECT_VALID(msg_with(extra));
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(extra, sizeof(extra), "\"language\":\"%s\"", bad[i]);
        EXPECT_INVALID(msg_with(extra), "/language");
    }
}

/* ---- nested objects ------------------------------------------------ */

static void test_participant_rules(void **state)
{
    struct ccai_error err;

    (void)state;
    EXPECT_INVALID("{\"contact_id\":\"c\",\"type\":\"message.received\","
                   "\"participant\":\"customer\",\"text\":\"x\"}",
                   "/participant");
    EXPECT_INVALID("{\"contact_id\":\"c\",\"type\":\"message.received\","
                   "\"participant\":{\"id\":\"p\"},\"text\":\"x\"}",
                   "/participant/role");
    err = EXPECT_INVALID("{\"contact_id\":\"c\",\"type\":\"message.received\","
                         "\"participant\":{\"role\":\"boss\"},\"text\":\"x\"}",
                         "/participant/role");
    assert_non_null(
        strstr(err.violations[0].message, "customer, agent, bot, system"));
    EXPECT_INVALID("{\"contact_id\":\"c\",\"type\":\"message.received\","
                   "\"participant\":{\"role\":\"bot\",\"email\":\"e\","
                   "\"id\":\"\",\"name\":7},\"text\":\"x\"}",
                   "/participant/email", "/participant/id",
                   "/participant/name");
}

static void test_customer_rules(void **state)
{
    (void)state;
    EXPECT_INVALID(msg_with("\"customer\":\"gold\""), "/customer");
    EXPECT_INVALID(msg_with("\"customer\":{\"tier\":1,\"vip\":true}"),
                   "/customer/vip", "/customer/tier");
    EXPECT_VALID(msg_with("\"customer\":{}"));
}

static void test_short_strings_are_limited_to_128_chars(void **state)
{
    char *q128 = repeat("\xc3\xa9", 128); /* 128 characters, 256 bytes */
    char *q129 = repeat("q", 129);
    char extra[600];

    (void)state;
    snprintf(extra, sizeof(extra), "\"queue\":\"%s\",\"segment_id\":\"%s\"",
             q128, q128);
    EXPECT_VALID(msg_with(extra));
    snprintf(extra, sizeof(extra), "\"queue\":\"%s\",\"segment_id\":\"%s\"",
             q129, q129);
    EXPECT_INVALID(msg_with(extra), "/segment_id", "/queue");
    EXPECT_INVALID(msg_with("\"queue\":\"\""), "/queue");
    free(q128);
    free(q129);
}

static void test_attributes_rules(void **state)
{
    char extra[4096];
    size_t n = 0;
    char *v1024 = repeat("v", 1024);
    char *v1025 = repeat("v", 1025);

    (void)state;
    n = (size_t)snprintf(extra, sizeof(extra), "\"attributes\":{");
    for (int i = 0; i < 32; i++)
        n += (size_t)snprintf(extra + n, sizeof(extra) - n, "%s\"k%d\":\"v\"",
                              i ? "," : "", i);
    snprintf(extra + n, sizeof(extra) - n, "}");
    EXPECT_VALID(msg_with(extra));
    snprintf(extra + n, sizeof(extra) - n, ",\"k32\":\"v\"}");
    EXPECT_INVALID(msg_with(extra), "/attributes");
    EXPECT_INVALID(msg_with("\"attributes\":[]"), "/attributes");
    EXPECT_INVALID(msg_with("\"attributes\":{\"a\":1,\"b\":null,\"c\":\"ok\"}"),
                   "/attributes/a", "/attributes/b");
    EXPECT_INVALID(msg_with("\"attributes\":{\"a/b~c\":\"v\",\"\":\"v\"}"),
                   "/attributes/a~1b~0c", "/attributes/");
    snprintf(extra, sizeof(extra), "\"attributes\":{\"k\":\"%s\"}", v1024);
    EXPECT_VALID(msg_with(extra));
    snprintf(extra, sizeof(extra), "\"attributes\":{\"k\":\"%s\"}", v1025);
    EXPECT_INVALID(msg_with(extra), "/attributes/k");
    free(v1024);
    free(v1025);
}

static void test_unknown_fields_are_rejected(void **state)
{
    struct ccai_error err;

    (void)state;
    err = EXPECT_INVALID(msg_with("\"contactId\":\"c\""), "/contactId");
    assert_string_equal(err.violations[0].message, "unknown field");
    EXPECT_INVALID(msg_with("\"a/b\":1,\"~\":2"), "/a~1b", "/~0");
}

static void test_unknown_field_with_a_long_name_points_at_parent(void **state)
{
    char *name = repeat("x", 200);
    char extra[300];
    struct ccai_error err;

    (void)state;
    snprintf(extra, sizeof(extra), "\"%s\":1", name);
    err = EXPECT_INVALID(msg_with(extra), "");
    assert_non_null(strstr(err.violations[0].message, "too long"));
    free(name);
}

static void test_envelope_fields_only_in_record_mode(void **state)
{
    static const char body[] =
        "{\"schema_version\":1,\"event_id\":\"e\",\"contact_id\":\"c\","
        "\"tenant_id\":\"t\",\"type\":\"contact.ended\","
        "\"received_at\":\"2026-11-26T23:45:00Z\",\"trace\":\"00-x\"}";
    struct contact_event ev;
    struct ccai_error err;

    (void)state;
    EXPECT_INVALID(body, "/schema_version", "/tenant_id", "/received_at",
                   "/trace");
    assert_int_equal(contact_event_parse(body, sizeof(body) - 1,
                                         CONTACT_EVENT_RECORD, &ev, &err),
                     0);
    assert_string_equal(ev.tenant_id, "t");
    assert_string_equal(ev.received_at, "2026-11-26T23:45:00Z");
    assert_string_equal(ev.trace, "00-x");
    contact_event_release(&ev);
    /* a plain event (another producer) is a valid record too */
    expect_valid_mode("{\"contact_id\":\"c\",\"type\":\"contact.ended\"}",
                      CONTACT_EVENT_RECORD);
}

static void test_record_envelope_rules(void **state)
{
    (void)state;
    EXPECT_INVALID_RECORD("{\"schema_version\":2,\"contact_id\":\"c\","
                          "\"type\":\"contact.ended\"}",
                          "/schema_version");
    EXPECT_INVALID_RECORD("{\"schema_version\":\"1\",\"contact_id\":\"c\","
                          "\"type\":\"contact.ended\",\"tenant_id\":\"\","
                          "\"received_at\":\"now\",\"trace\":5}",
                          "/schema_version", "/tenant_id", "/received_at",
                          "/trace");
    EXPECT_INVALID_RECORD("{\"contact_id\":\"c\",\"type\":\"contact.ended\","
                          "\"partition\":1}",
                          "/partition");
}

/* ---- parser limits ------------------------------------------------- */

static void test_duplicate_keys_are_rejected(void **state)
{
    struct ccai_error err;

    (void)state;
    err = EXPECT_INVALID("{\"contact_id\":\"a\",\"type\":\"contact.ended\","
                         "\"contact_id\":\"b\"}",
                         "");
    assert_non_null(strstr(err.violations[0].message, "duplicate"));
    EXPECT_INVALID(msg_with("\"customer\":{\"id\":\"a\",\"id\":\"b\"}"), "");
}

/* {"contact_id":"c","type":"contact.ended","attributes":{"a":[[...]]}}
 * with @arrays nested arrays: depth 2 + @arrays */
static char *nested(int arrays)
{
    static const char head[] =
        "{\"contact_id\":\"c\",\"type\":\"contact.ended\",\"attributes\":{"
        "\"a\":";
    size_t len = sizeof(head) - 1 + 2 * (size_t)arrays + 3;
    char *s = malloc(len);
    size_t n = sizeof(head) - 1;

    assert_non_null(s);
    memcpy(s, head, n);
    for (int i = 0; i < arrays; i++)
        s[n++] = '[';
    for (int i = 0; i < arrays; i++)
        s[n++] = ']';
    s[n++] = '}';
    s[n++] = '}';
    s[n] = '\0';
    return s;
}

static void test_depth_33_rejected_and_32_accepted(void **state)
{
    char *d32 = nested(30);
    char *d33 = nested(31);
    struct ccai_error err;

    (void)state;
    /* 32 levels pass the depth check: the only violation is the type */
    err = EXPECT_INVALID(d32, "/attributes/a");
    assert_string_equal(err.violations[0].message, "must be a string");
    err = EXPECT_INVALID(d33, "");
    assert_non_null(strstr(err.violations[0].message, "deeper than 32"));
    free(d32);
    free(d33);
}

static void test_invalid_utf8_is_rejected(void **state)
{
    struct ccai_error err;

    (void)state;
    err = EXPECT_INVALID("{\"contact_id\":\"c\",\"type\":\"contact.ended\","
                         "\"queue\":\"caf\xe9\"}",
                         "");
    assert_non_null(strstr(err.violations[0].message, "UTF-8"));
    EXPECT_INVALID("{\"contact_id\":\"c\",\"type\":\"contact.ended\","
                   "\"queue\":\"\xc0\xaf\"}",
                   "");
    /* the message never carries the bad bytes */
    for (const char *p = err.message; *p != '\0'; p++)
        assert_true((unsigned char)*p < 0x80);
}

static void test_malformed_json_and_non_objects(void **state)
{
    struct ccai_error err;
    struct contact_event ev;

    (void)state;
    err = EXPECT_INVALID("{\"contact_id\":", "");
    assert_non_null(strstr(err.violations[0].message, "not valid JSON"));
    EXPECT_INVALID("{\"contact_id\":\"c\",\"type\":\"contact.ended\"} x", "");
    EXPECT_INVALID("", "");
    EXPECT_INVALID("\"text\"", "");
    EXPECT_INVALID("{\"contact_id\":\"c\",\"type\":\"contact.ended\","
                   "\"queue\":\"a\\u0000b\"}",
                   "");
    err = EXPECT_INVALID("[{\"contact_id\":\"c\"}]", "");
    assert_string_equal(err.violations[0].message, "must be a JSON object");
    assert_int_equal(
        contact_event_parse(NULL, 0, CONTACT_EVENT_REQUEST, &ev, &err), -1);
}

static void test_null_error_is_allowed(void **state)
{
    struct contact_event ev;
    static const char bad[] = "{}";
    static const char good[] =
        "{\"contact_id\":\"c\",\"type\":\"contact.ended\"}";

    (void)state;
    assert_int_equal(
        contact_event_parse(bad, 2, CONTACT_EVENT_REQUEST, &ev, NULL), -1);
    assert_int_equal(contact_event_parse(good, sizeof(good) - 1,
                                         CONTACT_EVENT_REQUEST, &ev, NULL),
                     0);
    contact_event_release(&ev);
    contact_event_release(NULL);
}

static void test_every_violation_is_reported_up_to_the_cap(void **state)
{
    struct contact_event ev;
    struct ccai_error err;
    static const char body[] =
        "{\"a\":1,\"b\":1,\"c\":1,\"d\":1,\"e\":1,\"f\":1,\"g\":1,\"h\":1,"
        "\"i\":1,\"j\":1,\"k\":1,\"l\":1,\"m\":1,\"n\":1,\"o\":1,\"p\":1,"
        "\"q\":1,\"r\":1}";

    (void)state;
    assert_int_equal(contact_event_parse(body, sizeof(body) - 1,
                                         CONTACT_EVENT_REQUEST, &ev, &err),
                     -1);
    /* 18 unknown fields + 2 required */
    assert_int_equal(err.n_violations, CCAI_MAX_VIOLATIONS);
    assert_int_equal(err.n_dropped, 20 - CCAI_MAX_VIOLATIONS);
    assert_string_equal(err.field, "/a");
}

/* ---- from_json ----------------------------------------------------- */

static void test_from_json_prefixes_pointers_and_refs_on_success(void **state)
{
    struct contact_event ev;
    struct ccai_error err;
    json_t *bad = json_pack("{s:s}", "type", "contact.ended");
    json_t *good =
        json_pack("{s:s, s:s}", "contact_id", "c", "type", "contact.ended");

    (void)state;
    assert_int_equal(
        contact_event_from_json(bad, CONTACT_EVENT_REQUEST, "/3", &ev, &err),
        -1);
    assert_int_equal(err.n_violations, 1);
    assert_string_equal(err.violations[0].pointer, "/3/contact_id");
    assert_string_equal(err.field, "/3/contact_id");
    assert_int_equal(bad->refcount, 1);
    assert_int_equal(
        contact_event_from_json(good, CONTACT_EVENT_REQUEST, NULL, &ev, &err),
        0);
    assert_int_equal(good->refcount, 2);
    assert_string_equal(ev.contact_id, "c");
    contact_event_release(&ev);
    assert_int_equal(good->refcount, 1);
    json_decref(bad);
    json_decref(good);
}

static void test_from_json_rejects_non_objects(void **state)
{
    struct contact_event ev;
    struct ccai_error err;
    json_t *arr = json_array();

    (void)state;
    assert_int_equal(
        contact_event_from_json(arr, CONTACT_EVENT_REQUEST, "/7", &ev, &err),
        -1);
    assert_string_equal(err.violations[0].pointer, "/7");
    assert_int_equal(
        contact_event_from_json(NULL, CONTACT_EVENT_REQUEST, "", &ev, &err),
        -1);
    json_decref(arr);
}

/* ---- stamping and serialisation ------------------------------------ */

#define GEN_ID   "0190f5c4-0000-7000-8000-000000000001"
#define RECV_AT  "2026-11-26T23:45:00.012Z"
#define TRACE_ID "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

/* a request body parsed and stamped as the ingress does (tenant-a) */
static void
parse_and_stamp(const char *body, size_t len, struct contact_event *ev)
{
    struct ccai_error err;

    assert_int_equal(
        contact_event_parse(body, len, CONTACT_EVENT_REQUEST, ev, &err), 0);
    assert_int_equal(
        contact_event_stamp(ev, GEN_ID, "tenant-a", RECV_AT, TRACE_ID, &err),
        0);
}

static void test_stamp_adds_the_envelope(void **state)
{
    static const char body[] = "{\"type\":\"contact.ended\","
                               "\"contact_id\":\"c-9\",\"sequence\":3}";
    struct contact_event ev;
    char *text = NULL;
    size_t len = 0;

    (void)state;
    parse_and_stamp(body, sizeof(body) - 1, &ev);
    assert_string_equal(ev.event_id, GEN_ID);
    assert_string_equal(ev.occurred_at, RECV_AT);
    assert_string_equal(ev.received_at, RECV_AT);
    assert_string_equal(ev.tenant_id, "tenant-a");
    assert_string_equal(ev.trace, TRACE_ID);
    text = contact_event_to_json(&ev, &len);
    assert_non_null(text);
    assert_string_equal(
        text, "{\"schema_version\":1,\"event_id\":\"" GEN_ID "\","
              "\"contact_id\":\"c-9\",\"tenant_id\":\"tenant-a\","
              "\"type\":\"contact.ended\",\"occurred_at\":\"" RECV_AT "\","
              "\"received_at\":\"" RECV_AT "\",\"sequence\":3,"
              "\"trace\":\"" TRACE_ID "\"}");
    assert_int_equal(len, strlen(text));
    free(text);
    contact_event_release(&ev);
}

static void test_to_buf_writes_what_to_json_writes(void **state)
{
    static const char body[] =
        "{\"contact_id\":\"c-1\",\"type\":\"message.received\","
        "\"participant\":{\"role\":\"customer\",\"name\":\"A \\\"B\\\"\"},"
        "\"text\":\"line\\none\\u0001\\t\\\\ \\u00e9\",\"sequence\":7,"
        "\"attributes\":{\"k\":\"v\"}}";
    struct contact_event ev;
    char buf[1024];
    char tiny[8];
    size_t len = 0;
    char *text = NULL;
    json_t *back = NULL;

    (void)state;
    parse_and_stamp(body, sizeof(body) - 1, &ev);
    text = contact_event_to_json(&ev, &len);
    assert_non_null(text);
    assert_string_equal(
        contact_event_to_buf(&ev, buf, sizeof(buf)) == len ? buf : "", text);
    assert_non_null(strstr(text, "\"text\":\"line\\none\\u0001\\t\\\\ "));
    /* the writer is our own: read it back with jansson, same document */
    back = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    assert_non_null(back);
    assert_true(json_equal(back, ev.root));
    json_decref(back);
    /* too small: the needed length, like snprintf */
    assert_int_equal(contact_event_to_buf(&ev, tiny, sizeof(tiny)), len);
    assert_memory_equal(tiny, text, sizeof(tiny));
    assert_int_equal(contact_event_to_buf(NULL, buf, sizeof(buf)), 0);
    free(text);
    contact_event_release(&ev);
}

static void test_stamp_keeps_client_event_id_and_occurred_at(void **state)
{
    static const char body[] =
        "{\"event_id\":\"Client-ID\",\"contact_id\":\"c\","
        "\"type\":\"contact.ended\",\"occurred_at\":\"2026-01-01T00:00:00Z\"}";
    struct contact_event ev;
    struct ccai_error err;

    (void)state;
    assert_int_equal(contact_event_parse(body, sizeof(body) - 1,
                                         CONTACT_EVENT_REQUEST, &ev, &err),
                     0);
    assert_int_equal(
        contact_event_stamp(&ev, GEN_ID, "t", RECV_AT, TRACE_ID, &err), 0);
    assert_string_equal(ev.event_id, "Client-ID");
    assert_string_equal(ev.occurred_at, "2026-01-01T00:00:00Z");
    contact_event_release(&ev);
}

static void test_stamp_rejects_invalid_envelope_values(void **state)
{
    static const char body[] =
        "{\"contact_id\":\"c\",\"type\":\"contact.ended\"}";
    struct contact_event ev;
    struct ccai_error err;
    char *long_tenant = repeat("t", 129);

    (void)state;
    assert_int_equal(contact_event_parse(body, sizeof(body) - 1,
                                         CONTACT_EVENT_REQUEST, &ev, &err),
                     0);
    assert_int_equal(
        contact_event_stamp(&ev, "bad id", "t", RECV_AT, TRACE_ID, &err), -1);
    assert_string_equal(err.field, "event_id");
    assert_int_equal(
        contact_event_stamp(&ev, GEN_ID, long_tenant, RECV_AT, NULL, &err), -1);
    assert_int_equal(
        contact_event_stamp(&ev, GEN_ID, "t", "yesterday", NULL, &err), -1);
    contact_event_release(&ev);
    assert_int_equal(
        contact_event_stamp(&ev, GEN_ID, "t", RECV_AT, TRACE_ID, &err), -1);
    free(long_tenant);
}

/* the processor re-stamps a record with its own (borrowed) fields */
static void test_stamp_accepts_views_of_the_event_itself(void **state)
{
    static const char body[] =
        "{\"contact_id\":\"c\",\"type\":\"contact.ended\","
        "\"tenant_id\":\"t-1\",\"received_at\":\"2026-11-26T23:45:00Z\","
        "\"trace\":\"tr\"}";
    struct contact_event ev;
    struct ccai_error err;

    (void)state;
    assert_int_equal(contact_event_parse(body, sizeof(body) - 1,
                                         CONTACT_EVENT_RECORD, &ev, &err),
                     0);
    assert_int_equal(contact_event_stamp(&ev, GEN_ID, ev.tenant_id,
                                         ev.received_at, ev.trace, &err),
                     0);
    assert_string_equal(ev.tenant_id, "t-1");
    assert_string_equal(ev.received_at, "2026-11-26T23:45:00Z");
    assert_string_equal(ev.occurred_at, "2026-11-26T23:45:00Z");
    assert_string_equal(ev.trace, "tr");
    /* a view of another field is copied before anything is replaced */
    assert_int_equal(contact_event_stamp(&ev, GEN_ID, ev.trace, ev.occurred_at,
                                         ev.tenant_id, &err),
                     0);
    assert_string_equal(ev.tenant_id, "tr");
    assert_string_equal(ev.trace, "t-1");
    /* a header value that is not UTF-8 is refused, not stored */
    assert_int_equal(
        contact_event_stamp(&ev, GEN_ID, "caf\xe9", NULL, NULL, &err), -1);
    assert_int_equal(err.status, CCAI_E_INVALID);
    assert_string_equal(ev.tenant_id, "tr");
    contact_event_release(&ev);
}

static void test_round_trip_is_stable(void **state)
{
    /* keys in an unusual order, unicode, nested objects */
    static const char body[] =
        "{\"text\":\"h\\u00e9 \\ud83d\\udc4b \\\"q\\\"\",\"type\":"
        "\"message.received\",\"attributes\":{\"z\":\"1\",\"a\":\"2\"},"
        "\"participant\":{\"name\":\"N\",\"role\":\"customer\"},"
        "\"contact_id\":\"c\",\"sequence\":0}";
    struct contact_event ev, back, stamped, other;
    struct ccai_error err;
    char *first = NULL, *second = NULL, *record = NULL, *record2 = NULL;
    size_t len = 0;

    (void)state;
    assert_int_equal(contact_event_parse(body, sizeof(body) - 1,
                                         CONTACT_EVENT_REQUEST, &ev, &err),
                     0);
    first = contact_event_to_json(&ev, &len);
    assert_string_equal(first,
                        "{\"contact_id\":\"c\",\"type\":\"message.received\","
                        "\"sequence\":0,\"participant\":{\"name\":\"N\","
                        "\"role\":\"customer\"},\"text\":\"h\xc3\xa9 "
                        "\xf0\x9f\x91\x8b \\\"q\\\"\",\"attributes\":{"
                        "\"z\":\"1\",\"a\":\"2\"}}");
    assert_int_equal(
        contact_event_parse(first, len, CONTACT_EVENT_REQUEST, &back, &err), 0);
    second = contact_event_to_json(&back, NULL);
    assert_string_equal(first, second);
    /* stamped record parses in record mode and serialises identically */
    assert_int_equal(
        contact_event_stamp(&ev, GEN_ID, "t", RECV_AT, TRACE_ID, &err), 0);
    record = contact_event_to_json(&ev, &len);
    assert_int_equal(
        contact_event_parse(record, len, CONTACT_EVENT_RECORD, &stamped, &err),
        0);
    record2 = contact_event_to_json(&stamped, NULL);
    assert_string_equal(record, record2);
    /* but a stamped record is not a valid request */
    assert_int_equal(
        contact_event_parse(record, len, CONTACT_EVENT_REQUEST, &other, &err),
        -1);
    assert_string_equal(err.field, "/schema_version");
    free(first);
    free(second);
    free(record);
    free(record2);
    contact_event_release(&ev);
    contact_event_release(&back);
    contact_event_release(&stamped);
}

static void test_to_json_of_empty_event_is_null(void **state)
{
    struct contact_event ev;
    size_t len = 99;

    (void)state;
    memset(&ev, 0, sizeof(ev));
    assert_null(contact_event_to_json(&ev, &len));
    assert_int_equal(len, 0);
    assert_null(contact_event_to_json(NULL, NULL));
}

static void test_type_names_round_trip(void **state)
{
    enum contact_event_type type = CONTACT_STARTED;
    static const enum contact_event_type all[] = {
        CONTACT_STARTED, MESSAGE_RECEIVED, TRANSCRIPT_SEGMENT, CONTACT_UPDATED,
        CONTACT_ENDED};

    (void)state;
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        assert_int_equal(
            contact_event_type_parse(contact_event_type_name(all[i]), &type),
            0);
        assert_int_equal(type, all[i]);
    }
    assert_string_equal(contact_event_type_name(TRANSCRIPT_SEGMENT),
                        "transcript.segment");
    assert_int_equal(contact_event_type_parse("contact.Ended", &type), -1);
    assert_int_equal(contact_event_type_parse(NULL, &type), -1);
    assert_string_equal(contact_event_type_name((enum contact_event_type)99),
                        "unknown");
}

/* ---- CloudEvents --------------------------------------------------- */

static struct ccai_error expect_ce_invalid(const char *body,
                                           const char *const *ptrs)
{
    struct contact_event ev;
    struct ccai_error err;
    size_t n = 0;

    assert_int_equal(
        contact_event_parse_cloudevent(body, strlen(body), &ev, &err), -1);
    while (ptrs[n] != NULL)
        n++;
    if (err.n_violations != n) {
        for (size_t i = 0; i < err.n_violations; i++)
            print_message("violation %s: %s\n", err.violations[i].pointer,
                          err.violations[i].message);
    }
    assert_int_equal(err.n_violations, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(err.violations[i].pointer, ptrs[i]);
    assert_null(ev.root);
    return err;
}

#define EXPECT_CE_INVALID(body, ...) \
    expect_ce_invalid((body), (const char *const[]){__VA_ARGS__, NULL})

#define CE_HEAD                                                    \
    "\"specversion\":\"1.0\",\"id\":\"ce-1\",\"source\":\"/crm\"," \
    "\"type\":\"com.example.message\""
#define CE_DATA                                                     \
    "\"data\":{\"contact_id\":\"c\",\"type\":\"message.received\"," \
    "\"participant\":{\"role\":\"customer\"},\"text\":\"hi\"}"

static void test_cloudevent_maps_id_and_time(void **state)
{
    static const char body[] =
        "{" CE_HEAD ",\"time\":\"2026-11-26T23:45:00Z\","
        "\"datacontenttype\":\"application/json; charset=utf-8\","
        "\"subject\":\"c\",\"traceparent\":\"00-ab\",\"num1\":1,"
        "\"flag\":true," CE_DATA "}";
    struct contact_event ev;
    struct ccai_error err;
    char *text = NULL;

    (void)state;
    assert_int_equal(
        contact_event_parse_cloudevent(body, sizeof(body) - 1, &ev, &err), 0);
    assert_string_equal(ev.event_id, "ce-1");
    assert_string_equal(ev.occurred_at, "2026-11-26T23:45:00Z");
    assert_int_equal(ev.type, MESSAGE_RECEIVED);
    assert_string_equal(ev.text, "hi");
    text = contact_event_to_json(&ev, NULL);
    assert_string_equal(text,
                        "{\"event_id\":\"ce-1\",\"contact_id\":\"c\","
                        "\"type\":\"message.received\",\"occurred_at\":"
                        "\"2026-11-26T23:45:00Z\",\"participant\":{\"role\":"
                        "\"customer\"},\"text\":\"hi\"}");
    free(text);
    contact_event_release(&ev);
}

static void test_cloudevent_data_event_id_must_equal_id(void **state)
{
    struct contact_event ev;
    struct ccai_error err;
    static const char same[] =
        "{" CE_HEAD ",\"data\":{\"event_id\":\"ce-1\",\"contact_id\":\"c\","
        "\"type\":\"contact.ended\",\"occurred_at\":\"2026-01-01T00:00:00Z\"},"
        "\"time\":\"2026-11-26T23:45:00Z\"}";

    (void)state;
    assert_int_equal(
        contact_event_parse_cloudevent(same, sizeof(same) - 1, &ev, &err), 0);
    /* data.occurred_at wins over time */
    assert_string_equal(ev.occurred_at, "2026-01-01T00:00:00Z");
    contact_event_release(&ev);
    EXPECT_CE_INVALID("{" CE_HEAD ",\"data\":{\"event_id\":\"other\","
                      "\"contact_id\":\"c\",\"type\":\"contact.ended\"}}",
                      "/data/event_id");
}

static void test_cloudevent_required_attributes(void **state)
{
    struct ccai_error err;

    (void)state;
    EXPECT_CE_INVALID("{}", "/specversion", "/id", "/source", "/type", "/data");
    err = EXPECT_CE_INVALID("{\"specversion\":\"0.3\",\"id\":\"ce-1\","
                            "\"source\":\"\",\"type\":\"t\"," CE_DATA "}",
                            "/specversion", "/source");
    assert_string_equal(err.violations[0].message, "must be \"1.0\"");
    EXPECT_CE_INVALID("{\"specversion\":\"1.0\",\"id\":\"a b\","
                      "\"source\":\"s\",\"type\":\"\"," CE_DATA "}",
                      "/id", "/type");
}

static void test_cloudevent_optional_attributes(void **state)
{
    (void)state;
    EXPECT_CE_INVALID("{" CE_HEAD ",\"datacontenttype\":\"text/plain\","
                      "\"time\":\"yesterday\",\"subject\":\"\","
                      "\"dataschema\":5," CE_DATA "}",
                      "/subject", "/dataschema", "/datacontenttype", "/time");
}

static void test_cloudevent_extensions(void **state)
{
    (void)state;
    EXPECT_CE_INVALID("{" CE_HEAD ",\"myExt\":\"x\",\"ext\":{},\"n\":null,"
                      "\"data_base64\":\"aGk=\"," CE_DATA "}",
                      "/myExt", "/ext", "/n", "/data_base64");
}

static void test_cloudevent_data_must_be_a_valid_event(void **state)
{
    (void)state;
    EXPECT_CE_INVALID("{" CE_HEAD "}", "/data");
    EXPECT_CE_INVALID("{" CE_HEAD ",\"data\":\"hi\"}", "/data");
    EXPECT_CE_INVALID("{" CE_HEAD ",\"data\":{\"type\":\"message.received\","
                      "\"tenant_id\":\"t\"}}",
                      "/data/tenant_id", "/data/contact_id",
                      "/data/participant", "/data/text");
    EXPECT_CE_INVALID("[1]", "");
    EXPECT_CE_INVALID("{\"specversion\":", "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minimal_event_is_valid_with_defaults),
        cmocka_unit_test(test_full_segment_fills_every_view),
        cmocka_unit_test(test_missing_contact_id_is_required),
        cmocka_unit_test(test_empty_object_reports_both_required_fields),
        cmocka_unit_test(test_wrong_types_are_reported),
        cmocka_unit_test(test_type_enum_lists_allowed_values),
        cmocka_unit_test(test_channel_enum_lists_allowed_values),
        cmocka_unit_test(test_id_charset_and_length),
        cmocka_unit_test(test_text_limit_counts_utf8_bytes),
        cmocka_unit_test(test_channel_required_on_contact_started),
        cmocka_unit_test(test_participant_and_text_required_on_turns),
        cmocka_unit_test(test_is_partial_only_on_transcript_segment),
        cmocka_unit_test(test_integers_must_be_non_negative),
        cmocka_unit_test(test_integers_reject_fraction_and_exponent),
        cmocka_unit_test(test_end_ms_not_before_start_ms),
        cmocka_unit_test(test_occurred_at_is_strict_rfc3339),
        cmocka_unit_test(test_language_is_a_bcp47_tag),
        cmocka_unit_test(test_participant_rules),
        cmocka_unit_test(test_customer_rules),
        cmocka_unit_test(test_short_strings_are_limited_to_128_chars),
        cmocka_unit_test(test_attributes_rules),
        cmocka_unit_test(test_unknown_fields_are_rejected),
        cmocka_unit_test(test_unknown_field_with_a_long_name_points_at_parent),
        cmocka_unit_test(test_envelope_fields_only_in_record_mode),
        cmocka_unit_test(test_record_envelope_rules),
        cmocka_unit_test(test_duplicate_keys_are_rejected),
        cmocka_unit_test(test_depth_33_rejected_and_32_accepted),
        cmocka_unit_test(test_invalid_utf8_is_rejected),
        cmocka_unit_test(test_malformed_json_and_non_objects),
        cmocka_unit_test(test_null_error_is_allowed),
        cmocka_unit_test(test_every_violation_is_reported_up_to_the_cap),
        cmocka_unit_test(test_from_json_prefixes_pointers_and_refs_on_success),
        cmocka_unit_test(test_from_json_rejects_non_objects),
        cmocka_unit_test(test_stamp_adds_the_envelope),
        cmocka_unit_test(test_stamp_keeps_client_event_id_and_occurred_at),
        cmocka_unit_test(test_to_buf_writes_what_to_json_writes),
        cmocka_unit_test(test_stamp_rejects_invalid_envelope_values),
        cmocka_unit_test(test_stamp_accepts_views_of_the_event_itself),
        cmocka_unit_test(test_round_trip_is_stable),
        cmocka_unit_test(test_to_json_of_empty_event_is_null),
        cmocka_unit_test(test_type_names_round_trip),
        cmocka_unit_test(test_cloudevent_maps_id_and_time),
        cmocka_unit_test(test_cloudevent_data_event_id_must_equal_id),
        cmocka_unit_test(test_cloudevent_required_attributes),
        cmocka_unit_test(test_cloudevent_optional_attributes),
        cmocka_unit_test(test_cloudevent_extensions),
        cmocka_unit_test(test_cloudevent_data_must_be_a_valid_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
