/* support_run - run-wide test helpers: free ports, the per-run temp dir
 * (removed at the end), the binary directory, clocks and bounded waits,
 * and the cmocka teardown / end-of-run hooks. Any thread; the temp dir is
 * created once (pthread_once). */
#define _XOPEN_SOURCE 700 /* nftw */
#include "ccai_test.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "support_internal.h"

#include "banned.h"

/* Run-wide state of the test process (the temp dir path and a counter for
 * unique file names): test support, set once, not service code. */
static pthread_once_t tmp_once = PTHREAD_ONCE_INIT;
static char tmp_dir[256];
static atomic_uint tmp_seq;
static atomic_bool tmp_keep;

int ccai_test_free_port(void)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    int fd = -1;
    int port = -1;

    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto out;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = 0;
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        goto out;
    if (getsockname(fd, (struct sockaddr *)&sa, &sl) != 0)
        goto out;
    port = ntohs(sa.sin_port);
out:
    if (fd >= 0)
        close(fd);
    if (port < 0)
        fprintf(stderr, "ccai_test: cannot get a free port: %s\n",
                strerror(errno));
    return port;
}

static int
on_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void tmp_cleanup(void)
{
    support_proc_kill_all();
    if (tmp_dir[0] != '\0' && !atomic_load(&tmp_keep))
        nftw(tmp_dir, on_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static void tmp_create(void)
{
    const char *base = getenv("TMPDIR");

    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    snprintf(tmp_dir, sizeof(tmp_dir), "%s/ccai-test-XXXXXX", base);
    if (mkdtemp(tmp_dir) == NULL) {
        fprintf(stderr, "ccai_test: mkdtemp %s: %s\n", tmp_dir,
                strerror(errno));
        tmp_dir[0] = '\0';
        return;
    }
    atexit(tmp_cleanup);
}

const char *ccai_test_tmpdir(void)
{
    pthread_once(&tmp_once, tmp_create);
    return tmp_dir[0] != '\0' ? tmp_dir : NULL;
}

char *support_tmp_path(const char *stem, const char *suffix)
{
    const char *dir = ccai_test_tmpdir();
    unsigned n = atomic_fetch_add(&tmp_seq, 1) + 1;
    size_t len;
    char *path = NULL;

    if (dir == NULL)
        return NULL;
    len = strlen(dir) + strlen(stem) + strlen(suffix) + 16;
    path = malloc(len);
    if (path != NULL)
        snprintf(path, len, "%s/%02u-%s%s", dir, n, stem, suffix);
    return path;
}

char *ccai_test_write_file(const char *name, const void *data, size_t len)
{
    const char *dir = ccai_test_tmpdir();
    char *path = NULL;
    size_t plen;
    FILE *f = NULL;

    if (dir == NULL)
        return NULL;
    plen = strlen(dir) + strlen(name) + 2;
    path = malloc(plen);
    if (path == NULL)
        return NULL;
    snprintf(path, plen, "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, len, f) != len) {
        fprintf(stderr, "ccai_test: cannot write %s\n", path);
        if (f != NULL)
            fclose(f);
        free(path);
        return NULL;
    }
    if (fclose(f) != 0) {
        free(path);
        return NULL;
    }
    return path;
}

char *support_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    size_t cap = 0;
    size_t n = 0;

    if (f == NULL)
        return NULL;
    for (;;) {
        if (cap - n < 4096) {
            size_t ncap = cap ? cap * 2 : 8192;
            char *p = realloc(data, ncap);

            if (p == NULL) {
                free(data);
                data = NULL;
                goto out;
            }
            data = p;
            cap = ncap;
        }
        size_t r = fread(data + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0)
            break;
    }
    data[n] = '\0';
    if (len != NULL)
        *len = n;
out:
    fclose(f);
    return data;
}

const char *ccai_test_bin_dir(void)
{
    static char dir[512]; /* computed once per run from the environment */
    const char *env = getenv("CCAI_BIN_DIR");

    if (env != NULL && env[0] != '\0')
        return env;
    env = getenv("CCAI_BINARY_DIR");
    if (env != NULL && env[0] != '\0') {
        snprintf(dir, sizeof(dir), "%s/bin", env);
        return dir;
    }
    return "./bin";
}

int64_t ccai_test_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ccai_test_sleep_ms(long ms)
{
    struct timespec ts;

    if (ms <= 0)
        return;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

bool ccai_test_wait_until(ccai_test_cond_fn *cond,
                          void *ctx,
                          long timeout_ms,
                          long poll_ms)
{
    int64_t deadline = ccai_test_now_ms() + timeout_ms;

    if (poll_ms <= 0)
        poll_ms = 50;
    for (;;) {
        if (cond(ctx))
            return true;
        if (ccai_test_now_ms() >= deadline)
            return false;
        ccai_test_sleep_ms(poll_ms);
    }
}

int ccai_test_teardown(void **state)
{
    (void)state;
    support_proc_kill_all();
    return 0;
}

void ccai_test_filter_from_env(void)
{
    const char *filter = getenv("CCAI_TEST_FILTER");

    if (filter != NULL && filter[0] != '\0')
        cmocka_set_test_filter(filter);
}

int ccai_test_finish(int failures)
{
    support_proc_kill_all();
    if (failures > 0) {
        support_proc_dump_all(40);
        if (tmp_dir[0] != '\0') {
            atomic_store(&tmp_keep, true);
            fprintf(stderr, "ccai_test: %d failure(s); logs kept in %s\n",
                    failures, tmp_dir);
        }
    }
    return failures;
}
