/* ratelimit_budget - RPM/TPM token buckets that learn from x-ratelimit-*
 * headers; see ratelimit_budget.h. Pure: callers pass the time. Main loop
 * thread only. */
#include "ratelimit_budget.h"

#include "banned.h"

#define BUDGET_UNKNOWN_RESET_MS 1000

void ratelimit_budget_init(struct ratelimit_budget *b,
                           long rpm,
                           long tpm,
                           int64_t now_ms)
{
    b->rpm = rpm > 0 ? rpm : 0;
    b->tpm = tpm > 0 ? tpm : 0;
    b->req_cap = (double)b->rpm / 60.0 < 1.0 ? 1.0 : (double)b->rpm / 60.0;
    b->tok_cap = (double)b->tpm / 60.0 < 1.0 ? 1.0 : (double)b->tpm / 60.0;
    b->req_avail = b->req_cap;
    b->tok_avail = b->tok_cap;
    b->last_ms = now_ms;
    b->hold_until_ms = 0;
    b->learned_req_remaining = -1;
    b->learned_tok_remaining = -1;
}

static void refill(struct ratelimit_budget *b, int64_t now_ms)
{
    double dt = 0;

    if (now_ms <= b->last_ms)
        return;
    dt = (double)(now_ms - b->last_ms);
    b->last_ms = now_ms;
    if (b->rpm > 0) {
        b->req_avail += dt * (double)b->rpm / 60000.0;
        if (b->req_avail > b->req_cap)
            b->req_avail = b->req_cap;
    }
    if (b->tpm > 0) {
        b->tok_avail += dt * (double)b->tpm / 60000.0;
        if (b->tok_avail > b->tok_cap)
            b->tok_avail = b->tok_cap;
    }
}

static long wait_for(double missing, long per_minute)
{
    /* no libm: round up by hand */
    double ms = missing * 60000.0 / (double)per_minute;
    long whole = (long)ms;

    if ((double)whole < ms)
        whole++;
    return whole < 1 ? 1 : whole;
}

long ratelimit_budget_take(struct ratelimit_budget *b,
                           unsigned tokens,
                           int64_t now_ms)
{
    long wait = 0;

    refill(b, now_ms);
    if (now_ms < b->hold_until_ms)
        return (long)(b->hold_until_ms - now_ms);
    if (b->rpm > 0 && b->req_avail < 1.0) {
        long w = wait_for(1.0 - b->req_avail, b->rpm);
        wait = w > wait ? w : wait;
    }
    if (b->tpm > 0) {
        double need = (double)tokens < b->tok_cap ? (double)tokens : b->tok_cap;

        if (b->tok_avail < need) {
            long w = wait_for(need - b->tok_avail, b->tpm);
            wait = w > wait ? w : wait;
        }
    }
    if (wait > 0)
        return wait;
    if (b->rpm > 0)
        b->req_avail -= 1.0;
    if (b->tpm > 0)
        b->tok_avail -= (double)tokens;
    return 0;
}

static void hold(struct ratelimit_budget *b, long reset_ms, int64_t now_ms)
{
    int64_t until =
        now_ms + (reset_ms >= 0 ? reset_ms : BUDGET_UNKNOWN_RESET_MS);

    if (until > b->hold_until_ms)
        b->hold_until_ms = until;
}

void ratelimit_budget_learn(struct ratelimit_budget *b,
                            long rem_req,
                            long reset_req_ms,
                            long rem_tok,
                            long reset_tok_ms,
                            int64_t now_ms)
{
    refill(b, now_ms);
    if (rem_req >= 0) {
        b->learned_req_remaining = rem_req;
        if (rem_req == 0)
            hold(b, reset_req_ms, now_ms);
        else if (b->rpm > 0 && b->req_avail > (double)rem_req)
            b->req_avail = (double)rem_req;
    }
    if (rem_tok >= 0) {
        b->learned_tok_remaining = rem_tok;
        if (rem_tok == 0)
            hold(b, reset_tok_ms, now_ms);
        else if (b->tpm > 0 && b->tok_avail > (double)rem_tok)
            b->tok_avail = (double)rem_tok;
    }
}

void ratelimit_budget_hold(struct ratelimit_budget *b, long ms, int64_t now_ms)
{
    if (ms > 0)
        hold(b, ms, now_ms);
}

void ratelimit_budget_available(struct ratelimit_budget *b,
                                int64_t now_ms,
                                long *requests,
                                long *tokens)
{
    refill(b, now_ms);
    if (requests)
        *requests = b->rpm > 0 ? (long)b->req_avail : -1;
    if (tokens)
        *tokens = b->tpm > 0 ? (long)b->tok_avail : -1;
}
