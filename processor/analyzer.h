/* analyzer - the offline analyzer: deterministic and network-free, driven
 * by the pipeline config. Lexicon sentiment with negation and
 * intensifiers, keyword intents with a confidence, routing and priority
 * from the pipeline rules, escalation and alerts, categories, and for
 * handovers and final results an extractive summary, action items,
 * resolution and wrap-up code. Fields it cannot fill are null
 * (suggested_reply always). Pure; any thread. */
#ifndef CCAI_ANALYZER_H
#define CCAI_ANALYZER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "context.h"
#include "pipeline.h"

enum analyzer_kind {
    ANALYZER_TURN = 0, /* message.received, transcript.segment */
    ANALYZER_HANDOVER, /* contact.updated */
    ANALYZER_FINAL,    /* contact.ended */
};

struct analyzer_input {
    enum analyzer_kind kind;
    const struct context_turn *earlier; /* digest of older turns */
    size_t n_earlier;
    const struct context_turn *turns; /* recent window, oldest first */
    size_t n_turns;
    bool has_new_turn;         /* the last of @turns is this event's turn */
    const char *channel;       /* may be NULL */
    const char *customer_tier; /* may be NULL */
    const char *queue;         /* contact's current queue, may be NULL */
    const char *language;      /* event language, may be NULL */
};

/** The `analysis` object (new reference) for @in; NULL on out of memory.
 * Every text is expected to be redacted already. */
json_t *analyzer_run(const struct pipeline *p, const struct analyzer_input *in);

/** The rules answer for contact.started: routing from queue, channel and
 * customer tier; no sentiment or intent. New reference, NULL on OOM. */
json_t *analyzer_started(const struct pipeline *p,
                         const char *channel,
                         const char *customer_tier,
                         const char *queue,
                         const char *language);

struct analyzer_sentiment {
    double score;              /* [-1, 1] */
    double positive, negative; /* evidence mass */
    const char *label;         /* negative, neutral, positive, mixed */
};

/** Sentiment of @len bytes of @text with the pipeline lexicon. */
void analyzer_sentiment(const struct pipeline *p,
                        const char *text,
                        size_t len,
                        struct analyzer_sentiment *out);

#endif
