/* auth - API key authentication: INGRESS_API_KEYS parsed once into a
 * keyring of (tenant, SHA-256 digest) pairs; a presented key is hashed and
 * compared in constant time against every entry. Built on the main thread
 * at start, then read-only: auth_check may run on any thread. */
#ifndef CCAI_INGRESS_AUTH_H
#define CCAI_INGRESS_AUTH_H

#include <stddef.h>

#include "err.h"
#include "sha256.h"

#define AUTH_TENANT_MAX  64
#define AUTH_KEYS_MAX    256
#define AUTH_TENANT_NONE "default"

struct auth_key {
    char tenant[AUTH_TENANT_MAX];
    unsigned char digest[CCAI_SHA256_LEN];
};

struct auth {
    size_t n_keys;
    struct auth_key keys[AUTH_KEYS_MAX];
};

/** Parse @spec: comma-separated "tenant:key" or "tenant:sha256:HEX"
 * (spaces around entries ignored). Tenants are 1-63 chars of
 * [A-Za-z0-9._-]; keys are 1-256 printable chars without spaces or
 * commas. Returns a new keyring, or NULL with @err (CCAI_E_CONFIG naming
 * INGRESS_API_KEYS and the entry number, never the key). */
struct auth *auth_new(const char *spec, struct ccai_error *err);
void auth_free(struct auth *auth);

/** Extract the presented key from the two header forms: "Authorization:
 * Bearer KEY" (scheme case-insensitive) wins over "X-API-Key: KEY".
 * Returns the key (borrowed from the headers) or NULL. Pure. */
const char *auth_presented_key(const char *authorization,
                               const char *x_api_key);

/** Check @key (may be NULL) against every entry in constant time.
 * Returns the index of the matching entry (its tenant is
 * auth->keys[idx].tenant), or -1 with @err (CCAI_E_UNAUTHORIZED).
 * Any thread. */
long auth_check(const struct auth *auth,
                const char *key,
                struct ccai_error *err);

#endif
