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

/* The parts of every request that depend only on the pipeline and the
 * model (system message, parameters, response schema), serialised once per
 * kind; only the user message is rendered per request. Immutable after
 * prompt_new, so any thread may render with it. */
struct prompt;

/** New templates for @p and @model (NULL = gpt-4o-mini); @p is only read
 * here. NULL when out of memory. Free with prompt_free. */
struct prompt *prompt_new(const struct pipeline *p, const char *model);

void prompt_free(struct prompt *pr);

/** The request body (new string, caller frees) for @in with @pr's model
 * (@in->model is ignored) and a token estimate (prompt bytes / 4 +
 * max_completion_tokens) in *@est_tokens; NULL when out of memory or the
 * text is not UTF-8. Byte for byte what prompt_build gives. */
char *prompt_render(const struct prompt *pr,
                    const struct prompt_input *in,
                    size_t *len,
                    unsigned *est_tokens);

/** prompt_new(@p, @in->model) + prompt_render + prompt_free: the body for
 * one request (new string, caller frees), NULL as prompt_render. */
char *prompt_build(const struct pipeline *p,
                   const struct prompt_input *in,
                   size_t *len,
                   unsigned *est_tokens);

/** The strict JSON Schema of the analysis object (new reference). */
json_t *prompt_schema(const struct pipeline *p);

#endif
