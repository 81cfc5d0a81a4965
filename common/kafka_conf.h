/* kafka_conf - librdkafka configuration from the environment:
 * KAFKA_BOOTSTRAP_SERVERS, KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_* and the
 * KAFKA_CONFIG_<PROP> passthrough ("_" for ".", "__" for a literal "_"),
 * applied over the service's own defaults. Hooks librdkafka's log into
 * log.h. Main thread, at start. */
#ifndef CCAI_KAFKA_CONF_H
#define CCAI_KAFKA_CONF_H

#include <stddef.h>
#include <stdio.h>

#include <librdkafka/rdkafka.h>

#include "err.h"

#define CCAI_KAFKA_DEFAULT_BOOTSTRAP "127.0.0.1:9092"

/** Map an environment name "KAFKA_CONFIG_LINGER_MS" to the librdkafka
 * property "linger.ms" in @out (size @n). Pure. Returns 0, or -1 when the
 * prefix is missing, the rest is empty, has characters other than
 * [A-Za-z0-9_], or does not fit. */
int ccai_kafka_prop_name(const char *env_name, char *out, size_t n);

/** True for property names whose values must never be logged. */
int ccai_kafka_prop_is_secret(const char *prop);

/** Build a configuration: first @defaults (NULL-terminated list of
 * property, value pairs; may be NULL), then the KAFKA_* variables of
 * @envp (NULL means the process environment). Returns a new conf (caller
 * owns; rd_kafka_new takes it), or NULL with @err naming the variable. */
rd_kafka_conf_t *ccai_kafka_conf_new(const char *const *defaults,
                                     char *const *envp,
                                     struct ccai_error *err);

/** Read the bootstrap servers value the conf will use (for logs/stats). */
const char *ccai_kafka_bootstrap(char *const *envp);

/** The KAFKA_* variables in ccai_env_print's format (--print-env). */
void ccai_kafka_env_print(FILE *out);

#endif
