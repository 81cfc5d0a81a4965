/* breaker - a circuit breaker as a small pure state machine with time as
 * input: closed -> open after @threshold consecutive failed calls; open ->
 * half_open once @open_ms have passed, letting one probe through; half_open
 * -> closed when the probe succeeds, -> open again when it fails. Owns no
 * memory. Used by llm_client on the main loop thread only. */
#ifndef CCAI_BREAKER_H
#define CCAI_BREAKER_H

#include <stdbool.h>
#include <stdint.h>

enum breaker_state {
    BREAKER_CLOSED = 0,
    BREAKER_OPEN = 1,
    BREAKER_HALF_OPEN = 2,
};

struct breaker {
    enum breaker_state state;
    unsigned threshold;    /* 0 = never opens */
    long open_ms;          /* time spent open before half-open */
    unsigned failures;     /* consecutive failed calls while closed */
    int64_t opened_at_ms;  /* when it last opened */
    bool probe_in_flight;  /* half-open: the one probe is running */
    uint64_t opened_count; /* transitions to open, for stats */
};

/** Start closed. */
void breaker_init(struct breaker *b, unsigned threshold, long open_ms);

/** May a call start now? Closed: yes. Open: no, until @open_ms passed,
 * then half-open. Half-open: yes for exactly one probe (sets *@is_probe),
 * no while it runs. @is_probe may be NULL. */
bool breaker_allow(struct breaker *b, int64_t now_ms, bool *is_probe);

/** Would breaker_allow say yes now? No side effects. */
bool breaker_would_allow(const struct breaker *b, int64_t now_ms);

/** A call finished well (or was rejected by a healthy server). */
void breaker_on_success(struct breaker *b, int64_t now_ms);

/** A call failed (timeout, 5xx, network, exhausted rate limit). */
void breaker_on_failure(struct breaker *b, int64_t now_ms);

/** A probe was abandoned without an answer (cancelled): allow another. */
void breaker_on_probe_abandoned(struct breaker *b);

/** Milliseconds until an open breaker turns half-open; 0 when not open
 * or already due. */
long breaker_ms_until_half_open(const struct breaker *b, int64_t now_ms);

/** "closed", "open" or "half_open". */
const char *breaker_state_name(enum breaker_state state);

#endif
