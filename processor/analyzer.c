/* analyzer - the offline analyzer (see analyzer.h). Texts are normalised
 * to " word word " (lowercase ASCII, other punctuation as spaces) so that
 * keywords and phrases match on word boundaries with strstr. Pure; any
 * thread. */
#include "analyzer.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define SENTIMENT_ALPHA   15.0 /* score = s / sqrt(s^2 + alpha) */
#define NEGATION_FACTOR   (-0.75)
#define MIXED_MIN_MASS    1.5
#define SUMMARY_SENTENCES 3
#define SUMMARY_MAX       600
#define ACTION_ITEMS_MAX  5
#define ACTION_ITEM_MAX   200
#define TOKEN_MAX         64

struct norm_turn {
    const struct context_turn *t;
    char *norm; /* " word word " */
    bool is_customer;
    bool is_agent;
    bool is_new;
    bool earlier;
};

struct work {
    const struct pipeline *p;
    const struct pipeline_spec *sp;
    const struct analyzer_input *in;
    struct norm_turn *nt;
    size_t n;
    bool has_customer;
};

/* ASCII lowercase without int-to-char conversions */
static char ascii_lower(char c)
{
    static const char lower[] = "abcdefghijklmnopqrstuvwxyz";

    if (c >= 'A' && c <= 'Z')
        return lower[c - 'A'];
    return c;
}

static bool is_word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '\'' || c >= 0x80;
}

/* " word word " with single spaces; NULL on OOM */
static char *normalize(const char *s, size_t len)
{
    char *out = malloc(len + 3);
    size_t o = 0;
    bool space = true;

    if (out == NULL)
        return NULL;
    out[o++] = ' ';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        /* U+2019 right single quotation mark as an apostrophe */
        if (c == 0xE2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
            (unsigned char)s[i + 2] == 0x99) {
            out[o++] = '\'';
            space = false;
            i += 2;
            continue;
        }
        if (is_word_byte(c)) {
            out[o++] = ascii_lower(s[i]);
            space = false;
        } else if (!space) {
            out[o++] = ' ';
            space = true;
        }
    }
    if (!space)
        out[o++] = ' ';
    out[o] = '\0';
    return out;
}

/* " kw " for a keyword into @buf (no allocation: this runs for every
 * keyword of every turn); 0 when it does not fit or is empty */
static size_t keyword_norm(const char *kw, char *buf, size_t cap)
{
    size_t o = 0;
    bool space = true;

    if (cap < 4)
        return 0;
    buf[o++] = ' ';
    for (const char *c = kw; *c != '\0'; c++) {
        unsigned char ch = (unsigned char)*c;
        if (o + 2 >= cap)
            return 0;
        if (is_word_byte(ch)) {
            buf[o++] = ascii_lower(*c);
            space = false;
        } else if (!space) {
            buf[o++] = ' ';
            space = true;
        }
    }
    if (!space)
        buf[o++] = ' ';
    buf[o] = '\0';
    return o >= 3 ? o : 0;
}

/* occurrences of the phrase @kw (any case/punctuation) in @norm */
static unsigned count_phrase(const char *norm, const char *kw)
{
    char buf[160];
    size_t kl = keyword_norm(kw, buf, sizeof(buf));
    unsigned count = 0;

    if (kl == 0)
        return 0;
    for (const char *q = strstr(norm, buf); q != NULL;
         q = strstr(q + kl - 1, buf))
        count++;
    return count;
}

static unsigned phrase_words(const char *kw)
{
    unsigned n = 1;

    for (const char *c = kw; *c; c++)
        if (*c == ' ')
            n++;
    return n;
}

static unsigned count_any(const char *norm, const struct pipeline_strs *kws)
{
    unsigned n = 0;

    for (size_t k = 0; k < kws->n; k++)
        n += count_phrase(norm, kws->v[k]);
    return n;
}

static int word_key_cmp(const void *key, const void *elem)
{
    const struct pipeline_word *w = elem;

    return strcmp(key, w->word);
}

static const struct pipeline_word *lookup(const struct pipeline_words *ws,
                                          const char *tok)
{
    if (ws->n == 0)
        return NULL;
    return bsearch(tok, ws->v, ws->n, sizeof(*ws->v), word_key_cmp);
}

static int str_key_cmp(const void *key, const void *elem)
{
    const char *const *s = elem;

    return strcmp(key, *s);
}

static bool is_negator(const struct pipeline_spec *sp, const char *tok)
{
    if (sp->negators.n == 0)
        return false;
    return bsearch(tok, sp->negators.v, sp->negators.n, sizeof(*sp->negators.v),
                   str_key_cmp) != NULL;
}

/* accumulate positive/negative evidence of normalised text */
static void sent_accum(const struct pipeline_spec *sp,
                       const char *norm,
                       double *pos,
                       double *neg)
{
    /* a small ring of the previous tokens' roles */
    enum { T_OTHER = 0, T_NEG = 1 };
    int prev_kind[11] = {0};
    double prev_mult[2] = {1.0, 1.0};
    size_t ntok = 0;
    const char *c = norm;

    while (*c != '\0') {
        char tok[TOKEN_MAX];
        size_t tl = 0;
        const struct pipeline_word *w = NULL;
        double v = 0;

        while (*c == ' ')
            c++;
        if (*c == '\0')
            break;
        while (*c != '\0' && *c != ' ') {
            if (tl + 1 < sizeof(tok))
                tok[tl++] = *c;
            c++;
        }
        tok[tl] = '\0';

        w = lookup(&sp->positive, tok);
        if (w != NULL)
            v = w->weight;
        w = lookup(&sp->negative, tok);
        if (w != NULL)
            v -= w->weight;
        if (v != 0) {
            v *= prev_mult[0] * prev_mult[1];
            int win = sp->negation_window;
            bool negated = false;
            for (int k = 1; k <= win && (size_t)k <= ntok; k++)
                if (prev_kind[(ntok - (size_t)k) % 11] == T_NEG)
                    negated = true;
            if (negated)
                v *= NEGATION_FACTOR;
            if (v > 0)
                *pos += v;
            else
                *neg -= v;
        }
        prev_kind[ntok % 11] = is_negator(sp, tok) ? T_NEG : T_OTHER;
        w = lookup(&sp->intensifiers, tok);
        prev_mult[1] = prev_mult[0];
        prev_mult[0] = w != NULL ? w->weight : 1.0;
        /* only directly preceding intensifiers chain ("really very") */
        if (w == NULL)
            prev_mult[1] = 1.0;
        ntok++;
    }
}

/* processor_core does not link libm: the few helpers it needs */
static double round3(double x)
{
    double y = x * 1000.0 + (x >= 0 ? 0.5 : -0.5);

    return (double)(long long)y / 1000.0;
}

static double dmin(double a, double b)
{
    return a < b ? a : b;
}

static double dmax(double a, double b)
{
    return a > b ? a : b;
}

/* Newton's method; @x >= 0 */
static double sqrt_pos(double x)
{
    double r = x > 1 ? x : 1;

    if (x <= 0)
        return 0;
    for (int k = 0; k < 64; k++) {
        double next = 0.5 * (r + x / r);
        if (next == r)
            break;
        r = next;
    }
    return r;
}

static void sent_finish(const struct pipeline_spec *sp,
                        double pos,
                        double neg,
                        struct analyzer_sentiment *out)
{
    double s = pos - neg;
    double score = s / sqrt_pos(s * s + SENTIMENT_ALPHA);

    if (score > 1)
        score = 1;
    if (score < -1)
        score = -1;
    out->score = round3(score);
    out->positive = pos;
    out->negative = neg;
    if (pos >= MIXED_MIN_MASS && neg >= MIXED_MIN_MASS &&
        dmin(pos, neg) / dmax(pos, neg) >= 0.5)
        out->label = "mixed";
    else if (out->score >= sp->neutral_band)
        out->label = "positive";
    else if (out->score <= -sp->neutral_band)
        out->label = "negative";
    else
        out->label = "neutral";
}

void analyzer_sentiment(const struct pipeline *p,
                        const char *text,
                        size_t len,
                        struct analyzer_sentiment *out)
{
    const struct pipeline_spec *sp = pipeline_spec(p);
    char *norm = normalize(text, len);
    double pos = 0, neg = 0;

    if (norm != NULL)
        sent_accum(sp, norm, &pos, &neg);
    free(norm);
    sent_finish(sp, pos, neg, out);
}

enum pick {
    PICK_ALL = 0,
    PICK_CUSTOMER, /* customer turns, or every turn if there are none */
    PICK_AGENT,
    PICK_CUSTOMER_ONLY,
    PICK_NEW,
};

static bool
picked(const struct work *w, const struct norm_turn *t, enum pick pick)
{
    switch (pick) {
    case PICK_ALL:
        return true;
    case PICK_CUSTOMER:
        return w->has_customer ? t->is_customer : true;
    case PICK_CUSTOMER_ONLY:
        return t->is_customer;
    case PICK_AGENT:
        return t->is_agent;
    case PICK_NEW:
        return t->is_new;
    }
    return false;
}

/* sentiment over the picked turns; false when none was picked */
static bool sentiment_of(const struct work *w,
                         enum pick pick,
                         struct analyzer_sentiment *out)
{
    double pos = 0, neg = 0;
    bool any = false;

    for (size_t k = 0; k < w->n; k++) {
        if (!picked(w, &w->nt[k], pick))
            continue;
        sent_accum(w->sp, w->nt[k].norm, &pos, &neg);
        any = true;
    }
    sent_finish(w->sp, pos, neg, out);
    return any;
}

static unsigned
count_in(const struct work *w, enum pick pick, const struct pipeline_strs *kws)
{
    unsigned n = 0;

    for (size_t k = 0; k < w->n; k++)
        if (picked(w, &w->nt[k], pick))
            n += count_any(w->nt[k].norm, kws);
    return n;
}

static json_t *sentiment_json(const struct analyzer_sentiment *s)
{
    return json_pack("{s:s, s:f}", "label", s->label, "score", s->score);
}

static json_t *build_sentiment(const struct work *w,
                               double *customer_score,
                               bool *has_customer)
{
    struct analyzer_sentiment all, cust, agent;
    bool has_all = false, has_cust = false, has_agent = false;
    json_t *obj = NULL;

    if (w->in->kind == ANALYZER_TURN && w->in->has_new_turn)
        has_all = sentiment_of(w, PICK_NEW, &all);
    else
        has_all = sentiment_of(w, PICK_CUSTOMER, &all);
    has_cust = sentiment_of(w, PICK_CUSTOMER_ONLY, &cust);
    has_agent = sentiment_of(w, PICK_AGENT, &agent);
    *has_customer = has_cust;
    *customer_score = has_cust ? cust.score : 0;
    if (!has_all)
        return json_null();
    obj = json_pack("{s:s, s:f, s:{s:o, s:o}}", "label", all.label, "score",
                    all.score, "by_participant", "customer",
                    has_cust ? sentiment_json(&cust) : json_null(), "agent",
                    has_agent ? sentiment_json(&agent) : json_null());
    return obj;
}

/* the best intent over customer text, the event's own turn counting
 * twice; NULL with no keyword hit and no fallback intent */
static const struct pipeline_intent *pick_intent(const struct work *w,
                                                 double *confidence)
{
    const struct pipeline_spec *sp = w->sp;
    const struct pipeline_intent *best = NULL;
    double top = 0, second = 0;

    for (size_t i = 0; i < sp->n_intents; i++) {
        double score = 0;
        for (size_t k = 0; k < w->n; k++) {
            const struct norm_turn *t = &w->nt[k];
            if (!picked(w, t, PICK_CUSTOMER))
                continue;
            for (size_t j = 0; j < sp->intents[i].keywords.n; j++) {
                const char *kw = sp->intents[i].keywords.v[j];
                unsigned c = count_phrase(t->norm, kw);
                double weight = t->is_new ? 2.0 : (t->earlier ? 0.5 : 1.0);
                score += c * phrase_words(kw) * weight;
            }
        }
        if (score > top) {
            second = top;
            top = score;
            best = &sp->intents[i];
        } else if (score > second) {
            second = score;
        }
    }
    if (best == NULL) {
        *confidence = 0.3;
        return pipeline_find_intent(w->p, sp->fallback_intent);
    }
    double conf = (top - 0.5 * second) / (top + 1.0);
    if (conf < 0.2)
        conf = 0.2;
    if (conf > 0.95)
        conf = 0.95;
    *confidence = round3(conf);
    return best;
}

static bool ieq(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return false;
    for (; *a && *b; a++, b++) {
        char x = ascii_lower(*a);
        char y = ascii_lower(*b);
        if (x != y)
            return false;
    }
    return *a == *b;
}

struct facts {
    const char *tier, *channel, *queue;
    const char *intent; /* NULL when unknown */
    bool escalate;
    bool has_sentiment;
    double sentiment;
};

static bool rule_matches(const struct pipeline_rule *r, const struct facts *f)
{
    if (r->customer_tier != NULL && !ieq(r->customer_tier, f->tier))
        return false;
    if (r->channel != NULL && !ieq(r->channel, f->channel))
        return false;
    if (r->queue != NULL && !ieq(r->queue, f->queue))
        return false;
    if (r->intent != NULL &&
        (f->intent == NULL || strcmp(r->intent, f->intent) != 0))
        return false;
    if (r->escalate >= 0 && (r->escalate == 1) != f->escalate)
        return false;
    if (r->has_sentiment_below &&
        (!f->has_sentiment || !(f->sentiment < r->sentiment_below)))
        return false;
    return true;
}

static json_t *route(const struct pipeline *p,
                     const struct facts *f,
                     const char *base_queue,
                     const char *base_reason,
                     int *priority_rank)
{
    const struct pipeline_spec *sp = pipeline_spec(p);
    const char *queue = base_queue;
    const char *reason = base_reason;
    bool by_rule = false;

    for (size_t k = 0; k < sp->n_routing; k++) {
        const struct pipeline_rule *r = &sp->routing[k];
        if (!rule_matches(r, f))
            continue;
        queue = r->set_queue;
        reason = r->reason != NULL ? r->reason : "routing rule";
        if (r->set_priority != NULL &&
            pipeline_priority_rank(r->set_priority) > *priority_rank)
            *priority_rank = pipeline_priority_rank(r->set_priority);
        by_rule = true;
        break;
    }
    if (!by_rule && f->escalate && sp->escalation_queue != NULL) {
        queue = sp->escalation_queue;
        reason = "escalation";
    }
    for (size_t k = 0; k < sp->n_priority_rules; k++) {
        const struct pipeline_rule *r = &sp->priority_rules[k];
        int rank = pipeline_priority_rank(r->set_priority);
        if (rule_matches(r, f) && rank > *priority_rank)
            *priority_rank = rank;
    }
    if (f->escalate && *priority_rank < 2)
        *priority_rank = 2;
    return json_pack("{s:s, s:s}", "queue", queue, "reason", reason);
}

json_t *analyzer_started(const struct pipeline *p,
                         const char *channel,
                         const char *customer_tier,
                         const char *queue,
                         const char *language)
{
    const struct pipeline_spec *sp = pipeline_spec(p);
    struct facts f = {
        .tier = customer_tier, .channel = channel, .queue = queue};
    const char *base = sp->default_queue;
    const char *reason = "default queue";
    int rank = pipeline_priority_rank(sp->default_priority);
    json_t *routing = NULL;

    if (queue != NULL && pipeline_find_queue(p, queue) != NULL) {
        base = queue;
        reason = "queue of the contact";
    }
    routing = route(p, &f, base, reason, &rank);
    return json_pack("{s:n, s:n, s:s, s:s?, s:b, s:n, s:o, s:n, s:[], s:n, "
                     "s:[], s:n, s:n, s:[]}",
                     "sentiment", "intent", "priority",
                     pipeline_priority_name(rank), "language", language,
                     "escalate", 0, "escalation_reason", "routing", routing,
                     "suggested_reply", "alerts", "summary", "action_items",
                     "resolution", "wrapup_code", "categories");
}

/* --- summaries ------------------------------------------------------ */

struct sentence {
    const char *s; /* into the turn's (redacted) text */
    size_t len;
    double score;
    size_t order;
    bool customer;
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* split @text into trimmed sentences, at most @max into @out */
static size_t split_sentences(const char *text,
                              struct sentence *out,
                              size_t max,
                              size_t order0,
                              bool customer)
{
    size_t n = 0;
    const char *start = text;

    for (const char *c = text;; c++) {
        bool end =
            *c == '\0' || *c == '.' || *c == '!' || *c == '?' || *c == '\n';
        if (!end)
            continue;
        const char *a = start;
        const char *b = (*c == '\0' || *c == '\n') ? c : c + 1;
        while (a < b && is_space(*a))
            a++;
        while (b > a && is_space(b[-1]))
            b--;
        if (b - a >= 3 && n < max) {
            out[n].s = a;
            out[n].len = (size_t)(b - a);
            out[n].score = 0;
            out[n].order = order0 + n;
            out[n].customer = customer;
            n++;
        }
        if (*c == '\0')
            break;
        start = c + 1;
    }
    return n;
}

static int append_clip(json_t *arr, const char *s, size_t len, size_t max)
{
    char buf[ACTION_ITEM_MAX + 4];
    size_t n = len;

    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--; /* UTF-8 boundary */
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    for (size_t k = 0; k < json_array_size(arr); k++)
        if (strcmp(json_string_value(json_array_get(arr, k)), buf) == 0)
            return 0;
    return json_array_append_new(arr, json_string(buf));
}

static int sentence_cmp(const void *a, const void *b)
{
    const struct sentence *x = a;
    const struct sentence *y = b;

    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return x->order < y->order ? -1 : (x->order > y->order);
}

static int order_cmp(const void *a, const void *b)
{
    const struct sentence *x = a;
    const struct sentence *y = b;

    return x->order < y->order ? -1 : (x->order > y->order);
}

static size_t collect_sentences(const struct work *w, struct sentence **out)
{
    size_t cap = 0, n = 0;
    struct sentence *v = NULL;

    for (size_t k = 0; k < w->n; k++) {
        size_t est = 1;
        for (const char *c = w->nt[k].t->text; *c; c++)
            if (*c == '.' || *c == '!' || *c == '?' || *c == '\n')
                est++;
        cap += est;
    }
    v = calloc(cap ? cap : 1, sizeof(*v));
    if (v == NULL)
        return 0;
    for (size_t k = 0; k < w->n; k++)
        n += split_sentences(w->nt[k].t->text, v + n, cap - n, n,
                             w->nt[k].is_customer);
    *out = v;
    return n;
}

static double sentence_score(const struct work *w, const struct sentence *s)
{
    char *norm = normalize(s->s, s->len);
    double score = 0, pos = 0, neg = 0;

    if (norm == NULL)
        return 0;
    for (size_t i = 0; i < w->sp->n_intents; i++)
        score += 2.0 * count_any(norm, &w->sp->intents[i].keywords);
    sent_accum(w->sp, norm, &pos, &neg);
    score += 0.5 * (pos + neg);
    /* content: longer sentences say more, up to a point */
    score += dmin((double)s->len / 80.0, 1.0);
    free(norm);
    return score;
}

static json_t *
build_summary(const struct work *w, struct sentence *sv, size_t n)
{
    struct sentence pick[SUMMARY_SENTENCES];
    size_t np = 0, customers = 0;
    char buf[SUMMARY_MAX + 8];
    size_t o = 0;

    if (sv == NULL || n == 0)
        return json_null();
    for (size_t k = 0; k < n; k++) {
        sv[k].score = sentence_score(w, &sv[k]);
        if (sv[k].customer && customers++ == 0)
            sv[k].score += 1.0; /* the first thing a customer says */
    }
    qsort(sv, n, sizeof(*sv), sentence_cmp);
    for (size_t k = 0; k < n && np < SUMMARY_SENTENCES; k++)
        if (sv[k].customer || !w->has_customer)
            pick[np++] = sv[k];
    if (np == 0)
        return json_null();
    qsort(pick, np, sizeof(*pick), order_cmp);
    o = (size_t)snprintf(buf, sizeof(buf), "%s",
                         w->has_customer ? "Customer: " : "");
    for (size_t k = 0; k < np && o < SUMMARY_MAX; k++) {
        size_t len = pick[k].len;
        bool term =
            len > 0 && (pick[k].s[len - 1] == '.' ||
                        pick[k].s[len - 1] == '!' || pick[k].s[len - 1] == '?');
        if (o + len + 3 > SUMMARY_MAX)
            len = SUMMARY_MAX - o - 3;
        while (len > 0 && ((unsigned char)pick[k].s[len] & 0xC0) == 0x80)
            len--;
        memcpy(buf + o, pick[k].s, len);
        o += len;
        if (!term && len == pick[k].len)
            buf[o++] = '.';
        if (k + 1 < np)
            buf[o++] = ' ';
    }
    buf[o] = '\0';
    return json_string(buf);
}

static json_t *
build_actions(const struct work *w, const struct sentence *sv, size_t n)
{
    json_t *arr = json_array();

    if (arr == NULL)
        return NULL;
    for (size_t k = 0; k < n && json_array_size(arr) < ACTION_ITEMS_MAX; k++) {
        char *norm = normalize(sv[k].s, sv[k].len);
        if (norm == NULL)
            break;
        if (count_any(norm, &w->sp->action_cues) > 0)
            append_clip(arr, sv[k].s, sv[k].len, ACTION_ITEM_MAX);
        free(norm);
    }
    return arr;
}

/* blank out every occurrence of @kws in @norm (so "not resolved" is not
 * also counted as "resolved") and return how many there were */
static unsigned take_phrases(char *norm, const struct pipeline_strs *kws)
{
    unsigned n = 0;

    for (size_t k = 0; k < kws->n; k++) {
        char *nk = normalize(kws->v[k], strlen(kws->v[k]));
        size_t kl = nk != NULL ? strlen(nk) : 0;
        if (kl >= 3) {
            for (char *q = strstr(norm, nk); q != NULL; q = strstr(q, nk)) {
                memset(q + 1, '_', kl - 2);
                n++;
            }
        }
        free(nk);
    }
    return n;
}

static const char *resolution_of(const struct work *w)
{
    unsigned res = 0, unres = 0;
    size_t seen = 0;

    /* the last four turns carry the outcome */
    for (size_t k = w->n; k-- > 0 && seen < 4;) {
        char *copy = NULL;
        if (w->nt[k].earlier)
            break;
        copy = strdup(w->nt[k].norm);
        if (copy == NULL)
            break;
        unres += take_phrases(copy, &w->sp->unresolved_cues);
        res += take_phrases(copy, &w->sp->resolved_cues);
        free(copy);
        seen++;
    }
    if (res > unres)
        return "resolved";
    if (unres > res)
        return "unresolved";
    return "unknown";
}

static const char *wrapup_of(const struct pipeline_spec *sp,
                             const char *intent,
                             const char *resolution)
{
    for (size_t k = 0; k < sp->n_wrapups; k++) {
        const struct pipeline_wrapup *wu = &sp->wrapups[k];
        if (wu->intent != NULL &&
            (intent == NULL || strcmp(wu->intent, intent) != 0))
            continue;
        if (wu->resolution != NULL && strcmp(wu->resolution, resolution) != 0)
            continue;
        return wu->code;
    }
    return NULL;
}

static json_t *
build_alerts(const struct work *w, bool has_cust, double cust_score)
{
    const struct pipeline_spec *sp = w->sp;
    json_t *arr = json_array();

    for (size_t k = 0; arr != NULL && k < sp->n_alerts; k++) {
        const struct pipeline_alert *a = &sp->alerts[k];
        bool hit = false;
        if (a->keywords.n > 0 && count_in(w, PICK_CUSTOMER, &a->keywords) > 0)
            hit = true;
        if (a->has_sentiment_below && has_cust &&
            cust_score < a->sentiment_below)
            hit = true;
        if (hit)
            json_array_append_new(
                arr, json_pack("{s:s, s:s, s:s}", "name", a->name, "severity",
                               a->severity, "reason", a->reason));
    }
    return arr;
}

static json_t *build_categories(const struct work *w)
{
    const struct pipeline_spec *sp = w->sp;
    json_t *arr = json_array();

    for (size_t k = 0; arr != NULL && k < sp->n_categories; k++)
        if (count_in(w, PICK_ALL, &sp->categories[k].keywords) > 0)
            json_array_append_new(arr, json_string(sp->categories[k].name));
    return arr;
}

static int work_init(struct work *w,
                     const struct pipeline *p,
                     const struct analyzer_input *in)
{
    size_t total = in->n_earlier + in->n_turns;

    w->p = p;
    w->sp = pipeline_spec(p);
    w->in = in;
    w->n = 0;
    w->has_customer = false;
    w->nt = calloc(total ? total : 1, sizeof(*w->nt));
    if (w->nt == NULL)
        return -1;
    for (size_t k = 0; k < total; k++) {
        bool earlier = k < in->n_earlier;
        const struct context_turn *t =
            earlier ? &in->earlier[k] : &in->turns[k - in->n_earlier];
        struct norm_turn *nt = &w->nt[w->n];
        if (t->text == NULL)
            continue;
        nt->t = t;
        nt->norm = normalize(t->text, strlen(t->text));
        if (nt->norm == NULL)
            return -1;
        nt->earlier = earlier;
        nt->is_customer = t->role != NULL && strcmp(t->role, "customer") == 0;
        nt->is_agent = t->role != NULL && strcmp(t->role, "agent") == 0;
        nt->is_new = !earlier && in->has_new_turn && k == total - 1;
        if (nt->is_customer)
            w->has_customer = true;
        w->n++;
    }
    return 0;
}

static void work_release(struct work *w)
{
    for (size_t k = 0; k < w->n; k++)
        free(w->nt[k].norm);
    free(w->nt);
}

static const char *
escalation_reason(const struct work *w, bool has_cust, double cust_score)
{
    if (count_in(w, PICK_CUSTOMER_ONLY, &w->sp->escalation_keywords) > 0)
        return "customer asked for a supervisor or manager";
    if (count_in(w, PICK_CUSTOMER_ONLY, &w->sp->churn_keywords) > 0)
        return "customer threatens to leave";
    if (has_cust && cust_score <= w->sp->escalation_sentiment)
        return "strongly negative customer sentiment";
    return NULL;
}

/* the queue before routing rules: the intent's, else the contact's
 * (when configured), else the default */
static const char *base_route(const struct work *w,
                              const struct pipeline_intent *intent,
                              char *buf,
                              size_t n,
                              const char **reason)
{
    if (intent != NULL) {
        (void)snprintf(buf, n, "intent %s", intent->name);
        *reason = buf;
        return intent->queue;
    }
    if (w->in->queue != NULL && pipeline_find_queue(w->p, w->in->queue)) {
        *reason = "queue of the contact";
        return w->in->queue;
    }
    *reason = "default queue";
    return w->sp->default_queue;
}

/* summary, action items, resolution and wrap-up code by kind */
static int
add_kind_fields(const struct work *w, json_t *out, const char *intent)
{
    struct sentence *sv = NULL;
    size_t nsv = 0;
    const char *res = NULL;
    const char *code = NULL;
    int rc = 0;

    if (w->in->kind == ANALYZER_TURN) {
        rc |= json_object_set_new(out, "summary", json_null());
        rc |= json_object_set_new(out, "action_items", json_array());
        rc |= json_object_set_new(out, "resolution", json_null());
        rc |= json_object_set_new(out, "wrapup_code", json_null());
        return rc;
    }
    nsv = collect_sentences(w, &sv);
    /* action items in conversation order, then the summary sorts */
    rc |= json_object_set_new(out, "action_items", build_actions(w, sv, nsv));
    rc |= json_object_set_new(out, "summary", build_summary(w, sv, nsv));
    free(sv);
    if (w->in->kind == ANALYZER_FINAL) {
        res = resolution_of(w);
        code = wrapup_of(w->sp, intent, res);
    }
    rc |= json_object_set_new(out, "resolution",
                              res != NULL ? json_string(res) : json_null());
    rc |= json_object_set_new(out, "wrapup_code",
                              code != NULL ? json_string(code) : json_null());
    return rc;
}

json_t *analyzer_run(const struct pipeline *p, const struct analyzer_input *in)
{
    struct work w = {0};
    json_t *out = NULL;
    json_t *sentiment = NULL;
    const struct pipeline_intent *intent = NULL;
    double conf = 0, cust_score = 0;
    bool has_cust = false;
    struct facts f = {0};
    const char *esc_reason = NULL;
    const char *base_queue = NULL;
    const char *base_reason = NULL;
    json_t *routing = NULL;
    char reason_buf[160];
    int rank = 0;

    if (work_init(&w, p, in) != 0)
        goto out;
    sentiment = build_sentiment(&w, &cust_score, &has_cust);
    intent = pick_intent(&w, &conf);
    esc_reason = escalation_reason(&w, has_cust, cust_score);
    f.tier = in->customer_tier;
    f.channel = in->channel;
    f.queue = in->queue;
    f.intent = intent != NULL ? intent->name : NULL;
    f.escalate = esc_reason != NULL;
    f.has_sentiment = has_cust;
    f.sentiment = cust_score;
    rank = pipeline_priority_rank(intent != NULL ? intent->priority
                                                 : w.sp->default_priority);
    base_queue =
        base_route(&w, intent, reason_buf, sizeof(reason_buf), &base_reason);
    routing = route(p, &f, base_queue, base_reason, &rank);
    /* members in contract order; json_pack steals every "o" */
    out = json_pack("{s:o, s:o, s:s, s:s?, s:b, s:s?, s:o, s:n, s:o}",
                    "sentiment", sentiment, "intent",
                    intent != NULL ? json_pack("{s:s, s:f}", "name",
                                               intent->name, "confidence", conf)
                                   : json_null(),
                    "priority", pipeline_priority_name(rank), "language",
                    in->language, "escalate", f.escalate, "escalation_reason",
                    esc_reason, "routing", routing, "suggested_reply", "alerts",
                    build_alerts(&w, has_cust, cust_score));
    if (out == NULL)
        goto out;
    if (add_kind_fields(&w, out, f.intent) != 0 ||
        json_object_set_new(out, "categories", build_categories(&w)) != 0) {
        json_decref(out);
        out = NULL;
    }
out:
    work_release(&w);
    return out;
}
