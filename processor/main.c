/* ccai-processor - wires config, logging, the admin server and the worker
 * loop together and owns their lifetimes; the only place that exits.
 * Main thread. */
#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "admin.h"
#include "config.h"
#include "env.h"
#include "kafka_conf.h"
#include "log.h"
#include "metrics.h"
#include "shutdown.h"
#include "worker.h"

#include "banned.h"

#ifndef CCAI_VERSION
#define CCAI_VERSION "0.0.0"
#endif

static void usage(FILE *out)
{
    (void)fprintf(
        out, "usage: ccai-processor [--help | --version | --healthcheck | "
             "--print-env]\n"
             "\n"
             "Consumes ContactEvents from Kafka (TOPIC_EVENTS), analyses them\n"
             "with an LLM or the offline analyzer, and publishes results\n"
             "(TOPIC_RESULTS) or dead letters (TOPIC_DLQ). Admin endpoints on\n"
             "PROCESSOR_PORT: /api/v1/processor/{health,ready,stats}, "
             "/metrics.\n"
             "Configuration comes from the environment; see "
             "docs/processor.md.\n"
             "\n"
             "  --healthcheck  GET http://127.0.0.1:$PROCESSOR_PORT"
             "/api/v1/processor/health,\n"
             "                 exit 0 on 200, else 1\n");
}

/* a plain-socket GET, so the container health check needs no curl */
static int healthcheck(void)
{
    const char *port_env = getenv("PROCESSOR_PORT");
    long port = port_env && *port_env ? strtol(port_env, NULL, 10) : 8001;
    struct sockaddr_in addr;
    struct timeval tv = {.tv_sec = 3, .tv_usec = 0};
    char req[160];
    char resp[64];
    ssize_t n = 0;
    int fd = -1;
    int rc = 1;

    if (port <= 0 || port > 65535)
        return 1;
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
        goto out;
    (void)snprintf(
        req, sizeof(req),
        "GET /api/v1/processor/health HTTP/1.0\r\nHost: 127.0.0.1\r\n"
        "Connection: close\r\n\r\n");
    if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
        goto out;
    n = read(fd, resp, sizeof(resp) - 1);
    if (n < 12)
        goto out;
    resp[n] = '\0';
    if (strncmp(resp, "HTTP/1.", 7) == 0 && strncmp(resp + 9, "200", 3) == 0)
        rc = 0;
out:
    close(fd);
    return rc;
}

/* --print-env: every variable this binary reads, tab-separated
 * (name, kind, default, range or choices); docs/configuration.md is checked
 * against it */
static void print_env(void)
{
    size_t n = 0;
    const struct env_spec *specs = processor_config_specs(&n);

    ccai_env_print(specs, n, stdout);
    ccai_kafka_env_print(stdout);
}

/* glibc gives every thread that allocates its own arena (up to 8 per
 * core); librdkafka's and MHD's threads allocate little, but each arena
 * they touch stays mapped and fragmented. The loop thread does nearly all
 * the allocation, so two arenas are enough. */
static void tune_malloc(void)
{
    (void)mallopt(M_ARENA_MAX, 2);
}

int main(int argc, char **argv)
{
    struct processor_config cfg;
    struct ccai_error err = {0};
    enum ccai_log_level lvl = CCAI_LOG_INFO;
    struct ccai_metrics *metrics = NULL;
    struct admin *admin = NULL;
    struct worker *w = NULL;
    int rc = 1;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            (void)printf("ccai-processor %s\n", CCAI_VERSION);
            return 0;
        }
        if (strcmp(argv[i], "--healthcheck") == 0)
            return healthcheck();
        if (strcmp(argv[i], "--print-env") == 0) {
            print_env();
            return 0;
        }
        (void)fprintf(stderr, "ccai-processor: unknown option '%s'\n", argv[i]);
        usage(stderr);
        return 2;
    }
    tune_malloc();
    if (processor_config_load(&cfg, &err) != 0) {
        (void)fprintf(stderr, "ccai-processor: invalid configuration: %s\n",
                      err.message);
        return 2;
    }
    (void)ccai_log_level_parse(cfg.log_level, &lvl);
    ccai_log_init("processor", lvl);
    processor_config_log(&cfg);
    if (ccai_shutdown_install() != 0) {
        LOG_ERROR("main", "cannot install signal handlers");
        return 1;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        LOG_ERROR("main", "cannot initialise libcurl");
        return 1;
    }
    metrics = ccai_metrics_new();
    if (metrics == NULL) {
        LOG_ERROR("main", "out of memory");
        goto out;
    }
    admin = admin_start(cfg.bind_addr, (uint16_t)cfg.port, metrics, &err);
    if (admin == NULL) {
        LOG_ERROR("main", "cannot start the admin server: %s", err.message);
        goto out;
    }
    w = worker_new(&cfg, metrics, admin, &err);
    if (w == NULL) {
        LOG_ERROR("main", "cannot start: %s", err.message);
        rc = err.status == CCAI_E_CONFIG ? 2 : 1;
        goto out;
    }
    LOG_INFO("main", "ccai-processor %s listening on %s:%ld", CCAI_VERSION,
             cfg.bind_addr, cfg.port);
    rc = worker_run(w) == 0 ? 0 : 1;
    LOG_INFO("main", "stopped");
out:
    worker_free(w);
    admin_stop(admin);
    ccai_metrics_free(metrics);
    curl_global_cleanup();
    return rc;
}
