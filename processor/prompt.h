/* prompt - builds the OpenAI Chat Completions request body: the system
 * message from the pipeline (instructions, allowed intents, queues,
 * wrap-up codes), the redacted conversation as untrusted data (JSON inside
 * <transcript> tags, with <, > and & escaped so text cannot close the
 * block), and a strict json_schema response_format for the `analysis`
 * object with enums from the pipeline. Pure; any thread. */
#ifndef CCAI_PROMPT_H
#define CCAI_PROMPT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "context.h"
#include "pipeline.h"

enum prompt_kind {
    PROMPT_TURN = 0,
    PROMPT_HANDOVER,
    PROMPT_FINAL,
};

#define PROMPT_SCHEMA_NAME "contact_analysis"

struct prompt_input {
    enum prompt_kind kind;
    const char *model;      /* OPENAI_MODEL */
    const char *event_type; /* metadata given to the model */
    const char *channel;
    const char *language;
    const char *customer_tier;
    const char *queue;
    const struct context_turn *earlier; /* digest of older turns */
    size_t n_earlier;
    const struct context_turn *turns; /* oldest first */
    size_t n_turns;
    bool has_new_turn; /* the last of @turns is the turn to analyse */
};

/** The request body (new string, caller frees) and a token estimate
 * (prompt bytes / 4 + max_completion_tokens) in *@est_tokens; NULL when
 * out of memory. */
char *prompt_build(const struct pipeline *p,
                   const struct prompt_input *in,
                   size_t *len,
                   unsigned *est_tokens);

/** The strict JSON Schema of the analysis object (new reference). */
json_t *prompt_schema(const struct pipeline *p);

#endif
