/* context - per-contact conversation windows: the last N redacted turns
 * of each contact plus a digest of older turns (one short line per turn,
 * bounded) for long contacts. Bounded by max_contacts (least recently
 * used evicted first) and by an idle TTL; each turn's text is truncated
 * to a cap, so memory per contact is bounded. Owns every string it holds.
 * Main loop thread only (owned by the engine). */
#ifndef CCAI_CONTEXT_H
#define CCAI_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct context_turn {
    char *role;         /* customer, agent, bot, system */
    char *text;         /* redacted, NUL-terminated */
    long long sequence; /* -1 when unknown */
};

struct context_limits {
    unsigned max_contacts; /* LRU bound, >= 1 */
    unsigned max_turns;    /* recent turns kept per contact, >= 1 */
    size_t max_turn_chars; /* a longer turn is cut (at a UTF-8 boundary) */
    unsigned max_earlier;  /* digest lines of older turns, 0 = none */
    size_t earlier_chars;  /* length of one digest line */
    long idle_ttl_ms;      /* 0 = no TTL */
};

/* A snapshot of one contact's window: deep copies, owned by the caller
 * (context_window_release). */
struct context_window {
    struct context_turn *earlier; /* oldest first */
    size_t n_earlier;
    struct context_turn *turns; /* oldest first */
    size_t n_turns;
    unsigned long total_turns; /* turns ever appended for the contact */
    bool truncated;            /* turns dropped or a text cut */
};

struct context;

/** New store; NULL when out of memory. */
struct context *context_new(const struct context_limits *limits);
void context_free(struct context *ctx);

/** Copy the window of @contact_id into @win (empty when unknown); marks
 * the contact as used. Expires idle contacts first. Returns 0, or -1 when
 * out of memory (@win is then empty). */
int context_get(struct context *ctx,
                const char *contact_id,
                int64_t now_ms,
                struct context_window *win);

/** Append a (redacted) turn to @contact_id, creating the contact (and
 * evicting the least recently used one at the bound). @text is copied,
 * truncated to max_turn_chars. Returns 0, or -1 when out of memory. */
int context_append(struct context *ctx,
                   const char *contact_id,
                   const char *role,
                   const char *text,
                   long long sequence,
                   int64_t now_ms);

/** Forget @contact_id (contact.ended). */
void context_drop(struct context *ctx, const char *contact_id);

/** Evict contacts idle for longer than the TTL. */
void context_expire(struct context *ctx, int64_t now_ms);

unsigned context_size(const struct context *ctx);
uint64_t context_evicted(const struct context *ctx);

/** Deep-copy helpers for windows. */
void context_window_release(struct context_window *win);

/** Copy at most @max bytes of @text, cut back to a UTF-8 character
 * boundary; *@cut tells whether anything was dropped. New string. */
char *context_truncate_utf8(const char *text, size_t max, bool *cut);

#endif
