/* json_limits - cheap pre-parse checks on untrusted JSON text that jansson
 * does not do itself (nesting depth). Pure. */
#ifndef CCAI_JSON_LIMITS_H
#define CCAI_JSON_LIMITS_H

#include <stddef.h>

/** Returns 0 when @body nests at most @max_depth arrays/objects, -1
 * otherwise. Strings (with escapes) are skipped correctly. O(len). */
int json_limits_check_depth(const char *body, size_t len, int max_depth);

#endif
