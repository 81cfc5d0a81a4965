/* bare_server - the benchmark ceiling: a libmicrohttpd server with the
 * ingress's thread model (internal epoll thread pool, same connection
 * limit and backlog) that reads each POST body and answers 202 with a
 * small JSON body, doing no other work. Writes "port=N" to --ready-file.
 * Main thread waits for SIGTERM/SIGINT; handlers run on MHD's threads. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include "banned.h"

static volatile sig_atomic_t stop_requested; /* the shutdown flag */

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static const char accepted[] = "{\"status\":\"accepted\"}";

/* MHD thread: swallow the body, then answer. */
static enum MHD_Result on_request(void *cls,
                                  struct MHD_Connection *conn,
                                  const char *url,
                                  const char *method,
                                  const char *version,
                                  const char *upload,
                                  size_t *upload_size,
                                  void **con_cls)
{
    static int first_call; /* address used as a marker only */
    struct MHD_Response *resp;
    enum MHD_Result ret;
    unsigned status = strcmp(method, "POST") == 0 ? 202 : 200;

    (void)cls;
    (void)url;
    (void)version;
    (void)upload;
    if (*con_cls == NULL) {
        *con_cls = &first_call;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        *upload_size = 0;
        return MHD_YES;
    }
    resp = MHD_create_response_from_buffer(
        sizeof(accepted) - 1, (void *)accepted, MHD_RESPMEM_PERSISTENT);
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", "application/json");
    ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

int main(int argc, char **argv)
{
    struct sockaddr_in sa;
    struct MHD_Daemon *daemon = NULL;
    const union MHD_DaemonInfo *info;
    struct sigaction act;
    const char *ready = NULL;
    long port = 0;
    long threads = 2;
    FILE *f;

    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port") == 0)
            port = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--threads") == 0)
            threads = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--ready-file") == 0)
            ready = argv[i + 1];
    }
    if (argc % 2 == 0 || port < 0 || port > 65535 || threads < 1 ||
        threads > 64) {
        fprintf(stderr, "usage: bare_server [--port N] [--threads N] "
                        "[--ready-file PATH]\n");
        return 2;
    }
    memset(&act, 0, sizeof(act));
    act.sa_handler = on_signal;
    sigaction(SIGTERM, &act, NULL);
    sigaction(SIGINT, &act, NULL);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
            MHD_ALLOW_SUSPEND_RESUME,
        (uint16_t)port, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
        MHD_OPTION_CONNECTION_LIMIT, 4096u, MHD_OPTION_CONNECTION_TIMEOUT, 60u,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_END);
    if (daemon == NULL) {
        fprintf(stderr, "bare_server: cannot listen on 127.0.0.1:%ld\n", port);
        return 1;
    }
    info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    port = info != NULL ? info->port : port;
    printf("bare_server listening on 127.0.0.1:%ld with %ld threads\n", port,
           threads);
    fflush(stdout);
    if (ready != NULL) {
        f = fopen(ready, "w");
        if (f != NULL) {
            fprintf(f, "port=%ld\n", port);
            fclose(f);
        }
    }
    while (!stop_requested)
        usleep(100000);
    MHD_stop_daemon(daemon);
    return 0;
}
