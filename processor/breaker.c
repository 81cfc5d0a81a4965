/* breaker - circuit breaker state machine; see breaker.h. Pure: no I/O, no
 * clock of its own (callers pass now_ms). Main loop thread only. */
#include "breaker.h"

#include <stddef.h>

#include "banned.h"

void breaker_init(struct breaker *b, unsigned threshold, long open_ms)
{
    b->state = BREAKER_CLOSED;
    b->threshold = threshold;
    b->open_ms = open_ms > 0 ? open_ms : 0;
    b->failures = 0;
    b->opened_at_ms = 0;
    b->probe_in_flight = false;
    b->opened_count = 0;
}

static void trip(struct breaker *b, int64_t now_ms)
{
    b->state = BREAKER_OPEN;
    b->opened_at_ms = now_ms;
    b->probe_in_flight = false;
    b->failures = 0;
    b->opened_count++;
}

bool breaker_allow(struct breaker *b, int64_t now_ms, bool *is_probe)
{
    if (is_probe)
        *is_probe = false;
    if (b->state == BREAKER_CLOSED)
        return true;
    if (b->state == BREAKER_OPEN) {
        if (now_ms - b->opened_at_ms < b->open_ms)
            return false;
        b->state = BREAKER_HALF_OPEN;
        b->probe_in_flight = false;
    }
    if (b->probe_in_flight)
        return false;
    b->probe_in_flight = true;
    if (is_probe)
        *is_probe = true;
    return true;
}

bool breaker_would_allow(const struct breaker *b, int64_t now_ms)
{
    switch (b->state) {
    case BREAKER_CLOSED:
        return true;
    case BREAKER_OPEN:
        return now_ms - b->opened_at_ms >= b->open_ms;
    case BREAKER_HALF_OPEN:
        return !b->probe_in_flight;
    }
    return false;
}

void breaker_on_success(struct breaker *b, int64_t now_ms)
{
    (void)now_ms;
    if (b->state == BREAKER_OPEN)
        return; /* a straggler that started before the trip */
    b->state = BREAKER_CLOSED;
    b->failures = 0;
    b->probe_in_flight = false;
}

void breaker_on_failure(struct breaker *b, int64_t now_ms)
{
    switch (b->state) {
    case BREAKER_CLOSED:
        b->failures++;
        if (b->threshold > 0 && b->failures >= b->threshold)
            trip(b, now_ms);
        break;
    case BREAKER_HALF_OPEN:
        trip(b, now_ms);
        break;
    case BREAKER_OPEN:
        break; /* stragglers do not extend the open time */
    }
}

void breaker_on_probe_abandoned(struct breaker *b)
{
    if (b->state == BREAKER_HALF_OPEN)
        b->probe_in_flight = false;
}

long breaker_ms_until_half_open(const struct breaker *b, int64_t now_ms)
{
    int64_t left = 0;

    if (b->state != BREAKER_OPEN)
        return 0;
    left = b->opened_at_ms + b->open_ms - now_ms;
    return left > 0 ? (long)left : 0;
}

const char *breaker_state_name(enum breaker_state state)
{
    switch (state) {
    case BREAKER_OPEN:
        return "open";
    case BREAKER_HALF_OPEN:
        return "half_open";
    default:
        return "closed";
    }
}
