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
struct pipeline *pipeline_load_text(const char *text, size_t len,
                                    struct ccai_error *err);

void pipeline_free(struct pipeline *p);

/** The prompt version string, e.g. "2026-11-26.1". */
const char *pipeline_prompt_version(const struct pipeline *p);

/** The raw validated document (borrowed) for modules that read sections. */
const json_t *pipeline_json(const struct pipeline *p);

/** USD per 1M prompt / completion tokens for @model; 0 when unknown. */
void pipeline_price(const struct pipeline *p, const char *model,
                    double *prompt_per_m, double *completion_per_m);

#endif
