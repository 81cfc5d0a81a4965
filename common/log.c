/* log - JSON line logging to stdout; see log.h. Any thread. */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "banned.h"

static atomic_int log_level = CCAI_LOG_INFO;
static char log_service[32] = "ccai";

static const char *const level_names[] = {"debug", "info", "warn", "error",
                                          "off"};

void ccai_log_init(const char *service, enum ccai_log_level level)
{
    (void)snprintf(log_service, sizeof(log_service), "%s", service);
    atomic_store(&log_level, (int)level);
}

int ccai_log_level_parse(const char *text, enum ccai_log_level *level)
{
    static const struct {
        const char *name;
        enum ccai_log_level level;
    } names[] = {{"debug", CCAI_LOG_DEBUG}, {"info", CCAI_LOG_INFO},
                 {"warn", CCAI_LOG_WARN},   {"warning", CCAI_LOG_WARN},
                 {"error", CCAI_LOG_ERROR}, {"off", CCAI_LOG_OFF}};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcasecmp(text, names[i].name) == 0) {
            *level = names[i].level;
            return 0;
        }
    }
    return -1;
}

bool ccai_log_enabled(enum ccai_log_level level)
{
    return (int)level >= atomic_load(&log_level);
}

char *ccai_log_json_escape(const char *in, char *out, unsigned n)
{
    unsigned o = 0;

    if (n == 0)
        return out;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        char esc[8];
        unsigned elen = 0;

        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            elen = 2;
        } else if (*p == '\n') {
            esc[0] = '\\';
            esc[1] = 'n';
            elen = 2;
        } else if (*p < 0x20 || *p == 0x7f) {
            elen = (unsigned)snprintf(esc, sizeof(esc), "\\u%04x", *p);
        } else {
            esc[0] = (char)*p;
            elen = 1;
        }
        if (o + elen + 1 > n)
            break;
        memcpy(out + o, esc, elen);
        o += elen;
    }
    out[o] = '\0';
    return out;
}

__attribute__((format(printf, 4, 0))) static void
log_vemit(enum ccai_log_level level,
          const char *component,
          const char *fields,
          const char *fmt,
          va_list ap)
{
    char msg[1024];
    char emsg[2048];
    char line[4096];
    char ts[40];
    struct timeval tv;
    struct tm tm;
    int len = 0;

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    (void)strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    ccai_log_json_escape(msg, emsg, sizeof(emsg));
    len = snprintf(line, sizeof(line),
                   "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"service\":\"%s\","
                   "\"component\":\"%s\",\"msg\":\"%s\"%s%s}\n",
                   ts, (long)(tv.tv_usec / 1000), level_names[level],
                   log_service, component, emsg, fields && fields[0] ? "," : "",
                   fields ? fields : "");
    if (len < 0)
        return;
    if ((size_t)len >= sizeof(line)) {
        /* the extra fields were too long: drop them, keep valid JSON */
        len = snprintf(line, sizeof(line),
                       "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"service\":"
                       "\"%s\",\"component\":\"%s\",\"msg\":\"%s\","
                       "\"fields_truncated\":true}\n",
                       ts, (long)(tv.tv_usec / 1000), level_names[level],
                       log_service, component, emsg);
        if (len < 0 || (size_t)len >= sizeof(line))
            return;
    }
    /* one write per line: atomic for pipes up to PIPE_BUF, and never
     * interleaved within a line for regular files opened O_APPEND */
    ssize_t w = write(STDOUT_FILENO, line, (size_t)len);
    (void)w;
}

void ccai_log_emit(enum ccai_log_level level,
                   const char *component,
                   const char *fmt,
                   ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vemit(level, component, NULL, fmt, ap);
    va_end(ap);
}

void ccai_log_emitf(enum ccai_log_level level,
                    const char *component,
                    const char *fields,
                    const char *fmt,
                    ...)
{
    va_list ap;

    if (!ccai_log_enabled(level))
        return;
    va_start(ap, fmt);
    log_vemit(level, component, fields, fmt, ap);
    va_end(ap);
}
