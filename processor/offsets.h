/* offsets - the per-partition offset tracker: the offsets of one partition
 * that were consumed and are not done yet, in ascending order, and the
 * committable offset (the lowest offset not done, or the last done + 1).
 * Pure data structure, no I/O; one owner (the main loop thread). */
#ifndef CCAI_OFFSETS_H
#define CCAI_OFFSETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct offsets_entry {
    int64_t offset;
    bool done;
};

struct offsets {
    struct offsets_entry *ring; /* owned; capacity cap (a power of two) */
    size_t cap;
    size_t head;         /* index of the oldest entry */
    size_t len;          /* entries tracked */
    int64_t last;        /* highest offset tracked, -1 before the first */
    int64_t committable; /* -1 until the first offset is done */
};

/** Empty tracker (no allocation until the first offsets_track). */
void offsets_init(struct offsets *o);

/** Free the storage; the tracker is empty and reusable. */
void offsets_release(struct offsets *o);

/** Forget everything (revoke / reassign); keeps the storage. */
void offsets_reset(struct offsets *o);

/** Track @offset as consumed, not done. Offsets must increase (gaps are
 * fine: compaction, transaction markers). Returns 0, or -1 when @offset is
 * not above every offset tracked so far or memory ran out. */
int offsets_track(struct offsets *o, int64_t offset);

/** Mark @offset done. Returns 0, or -1 when it is not tracked (unknown or
 * already done). */
int offsets_done(struct offsets *o, int64_t offset);

/** The offset to commit: every offset below it is done. -1 when nothing
 * can be committed yet (no offset tracked and done since the reset). */
int64_t offsets_committable(const struct offsets *o);

/** Offsets tracked and not done. */
size_t offsets_pending(const struct offsets *o);

/** True when @offset is tracked and not done. */
bool offsets_is_pending(const struct offsets *o, int64_t offset);

#endif
