/* kafka_conf - KAFKA_* environment to librdkafka conf; see kafka_conf.h. */
#include "kafka_conf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

#include "banned.h"

extern char **environ;

#define PROP_PREFIX "KAFKA_CONFIG_"

int ccai_kafka_prop_name(const char *env_name, char *out, size_t n)
{
    size_t plen = strlen(PROP_PREFIX);
    size_t o = 0;
    const char *p = NULL;

    if (strncmp(env_name, PROP_PREFIX, plen) != 0 || env_name[plen] == '\0')
        return -1;
    for (p = env_name + plen; *p; p++) {
        char c = *p;

        if (!isalnum((unsigned char)c) && c != '_')
            return -1;
        if (c == '_' && p[1] == '_') {
            p++; /* "__" stands for a literal underscore */
        } else if (c == '_') {
            c = '.';
        } else {
            c = (char)tolower((unsigned char)c);
        }
        if (o + 1 >= n)
            return -1;
        out[o++] = c;
    }
    if (o == 0 || out[0] == '.' || out[o - 1] == '.')
        return -1;
    out[o] = '\0';
    return 0;
}

int ccai_kafka_prop_is_secret(const char *prop)
{
    return strstr(prop, "password") != NULL || strstr(prop, "secret") != NULL ||
           strstr(prop, ".key") != NULL || strstr(prop, "token") != NULL;
}

static const char *env_get(char *const *envp, const char *name)
{
    size_t nlen = strlen(name);

    if (envp == NULL)
        return NULL;
    for (char *const *e = envp; *e; e++) {
        if (strncmp(*e, name, nlen) == 0 && (*e)[nlen] == '=')
            return *e + nlen + 1;
    }
    return NULL;
}

const char *ccai_kafka_bootstrap(char *const *envp)
{
    const char *v = env_get(envp ? envp : environ, "KAFKA_BOOTSTRAP_SERVERS");

    return v && *v ? v : CCAI_KAFKA_DEFAULT_BOOTSTRAP;
}

static void on_rdkafka_log(const rd_kafka_t *rk,
                           int level,
                           const char *fac,
                           const char *buf)
{
    enum ccai_log_level lvl = CCAI_LOG_DEBUG;

    (void)rk;
    if (level <= 3)
        lvl = CCAI_LOG_ERROR;
    else if (level == 4)
        lvl = CCAI_LOG_WARN;
    else if (level <= 6)
        lvl = CCAI_LOG_INFO;
    if (ccai_log_enabled(lvl))
        ccai_log_emit(lvl, "rdkafka", "%s: %s", fac, buf);
}

static int conf_set(rd_kafka_conf_t *conf,
                    const char *prop,
                    const char *value,
                    const char *var,
                    struct ccai_error *err)
{
    char errstr[256];

    if (rd_kafka_conf_set(conf, prop, value, errstr, sizeof(errstr)) !=
        RD_KAFKA_CONF_OK)
        return ccai_error_set(err, CCAI_E_CONFIG, var, "%s: %s", var, errstr);
    return 0;
}

/* the named security variables and the librdkafka property each sets */
struct security_var {
    const char *var;
    const char *prop;
};
static const struct security_var security_map[] = {
    {"KAFKA_SECURITY_PROTOCOL", "security.protocol"},
    {"KAFKA_SASL_MECHANISM", "sasl.mechanism"},
    {"KAFKA_SASL_USERNAME", "sasl.username"},
    {"KAFKA_SASL_PASSWORD", "sasl.password"},
};

void ccai_kafka_env_print(FILE *out)
{
    (void)fprintf(out, "KAFKA_BOOTSTRAP_SERVERS\tstring\t%s\t-\n",
                  CCAI_KAFKA_DEFAULT_BOOTSTRAP);
    for (size_t i = 0; i < sizeof(security_map) / sizeof(security_map[0]); i++)
        (void)fprintf(out, "%s\tstring\t-\t-\n", security_map[i].var);
    (void)fprintf(out, "KAFKA_CONFIG_<PROP>\tstring\t-\t-\n");
}

static int
set_security(rd_kafka_conf_t *conf, char *const *envp, struct ccai_error *err)
{
    const struct security_var *map = security_map;

    for (size_t i = 0; i < sizeof(security_map) / sizeof(security_map[0]);
         i++) {
        const char *v = env_get(envp, map[i].var);
        char lower[64];

        if (v == NULL || *v == '\0')
            continue;
        if (i == 0) {
            /* accept SASL_SSL as well as sasl_ssl */
            size_t k = 0;
            for (; v[k] && k + 1 < sizeof(lower); k++)
                lower[k] = (char)tolower((unsigned char)v[k]);
            lower[k] = '\0';
            v = lower;
        }
        if (conf_set(conf, map[i].prop, v, map[i].var, err) != 0)
            return -1;
    }
    return 0;
}

rd_kafka_conf_t *ccai_kafka_conf_new(const char *const *defaults,
                                     char *const *envp,
                                     struct ccai_error *err)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();

    if (envp == NULL)
        envp = environ;
    if (conf_set(conf, "bootstrap.servers", ccai_kafka_bootstrap(envp),
                 "KAFKA_BOOTSTRAP_SERVERS", err) != 0)
        goto fail;
    for (size_t i = 0; defaults && defaults[i]; i += 2) {
        if (conf_set(conf, defaults[i], defaults[i + 1], defaults[i], err) != 0)
            goto fail;
    }
    if (set_security(conf, envp, err) != 0)
        goto fail;
    for (char *const *e = envp; *e; e++) {
        char name[128];
        char prop[128];
        const char *eq = strchr(*e, '=');
        size_t nlen = eq ? (size_t)(eq - *e) : 0;

        if (eq == NULL || strncmp(*e, PROP_PREFIX, strlen(PROP_PREFIX)) != 0)
            continue;
        if (nlen >= sizeof(name)) {
            ccai_error_set(err, CCAI_E_CONFIG, "KAFKA_CONFIG_",
                           "KAFKA_CONFIG_*: variable name too long");
            goto fail;
        }
        memcpy(name, *e, nlen);
        name[nlen] = '\0';
        if (ccai_kafka_prop_name(name, prop, sizeof(prop)) != 0) {
            ccai_error_set(err, CCAI_E_CONFIG, name,
                           "%s: not a valid property name", name);
            goto fail;
        }
        if (conf_set(conf, prop, eq + 1, name, err) != 0)
            goto fail;
    }
    rd_kafka_conf_set_log_cb(conf, on_rdkafka_log);
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}
