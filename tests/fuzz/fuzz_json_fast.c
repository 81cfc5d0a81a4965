/* fuzz_json_fast - differential libFuzzer target: the fast JSON loader
 * against json_loadb(JSON_REJECT_DUPLICATES). The fast path must never
 * accept what jansson rejects, must build the same tree (and dump) when
 * it accepts, and json_fast_loadb must report jansson's exact error.
 * Single-threaded. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_fast.h"

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_dump(json_t *a, json_t *b)
{
    char *x = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
    char *y = json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY);

    if (x == NULL || y == NULL || strcmp(x, y) != 0 || !json_equal(a, b))
        abort();
    free(x);
    free(y);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    json_error_t jerr, ferr;
    json_t *want = json_loadb(text, size, JSON_REJECT_DUPLICATES, &jerr);
    json_t *fast = json_fast_try(text, size);
    json_t *got = json_fast_loadb(text, size, &ferr);

    if (want == NULL) {
        if (fast != NULL || got != NULL)
            abort(); /* accepted what jansson rejects */
        if (strcmp(jerr.text, ferr.text) != 0 || jerr.line != ferr.line ||
            jerr.column != ferr.column || jerr.position != ferr.position)
            abort();
    } else {
        if (got == NULL)
            abort();
        same_dump(want, got);
        if (fast != NULL)
            same_dump(want, fast);
    }
    json_decref(want);
    json_decref(fast);
    json_decref(got);
    return 0;
}
