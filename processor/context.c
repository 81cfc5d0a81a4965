/* context - per-contact conversation windows (see context.h): a chained
 * hash table on contact_id plus a doubly linked LRU list (most recent at
 * the head); recent turns sit in a ring of max_turns, older ones are kept
 * as short digest lines in a second ring of max_earlier. Main loop thread
 * only. */
#include "context.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

struct contact {
    char *id;
    struct contact *hnext;        /* hash chain */
    struct contact *prev, *next;  /* LRU list */
    struct context_turn *turns;   /* ring of max_turns */
    size_t head, count;           /* oldest at head */
    struct context_turn *earlier; /* ring of max_earlier, NULL until used */
    size_t ehead, ecount;
    unsigned long total;
    bool truncated;
    int64_t last_used_ms;
};

struct context {
    struct context_limits lim;
    struct contact **buckets;
    size_t n_buckets;
    struct contact *lru_head, *lru_tail;
    unsigned size;
    uint64_t evicted;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

char *context_truncate_utf8(const char *text, size_t max, bool *cut)
{
    size_t n = strlen(text);
    char *out = NULL;

    *cut = false;
    if (n > max) {
        n = max;
        /* back up to the start of a UTF-8 sequence */
        while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
            n--;
        *cut = true;
    }
    out = malloc(n + 1);
    if (out == NULL)
        return NULL;
    memcpy(out, text, n);
    out[n] = '\0';
    return out;
}

static void turn_release(struct context_turn *t)
{
    free(t->role);
    free(t->text);
    t->role = NULL;
    t->text = NULL;
}

struct context *context_new(const struct context_limits *limits)
{
    struct context *ctx = calloc(1, sizeof(*ctx));

    if (ctx == NULL)
        return NULL;
    ctx->lim = *limits;
    if (ctx->lim.max_contacts == 0)
        ctx->lim.max_contacts = 1;
    if (ctx->lim.max_turns == 0)
        ctx->lim.max_turns = 1;
    if (ctx->lim.max_turn_chars == 0)
        ctx->lim.max_turn_chars = 2000;
    if (ctx->lim.earlier_chars == 0)
        ctx->lim.earlier_chars = 160;
    ctx->n_buckets = 64;
    while (ctx->n_buckets < ctx->lim.max_contacts &&
           ctx->n_buckets < (1u << 20))
        ctx->n_buckets *= 2;
    ctx->buckets = calloc(ctx->n_buckets, sizeof(struct contact *));
    if (ctx->buckets == NULL) {
        free(ctx);
        return NULL;
    }
    return ctx;
}

static void contact_free(const struct context *ctx, struct contact *c)
{
    for (size_t k = 0; k < ctx->lim.max_turns; k++)
        turn_release(&c->turns[k]);
    for (size_t k = 0; c->earlier != NULL && k < ctx->lim.max_earlier; k++)
        turn_release(&c->earlier[k]);
    free(c->turns);
    free(c->earlier);
    free(c->id);
    free(c);
}

void context_free(struct context *ctx)
{
    struct contact *c = NULL;

    if (ctx == NULL)
        return;
    c = ctx->lru_head;
    while (c != NULL) {
        struct contact *next = c->next;
        contact_free(ctx, c);
        c = next;
    }
    free(ctx->buckets);
    free(ctx);
}

static struct contact **find_slot(struct context *ctx, const char *id)
{
    struct contact **slot = &ctx->buckets[hash_str(id) & (ctx->n_buckets - 1)];

    while (*slot != NULL && strcmp((*slot)->id, id) != 0)
        slot = &(*slot)->hnext;
    return slot;
}

static void lru_unlink(struct context *ctx, struct contact *c)
{
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        ctx->lru_head = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    else
        ctx->lru_tail = c->prev;
    c->prev = c->next = NULL;
}

static void lru_push_front(struct context *ctx, struct contact *c)
{
    c->prev = NULL;
    c->next = ctx->lru_head;
    if (ctx->lru_head != NULL)
        ctx->lru_head->prev = c;
    ctx->lru_head = c;
    if (ctx->lru_tail == NULL)
        ctx->lru_tail = c;
}

static void remove_contact(struct context *ctx, struct contact *c)
{
    struct contact **slot = find_slot(ctx, c->id);

    if (*slot == c)
        *slot = c->hnext;
    lru_unlink(ctx, c);
    ctx->size--;
    contact_free(ctx, c);
}

void context_expire(struct context *ctx, int64_t now_ms)
{
    if (ctx->lim.idle_ttl_ms <= 0)
        return;
    /* the tail is the least recently used: stop at the first fresh one */
    while (ctx->lru_tail != NULL &&
           now_ms - ctx->lru_tail->last_used_ms > ctx->lim.idle_ttl_ms) {
        remove_contact(ctx, ctx->lru_tail);
        ctx->evicted++;
    }
}

static int copy_turn(struct context_turn *dst, const struct context_turn *src)
{
    dst->sequence = src->sequence;
    dst->role = strdup(src->role != NULL ? src->role : "");
    dst->text = strdup(src->text != NULL ? src->text : "");
    if (dst->role == NULL || dst->text == NULL) {
        turn_release(dst);
        return -1;
    }
    return 0;
}

void context_window_release(struct context_window *win)
{
    for (size_t k = 0; win->earlier != NULL && k < win->n_earlier; k++)
        turn_release(&win->earlier[k]);
    for (size_t k = 0; win->turns != NULL && k < win->n_turns; k++)
        turn_release(&win->turns[k]);
    free(win->earlier);
    free(win->turns);
    memset(win, 0, sizeof(*win));
}

int context_get(struct context *ctx,
                const char *contact_id,
                int64_t now_ms,
                struct context_window *win)
{
    struct contact *c = NULL;

    memset(win, 0, sizeof(*win));
    context_expire(ctx, now_ms);
    c = *find_slot(ctx, contact_id);
    if (c == NULL)
        return 0;
    lru_unlink(ctx, c);
    lru_push_front(ctx, c);
    c->last_used_ms = now_ms;
    win->total_turns = c->total;
    win->truncated = c->truncated;
    win->turns = calloc(c->count ? c->count : 1, sizeof(*win->turns));
    win->earlier = calloc(c->ecount ? c->ecount : 1, sizeof(*win->earlier));
    if (win->turns == NULL || win->earlier == NULL)
        goto fail;
    for (size_t k = 0; k < c->ecount; k++) {
        if (copy_turn(&win->earlier[k],
                      &c->earlier[(c->ehead + k) % ctx->lim.max_earlier]))
            goto fail;
        win->n_earlier++;
    }
    for (size_t k = 0; k < c->count; k++) {
        if (copy_turn(&win->turns[k],
                      &c->turns[(c->head + k) % ctx->lim.max_turns]))
            goto fail;
        win->n_turns++;
    }
    return 0;
fail:
    context_window_release(win);
    return -1;
}

static struct contact *contact_new(const struct context *ctx, const char *id)
{
    struct contact *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    c->id = strdup(id);
    c->turns = calloc(ctx->lim.max_turns, sizeof(*c->turns));
    /* the earlier ring only when a contact outgrows max_turns: most never
     * do, and it is the larger of the two (48 slots by default) */
    if (c->id == NULL || c->turns == NULL) {
        free(c->id);
        free(c->turns);
        free(c);
        return NULL;
    }
    return c;
}

/* the oldest recent turn becomes a digest line (its first sentence or
 * the first earlier_chars bytes) */
static void
push_earlier(struct context *ctx, struct contact *c, struct context_turn *old)
{
    struct context_turn *slot = NULL;
    bool cut = false;
    char *line = NULL;

    if (ctx->lim.max_earlier == 0) {
        c->truncated = true;
        turn_release(old);
        return;
    }
    if (c->earlier == NULL)
        c->earlier = calloc(ctx->lim.max_earlier, sizeof(*c->earlier));
    line = c->earlier != NULL
               ? context_truncate_utf8(old->text, ctx->lim.earlier_chars, &cut)
               : NULL;
    if (line == NULL) {
        c->truncated = true;
        turn_release(old);
        return;
    }
    if (c->ecount == ctx->lim.max_earlier) {
        slot = &c->earlier[c->ehead];
        turn_release(slot);
        c->ehead = (c->ehead + 1) % ctx->lim.max_earlier;
        c->ecount--;
        c->truncated = true;
    }
    slot = &c->earlier[(c->ehead + c->ecount) % ctx->lim.max_earlier];
    slot->role = old->role; /* moved */
    slot->text = line;
    slot->sequence = old->sequence;
    if (cut)
        c->truncated = true;
    c->ecount++;
    free(old->text);
    old->role = NULL;
    old->text = NULL;
}

int context_append(struct context *ctx,
                   const char *contact_id,
                   const char *role,
                   const char *text,
                   long long sequence,
                   int64_t now_ms)
{
    struct contact **slot = NULL;
    struct contact *c = NULL;
    struct context_turn t = {0};
    bool cut = false;

    context_expire(ctx, now_ms);
    t.role = strdup(role != NULL ? role : "customer");
    t.text = context_truncate_utf8(text != NULL ? text : "",
                                   ctx->lim.max_turn_chars, &cut);
    t.sequence = sequence;
    if (t.role == NULL || t.text == NULL)
        goto fail;
    slot = find_slot(ctx, contact_id);
    c = *slot;
    if (c == NULL) {
        if (ctx->size >= ctx->lim.max_contacts && ctx->lru_tail != NULL) {
            remove_contact(ctx, ctx->lru_tail);
            ctx->evicted++;
            slot = find_slot(ctx, contact_id);
        }
        c = contact_new(ctx, contact_id);
        if (c == NULL)
            goto fail;
        *slot = c;
        ctx->size++;
    } else {
        lru_unlink(ctx, c);
    }
    lru_push_front(ctx, c);
    c->last_used_ms = now_ms;
    if (cut)
        c->truncated = true;
    if (c->count == ctx->lim.max_turns) {
        push_earlier(ctx, c, &c->turns[c->head]);
        c->head = (c->head + 1) % ctx->lim.max_turns;
        c->count--;
    }
    c->turns[(c->head + c->count) % ctx->lim.max_turns] = t;
    c->count++;
    c->total++;
    return 0;
fail:
    turn_release(&t);
    return -1;
}

void context_drop(struct context *ctx, const char *contact_id)
{
    struct contact *c = *find_slot(ctx, contact_id);

    if (c != NULL)
        remove_contact(ctx, c);
}

unsigned context_size(const struct context *ctx)
{
    return ctx->size;
}

uint64_t context_evicted(const struct context *ctx)
{
    return ctx->evicted;
}
