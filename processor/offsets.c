/* offsets - per-partition in-flight offsets and the committable offset;
 * see offsets.h. A ring of entries in ascending offset order; done entries
 * at the head are popped, which advances the committable offset. Pure. */
#include "offsets.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define OFFSETS_MIN_CAP 64

void offsets_init(struct offsets *o)
{
    memset(o, 0, sizeof(*o));
    o->last = -1;
    o->committable = -1;
}

void offsets_release(struct offsets *o)
{
    free(o->ring);
    offsets_init(o);
}

void offsets_reset(struct offsets *o)
{
    o->head = 0;
    o->len = 0;
    o->last = -1;
    o->committable = -1;
}

static struct offsets_entry *at(const struct offsets *o, size_t i)
{
    return &o->ring[(o->head + i) & (o->cap - 1)];
}

static int grow(struct offsets *o)
{
    size_t ncap = o->cap ? o->cap * 2 : OFFSETS_MIN_CAP;
    struct offsets_entry *nring = NULL;

    if (ncap < o->cap)
        return -1;
    nring = calloc(ncap, sizeof(*nring));
    if (nring == NULL)
        return -1;
    for (size_t i = 0; i < o->len; i++)
        nring[i] = *at(o, i);
    free(o->ring);
    o->ring = nring;
    o->cap = ncap;
    o->head = 0;
    return 0;
}

int offsets_track(struct offsets *o, int64_t offset)
{
    struct offsets_entry *e = NULL;

    if (offset < 0 || offset <= o->last)
        return -1;
    if (o->len == o->cap && grow(o) != 0)
        return -1;
    e = at(o, o->len);
    e->offset = offset;
    e->done = false;
    o->len++;
    o->last = offset;
    return 0;
}

/* binary search over the ascending ring; index or -1 */
static long find(const struct offsets *o, int64_t offset)
{
    size_t lo = 0;
    size_t hi = o->len;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int64_t v = at(o, mid)->offset;

        if (v == offset)
            return (long)mid;
        if (v < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

int offsets_done(struct offsets *o, int64_t offset)
{
    long idx = find(o, offset);
    struct offsets_entry *e = NULL;

    if (idx < 0)
        return -1;
    e = at(o, (size_t)idx);
    if (e->done)
        return -1;
    e->done = true;
    while (o->len > 0 && at(o, 0)->done) {
        o->committable = at(o, 0)->offset + 1;
        o->head = (o->head + 1) & (o->cap - 1);
        o->len--;
    }
    /* a pending head below the popped ones keeps committable where it is:
     * committable is always <= the lowest pending offset */
    return 0;
}

int64_t offsets_committable(const struct offsets *o)
{
    return o->committable;
}

size_t offsets_pending(const struct offsets *o)
{
    return o->len;
}

bool offsets_is_pending(const struct offsets *o, int64_t offset)
{
    long idx = find(o, offset);

    return idx >= 0 && !at(o, (size_t)idx)->done;
}
