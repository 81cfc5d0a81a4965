/* env - configuration tables from the environment; see env.h. */
#include "env.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

#include "banned.h"

int ccai_parse_long(const char *text, long min, long max, long *out)
{
    char *end = NULL;
    long v = 0;

    if (text == NULL || *text == '\0')
        return -1;
    errno = 0;
    v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int ccai_parse_bool(const char *text, bool *out)
{
    static const char *const yes[] = {"true", "1", "yes", "on"};
    static const char *const no[] = {"false", "0", "no", "off"};

    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(text, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(text, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

int ccai_parse_ms(const char *text, long min, long max, long *out)
{
    char *end = NULL;
    long v = 0;
    long mult = 1;

    if (text == NULL || *text == '\0')
        return -1;
    errno = 0;
    v = strtol(text, &end, 10);
    if (errno != 0 || end == text || v < 0)
        return -1;
    if (strcmp(end, "") == 0 || strcmp(end, "ms") == 0)
        mult = 1;
    else if (strcmp(end, "s") == 0)
        mult = 1000;
    else if (strcmp(end, "m") == 0)
        mult = 60000;
    else
        return -1;
    if (v > max / mult)
        return -1;
    v *= mult;
    if (v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_enum(const char *choices, const char *text, int *out)
{
    const char *p = choices;
    int idx = 0;
    size_t tlen = strlen(text);

    while (*p) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);

        if (len == tlen && strncasecmp(p, text, len) == 0) {
            *out = idx;
            return 0;
        }
        idx++;
        if (bar == NULL)
            break;
        p = bar + 1;
    }
    return -1;
}

int ccai_env_parse_one(const struct env_spec *spec,
                       const char *value,
                       void *cfg,
                       struct ccai_error *err)
{
    char *field = (char *)cfg + spec->offset;

    switch (spec->kind) {
    case ENV_STR:
        if (strlen(value) >= (size_t)spec->max)
            return ccai_error_set(err, CCAI_E_CONFIG, spec->name,
                                  "%s: value longer than %ld bytes", spec->name,
                                  spec->max - 1);
        memcpy(field, value, strlen(value) + 1);
        return 0;
    case ENV_LONG:
        if (ccai_parse_long(value, spec->min, spec->max, (long *)field) != 0)
            return ccai_error_set(err, CCAI_E_CONFIG, spec->name,
                                  "%s: expected an integer in [%ld, %ld]",
                                  spec->name, spec->min, spec->max);
        return 0;
    case ENV_MS:
        if (ccai_parse_ms(value, spec->min, spec->max, (long *)field) != 0)
            return ccai_error_set(
                err, CCAI_E_CONFIG, spec->name,
                "%s: expected a duration in [%ld, %ld] ms (e.g. 500, "
                "500ms, 2s)",
                spec->name, spec->min, spec->max);
        return 0;
    case ENV_BOOL:
        if (ccai_parse_bool(value, (bool *)field) != 0)
            return ccai_error_set(err, CCAI_E_CONFIG, spec->name,
                                  "%s: expected true or false", spec->name);
        return 0;
    case ENV_ENUM:
        if (parse_enum(spec->choices, value, (int *)field) != 0)
            return ccai_error_set(err, CCAI_E_CONFIG, spec->name,
                                  "%s: expected one of %s", spec->name,
                                  spec->choices);
        return 0;
    }
    return ccai_error_set(err, CCAI_E_CONFIG, spec->name, "%s: bad spec",
                          spec->name);
}

int ccai_env_load(const struct env_spec *specs,
                  size_t n,
                  void *cfg,
                  struct ccai_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const char *value = getenv(specs[i].name);

        if (value == NULL || *value == '\0')
            value = specs[i].fallback;
        if (value == NULL)
            return ccai_error_set(err, CCAI_E_CONFIG, specs[i].name,
                                  "%s: is required", specs[i].name);
        if (specs[i].kind != ENV_STR && *value == '\0')
            continue; /* "" default for a number: leave the zeroed field */
        if (ccai_env_parse_one(&specs[i], value, cfg, err) != 0)
            return -1;
    }
    return 0;
}

/* the @index-th choice of "a|b|c" into @out, or the number if out of range */
static void enum_name(const char *choices, int index, char *out, size_t n)
{
    const char *p = choices;

    for (int i = 0; p && i < index; i++) {
        p = strchr(p, '|');
        if (p)
            p++;
    }
    if (p == NULL || index < 0) {
        (void)snprintf(out, n, "%d", index);
        return;
    }
    (void)snprintf(out, n, "%.*s", (int)strcspn(p, "|"), p);
}

void ccai_env_log(const struct env_spec *specs,
                  size_t n,
                  const void *cfg,
                  const char *component)
{
    for (size_t i = 0; i < n; i++) {
        const char *field = (const char *)cfg + specs[i].offset;
        char value[160];

        switch (specs[i].kind) {
        case ENV_STR:
            (void)snprintf(value, sizeof(value), "%s",
                           specs[i].secret ? (*field ? "***" : "") : field);
            break;
        case ENV_LONG:
        case ENV_MS:
            (void)snprintf(value, sizeof(value), "%ld", *(const long *)field);
            break;
        case ENV_BOOL:
            (void)snprintf(value, sizeof(value), "%s",
                           *(const bool *)field ? "true" : "false");
            break;
        case ENV_ENUM:
            enum_name(specs[i].choices, *(const int *)field, value,
                      sizeof(value));
            break;
        }
        LOG_INFO(component, "config %s=%s", specs[i].name, value);
    }
}

void ccai_env_print(const struct env_spec *specs, size_t n, FILE *out)
{
    static const char *const kinds[] = {
        [ENV_STR] = "string", [ENV_LONG] = "integer", [ENV_MS] = "duration_ms",
        [ENV_BOOL] = "bool",  [ENV_ENUM] = "enum",
    };

    for (size_t i = 0; i < n; i++) {
        const struct env_spec *sp = &specs[i];
        const char *def = sp->fallback && *sp->fallback ? sp->fallback : "-";

        if (sp->kind == ENV_ENUM)
            (void)fprintf(out, "%s\t%s\t%s\t%s\n", sp->name, kinds[sp->kind],
                          def, sp->choices);
        else if (sp->kind == ENV_LONG || sp->kind == ENV_MS)
            (void)fprintf(out, "%s\t%s\t%s\t%ld..%ld\n", sp->name,
                          kinds[sp->kind], def, sp->min, sp->max);
        else
            (void)fprintf(out, "%s\t%s\t%s\t-\n", sp->name, kinds[sp->kind],
                          def);
    }
}
