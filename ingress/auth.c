/* auth - API keys as SHA-256 digests, constant-time lookup; see auth.h.
 * auth_new on the main thread; auth_check on any thread (read-only). */
#include "auth.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "banned.h"

#define AUTH_KEY_MAX 256

static bool tenant_is_valid(const char *s, size_t len)
{
    if (len == 0 || len >= AUTH_TENANT_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && c != '.' && c != '_' && c != '-')
            return false;
    }
    return true;
}

static bool key_is_valid(const char *s, size_t len)
{
    if (len == 0 || len > AUTH_KEY_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || c == ',')
            return false;
    }
    return true;
}

/* Parse one "tenant:key" / "tenant:sha256:HEX" entry of @len bytes. */
static int parse_entry(const char *entry,
                       size_t len,
                       size_t idx,
                       struct auth_key *key,
                       struct ccai_error *err)
{
    const char *colon = memchr(entry, ':', len);
    size_t tlen = 0;
    const char *secret = NULL;
    size_t slen = 0;

    if (colon == NULL)
        return ccai_error_set(err, CCAI_E_CONFIG, "INGRESS_API_KEYS",
                              "INGRESS_API_KEYS: entry %zu is not tenant:key",
                              idx + 1);
    tlen = (size_t)(colon - entry);
    if (!tenant_is_valid(entry, tlen))
        return ccai_error_set(err, CCAI_E_CONFIG, "INGRESS_API_KEYS",
                              "INGRESS_API_KEYS: entry %zu has an invalid "
                              "tenant (1-63 of [A-Za-z0-9._-])",
                              idx + 1);
    memcpy(key->tenant, entry, tlen);
    key->tenant[tlen] = '\0';
    secret = colon + 1;
    slen = len - tlen - 1;
    if (slen > 7 && strncasecmp(secret, "sha256:", 7) == 0) {
        char hex[2 * CCAI_SHA256_LEN + 1];

        if (slen - 7 != (size_t)2 * CCAI_SHA256_LEN)
            return ccai_error_set(err, CCAI_E_CONFIG, "INGRESS_API_KEYS",
                                  "INGRESS_API_KEYS: entry %zu: sha256 "
                                  "digest must be 64 hex digits",
                                  idx + 1);
        memcpy(hex, secret + 7, sizeof(hex) - 1);
        hex[sizeof(hex) - 1] = '\0';
        if (ccai_sha256_from_hex(hex, key->digest) != 0)
            return ccai_error_set(err, CCAI_E_CONFIG, "INGRESS_API_KEYS",
                                  "INGRESS_API_KEYS: entry %zu: sha256 "
                                  "digest must be 64 hex digits",
                                  idx + 1);
        return 0;
    }
    if (!key_is_valid(secret, slen))
        return ccai_error_set(err, CCAI_E_CONFIG, "INGRESS_API_KEYS",
                              "INGRESS_API_KEYS: entry %zu has an invalid "
                              "key (1-256 printable characters, no spaces)",
                              idx + 1);
    ccai_sha256(secret, slen, key->digest);
    return 0;
}

struct auth *auth_new(const char *spec, struct ccai_error *err)
{
    struct auth *auth = calloc(1, sizeof(*auth));
    const char *p = spec;
    size_t idx = 0;

    if (auth == NULL) {
        ccai_error_set(err, CCAI_E_NOMEM, "", "out of memory");
        return NULL;
    }
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *start = p;

        while (len > 0 && start[0] == ' ') {
            start++;
            len--;
        }
        while (len > 0 && start[len - 1] == ' ')
            len--;
        if (len > 0) {
            if (auth->n_keys >= AUTH_KEYS_MAX) {
                ccai_error_set(err, CCAI_E_CONFIG, "INGRESS_API_KEYS",
                               "INGRESS_API_KEYS: more than %d keys",
                               AUTH_KEYS_MAX);
                goto fail;
            }
            if (parse_entry(start, len, idx, &auth->keys[auth->n_keys], err) !=
                0)
                goto fail;
            auth->n_keys++;
        }
        idx++;
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    if (auth->n_keys == 0) {
        ccai_error_set(err, CCAI_E_CONFIG, "INGRESS_API_KEYS",
                       "INGRESS_API_KEYS: no tenant:key entries");
        goto fail;
    }
    return auth;
fail:
    auth_free(auth);
    return NULL;
}

void auth_free(struct auth *auth)
{
    if (auth == NULL)
        return;
    /* digests are not secrets, but leave nothing behind */
    memset(auth, 0, sizeof(*auth));
    free(auth);
}

const char *auth_presented_key(const char *authorization, const char *x_api_key)
{
    if (authorization && strncasecmp(authorization, "Bearer ", 7) == 0) {
        const char *k = authorization + 7;
        while (*k == ' ')
            k++;
        if (*k)
            return k;
    }
    if (x_api_key && *x_api_key)
        return x_api_key;
    return NULL;
}

long auth_check(const struct auth *auth,
                const char *key,
                struct ccai_error *err)
{
    unsigned char digest[CCAI_SHA256_LEN];
    long found = -1;

    if (key == NULL || *key == '\0') {
        ccai_error_set(err, CCAI_E_UNAUTHORIZED, "",
                       "missing API key (Authorization: Bearer KEY or "
                       "X-API-Key: KEY)");
        return -1;
    }
    ccai_sha256(key, strlen(key), digest);
    /* visit every entry whatever matches, so timing says nothing */
    for (size_t i = 0; i < auth->n_keys; i++) {
        bool eq = ccai_sha256_equal(digest, auth->keys[i].digest);
        long mask = -(long)eq; /* all ones when equal */

        found = (found & ~mask) | ((long)i & mask);
    }
    if (found < 0)
        ccai_error_set(err, CCAI_E_UNAUTHORIZED, "", "unknown API key");
    return found;
}
