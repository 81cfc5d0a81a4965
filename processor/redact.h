/* redact - PII redaction of free text: payment card numbers (Luhn),
 * US SSNs, e-mail addresses, phone numbers and IBANs (mod-97) are
 * replaced by [CREDIT_CARD], [SSN], [EMAIL], [PHONE], [IBAN].
 * Pure and linear-time (every matcher looks at a bounded span); bytes
 * outside the matches are copied unchanged, so valid UTF-8 stays valid.
 * Any thread. */
#ifndef CCAI_REDACT_H
#define CCAI_REDACT_H

#include <stddef.h>

enum redact_kind {
    REDACT_CREDIT_CARD = 0,
    REDACT_SSN,
    REDACT_EMAIL,
    REDACT_PHONE,
    REDACT_IBAN,
    REDACT_KIND_COUNT,
};

struct redact_counts {
    unsigned n[REDACT_KIND_COUNT];
};

/** Redact @len bytes of @text. Returns a new NUL-terminated string (caller
 * frees) with its length in *@out_len (may be NULL), or NULL when out of
 * memory. Adds what it replaced to @counts (may be NULL; not reset). */
char *redact_text(const char *text,
                  size_t len,
                  struct redact_counts *counts,
                  size_t *out_len);

/** "credit_card", "ssn", "email", "phone", "iban". */
const char *redact_kind_name(enum redact_kind kind);

/** Sum of every kind in @counts. */
unsigned redact_counts_total(const struct redact_counts *counts);

/** Add @from into @to. */
void redact_counts_add(struct redact_counts *to,
                       const struct redact_counts *from);

/* Checks exposed for unit tests. */
/** Luhn check of the @n digits (ASCII) in @digits. */
int redact_luhn_is_valid(const char *digits, size_t n);
/** ISO 13616 mod-97 check of an IBAN given without spaces. */
int redact_iban_is_valid(const char *iban, size_t n);

#endif
