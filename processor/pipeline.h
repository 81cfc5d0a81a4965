/* pipeline - the pipeline configuration (PIPELINE_CONFIG): intent taxonomy
 * with descriptions and keywords, queues and routing, priority and
 * escalation rules, wrap-up codes, sentiment lexicon, prompt templates,
 * model parameters and the per-model price table. A default is compiled
 * into the binary from processor/pipeline.default.json. Loaded and
 * validated once at start; immutable afterwards (any thread may read). */
#ifndef CCAI_PIPELINE_H
#define CCAI_PIPELINE_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"

struct pipeline;

/** Load from @path, or the built-in default when @path is NULL or "".
 * Validates everything; NULL with @err (field = JSON pointer) on error. */
struct pipeline *pipeline_load(const char *path, struct ccai_error *err);

/** Load from a JSON text (tests, fuzzing). */
struct pipeline *
pipeline_load_text(const char *text, size_t len, struct ccai_error *err);

void pipeline_free(struct pipeline *p);

/** The prompt version string, e.g. "2026-11-26.1". */
const char *pipeline_prompt_version(const struct pipeline *p);

/** The raw validated document (borrowed) for modules that read sections. */
const json_t *pipeline_json(const struct pipeline *p);

/** USD per 1M prompt / completion tokens for @model; 0 when unknown. */
void pipeline_price(const struct pipeline *p,
                    const char *model,
                    double *prompt_per_m,
                    double *completion_per_m);

/* Parsed view of the validated document (added for the engine modules).
 * Every string is borrowed from the pipeline and valid until
 * pipeline_free. Keyword and lexicon words are lowercase. */

#define PIPELINE_PRIORITY_COUNT 4 /* low, normal, high, urgent */

struct pipeline_strs {
    const char **v;
    size_t n;
};

struct pipeline_intent {
    const char *name;
    const char *description;
    struct pipeline_strs keywords;
    const char *queue;    /* default queue */
    const char *priority; /* default priority */
};

struct pipeline_queue {
    const char *name;
    const char *description;
};

/* a routing or priority rule: every condition given must hold */
struct pipeline_rule {
    const char *customer_tier; /* NULL = any */
    const char *channel;
    const char *queue; /* the contact's current queue */
    const char *intent;
    int escalate; /* -1 any, 0 or 1 */
    int has_sentiment_below;
    double sentiment_below;
    const char *set_queue;    /* routing rules */
    const char *set_priority; /* priority rules (and optional on routing) */
    const char *reason;
};

struct pipeline_alert {
    const char *name;
    const char *severity; /* info, warning, critical */
    struct pipeline_strs keywords;
    int has_sentiment_below;
    double sentiment_below;
    const char *reason;
};

struct pipeline_wrapup {
    const char *code;
    const char *description;
    const char *intent;     /* NULL = any */
    const char *resolution; /* NULL = any */
};

struct pipeline_category {
    const char *name;
    struct pipeline_strs keywords;
};

struct pipeline_word {
    const char *word;
    double weight;
};

struct pipeline_words {
    struct pipeline_word *v; /* sorted by word (strcmp) */
    size_t n;
};

struct pipeline_spec {
    const char *prompt_version;
    struct pipeline_intent *intents;
    size_t n_intents;
    const char *fallback_intent;
    struct pipeline_queue *queues;
    size_t n_queues;
    const char *default_queue;
    const char *default_priority;
    struct pipeline_rule *routing;
    size_t n_routing;
    struct pipeline_rule *priority_rules;
    size_t n_priority_rules;
    /* escalation triggers */
    struct pipeline_strs escalation_keywords; /* manager, supervisor */
    struct pipeline_strs churn_keywords;      /* cancel, competitor */
    double escalation_sentiment;              /* escalate at or below */
    const char *escalation_queue;             /* NULL = keep routing */
    struct pipeline_alert *alerts;
    size_t n_alerts;
    struct pipeline_wrapup *wrapups;
    size_t n_wrapups;
    struct pipeline_category *categories;
    size_t n_categories;
    /* sentiment lexicon */
    struct pipeline_words positive;     /* weights > 0 */
    struct pipeline_words negative;     /* weights > 0, subtracted */
    struct pipeline_words intensifiers; /* multipliers */
    struct pipeline_strs negators;      /* sorted (strcmp) */
    int negation_window; /* tokens before a word that can negate it */
    double neutral_band; /* |score| below this is neutral */
    /* summary cues */
    struct pipeline_strs action_cues;
    struct pipeline_strs resolved_cues;
    struct pipeline_strs unresolved_cues;
    /* prompts */
    const char *prompt_system;
    const char *prompt_turn;
    const char *prompt_handover;
    const char *prompt_final;
    /* model parameters */
    double temperature;
    unsigned max_tokens_turn;
    unsigned max_tokens_handover;
    unsigned max_tokens_final;
    /* context */
    unsigned context_max_turns;
    unsigned context_max_turn_chars;
    unsigned context_max_earlier; /* digest lines kept for long contacts */
};

/** The parsed view (borrowed, valid until pipeline_free). */
const struct pipeline_spec *pipeline_spec(const struct pipeline *p);

/** Index of @name among the priorities (0 low .. 3 urgent), -1 if not
 * one. */
int pipeline_priority_rank(const char *name);
/** Priority name for @rank (clamped). */
const char *pipeline_priority_name(int rank);

/** Lookups by name; NULL when absent. */
const struct pipeline_intent *pipeline_find_intent(const struct pipeline *p,
                                                   const char *name);
const struct pipeline_queue *pipeline_find_queue(const struct pipeline *p,
                                                 const char *name);

#endif
