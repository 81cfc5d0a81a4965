/* env - table-driven configuration from the environment. Each service
 * describes its variables in a static env_spec table; ccai_env_load fills
 * the service's config struct, defaults in one place, and stops at the
 * first bad value with one line naming the variable. Main thread, at start. */
#ifndef CCAI_ENV_H
#define CCAI_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "err.h"

enum env_kind {
    ENV_STR,  /* char[] field of size max (bytes, incl. NUL) */
    ENV_LONG, /* long field within [min, max] */
    ENV_BOOL, /* bool field: true/false/1/0/yes/no/on/off */
    ENV_MS,   /* long milliseconds: "1500", "1500ms", "2s", "1m" */
    ENV_ENUM, /* int field: index into choices "a|b|c" */
};

struct env_spec {
    const char *name;     /* "INGRESS_MAX_BODY_BYTES" */
    enum env_kind kind;   /* how to parse */
    const char *fallback; /* textual default; NULL = required; "" = empty */
    long min, max;        /* ENV_LONG/ENV_MS bounds; ENV_STR: max size */
    bool secret;          /* masked when the effective config is logged */
    size_t offset;        /* offsetof(struct svc_config, field) */
    const char *choices;  /* ENV_ENUM: "rules|dlq" */
};

/** Fill @cfg from the environment (getenv) following @specs. An unset or
 * empty variable takes its fallback (a required one with no fallback is an
 * error). Returns 0, or -1 with @err (CCAI_E_CONFIG, field = the variable
 * name, message "NAME: <why>"). */
int ccai_env_load(const struct env_spec *specs,
                  size_t n,
                  void *cfg,
                  struct ccai_error *err);

/** Parse one value as @spec says into @cfg (exposed for tests). */
int ccai_env_parse_one(const struct env_spec *spec,
                       const char *value,
                       void *cfg,
                       struct ccai_error *err);

/** Log the effective configuration at info level, secrets masked. */
void ccai_env_log(const struct env_spec *specs,
                  size_t n,
                  const void *cfg,
                  const char *component);

/** Print the variables of @specs to @out, one per line, tab-separated:
 * name, kind (string|integer|duration_ms|bool|enum), default ("-" when
 * required or empty), and the allowed range or choices ("-" when none).
 * The binaries' --print-env; tests/deploy/check_config_docs.sh compares it
 * with docs/configuration.md. */
void ccai_env_print(const struct env_spec *specs, size_t n, FILE *out);

/** Strict parsers shared by config code: whole string, no junk. */
int ccai_parse_long(const char *text, long min, long max, long *out);
int ccai_parse_bool(const char *text, bool *out);
int ccai_parse_ms(const char *text, long min, long max, long *out);

#endif
