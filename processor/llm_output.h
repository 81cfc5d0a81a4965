/* llm_output - reads a CreateChatCompletionResponse: detects refusals,
 * truncation and malformed bodies, parses choices[0].message.content as
 * JSON and validates it against the analysis schema in C (types, enums
 * from the pipeline, ranges), and reads usage. Pure; any thread. */
#ifndef CCAI_LLM_OUTPUT_H
#define CCAI_LLM_OUTPUT_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"
#include "pipeline.h"

enum llm_output_status {
    LLM_OUTPUT_OK = 0,
    LLM_OUTPUT_MALFORMED, /* not a chat completion */
    LLM_OUTPUT_REFUSAL,   /* message.refusal set */
    LLM_OUTPUT_TRUNCATED, /* finish_reason length or content_filter */
    LLM_OUTPUT_SCHEMA,    /* content is not a valid analysis */
};

#define LLM_OUTPUT_TEXT_MAX 8000 /* longest free-text field accepted */
#define LLM_OUTPUT_LIST_MAX 32   /* longest array accepted */

struct llm_output {
    json_t *analysis;       /* owned; NULL unless LLM_OUTPUT_OK */
    unsigned prompt_tokens; /* usage, 0 when absent */
    unsigned completion_tokens;
    char model[96]; /* the answering model, "" when absent */
};

/** Parse @len bytes of @body. Always initialises @out (release with
 * llm_output_release). Usage is filled whenever the body has it, even
 * when the status is not OK. @err gets the detail (pointer into the
 * analysis for schema violations). */
enum llm_output_status llm_output_parse(const struct pipeline *p,
                                        const char *body,
                                        size_t len,
                                        struct llm_output *out,
                                        struct ccai_error *err);

/** Validate an analysis object; 0, or -1 with @err (field = pointer). */
int llm_output_validate(const struct pipeline *p,
                        const json_t *analysis,
                        struct ccai_error *err);

/** Redact every free-text field of a validated @analysis in place (the
 * model must not be a way around redaction). Returns 0 or -1 (OOM). */
int llm_output_redact(json_t *analysis);

void llm_output_release(struct llm_output *out);

const char *llm_output_status_name(enum llm_output_status st);

#endif
