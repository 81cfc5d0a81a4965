/* json_limits - nesting depth scan; see json_limits.h. */
#include "json_limits.h"

#include <stdbool.h>

#include "banned.h"

int json_limits_check_depth(const char *body, size_t len, int max_depth)
{
    int depth = 0;
    bool in_string = false;

    for (size_t i = 0; i < len; i++) {
        char c = body[i];

        if (in_string) {
            if (c == '\\')
                i++; /* skip the escaped character */
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max_depth)
                return -1;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return 0;
}
