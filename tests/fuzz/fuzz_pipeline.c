/* fuzz_pipeline - pipeline_load_text on arbitrary bytes; a config that
 * loads is then driven through the prompt schema and the analyzer, which
 * must cope with anything the loader accepts. */
#include <stdint.h>
#include <stdlib.h>

#include "analyzer.h"
#include "pipeline.h"
#include "prompt.h"

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ccai_error err;
    struct pipeline *p = pipeline_load_text((const char *)data, size, &err);
    struct context_turn turns[2] = {
        {.role = (char *)"customer",
         .text = (char *)"I am not happy, cancel my bill. I will call back.",
         .sequence = 1},
        {.role = (char *)"agent",
         .text = (char *)"We will send a refund, resolved.",
         .sequence = 2},
    };
    struct analyzer_input in = {
        .kind = ANALYZER_FINAL,
        .turns = turns,
        .n_turns = 2,
        .channel = "chat",
        .customer_tier = "vip",
    };
    json_t *a = NULL;

    if (p == NULL)
        return 0;
    json_decref(prompt_schema(p));
    a = analyzer_run(p, &in);
    if (a == NULL)
        abort();
    json_decref(a);
    json_decref(analyzer_started(p, "voice", NULL, "general", "en"));
    pipeline_free(p);
    return 0;
}
