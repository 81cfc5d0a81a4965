/* id - UUIDv7, traceparent and time helpers; see id.h. Any thread. */
#include "id.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "banned.h"

/* Fill @buf from the kernel CSPRNG. */
static void kernel_random(unsigned char *p, size_t len)
{
    size_t got = 0;

    while (got < len) {
        ssize_t n = getrandom(p + got, len - got, 0);
        if (n <= 0) {
            /* never expected on Linux >= 3.17; degrade to clock bits */
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            for (; got < len; got++)
                p[got] = (unsigned char)((uint64_t)ts.tv_nsec >> (got % 8));
            return;
        }
        got += (size_t)n;
    }
}

/* Random bytes from a per-thread pool refilled RANDOM_POOL bytes at a time
 * from getrandom(2): an event id plus a span id used to cost three system
 * calls per request on the ingress's hot path, now one per ~10 requests.
 * Each byte is handed out once; the pool never crosses threads. (A forked
 * child would repeat its parent's pool: the services never fork.) */
#define RANDOM_POOL 256

static void random_bytes(void *buf, size_t len)
{
    static _Thread_local unsigned char pool[RANDOM_POOL];
    static _Thread_local size_t avail;
    unsigned char *p = buf;

    if (len > RANDOM_POOL) {
        kernel_random(p, len);
        return;
    }
    if (avail < len) {
        kernel_random(pool, RANDOM_POOL);
        avail = RANDOM_POOL;
    }
    memcpy(p, pool + RANDOM_POOL - avail, len);
    memset(pool + RANDOM_POOL - avail, 0, len);
    avail -= len;
}

int64_t ccai_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t ccai_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ccai_uuid7(char out[CCAI_UUID_LEN + 1])
{
    unsigned char b[16];
    uint64_t ms = (uint64_t)ccai_now_ms();

    random_bytes(b, sizeof(b));
    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char)(ms >> (40 - 8 * i));
    b[6] = (unsigned char)(0x70 | (b[6] & 0x0f));
    b[8] = (unsigned char)(0x80 | (b[8] & 0x3f));
    /* 8-4-4-4-12 lowercase hex; by hand: this runs once per event */
    for (size_t i = 0, o = 0; i < sizeof(b); i++) {
        static const char digits[] = "0123456789abcdef";

        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = digits[b[i] >> 4];
        out[o++] = digits[b[i] & 0x0f];
    }
    out[CCAI_UUID_LEN] = '\0';
}

static bool hex_run(const char *s, size_t n, bool *all_zero)
{
    *all_zero = true;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
        if (c != '0')
            *all_zero = false;
    }
    return true;
}

bool ccai_traceparent_is_valid(const char *tp)
{
    bool zero = false;

    if (tp == NULL || strlen(tp) != CCAI_TRACEPARENT_LEN)
        return false;
    if (strncmp(tp, "00-", 3) != 0 || tp[35] != '-' || tp[52] != '-')
        return false;
    if (!hex_run(tp + 3, 32, &zero) || zero)
        return false;
    if (!hex_run(tp + 36, 16, &zero) || zero)
        return false;
    return hex_run(tp + 53, 2, &zero);
}

static void hex_random(char *out, size_t nbytes)
{
    unsigned char b[16];

    random_bytes(b, nbytes);
    for (size_t i = 0; i < nbytes; i++) {
        static const char digits[] = "0123456789abcdef";
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 0x0f];
    }
    if (nbytes == 8 && memcmp(out, "0000000000000000", 16) == 0)
        out[15] = '1';
}

void ccai_traceparent_new(char out[CCAI_TRACEPARENT_LEN + 1])
{
    out[0] = '0';
    out[1] = '0';
    out[2] = '-';
    hex_random(out + 3, 16);
    out[35] = '-';
    hex_random(out + 36, 8);
    memcpy(out + 52, "-01", 4);
}

void ccai_traceparent_child(const char *incoming,
                            char out[CCAI_TRACEPARENT_LEN + 1])
{
    if (!ccai_traceparent_is_valid(incoming)) {
        ccai_traceparent_new(out);
        return;
    }
    memcpy(out, incoming, CCAI_TRACEPARENT_LEN + 1);
    hex_random(out + 36, 8);
    out[52] = '-';
}

void ccai_time_rfc3339(int64_t ms, char out[32])
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    char base[24];

    gmtime_r(&secs, &tm);
    (void)strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    (void)snprintf(out, 32, "%s.%03dZ", base, (int)(ms % 1000));
}
