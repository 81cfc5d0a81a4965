/* ccai-ingress - wires config, producer, API and HTTP server together and
 * owns their lifetimes; waits for SIGTERM/SIGINT, then stops gracefully:
 * stop accepting, let in-flight events get their delivery reports, flush.
 * Main thread only; the only place that exits. */
#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "api.h"
#include "config.h"
#include "env.h"
#include "http.h"
#include "kafka_conf.h"
#include "log.h"
#include "metrics.h"
#include "producer.h"
#include "shutdown.h"

#include "banned.h"

#define EXIT_CONFIG 2

static void usage(void)
{
    size_t n = 0;
    const struct env_spec *specs = ingress_config_specs(&n);

    printf("usage: ccai-ingress [--help | --version | --healthcheck | "
           "--print-env]\n"
           "HTTP API of the Contact Center AI Orchestrator: accepts contact\n"
           "events and produces them to Kafka once the broker acknowledges\n"
           "them. Configured from the environment (see docs/ingress.md):\n");
    for (size_t i = 0; i < n; i++)
        printf("  %-28s default: %s\n", specs[i].name,
               specs[i].fallback && *specs[i].fallback ? specs[i].fallback
                                                       : "(none)");
    printf("  %-28s default: %s\n", "KAFKA_BOOTSTRAP_SERVERS",
           CCAI_KAFKA_DEFAULT_BOOTSTRAP);
    printf("  %-28s any librdkafka property (KAFKA_CONFIG_LINGER_MS=5)\n",
           "KAFKA_CONFIG_<PROP>");
}

/* GET /api/v1/health on 127.0.0.1:$PORT; 0 on a 200. */
static int healthcheck(void)
{
    const char *port_text = getenv("PORT");
    long port = 8000;
    struct sockaddr_in addr;
    struct timeval tv = {3, 0};
    static const char req[] = "GET /api/v1/health HTTP/1.0\r\n"
                              "Host: 127.0.0.1\r\n\r\n";
    char resp[64];
    ssize_t got = 0;
    int fd = -1;
    int rc = 1;

    if (port_text && *port_text &&
        ccai_parse_long(port_text, 1, 65535, &port) != 0)
        return 1;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        goto out;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
        goto out;
    if (write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1))
        goto out;
    got = read(fd, resp, sizeof(resp) - 1);
    if (got < 12)
        goto out;
    resp[got] = '\0';
    if (strncmp(resp, "HTTP/1.", 7) == 0 && strncmp(resp + 8, " 200", 4) == 0)
        rc = 0;
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

/* Stop in the order that answers every accepted request. */
static void graceful_stop(struct http_server *srv,
                          struct api *api,
                          struct producer *producer,
                          long grace_ms)
{
    LOG_INFO("main", "stopping: %ld requests waiting for the broker",
             api_inflight(api));
    http_server_quiesce(srv);
    api_stop_accepting(api);
    if (producer_flush(producer, grace_ms) != 0) {
        LOG_WARN("main", "%ld messages unconfirmed after %ld ms; purging them",
                 producer_outstanding(producer), grace_ms);
        producer_purge(producer);
        producer_flush(producer, 5000);
    }
    http_server_stop(srv, 5000);
    producer_free(producer);
}

/* --print-env: every variable this binary reads, tab-separated
 * (name, kind, default, range or choices); docs/configuration.md is checked
 * against it */
static void print_env(void)
{
    size_t n = 0;
    const struct env_spec *specs = ingress_config_specs(&n);

    ccai_env_print(specs, n, stdout);
    ccai_kafka_env_print(stdout);
}

/* --help, --version, --healthcheck: returns an exit status, or -1 to run. */
static int handle_options(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage();
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("ccai-ingress %s\n", CCAI_VERSION);
            return 0;
        }
        if (strcmp(argv[i], "--healthcheck") == 0)
            return healthcheck();
        if (strcmp(argv[i], "--print-env") == 0) {
            print_env();
            return 0;
        }
        (void)fprintf(stderr,
                      "ccai-ingress: unknown option '%s' (try --help)\n",
                      argv[i]);
        return EXIT_CONFIG;
    }
    return -1;
}

static struct producer *start_producer(const struct ingress_config *cfg,
                                       struct api *api,
                                       struct ccai_metrics *metrics,
                                       struct ccai_error *err)
{
    struct producer_config pcfg;

    memset(&pcfg, 0, sizeof(pcfg));
    pcfg.topic = cfg->topic_events;
    pcfg.timeout_ms = cfg->produce_timeout_ms;
    pcfg.queue_max_messages = cfg->queue_max_messages;
    pcfg.queue_max_kbytes = cfg->queue_max_kbytes;
    pcfg.ready_interval_ms = cfg->ready_interval_ms;
    pcfg.on_done = api_on_delivery;
    pcfg.ctx = api;
    pcfg.metrics = metrics;
    return producer_new(&pcfg, err);
}

static struct http_server *start_http(const struct ingress_config *cfg,
                                      struct api *api,
                                      struct ccai_metrics *metrics,
                                      struct ccai_error *err)
{
    struct http_server_config hcfg;
    struct http_server *srv = NULL;
    size_t n_routes = 0;
    char fields[512];
    char bootstrap[384];

    memset(&hcfg, 0, sizeof(hcfg));
    hcfg.service = "ingress";
    hcfg.bind_addr = cfg->bind_addr;
    hcfg.port = (uint16_t)cfg->port;
    hcfg.max_body = (size_t)cfg->max_body_bytes;
    hcfg.threads = (unsigned)cfg->threads;
    hcfg.max_connections = (unsigned)cfg->max_connections;
    hcfg.routes = api_routes(&n_routes);
    hcfg.n_routes = n_routes;
    hcfg.ctx = api;
    hcfg.metrics = metrics;
    srv = http_server_start(&hcfg, err);
    if (srv == NULL)
        return NULL;
    ccai_log_json_escape(ccai_kafka_bootstrap(NULL), bootstrap,
                         sizeof(bootstrap));
    (void)snprintf(fields, sizeof(fields), "\"port\":%u,\"bootstrap\":\"%s\"",
                   (unsigned)http_server_port(srv), bootstrap);
    ccai_log_emitf(CCAI_LOG_INFO, "main", fields, "listening on %s:%u",
                   cfg->bind_addr, (unsigned)http_server_port(srv));
    return srv;
}

/* glibc's defaults return freed memory at the top of a heap to the kernel
 * as soon as it passes 128 KB (after the first mmap'd chunk, twice that
 * chunk). librdkafka's broker thread allocates and frees its compression
 * and request buffers for every ProduceRequest (~1000 a second under
 * load), so each one was trimmed (madvise) and faulted in again, zeroed
 * page by page: a tenth of that thread's CPU. Keep up to 16 MB of free
 * top per heap instead and serve chunks up to 4 MB from the heaps; RSS
 * stays bounded by the peak actually in use (docs/ingress.md). */
static void tune_malloc(void)
{
    (void)mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
    (void)mallopt(M_TRIM_THRESHOLD, 16 * 1024 * 1024);
}

int main(int argc, char **argv)
{
    struct ingress_config cfg;
    struct ccai_error err;
    struct ccai_metrics *metrics = NULL;
    struct api *api = NULL;
    struct producer *producer = NULL;
    struct http_server *srv = NULL;
    int rc = handle_options(argc, argv);

    if (rc >= 0)
        return rc;
    rc = 1;
    tune_malloc();
    ccai_error_clear(&err);
    ccai_log_init("ingress", CCAI_LOG_INFO);
    if (ingress_config_load(&cfg, &err) != 0) {
        (void)fprintf(stderr, "ccai-ingress: %s\n", err.message);
        return EXIT_CONFIG;
    }
    ccai_log_init("ingress", cfg.log_level);
    ingress_config_log(&cfg);
    if (ccai_shutdown_install() != 0) {
        LOG_ERROR("main", "cannot install signal handlers");
        return 1;
    }
    metrics = ccai_metrics_new();
    api = api_new(&cfg, metrics, &err);
    if (metrics == NULL || api == NULL)
        goto out;
    producer = start_producer(&cfg, api, metrics, &err);
    if (producer == NULL) {
        if (err.status == CCAI_E_CONFIG) {
            (void)fprintf(stderr, "ccai-ingress: %s\n", err.message);
            rc = EXIT_CONFIG;
        }
        goto out;
    }
    api_set_producer(api, producer);
    srv = start_http(&cfg, api, metrics, &err);
    if (srv == NULL)
        goto out;
    while (!ccai_shutdown_requested())
        ccai_shutdown_sleep_ms(1000);
    graceful_stop(srv, api, producer, cfg.shutdown_grace_ms);
    srv = NULL;
    producer = NULL;
    rc = 0;
    LOG_INFO("main", "stopped");
out:
    /* a configuration error was already reported on its one stderr line */
    if (rc != 0 && rc != EXIT_CONFIG && err.status != CCAI_OK)
        LOG_ERROR("main", "cannot start: %s", err.message);
    http_server_stop(srv, 0);
    producer_free(producer);
    api_free(api);
    ccai_metrics_free(metrics);
    return rc;
}
