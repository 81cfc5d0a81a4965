/* json_fast - a jansson loader for the hot path: the same tree as
 * json_loadb(buf, len, JSON_REJECT_DUPLICATES, err), built without
 * jansson's per-character stream reader (about 4x faster on a 400-byte
 * event). It takes only a strict subset of JSON it can decide alone:
 * objects and arrays at the top, strings (every escape but \u0000; UTF-8
 * checked as jansson does), integers of up to 18 digits, true, false,
 * null. On anything else - a real number, a huge integer, a duplicate
 * key, any error - it hands the whole input to json_loadb, so every
 * error (text, line, column, code) is jansson's own.
 * Pure; any thread. */
#ifndef CCAI_JSON_FAST_H
#define CCAI_JSON_FAST_H

#include <stddef.h>

#include <jansson.h>

/** json_loadb(@buf, @len, JSON_REJECT_DUPLICATES, @err), faster. Returns
 * a new reference, or NULL with @err filled by jansson. */
json_t *json_fast_loadb(const char *buf, size_t len, json_error_t *err);

/** The fast path alone, for tests and the differential fuzz target:
 * the tree, or NULL where json_fast_loadb would ask jansson. */
json_t *json_fast_try(const char *buf, size_t len);

#endif
