/* fuzz_redact - redact_text on arbitrary bytes: no crash, the output stays
 * within the documented bound, text without digits, '@' or capitals comes
 * back unchanged, and the counts match the tokens written. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned count_token(const char *s, const char *tok)
{
    unsigned n = 0;

    for (const char *q = strstr(s, tok); q != NULL; q = strstr(q + 1, tok))
        n++;
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct redact_counts c = {{0}};
    size_t out_len = 0;
    char *out = redact_text((const char *)data, size, &c, &out_len);
    bool plain = true;

    if (out == NULL)
        return 0;
    if (out_len > size + size / 6 + 16 || out[out_len] != '\0')
        abort();
    for (size_t k = 0; k < size; k++)
        if ((data[k] >= '0' && data[k] <= '9') || data[k] == '@' ||
            (data[k] >= 'A' && data[k] <= 'Z') || data[k] == '+')
            plain = false;
    if (plain && (out_len != size || memcmp(out, data, size) != 0))
        abort();
    if (memchr(data, '[', size) == NULL && memchr(data, '\0', size) == NULL &&
        count_token(out, "[CREDIT_CARD]") != c.n[REDACT_CREDIT_CARD])
        abort();
    free(out);
    return 0;
}
