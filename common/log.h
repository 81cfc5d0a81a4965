/* log - one JSON object per line on stdout, written with a single write(2)
 * so lines from MHD, librdkafka and curl threads never interleave.
 * Thread-safe; the level is set once at start (ccai_log_init). */
#ifndef CCAI_LOG_H
#define CCAI_LOG_H

#include <stdbool.h>

enum ccai_log_level {
    CCAI_LOG_DEBUG = 0,
    CCAI_LOG_INFO,
    CCAI_LOG_WARN,
    CCAI_LOG_ERROR,
    CCAI_LOG_OFF,
};

/** Set the service name stamped on every line and the minimum level.
 * Call once from main before any thread starts. */
void ccai_log_init(const char *service, enum ccai_log_level level);

/** Parse "debug|info|warn|warning|error|off"; returns 0 or -1. */
int ccai_log_level_parse(const char *text, enum ccai_log_level *level);

bool ccai_log_enabled(enum ccai_log_level level);

/** Emit one line: {"ts","level","service","component","msg"}. */
void ccai_log_emit(enum ccai_log_level level,
                   const char *component,
                   const char *fmt,
                   ...) __attribute__((format(printf, 3, 4)));

/** Like ccai_log_emit, with extra pre-rendered JSON members appended
 * verbatim: @fields is NULL or e.g. "\"event_id\":\"e1\",\"partition\":3"
 * (caller escapes; use ccai_log_json_escape). */
void ccai_log_emitf(enum ccai_log_level level,
                    const char *component,
                    const char *fields,
                    const char *fmt,
                    ...) __attribute__((format(printf, 4, 5)));

/** Escape @in as JSON string content (no quotes) into @out (size @n),
 * truncating safely. Returns @out. */
char *ccai_log_json_escape(const char *in, char *out, unsigned n);

#define CCAI_LOG_AT(lvl, component, ...)                    \
    do {                                                    \
        if (ccai_log_enabled(lvl))                          \
            ccai_log_emit((lvl), (component), __VA_ARGS__); \
    } while (0)

#define LOG_DEBUG(component, ...) \
    CCAI_LOG_AT(CCAI_LOG_DEBUG, component, __VA_ARGS__)
#define LOG_INFO(component, ...) \
    CCAI_LOG_AT(CCAI_LOG_INFO, component, __VA_ARGS__)
#define LOG_WARN(component, ...) \
    CCAI_LOG_AT(CCAI_LOG_WARN, component, __VA_ARGS__)
#define LOG_ERROR(component, ...) \
    CCAI_LOG_AT(CCAI_LOG_ERROR, component, __VA_ARGS__)

#endif
