/* support_proc - child processes for integration tests: fork/exec with an
 * edited environment, output to a log file, signals, bounded waits, log
 * reading, and a registry so every child still running is killed at the
 * end (atexit, teardown). A handle is used by one thread; the registry is
 * locked and may be touched from any thread. */
#include "ccai_test.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support_internal.h"

#include "banned.h"

extern char **environ;

struct ccai_proc {
    pid_t pid;
    bool reaped;
    int wstatus;
    char *name;
    char *log_path;
    struct ccai_proc *next; /* registry link */
};

/* The registry of live handles and the logs of the run (for the dump at
 * the end): test-process state, guarded by reg_lock. */
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ccai_proc *reg_head;
static char **reg_logs;
static size_t reg_n_logs;

static void reg_add(struct ccai_proc *proc)
{
    char **logs;

    pthread_mutex_lock(&reg_lock);
    proc->next = reg_head;
    reg_head = proc;
    logs = realloc(reg_logs, (reg_n_logs + 1) * sizeof(*logs));
    if (logs != NULL) {
        reg_logs = logs;
        reg_logs[reg_n_logs] = strdup(proc->log_path);
        if (reg_logs[reg_n_logs] != NULL)
            reg_n_logs++;
    }
    pthread_mutex_unlock(&reg_lock);
}

static void reg_remove(struct ccai_proc *proc)
{
    pthread_mutex_lock(&reg_lock);
    for (struct ccai_proc **pp = &reg_head; *pp; pp = &(*pp)->next) {
        if (*pp == proc) {
            *pp = proc->next;
            break;
        }
    }
    pthread_mutex_unlock(&reg_lock);
}

static bool try_reap(struct ccai_proc *proc)
{
    int st = 0;
    pid_t r;

    if (proc->reaped)
        return true;
    r = waitpid(proc->pid, &st, WNOHANG);
    if (r == proc->pid || (r < 0 && errno == ECHILD)) {
        proc->reaped = true;
        proc->wstatus = r == proc->pid ? st : 0;
        return true;
    }
    return false;
}

void support_proc_kill_all(void)
{
    pthread_mutex_lock(&reg_lock);
    for (struct ccai_proc *p = reg_head; p; p = p->next) {
        if (!try_reap(p)) {
            kill(-p->pid, SIGKILL);
            kill(p->pid, SIGKILL);
        }
    }
    for (struct ccai_proc *p = reg_head; p; p = p->next) {
        for (int i = 0; i < 500 && !try_reap(p); i++)
            ccai_test_sleep_ms(10);
    }
    pthread_mutex_unlock(&reg_lock);
}

static void dump_file_tail(const char *path, unsigned lines)
{
    size_t len = 0;
    char *data = support_read_file(path, &len);
    size_t start = len;
    unsigned seen = 0;

    if (data == NULL)
        return;
    while (start > 0) {
        if (data[start - 1] == '\n' && start != len && ++seen >= lines)
            break;
        start--;
    }
    fprintf(stderr, "----- %s (last %u lines) -----\n%s%s", path, lines,
            data + start, (len > 0 && data[len - 1] != '\n') ? "\n" : "");
    free(data);
}

void support_proc_dump_all(unsigned lines)
{
    pthread_mutex_lock(&reg_lock);
    for (size_t i = 0; i < reg_n_logs; i++)
        dump_file_tail(reg_logs[i], lines);
    pthread_mutex_unlock(&reg_lock);
}

/* Resolve @name to an executable path (new) before fork. */
static char *resolve(const char *name)
{
    char buf[4096];

    if (strncmp(name, "path:", 5) == 0) {
        const char *prog = name + 5;
        const char *path = getenv("PATH");
        const char *p = path ? path : "/usr/bin:/bin";

        while (*p) {
            const char *colon = strchr(p, ':');
            size_t dlen = colon ? (size_t)(colon - p) : strlen(p);

            snprintf(buf, sizeof(buf), "%.*s/%s", (int)dlen, p, prog);
            if (access(buf, X_OK) == 0)
                return strdup(buf);
            p += dlen;
            if (*p == ':')
                p++;
        }
        return NULL;
    }
    if (strchr(name, '/') != NULL)
        return strdup(name);
    snprintf(buf, sizeof(buf), "%s/%s", ccai_test_bin_dir(), name);
    return strdup(buf);
}

static bool env_name_eq(const char *entry, const char *name)
{
    size_t n = strcspn(name, "=");

    return strncmp(entry, name, n) == 0 && entry[n] == '=';
}

static bool same_name(const char *a, const char *b)
{
    size_t na = strcspn(a, "=");

    return na == strcspn(b, "=") && strncmp(a, b, na) == 0;
}

/* Inherited environment edited by @env; pointers borrowed (not copied). */
static char **build_env(const char *const *env)
{
    size_t n_base = 0;
    size_t n_extra = 0;
    size_t n = 0;
    char **out;

    while (environ[n_base])
        n_base++;
    while (env && env[n_extra])
        n_extra++;
    out = calloc(n_base + n_extra + 1, sizeof(*out));
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n_base; i++) {
        bool replaced = false;

        for (size_t j = 0; j < n_extra; j++)
            replaced = replaced || env_name_eq(environ[i], env[j]);
        if (!replaced)
            out[n++] = environ[i];
    }
    for (size_t j = 0; j < n_extra; j++) {
        bool overridden = false; /* a later entry for the same name wins */

        for (size_t k = j + 1; k < n_extra; k++)
            overridden = overridden || same_name(env[k], env[j]);
        if (!overridden && strchr(env[j], '=') != NULL)
            out[n++] = (char *)env[j];
    }
    out[n] = NULL;
    return out;
}

static const char *base_name(const char *name)
{
    const char *slash = strrchr(name, '/');
    const char *colon = strrchr(name, ':');

    if (slash != NULL)
        return slash + 1;
    return colon != NULL ? colon + 1 : name;
}

static struct ccai_proc *start(const char *name,
                               const char *const *args,
                               const char *const *env,
                               const char *stdin_path)
{
    struct ccai_proc *proc = NULL;
    char *exe = NULL;
    char **argv = NULL;
    char **envp = NULL;
    size_t n_args = 0;
    pid_t parent = getpid();
    int ok = 0;

    proc = calloc(1, sizeof(*proc));
    exe = resolve(name);
    while (args && args[n_args])
        n_args++;
    argv = calloc(n_args + 2, sizeof(*argv));
    envp = build_env(env);
    if (proc == NULL || exe == NULL || argv == NULL || envp == NULL) {
        fprintf(stderr, "ccai_test: cannot start %s (not found or no memory)\n",
                name);
        goto out;
    }
    proc->name = strdup(base_name(name));
    proc->log_path = support_tmp_path(proc->name ? proc->name : "proc", ".log");
    if (proc->name == NULL || proc->log_path == NULL)
        goto out;
    argv[0] = exe;
    for (size_t i = 0; i < n_args; i++)
        argv[i + 1] = (char *)args[i];
    if (access(exe, X_OK) != 0) {
        fprintf(stderr, "ccai_test: %s is not executable: %s\n", exe,
                strerror(errno));
        goto out;
    }
    fflush(NULL);
    proc->pid = fork();
    if (proc->pid < 0) {
        fprintf(stderr, "ccai_test: fork: %s\n", strerror(errno));
        goto out;
    }
    if (proc->pid == 0) {
        /* Child: only async-signal-safe calls until execve. */
        int in = open(stdin_path ? stdin_path : "/dev/null", O_RDONLY);
        int lf = open(proc->log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);

        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        if (in < 0 || lf < 0 || dup2(in, 0) < 0 || dup2(lf, 1) < 0 ||
            dup2(lf, 2) < 0)
            _exit(127);
        signal(SIGPIPE, SIG_DFL);
        execve(exe, argv, envp);
        _exit(127);
    }
    setpgid(proc->pid, proc->pid); /* also from here: no race with kill */
    reg_add(proc);
    ok = 1;
out:
    free(exe);
    free(argv);
    free(envp);
    if (!ok && proc != NULL) {
        free(proc->name);
        free(proc->log_path);
        free(proc);
        proc = NULL;
    }
    return proc;
}

struct ccai_proc *ccai_proc_start(const char *name,
                                  const char *const *args,
                                  const char *const *env)
{
    return start(name, args, env, NULL);
}

struct ccai_proc *ccai_proc_start_stdin(const char *name,
                                        const char *const *args,
                                        const char *const *env,
                                        const void *stdin_data,
                                        size_t len)
{
    struct ccai_proc *proc = NULL;
    char *path = support_tmp_path("stdin", ".dat");
    FILE *f = NULL;

    if (path == NULL)
        return NULL;
    f = fopen(path, "wb");
    if (f == NULL || (len > 0 && fwrite(stdin_data, 1, len, f) != len)) {
        if (f != NULL)
            fclose(f);
        goto out;
    }
    if (fclose(f) != 0)
        goto out;
    proc = start(name, args, env, path);
out:
    free(path);
    return proc;
}

pid_t ccai_proc_pid(const struct ccai_proc *proc)
{
    return proc->pid;
}

const char *ccai_proc_log_path(const struct ccai_proc *proc)
{
    return proc->log_path;
}

int ccai_proc_signal(struct ccai_proc *proc, int sig)
{
    if (try_reap(proc))
        return 0;
    return kill(proc->pid, sig) == 0 ? 0 : -1;
}

int ccai_proc_wait(struct ccai_proc *proc, long timeout_ms)
{
    int64_t deadline = ccai_test_now_ms() + timeout_ms;

    for (;;) {
        if (try_reap(proc))
            return 0;
        if (ccai_test_now_ms() >= deadline)
            return -1;
        ccai_test_sleep_ms(10);
    }
}

bool ccai_proc_has_exited(struct ccai_proc *proc)
{
    return try_reap(proc);
}

int ccai_proc_exit_code(const struct ccai_proc *proc)
{
    if (!proc->reaped || !WIFEXITED(proc->wstatus))
        return -1;
    return WEXITSTATUS(proc->wstatus);
}

int ccai_proc_term_signal(const struct ccai_proc *proc)
{
    if (!proc->reaped || !WIFSIGNALED(proc->wstatus))
        return 0;
    return WTERMSIG(proc->wstatus);
}

static int status_code(const struct ccai_proc *proc)
{
    if (WIFEXITED(proc->wstatus))
        return WEXITSTATUS(proc->wstatus);
    if (WIFSIGNALED(proc->wstatus))
        return 128 + WTERMSIG(proc->wstatus);
    return -1;
}

int ccai_proc_stop(struct ccai_proc *proc, long timeout_ms)
{
    if (try_reap(proc))
        return status_code(proc);
    kill(proc->pid, SIGTERM);
    if (ccai_proc_wait(proc, timeout_ms) == 0)
        return status_code(proc);
    fprintf(stderr, "ccai_test: %s (pid %d) ignored SIGTERM for %ld ms\n",
            proc->name, (int)proc->pid, timeout_ms);
    ccai_proc_dump_log(proc, 20);
    kill(-proc->pid, SIGKILL);
    kill(proc->pid, SIGKILL);
    ccai_proc_wait(proc, 10000);
    return -1;
}

char *ccai_proc_log(const struct ccai_proc *proc, size_t *len)
{
    return support_read_file(proc->log_path, len);
}

bool ccai_proc_log_contains(const struct ccai_proc *proc, const char *needle)
{
    char *log = ccai_proc_log(proc, NULL);
    bool found = log != NULL && strstr(log, needle) != NULL;

    free(log);
    return found;
}

int ccai_proc_wait_log(struct ccai_proc *proc,
                       const char *needle,
                       long timeout_ms)
{
    int64_t deadline = ccai_test_now_ms() + timeout_ms;

    for (;;) {
        bool exited = try_reap(proc);

        if (ccai_proc_log_contains(proc, needle))
            return 0;
        if (exited || ccai_test_now_ms() >= deadline)
            return -1;
        ccai_test_sleep_ms(20);
    }
}

void ccai_proc_dump_log(const struct ccai_proc *proc, unsigned lines)
{
    dump_file_tail(proc->log_path, lines);
}

void ccai_proc_free(struct ccai_proc *proc)
{
    if (proc == NULL)
        return;
    if (!try_reap(proc)) {
        kill(-proc->pid, SIGKILL);
        kill(proc->pid, SIGKILL);
        ccai_proc_wait(proc, 10000);
    }
    reg_remove(proc);
    free(proc->name);
    free(proc->log_path);
    free(proc);
}

int ccai_proc_run(const char *name,
                  const char *const *args,
                  const char *const *env,
                  const void *stdin_data,
                  size_t stdin_len,
                  long timeout_ms,
                  char **out)
{
    struct ccai_proc *proc = NULL;
    int rc = -1;

    if (out != NULL)
        *out = NULL;
    if (stdin_data != NULL)
        proc = ccai_proc_start_stdin(name, args, env, stdin_data, stdin_len);
    else
        proc = ccai_proc_start(name, args, env);
    if (proc == NULL)
        return -1;
    if (ccai_proc_wait(proc, timeout_ms) == 0)
        rc = status_code(proc);
    else
        fprintf(stderr, "ccai_test: %s did not finish in %ld ms\n", name,
                timeout_ms);
    if (out != NULL)
        *out = ccai_proc_log(proc, NULL);
    ccai_proc_free(proc);
    return rc;
}
