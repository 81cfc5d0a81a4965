/* shutdown - signal-driven stop flag and wake-up pipe; see shutdown.h. */
#include "shutdown.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "banned.h"

static volatile sig_atomic_t stop_flag;
static int wake_pipe[2] = {-1, -1};

void ccai_shutdown_request(void)
{
    int saved = errno;

    if (!stop_flag) {
        stop_flag = 1;
        if (wake_pipe[1] >= 0) {
            ssize_t w = write(wake_pipe[1], "x", 1);
            (void)w;
        }
    }
    errno = saved;
}

static void on_signal(int sig)
{
    (void)sig;
    ccai_shutdown_request();
}

int ccai_shutdown_install(void)
{
    struct sigaction sa;

    if (wake_pipe[0] < 0) {
        if (pipe(wake_pipe) != 0)
            return -1;
        for (int i = 0; i < 2; i++) {
            int fl = fcntl(wake_pipe[i], F_GETFL);
            if (fl < 0 || fcntl(wake_pipe[i], F_SETFL, fl | O_NONBLOCK) != 0 ||
                fcntl(wake_pipe[i], F_SETFD, FD_CLOEXEC) != 0)
                return -1;
        }
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0)
        return -1;
    sa.sa_handler = SIG_IGN;
    if (sigaction(SIGPIPE, &sa, NULL) != 0)
        return -1;
    return 0;
}

bool ccai_shutdown_requested(void)
{
    return stop_flag != 0;
}

int ccai_shutdown_fd(void)
{
    return wake_pipe[0];
}

void ccai_shutdown_sleep_ms(long ms)
{
    struct pollfd pfd = {.fd = wake_pipe[0], .events = POLLIN};

    if (stop_flag)
        return;
    if (wake_pipe[0] < 0) {
        usleep((useconds_t)ms * 1000);
        return;
    }
    (void)poll(&pfd, 1, (int)ms);
}
