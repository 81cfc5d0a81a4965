/* fuzz_kafka_conf - ccai_kafka_prop_name on arbitrary environment names:
 * never overflows, and any name it accepts maps to a well-formed
 * property (no empty segment at either end, only [a-z0-9._]). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_conf.h"

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char name[512];
    char prop[128];
    size_t n = size < sizeof(name) - 1 ? size : sizeof(name) - 1;

    memcpy(name, data, n);
    name[n] = '\0';
    /* small output buffers exercise the "does not fit" path too */
    for (size_t cap = 1; cap <= sizeof(prop); cap *= 4) {
        if (ccai_kafka_prop_name(name, prop, cap) != 0)
            continue;
        size_t len = strlen(prop);
        if (len == 0 || len >= cap || prop[0] == '.' || prop[len - 1] == '.')
            abort();
        for (size_t i = 0; i < len; i++) {
            char c = prop[i];
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_'))
                abort();
        }
    }
    return 0;
}
