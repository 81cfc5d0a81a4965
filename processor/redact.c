/* redact - PII redaction (see redact.h). One left-to-right pass; at each
 * token start the matchers are tried in a fixed order (e-mail, IBAN, card,
 * SSN, phone), each looking at a bounded span, so the whole pass is
 * linear. Pure; any thread. */
#include "redact.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define CARD_MIN_DIGITS  13
#define CARD_MAX_DIGITS  19
#define CARD_MAX_GROUPS  8
#define PHONE_MIN_DIGITS 10
#define PHONE_MAX_DIGITS 15
#define PHONE_MAX_SPAN   24
#define IBAN_MIN         15
#define IBAN_MAX         34
#define EMAIL_LOCAL_MAX  64
#define EMAIL_DOMAIN_MAX 253

static const char *const kind_token[REDACT_KIND_COUNT] = {
    "[CREDIT_CARD]", "[SSN]", "[EMAIL]", "[PHONE]", "[IBAN]",
};
static const char *const kind_name[REDACT_KIND_COUNT] = {
    "credit_card", "ssn", "email", "phone", "iban",
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static bool is_alpha(char c)
{
    return is_upper(c) || (c >= 'a' && c <= 'z');
}

static bool is_alnum(char c)
{
    return is_digit(c) || is_alpha(c);
}

static bool is_email_local(char c)
{
    return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' ||
           c == '-';
}

/* A number may start at @i: not glued to a word or to a longer number
 * ("ORD-2026-...", "v1.2", "12-3456"). */
static bool number_starts(const char *s, size_t i)
{
    if (i == 0)
        return true;
    if (is_alnum(s[i - 1]))
        return false;
    if ((s[i - 1] == '-' || s[i - 1] == '.' || s[i - 1] == '/') && i >= 2 &&
        is_alnum(s[i - 2]))
        return false;
    /* the middle of a space-grouped number ("9400 1000 0000 ..."): the
     * previous token is a short group of digits. Each group is scanned back at
     * most once (only from the position right after it), so this stays linear.
     */
    if (s[i - 1] == ' ' && i >= 2 && is_digit(s[i - 2])) {
        size_t k = i - 2;
        while (k > 0 && is_digit(s[k - 1]))
            k--;
        if ((k == 0 || s[k - 1] == ' ') && i - 1 - k <= 6)
            return false;
        /* the groups after an IBAN's "DE89" */
        if (i - 2 - k == 1 && k >= 2 && is_upper(s[k - 1]) &&
            is_upper(s[k - 2]) && (k == 2 || !is_alnum(s[k - 3])))
            return false;
    }
    return true;
}

/* A number may end at @e (exclusive). */
static bool number_ends(const char *s, size_t len, size_t e)
{
    if (e >= len)
        return true;
    if (is_alnum(s[e]))
        return false;
    if ((s[e] == '-' || s[e] == '.' || s[e] == '/') && e + 1 < len &&
        is_alnum(s[e + 1]))
        return false;
    return true;
}

int redact_luhn_is_valid(const char *digits, size_t n)
{
    unsigned sum = 0;
    bool dbl = false;

    if (n == 0)
        return 0;
    for (size_t k = n; k-- > 0;) {
        unsigned d = (unsigned)(digits[k] - '0');
        if (d > 9)
            return 0;
        if (dbl) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
        dbl = !dbl;
    }
    return sum % 10 == 0;
}

int redact_iban_is_valid(const char *iban, size_t n)
{
    unsigned rem = 0;

    if (n < IBAN_MIN || n > IBAN_MAX)
        return 0;
    if (!is_upper(iban[0]) || !is_upper(iban[1]) || !is_digit(iban[2]) ||
        !is_digit(iban[3]))
        return 0;
    /* rotate the first four characters to the end, letters as 10..35 */
    for (size_t k = 0; k < n; k++) {
        char c = iban[(k + 4) % n];
        if (is_digit(c)) {
            rem = (rem * 10 + (unsigned)(c - '0')) % 97;
        } else if (is_upper(c)) {
            unsigned v = (unsigned)(c - 'A') + 10;
            rem = (rem * 100 + v) % 97;
        } else {
            return 0;
        }
    }
    return rem == 1;
}

/* e-mail: local@label(.label)+ with an alphabetic TLD of 2+ letters */
static size_t match_email(const char *s, size_t len, size_t i)
{
    size_t k = i;
    size_t at = 0;
    size_t last_dot = 0;
    size_t end = 0;

    if (i > 0 && is_email_local(s[i - 1]))
        return 0;
    if (!is_email_local(s[i]) || s[i] == '.')
        return 0;
    while (k < len && k - i < EMAIL_LOCAL_MAX && is_email_local(s[k]))
        k++;
    if (k >= len || s[k] != '@' || s[k - 1] == '.')
        return 0;
    at = k++;
    /* domain labels */
    while (k < len && k - at <= EMAIL_DOMAIN_MAX) {
        size_t label = k;
        while (k < len && (is_alnum(s[k]) || s[k] == '-'))
            k++;
        if (k == label || s[label] == '-' || s[k - 1] == '-')
            break;
        end = k;
        if (k + 1 < len && s[k] == '.' && is_alnum(s[k + 1])) {
            last_dot = k;
            k++;
            continue;
        }
        break;
    }
    if (last_dot == 0 || end <= last_dot + 2)
        return 0;
    for (size_t t = last_dot + 1; t < end; t++)
        if (!is_alpha(s[t]))
            return 0;
    if (end < len && (s[end] == '@' || is_email_local(s[end])) &&
        !(s[end] == '.' || s[end] == '-'))
        return 0;
    return end - i;
}

/* IBAN: compact, or in space-separated groups of four */
static size_t match_iban(const char *s, size_t len, size_t i)
{
    char buf[IBAN_MAX + 1];
    size_t ends[IBAN_MAX / 4 + 2];
    size_t counts[IBAN_MAX / 4 + 2];
    size_t n = 0, groups = 0, k = i;

    if (i + 4 > len || !is_upper(s[i]) || !is_upper(s[i + 1]) ||
        !is_digit(s[i + 2]) || !is_digit(s[i + 3]))
        return 0;
    if (i > 0 && is_alnum(s[i - 1]))
        return 0;
    if (i + 4 < len && (is_upper(s[i + 4]) || is_digit(s[i + 4]))) {
        /* compact */
        while (k < len && n < IBAN_MAX && (is_upper(s[k]) || is_digit(s[k])))
            buf[n++] = s[k++];
        if (k < len && is_alnum(s[k]))
            return 0;
        return redact_iban_is_valid(buf, n) ? k - i : 0;
    }
    /* grouped: "DE89 3704 0044 0532 0130 00" */
    while (k < len && n < IBAN_MAX) {
        size_t g = 0;
        while (k < len && g < 4 && n < IBAN_MAX &&
               (is_upper(s[k]) || is_digit(s[k]))) {
            buf[n++] = s[k++];
            g++;
        }
        if (g == 0 || (k < len && is_alnum(s[k])))
            break; /* this group is not part of the IBAN */
        ends[groups] = k;
        counts[groups] = n;
        groups++;
        if (g < 4 || k + 1 >= len || s[k] != ' ' ||
            !(is_upper(s[k + 1]) || is_digit(s[k + 1])))
            break;
        k++;
    }
    for (size_t g = groups; g > 0; g--)
        if (redact_iban_is_valid(buf, counts[g - 1]))
            return ends[g - 1] - i;
    return 0;
}

static bool card_shape_ok(const size_t *g, size_t ng, size_t total)
{
    if (total < CARD_MIN_DIGITS || total > CARD_MAX_DIGITS)
        return false;
    if (ng == 3 && g[0] == 4 && g[1] == 6 && (g[2] == 5 || g[2] == 4))
        return true; /* Amex 4-6-5, Diners 4-6-4 */
    if (ng < 4)
        return false;
    for (size_t k = 0; k + 1 < ng; k++)
        if (g[k] != 4)
            return false;
    return g[ng - 1] >= 1 && g[ng - 1] <= 4;
}

/* card: 13-19 digits, bare or grouped with one kind of separator, a
 * known leading digit (2-6) and a valid Luhn sum */
static size_t match_card(const char *s, size_t len, size_t i)
{
    char digits[CARD_MAX_DIGITS * 2];
    size_t glen[CARD_MAX_GROUPS], gend[CARD_MAX_GROUPS], gtot[CARD_MAX_GROUPS];
    size_t ng = 0, n = 0, k = i;
    char sep = 0;

    if (!is_digit(s[i]) || s[i] < '2' || s[i] > '6' || !number_starts(s, i))
        return 0;
    /* the first run of digits */
    while (k < len && is_digit(s[k]) && k - i <= CARD_MAX_DIGITS)
        k++;
    if (k - i >= CARD_MIN_DIGITS) {
        if (k - i > CARD_MAX_DIGITS || !number_ends(s, len, k))
            return 0;
        return redact_luhn_is_valid(s + i, k - i) ? k - i : 0;
    }
    /* grouped */
    k = i;
    while (k < len && ng < CARD_MAX_GROUPS) {
        size_t g = 0;
        while (k < len && is_digit(s[k]) && g < 7) {
            if (n < sizeof(digits))
                digits[n++] = s[k];
            k++;
            g++;
        }
        if (g == 0 || (k < len && is_digit(s[k])))
            break;
        glen[ng] = g;
        gend[ng] = k;
        gtot[ng] = n;
        ng++;
        if (k + 1 >= len || !is_digit(s[k + 1]) || (s[k] != ' ' && s[k] != '-'))
            break;
        if (sep == 0)
            sep = s[k];
        else if (s[k] != sep)
            break;
        k++;
    }
    for (size_t m = ng; m >= 3; m--) {
        if (!card_shape_ok(glen, m, gtot[m - 1]))
            continue;
        /* a prefix of space-separated groups is fine; a dashed run must
         * end where the card ends */
        if (!number_ends(s, len, gend[m - 1]))
            continue;
        if (redact_luhn_is_valid(digits, gtot[m - 1]))
            return gend[m - 1] - i;
    }
    return 0;
}

static bool digits_at(const char *s, size_t len, size_t i, size_t n)
{
    if (i + n > len)
        return false;
    for (size_t k = 0; k < n; k++)
        if (!is_digit(s[i + k]))
            return false;
    return true;
}

/* SSN: AAA-GG-SSSS; area not 000, 666 or 9xx, group not 00, serial not
 * 0000 */
static size_t match_ssn(const char *s, size_t len, size_t i)
{
    if (!number_starts(s, i) || !digits_at(s, len, i, 3) || i + 11 > len ||
        s[i + 3] != '-' || !digits_at(s, len, i + 4, 2) || s[i + 6] != '-' ||
        !digits_at(s, len, i + 7, 4) || !number_ends(s, len, i + 11))
        return 0;
    if (memcmp(s + i, "000", 3) == 0 || memcmp(s + i, "666", 3) == 0 ||
        s[i] == '9')
        return 0;
    if (memcmp(s + i + 4, "00", 2) == 0 || memcmp(s + i + 7, "0000", 4) == 0)
        return 0;
    return 11;
}

/* "+CC ..." international: digits with single separators and optional
 * parentheses, 10-15 digits in all */
static size_t match_phone_intl(const char *s, size_t len, size_t i)
{
    size_t k = i + 1, digits = 0, end = 0;

    if (s[i] != '+' || (i > 0 && is_alnum(s[i - 1])))
        return 0;
    if (k >= len || !is_digit(s[k]) || s[k] == '0')
        return 0;
    while (k < len && k - i <= PHONE_MAX_SPAN) {
        if (is_digit(s[k])) {
            digits++;
            k++;
            end = k;
            continue;
        }
        if ((s[k] == ' ' || s[k] == '-' || s[k] == '.' || s[k] == '(' ||
             s[k] == ')') &&
            k + 1 < len && (is_digit(s[k + 1]) || s[k + 1] == '(')) {
            k++;
            continue;
        }
        if (s[k] == ')' && k + 2 < len && s[k + 1] == ' ' &&
            is_digit(s[k + 2])) {
            k += 2;
            continue;
        }
        break;
    }
    if (digits < PHONE_MIN_DIGITS || digits > PHONE_MAX_DIGITS ||
        !number_ends(s, len, end))
        return 0;
    return end - i;
}

/* North American: [1 ](AAA) EEE-NNNN, AAA-EEE-NNNN, AAA.EEE.NNNN,
 * AAA EEE NNNN (area code 2-9xx) */
static size_t match_phone_nanp(const char *s, size_t len, size_t i)
{
    size_t k = i;
    char sep = 0;

    if (!number_starts(s, i))
        return 0;
    if (k + 2 < len && s[k] == '1' &&
        (s[k + 1] == ' ' || s[k + 1] == '-' || s[k + 1] == '.'))
        k += 2;
    if (k < len && s[k] == '(') {
        if (!digits_at(s, len, k + 1, 3) || k + 4 >= len || s[k + 4] != ')')
            return 0;
        if (s[k + 1] < '2')
            return 0;
        k += 5;
        if (k < len && s[k] == ' ')
            k++;
    } else {
        if (!digits_at(s, len, k, 3) || s[k] < '2' || k + 3 >= len)
            return 0;
        sep = s[k + 3];
        if (sep != '-' && sep != '.' && sep != ' ')
            return 0;
        k += 4;
    }
    if (!digits_at(s, len, k, 3) || k + 3 >= len)
        return 0;
    if (sep == 0) {
        if (s[k + 3] != '-' && s[k + 3] != '.' && s[k + 3] != ' ')
            return 0;
    } else if (s[k + 3] != sep) {
        return 0;
    }
    k += 4;
    if (!digits_at(s, len, k, 4))
        return 0;
    k += 4;
    if (!number_ends(s, len, k) ||
        (k + 1 < len && s[k] == ' ' && is_digit(s[k + 1])))
        return 0;
    return k - i;
}

/* national trunk-prefix numbers: "020 7946 0958", "07700 900123",
 * "030-12345678": 0 first, space or dash groups of 2-8, 10-12 digits */
static size_t match_phone_trunk(const char *s, size_t len, size_t i)
{
    size_t k = i, digits = 0, groups = 0, end = 0;
    char sep = 0;

    if (s[i] != '0' || !number_starts(s, i))
        return 0;
    while (k < len && k - i <= PHONE_MAX_SPAN) {
        size_t g = 0;
        while (k < len && is_digit(s[k])) {
            g++;
            k++;
        }
        if (g < 2 || g > 8)
            return 0;
        digits += g;
        groups++;
        end = k;
        if (k + 1 < len && (s[k] == ' ' || s[k] == '-') && is_digit(s[k + 1])) {
            if (sep != 0 && s[k] != sep)
                break;
            sep = s[k];
            k++;
            continue;
        }
        break;
    }
    if (groups < 2 || digits < PHONE_MIN_DIGITS || digits > 12 ||
        !number_ends(s, len, end))
        return 0;
    return end - i;
}

static size_t
match_at(const char *s, size_t len, size_t i, enum redact_kind *kind)
{
    size_t m = 0;
    char c = s[i];

    if (is_email_local(c)) {
        m = match_email(s, len, i);
        if (m > 0) {
            *kind = REDACT_EMAIL;
            return m;
        }
    }
    if (is_upper(c)) {
        m = match_iban(s, len, i);
        if (m > 0) {
            *kind = REDACT_IBAN;
            return m;
        }
        return 0;
    }
    if (c == '+') {
        m = match_phone_intl(s, len, i);
        *kind = REDACT_PHONE;
        return m;
    }
    if (!is_digit(c) && c != '(')
        return 0;
    if (is_digit(c)) {
        m = match_card(s, len, i);
        if (m > 0) {
            *kind = REDACT_CREDIT_CARD;
            return m;
        }
        m = match_ssn(s, len, i);
        if (m > 0) {
            *kind = REDACT_SSN;
            return m;
        }
        m = match_phone_trunk(s, len, i);
        if (m > 0) {
            *kind = REDACT_PHONE;
            return m;
        }
    }
    m = match_phone_nanp(s, len, i);
    *kind = REDACT_PHONE;
    return m;
}

char *redact_text(const char *text,
                  size_t len,
                  struct redact_counts *counts,
                  size_t *out_len)
{
    /* a match never grows by more than one byte per 6 input bytes */
    size_t cap = len + len / 6 + 16;
    char *out = malloc(cap);
    size_t o = 0, i = 0;

    if (out == NULL)
        return NULL;
    while (i < len) {
        enum redact_kind kind = REDACT_KIND_COUNT;
        size_t m = match_at(text, len, i, &kind);
        if (m > 0) {
            size_t tl = strlen(kind_token[kind]);
            memcpy(out + o, kind_token[kind], tl);
            o += tl;
            i += m;
            if (counts != NULL)
                counts->n[kind]++;
            continue;
        }
        out[o++] = text[i++];
    }
    out[o] = '\0';
    if (out_len != NULL)
        *out_len = o;
    return out;
}

const char *redact_kind_name(enum redact_kind kind)
{
    if ((unsigned)kind >= REDACT_KIND_COUNT)
        return "unknown";
    return kind_name[kind];
}

unsigned redact_counts_total(const struct redact_counts *counts)
{
    unsigned sum = 0;

    for (int k = 0; k < REDACT_KIND_COUNT; k++)
        sum += counts->n[k];
    return sum;
}

void redact_counts_add(struct redact_counts *to,
                       const struct redact_counts *from)
{
    for (int k = 0; k < REDACT_KIND_COUNT; k++)
        to->n[k] += from->n[k];
}
