/* test_redact - PII redaction: every format, Luhn and mod-97 edge cases,
 * and the false positives a contact center sees (order and tracking
 * numbers, dates, times, prices, version strings, addresses). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "redact.h"

#include "banned.h"

static char *red(const char *in, struct redact_counts *c)
{
    char *out = redact_text(in, strlen(in), c, NULL);

    assert_non_null(out);
    return out;
}

static void expect(const char *in, const char *want)
{
    struct redact_counts c = {{0}};
    char *out = red(in, &c);

    if (strcmp(out, want) != 0)
        print_error("input:  %s\nwant:   %s\ngot:    %s\n", in, want, out);
    assert_string_equal(out, want);
    free(out);
}

static void unchanged(const char *in)
{
    expect(in, in);
}

static void test_luhn_check(void **state)
{
    (void)state;
    assert_true(redact_luhn_is_valid("4111111111111111", 16));
    assert_false(redact_luhn_is_valid("4111111111111112", 16));
    assert_true(redact_luhn_is_valid("378282246310005", 15));
    assert_true(redact_luhn_is_valid("0", 1));
    assert_false(redact_luhn_is_valid("", 0));
    assert_false(redact_luhn_is_valid("41x1", 4));
}

static void test_cards_bare_and_grouped_are_redacted(void **state)
{
    (void)state;
    expect("card 4111111111111111 ok", "card [CREDIT_CARD] ok");
    expect("4111 1111 1111 1111", "[CREDIT_CARD]");
    expect("4111-1111-1111-1111.", "[CREDIT_CARD].");
    expect("amex 3782 822463 10005 thanks", "amex [CREDIT_CARD] thanks");
    expect("amex 378282246310005", "amex [CREDIT_CARD]");
    expect("mc 5500000000000004, disc 6011111111111117",
           "mc [CREDIT_CARD], disc [CREDIT_CARD]");
    expect("diners 30569309025904", "diners [CREDIT_CARD]");
    expect("visa13 4222222222222", "visa13 [CREDIT_CARD]");
    expect("(4539578763621486)", "([CREDIT_CARD])");
    /* an expiry date after the number does not hide the card */
    expect("card 4111 1111 1111 1111 12/27 ok", "card [CREDIT_CARD] 12/27 ok");
}

static void test_cards_failing_luhn_or_shape_are_kept(void **state)
{
    (void)state;
    unchanged("order 4000123412341235 shipped");
    unchanged("card 4111111111111112");
    /* valid Luhn but unknown leading digit: an order number */
    unchanged("order 1234567812345670");
    /* too long a digit run, even with a valid 16-digit prefix */
    unchanged("ref 41111111111111110000000");
    /* odd grouping */
    unchanged("411 1111 111 111 1111");
    /* mixed separators */
    unchanged("4111-1111 1111-1111");
    /* glued to letters */
    unchanged("ID4111111111111111");
    unchanged("ORD-4111111111111111");
}

static void test_ssn_rules(void **state)
{
    (void)state;
    expect("ssn 123-45-6789.", "ssn [SSN].");
    unchanged("000-12-3456");
    unchanged("666-12-3456");
    unchanged("912-34-5678");
    unchanged("123-00-4567");
    unchanged("123-45-0000");
    unchanged("123456789");
    unchanged("1123-45-67890");
}

static void test_emails(void **state)
{
    (void)state;
    expect("mail john.doe+tag@example.co.uk now", "mail [EMAIL] now");
    expect("<a_b@x-y.io>", "<[EMAIL]>");
    expect("end: me@example.com.", "end: [EMAIL].");
    unchanged("meet @ 5pm");
    unchanged("user@localhost");
    unchanged("a@b.c1");
    unchanged("twitter @handle");
}

static void test_phones(void **state)
{
    (void)state;
    expect("call +1 415 555 2671 now", "call [PHONE] now");
    expect("+44 20 7946 0958", "[PHONE]");
    expect("+14155552671", "[PHONE]");
    expect("(415) 555-2671", "[PHONE]");
    expect("415-555-2671", "[PHONE]");
    expect("415.555.2671", "[PHONE]");
    expect("1-800-555-0199", "[PHONE]");
    expect("uk 020 7946 0958", "uk [PHONE]");
    expect("mobile 07700 900123!", "mobile [PHONE]!");
}

static void test_numbers_that_are_not_pii_are_kept(void **state)
{
    (void)state;
    unchanged("on 2026-11-26 at 10:30 for $1,234.56");
    unchanged("call me at 5, or 555-1234");
    unchanged("server 192.168.100.200");
    unchanged("version 1.2.3.4 and v10.0.19041.1234");
    unchanged("tracking 1Z999AA10123456784");
    unchanged("usps 9400 1000 0000 0000 0000 00");
    unchanged("fedex 123456789012");
    unchanged("price 1299.99 EUR, qty 3");
    unchanged("order #A-2026-000123");
    unchanged("dates 12/25/2026 and 25.12.2026");
    unchanged("account 12345678 sort 12-34-56");
    unchanged("zip 94103-1234");
    unchanged("+12");
    unchanged("555 123 4567 8901");
}

static void test_iban(void **state)
{
    (void)state;
    assert_true(redact_iban_is_valid("GB82WEST12345698765432", 22));
    assert_false(redact_iban_is_valid("GB82WEST12345698765433", 22));
    expect("iban DE89 3704 0044 0532 0130 00 please", "iban [IBAN] please");
    expect("GB82WEST12345698765432", "[IBAN]");
    unchanged("DE89 3704 0044 0532 0130 01");
    unchanged("GB82WEST12345698765433");
    unchanged("DE89");
}

static void test_counts_per_type(void **state)
{
    struct redact_counts c = {{0}};
    char *out = red("a@b.co 4111111111111111 123-45-6789 415-555-2671 "
                    "x@y.org GB82WEST12345698765432",
                    &c);

    (void)state;
    assert_string_equal(out, "[EMAIL] [CREDIT_CARD] [SSN] [PHONE] [EMAIL] "
                             "[IBAN]");
    assert_int_equal(c.n[REDACT_EMAIL], 2);
    assert_int_equal(c.n[REDACT_CREDIT_CARD], 1);
    assert_int_equal(c.n[REDACT_SSN], 1);
    assert_int_equal(c.n[REDACT_PHONE], 1);
    assert_int_equal(c.n[REDACT_IBAN], 1);
    assert_int_equal(redact_counts_total(&c), 6);
    assert_string_equal(redact_kind_name(REDACT_CREDIT_CARD), "credit_card");
    free(out);
}

static void test_utf8_is_preserved(void **state)
{
    (void)state;
    expect("Café ☕ 4111111111111111 ñ — jöhn@exämple.com",
           "Café ☕ [CREDIT_CARD] ñ — jöhn@exämple.com");
    expect("naïve a.b@example.com ✓", "naïve [EMAIL] ✓");
}

static void test_binary_and_large_input(void **state)
{
    static const char chunk[] = "4111 1111 1111 111 a@b 1-2-3 +1 (";
    size_t n = 1 << 20;
    char *big = malloc(n);
    char *out = NULL;
    size_t out_len = 0;
    struct redact_counts c = {{0}};

    (void)state;
    assert_non_null(big);
    for (size_t k = 0; k < n; k++)
        big[k] = chunk[k % (sizeof(chunk) - 1)];
    big[100] = '\0'; /* embedded NUL is just a byte */
    out = redact_text(big, n, &c, &out_len);
    assert_non_null(out);
    assert_int_equal(out_len, n);
    free(out);
    /* every byte value, every position */
    for (size_t k = 0; k < n; k++)
        big[k] = (char)(k * 7919 % 251);
    out = redact_text(big, n, &c, &out_len);
    assert_non_null(out);
    free(out);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_luhn_check),
        cmocka_unit_test(test_cards_bare_and_grouped_are_redacted),
        cmocka_unit_test(test_cards_failing_luhn_or_shape_are_kept),
        cmocka_unit_test(test_ssn_rules),
        cmocka_unit_test(test_emails),
        cmocka_unit_test(test_phones),
        cmocka_unit_test(test_numbers_that_are_not_pii_are_kept),
        cmocka_unit_test(test_iban),
        cmocka_unit_test(test_counts_per_type),
        cmocka_unit_test(test_utf8_is_preserved),
        cmocka_unit_test(test_binary_and_large_input),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
