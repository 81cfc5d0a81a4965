/* bridge - TCP proxy from the fixed bootstrap port to a live mock broker;
 * see bridge.h. The bridge thread owns every socket and buffer; main only
 * starts and stops it (through the wake pipe). */
#include "bridge.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cluster.h"
#include "log.h"

#include "banned.h"

#define BRIDGE_MAX_PAIRS 256
#define BRIDGE_BUF       65536

struct bridge_pair {
    int fd[2];               /* 0 client, 1 upstream broker */
    char buf[2][BRIDGE_BUF]; /* buf[i]: read from fd[i], for fd[1 - i] */
    size_t len[2];
    size_t off[2];
    int broker_id;
};

struct bridge {
    int listen_fd;
    int wake[2];
    uint16_t port;
    struct cluster *cl; /* borrowed */
    pthread_t thread;
    atomic_uint n_pairs;
    struct bridge_pair *pairs[BRIDGE_MAX_PAIRS]; /* bridge thread only */
};

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);

    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int parse_addr(const char *hostport, struct sockaddr_in *sa)
{
    char host[64];
    const char *colon = strrchr(hostport, ':');
    long port;
    char *end = NULL;

    if (colon == NULL || (size_t)(colon - hostport) >= sizeof(host))
        return -1;
    memcpy(host, hostport, (size_t)(colon - hostport));
    host[colon - hostport] = '\0';
    port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || port <= 0 || port > 65535)
        return -1;
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

/* Connect to the first broker that is up; returns the fd or -1. */
static int connect_upstream(struct bridge *br, int *broker_id)
{
    int n = cluster_broker_count(br->cl);

    for (int id = 1; id <= n; id++) {
        char addr[64];
        struct sockaddr_in sa;
        int fd;

        if (!cluster_broker_is_up(br->cl, id) ||
            cluster_broker_address(br->cl, id, addr, sizeof(addr)) != 0 ||
            parse_addr(addr, &sa) != 0)
            continue;
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return -1;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            *broker_id = id;
            return fd;
        }
        close(fd);
    }
    return -1;
}

static void pair_close(struct bridge *br, size_t idx)
{
    struct bridge_pair *p = br->pairs[idx];

    close(p->fd[0]);
    close(p->fd[1]);
    free(p);
    br->pairs[idx] = NULL;
    atomic_fetch_sub(&br->n_pairs, 1);
}

static void on_accept(struct bridge *br)
{
    int one = 1;
    int cfd = accept(br->listen_fd, NULL, NULL);
    int ufd = -1;
    int id = 0;
    struct bridge_pair *p = NULL;
    size_t slot = BRIDGE_MAX_PAIRS;

    if (cfd < 0)
        return;
    fcntl(cfd, F_SETFD, FD_CLOEXEC);
    for (size_t i = 0; i < BRIDGE_MAX_PAIRS; i++) {
        if (br->pairs[i] == NULL) {
            slot = i;
            break;
        }
    }
    if (slot == BRIDGE_MAX_PAIRS) {
        LOG_WARN("bridge", "too many connections (%d): refusing one",
                 BRIDGE_MAX_PAIRS);
        goto fail;
    }
    ufd = connect_upstream(br, &id);
    if (ufd < 0) {
        LOG_WARN("bridge", "no broker is up: closing a bootstrap connection");
        goto fail;
    }
    p = calloc(1, sizeof(*p));
    if (p == NULL || set_nonblock(cfd) != 0 || set_nonblock(ufd) != 0)
        goto fail;
    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(ufd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    p->fd[0] = cfd;
    p->fd[1] = ufd;
    p->broker_id = id;
    br->pairs[slot] = p;
    atomic_fetch_add(&br->n_pairs, 1);
    LOG_DEBUG("bridge", "bootstrap connection bridged to broker %d", id);
    return;
fail:
    free(p);
    close(cfd);
    if (ufd >= 0)
        close(ufd);
}

/* Move bytes for side @i of pair @p; returns -1 when the pair is done. */
static int pair_pump(struct bridge_pair *p, int i, short revents_in)
{
    int o = 1 - i;

    if (revents_in & (POLLIN | POLLHUP | POLLERR)) {
        if (p->len[i] == 0) {
            ssize_t r = read(p->fd[i], p->buf[i], BRIDGE_BUF);

            if (r == 0)
                return -1;
            if (r < 0 && errno != EAGAIN && errno != EINTR)
                return -1;
            if (r > 0) {
                p->len[i] = (size_t)r;
                p->off[i] = 0;
            }
        }
    }
    if (p->len[i] > p->off[i]) { /* non-blocking: EAGAIN when full */
        ssize_t w =
            write(p->fd[o], p->buf[i] + p->off[i], p->len[i] - p->off[i]);

        if (w < 0 && errno != EAGAIN && errno != EINTR)
            return -1;
        if (w > 0)
            p->off[i] += (size_t)w;
        if (p->off[i] == p->len[i])
            p->len[i] = p->off[i] = 0;
    }
    return 0;
}

/* The bridge thread. */
static void *bridge_main(void *arg)
{
    struct bridge *br = arg;
    struct pollfd pfds[2 + 2 * BRIDGE_MAX_PAIRS];
    size_t map[BRIDGE_MAX_PAIRS];

    for (;;) {
        nfds_t n = 0;
        size_t np = 0;

        pfds[n++] = (struct pollfd){.fd = br->wake[0], .events = POLLIN};
        pfds[n++] = (struct pollfd){.fd = br->listen_fd, .events = POLLIN};
        for (size_t i = 0; i < BRIDGE_MAX_PAIRS; i++) {
            struct bridge_pair *p = br->pairs[i];

            if (p == NULL)
                continue;
            for (int s = 0; s < 2; s++) {
                short ev = 0;

                if (p->len[s] == 0)
                    ev |= POLLIN;
                if (p->len[1 - s] > p->off[1 - s])
                    ev |= POLLOUT;
                pfds[n++] = (struct pollfd){.fd = p->fd[s], .events = ev};
            }
            map[np++] = i;
        }
        if (poll(pfds, n, 1000) < 0) {
            if (errno == EINTR)
                continue;
            LOG_ERROR("bridge", "poll: %s", strerror(errno));
            break;
        }
        if (pfds[0].revents)
            break;
        for (size_t k = 0; k < np; k++) {
            struct bridge_pair *p = br->pairs[map[k]];
            struct pollfd *c = &pfds[2 + 2 * k];
            struct pollfd *u = &pfds[3 + 2 * k];

            if (pair_pump(p, 0, c->revents) != 0 ||
                pair_pump(p, 1, u->revents) != 0)
                pair_close(br, map[k]);
        }
        if (pfds[1].revents & POLLIN)
            on_accept(br);
    }
    return NULL;
}

struct bridge *bridge_start(const char *bind_addr,
                            uint16_t port,
                            struct cluster *cl,
                            struct ccai_error *err)
{
    struct bridge *br = calloc(1, sizeof(*br));
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    int one = 1;

    if (br == NULL) {
        ccai_error_set(err, CCAI_E_NOMEM, "", "out of memory");
        return NULL;
    }
    br->listen_fd = -1;
    br->wake[0] = br->wake[1] = -1;
    br->cl = cl;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (inet_pton(AF_INET, bind_addr, &sa.sin_addr) != 1) {
        ccai_error_set(err, CCAI_E_CONFIG, "--bind",
                       "--bind: '%s' is not an IPv4 address", bind_addr);
        goto fail;
    }
    br->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (br->listen_fd < 0 ||
        setsockopt(br->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one,
                   sizeof(one)) != 0 ||
        bind(br->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        listen(br->listen_fd, 128) != 0 ||
        getsockname(br->listen_fd, (struct sockaddr *)&sa, &sl) != 0 ||
        set_nonblock(br->listen_fd) != 0) {
        ccai_error_set(err, CCAI_E_IO, "--port", "cannot listen on %s:%u: %s",
                       bind_addr, port, strerror(errno));
        goto fail;
    }
    br->port = ntohs(sa.sin_port);
    if (pipe(br->wake) != 0) {
        ccai_error_set(err, CCAI_E_IO, "", "pipe: %s", strerror(errno));
        goto fail;
    }
    if (pthread_create(&br->thread, NULL, bridge_main, br) != 0) {
        ccai_error_set(err, CCAI_E_INTERNAL, "", "cannot start the bridge");
        goto fail;
    }
    return br;
fail:
    if (br->listen_fd >= 0)
        close(br->listen_fd);
    if (br->wake[0] >= 0) {
        close(br->wake[0]);
        close(br->wake[1]);
    }
    free(br);
    return NULL;
}

uint16_t bridge_port(const struct bridge *br)
{
    return br->port;
}

unsigned bridge_connections(const struct bridge *br)
{
    return atomic_load(&((struct bridge *)br)->n_pairs);
}

void bridge_stop(struct bridge *br)
{
    ssize_t w;

    if (br == NULL)
        return;
    w = write(br->wake[1], "x", 1);
    (void)w;
    pthread_join(br->thread, NULL);
    for (size_t i = 0; i < BRIDGE_MAX_PAIRS; i++) {
        if (br->pairs[i] != NULL)
            pair_close(br, i);
    }
    close(br->listen_fd);
    close(br->wake[0]);
    close(br->wake[1]);
    free(br);
}
