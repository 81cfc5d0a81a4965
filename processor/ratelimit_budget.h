/* ratelimit_budget - client-side requests-per-minute and tokens-per-minute
 * budgets as two token buckets (0 = unlimited) with one second of burst
 * (OpenAI enforces its per-minute limits on shorter windows too), which
 * also learn from the server's x-ratelimit-remaining-* / -reset-* headers:
 * when a remaining count reaches 0, new starts are held until the reset.
 * Pure (time is an input), owns no memory. Main loop thread only. */
#ifndef CCAI_RATELIMIT_BUDGET_H
#define CCAI_RATELIMIT_BUDGET_H

#include <stdint.h>

struct ratelimit_budget {
    long rpm;                   /* 0 = unlimited */
    long tpm;                   /* 0 = unlimited */
    double req_avail;           /* requests that may start now */
    double req_cap;             /* burst: rpm / 60, at least 1 */
    double tok_avail;           /* tokens that may be spent now (may go < 0) */
    double tok_cap;             /* burst: tpm / 60, at least 1 */
    int64_t last_ms;            /* last refill */
    int64_t hold_until_ms;      /* learned: the server said remaining 0 */
    long learned_req_remaining; /* -1 unknown */
    long learned_tok_remaining; /* -1 unknown */
};

/** Start with full buckets at @now_ms. */
void ratelimit_budget_init(struct ratelimit_budget *b,
                           long rpm,
                           long tpm,
                           int64_t now_ms);

/** Try to start one request of @tokens estimated tokens: returns 0 and
 * spends from both buckets, or the milliseconds to wait (> 0) and spends
 * nothing. A request larger than the token burst waits for a full bucket
 * and then drives it negative, so the average still holds. */
long ratelimit_budget_take(struct ratelimit_budget *b,
                           unsigned tokens,
                           int64_t now_ms);

/** Learn from response headers: @rem_* the remaining counts (-1 when the
 * header was absent), @reset_*_ms the time to their reset (-1 unknown). A
 * remaining of 0 holds new starts until the reset (1 s when unknown); a
 * positive remaining caps what the local bucket believes is available. */
void ratelimit_budget_learn(struct ratelimit_budget *b,
                            long rem_req,
                            long reset_req_ms,
                            long rem_tok,
                            long reset_tok_ms,
                            int64_t now_ms);

/** Hold every new start for @ms (a 429 with retry-after applies to the
 * whole organisation, not just the call that got it). */
void ratelimit_budget_hold(struct ratelimit_budget *b, long ms, int64_t now_ms);

/** What may be spent now (after refill): requests and tokens, -1 when
 * that budget is unlimited. */
void ratelimit_budget_available(struct ratelimit_budget *b,
                                int64_t now_ms,
                                long *requests,
                                long *tokens);

#endif
