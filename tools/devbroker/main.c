/* ccai-devbroker - DEVELOPMENT TOOL: an in-memory Kafka-protocol broker for
 * local runs and tests (librdkafka's mock cluster). Wires the cluster, the
 * bootstrap bridge on a fixed port and the optional control API, writes
 * the ready file, and waits for SIGTERM/SIGINT. Never for production: no
 * persistence, no security. Main thread. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "bridge.h"
#include "cluster.h"
#include "control.h"
#include "env.h"
#include "err.h"
#include "log.h"
#include "shutdown.h"

#include "banned.h"

#define EXIT_USAGE 2

struct devbroker_opts {
    const char *bind_addr;
    long port;
    long brokers;
    long partitions[3]; /* events, results, dlq */
    long control_port;  /* -1 = off */
    const char *ready_file;
    const char *topics[3];
};

static const char usage_text[] =
    "Usage: ccai-devbroker [OPTIONS]\n"
    "\n"
    "DEVELOPMENT TOOL - an in-memory Kafka-protocol broker (librdkafka mock\n"
    "cluster) for local runs and tests. Data lives in memory only; there is\n"
    "no security and no persistence. Never use it in production.\n"
    "\n"
    "Options:\n"
    "  --port N                bootstrap port (default 9092; 0 = ephemeral)\n"
    "  --bind ADDR             bootstrap bind address (default 127.0.0.1)\n"
    "  --brokers N             mock brokers, ids 1..N (default 1; 3 for "
    "fault tests)\n"
    "  --partitions-events N   partitions of TOPIC_EVENTS (default 12)\n"
    "  --partitions-results N  partitions of TOPIC_RESULTS (default 12)\n"
    "  --partitions-dlq N      partitions of TOPIC_DLQ (default 3)\n"
    "  --control-port N        loopback HTTP control API (default off; 0 = "
    "ephemeral)\n"
    "  --ready-file PATH       written once ready:\n"
    "                          bootstrap=127.0.0.1:PORT\\ncontrol=127.0.0.1:"
    "PORT\\n\n"
    "  --help                  this text\n"
    "  --version               print the version\n"
    "\n"
    "Environment: TOPIC_EVENTS (contact-events), TOPIC_RESULTS\n"
    "(contact-results), TOPIC_DLQ (contact-events-dlq), LOG_LEVEL (info).\n"
    "Control API: see docs/devbroker.md.\n";

static int
parse_num(const char *opt, const char *text, long min, long max, long *out)
{
    if (ccai_parse_long(text, min, max, out) != 0) {
        (void)fprintf(stderr,
                      "ccai-devbroker: %s: '%s' is not a number in %ld..%ld\n",
                      opt, text, min, max);
        return -1;
    }
    return 0;
}

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);

    return (v != NULL && v[0] != '\0') ? v : fallback;
}

enum devbroker_opt {
    O_PORT = 256,
    O_BIND,
    O_BROKERS,
    O_PE,
    O_PR,
    O_PD,
    O_CTL,
    O_READY,
    O_HELP,
    O_VERSION
};

/* One option: 0 = go on, 1 = done (help/version), -1 = usage error. */
static int apply_opt(int c, const char *arg, struct devbroker_opts *o)
{
    switch (c) {
    case O_PORT:
        return parse_num("--port", arg, 0, 65535, &o->port);
    case O_BIND:
        o->bind_addr = arg;
        return 0;
    case O_BROKERS:
        return parse_num("--brokers", arg, 1, CLUSTER_MAX_BROKERS, &o->brokers);
    case O_PE:
        return parse_num("--partitions-events", arg, 1, 1000,
                         &o->partitions[0]);
    case O_PR:
        return parse_num("--partitions-results", arg, 1, 1000,
                         &o->partitions[1]);
    case O_PD:
        return parse_num("--partitions-dlq", arg, 1, 1000, &o->partitions[2]);
    case O_CTL:
        return parse_num("--control-port", arg, 0, 65535, &o->control_port);
    case O_READY:
        o->ready_file = arg;
        return 0;
    case O_HELP:
        (void)fputs(usage_text, stdout);
        return 1;
    case O_VERSION:
        printf("ccai-devbroker %s (development tool; librdkafka %s)\n",
               CCAI_VERSION, rd_kafka_version_str());
        return 1;
    default:
        return -1;
    }
}

/* Returns 0 to run, 1 when done (help/version), -1 on a usage error. */
static int parse_args(int argc, char **argv, struct devbroker_opts *o)
{
    static const struct option longopts[] = {
        {"port", required_argument, NULL, O_PORT},
        {"bind", required_argument, NULL, O_BIND},
        {"brokers", required_argument, NULL, O_BROKERS},
        {"partitions-events", required_argument, NULL, O_PE},
        {"partitions-results", required_argument, NULL, O_PR},
        {"partitions-dlq", required_argument, NULL, O_PD},
        {"control-port", required_argument, NULL, O_CTL},
        {"ready-file", required_argument, NULL, O_READY},
        {"help", no_argument, NULL, O_HELP},
        {"version", no_argument, NULL, O_VERSION},
        {NULL, 0, NULL, 0},
    };
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        int rc = apply_opt(c, optarg, o);

        if (rc == -1 && (c == '?' || c == ':'))
            (void)fprintf(stderr,
                          "ccai-devbroker: unknown or incomplete option "
                          "'%s' (see --help)\n",
                          argv[optind - 1]);
        if (rc != 0)
            return rc;
    }
    if (optind < argc) {
        (void)fprintf(stderr, "ccai-devbroker: unexpected argument '%s'\n",
                      argv[optind]);
        return -1;
    }
    return 0;
}

/* Write @path atomically (temp file + rename) so readers never see half. */
static int
write_ready_file(const char *path, const char *bootstrap, const char *control)
{
    char tmp[4096];
    FILE *f;

    (void)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
    f = fopen(tmp, "w");
    if (f == NULL)
        return -1;
    (void)fprintf(f, "bootstrap=%s\n", bootstrap);
    if (control[0] != '\0')
        (void)fprintf(f, "control=%s\n", control);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        (void)unlink(tmp);
        return -1;
    }
    return 0;
}

/* What main starts and stops. */
struct devbroker {
    struct cluster *cl;
    struct bridge *br;
    struct control *ctl;
    char bootstrap[80];
    char control[80]; /* "" when the control API is off */
};

static int devbroker_start(struct devbroker *db,
                           const struct devbroker_opts *o,
                           struct ccai_error *err)
{
    const char *host;

    db->cl = cluster_new((int)o->brokers, err);
    if (db->cl == NULL)
        return -1;
    for (int i = 0; i < 3; i++) {
        if (cluster_topic_create(db->cl, o->topics[i], (int)o->partitions[i],
                                 err) != 0)
            return -1;
    }
    db->br = bridge_start(o->bind_addr, (uint16_t)o->port, db->cl, err);
    if (db->br == NULL)
        return -1;
    host = strcmp(o->bind_addr, "0.0.0.0") == 0 ? "127.0.0.1" : o->bind_addr;
    (void)snprintf(db->bootstrap, sizeof(db->bootstrap), "%s:%u", host,
                   bridge_port(db->br));
    if (o->control_port >= 0) {
        db->ctl = control_start((uint16_t)o->control_port, db->cl, db->br,
                                db->bootstrap, err);
        if (db->ctl == NULL)
            return -1;
        (void)snprintf(db->control, sizeof(db->control), "127.0.0.1:%u",
                       control_port(db->ctl));
    }
    if (o->ready_file != NULL &&
        write_ready_file(o->ready_file, db->bootstrap, db->control) != 0)
        return ccai_error_set(err, CCAI_E_IO, "--ready-file",
                              "cannot write the ready file '%s': %s",
                              o->ready_file, strerror(errno));
    return 0;
}

static void devbroker_stop(struct devbroker *db)
{
    control_stop(db->ctl);
    bridge_stop(db->br);
    cluster_free(db->cl);
}

static void log_ready(const struct devbroker *db,
                      const struct devbroker_opts *o)
{
    char fields[512];
    char esc[256];

    (void)snprintf(fields, sizeof(fields),
                   "\"bootstrap\":\"%s\",\"control\":\"%s\",\"brokers\":%ld,"
                   "\"development_tool\":true",
                   ccai_log_json_escape(db->bootstrap, esc, sizeof(esc)),
                   db->control, o->brokers);
    ccai_log_emitf(CCAI_LOG_INFO, "main", fields,
                   "ccai-devbroker %s ready: DEVELOPMENT TOOL, in-memory "
                   "librdkafka mock cluster, never for production",
                   CCAI_VERSION);
    for (int i = 0; i < 3; i++)
        LOG_INFO("main", "topic '%s' has %ld partition(s)", o->topics[i],
                 o->partitions[i]);
}

int main(int argc, char **argv)
{
    struct devbroker_opts o = {
        .bind_addr = "127.0.0.1",
        .port = 9092,
        .brokers = 1,
        .partitions = {12, 12, 3},
        .control_port = -1,
    };
    struct devbroker db = {0};
    enum ccai_log_level level = CCAI_LOG_INFO;
    struct ccai_error err = {0};
    int rc;

    rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc > 0 ? 0 : EXIT_USAGE;
    if (ccai_log_level_parse(env_or("LOG_LEVEL", "info"), &level) != 0) {
        (void)fprintf(stderr,
                      "LOG_LEVEL: must be debug, info, warn, error or off\n");
        return EXIT_USAGE;
    }
    o.topics[0] = env_or("TOPIC_EVENTS", "contact-events");
    o.topics[1] = env_or("TOPIC_RESULTS", "contact-results");
    o.topics[2] = env_or("TOPIC_DLQ", "contact-events-dlq");
    ccai_log_init("devbroker", level);
    if (ccai_shutdown_install() != 0) {
        LOG_ERROR("main", "cannot install signal handlers");
        return 1;
    }
    if (devbroker_start(&db, &o, &err) != 0) {
        /* one line: stderr for a usage problem, the JSON log otherwise */
        if (err.status == CCAI_E_CONFIG)
            (void)fprintf(stderr, "ccai-devbroker: %s\n", err.message);
        else
            LOG_ERROR("main", "%s", err.message);
        devbroker_stop(&db);
        return err.status == CCAI_E_CONFIG ? EXIT_USAGE : 1;
    }
    log_ready(&db, &o);
    while (!ccai_shutdown_requested())
        ccai_shutdown_sleep_ms(1000);
    LOG_INFO("main", "stop requested: shutting down");
    devbroker_stop(&db);
    if (o.ready_file != NULL)
        (void)unlink(o.ready_file);
    LOG_INFO("main", "stopped");
    return 0;
}
