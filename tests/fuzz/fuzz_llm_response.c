/* fuzz_llm_response - llm_output_parse (the production parser of chat
 * completion answers) on arbitrary bytes, with the default pipeline; a
 * valid analysis is also redacted and re-validated. */
#include <stdint.h>
#include <stdlib.h>

#include "llm_output.h"

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct pipeline *p; /* loaded once per process */
    struct ccai_error err;
    struct llm_output out;

    if (p == NULL) {
        p = pipeline_load(NULL, &err);
        if (p == NULL)
            abort();
    }
    if (llm_output_parse(p, (const char *)data, size, &out, &err) ==
        LLM_OUTPUT_OK) {
        if (out.analysis == NULL)
            abort();
        if (llm_output_redact(out.analysis) == 0 &&
            llm_output_validate(p, out.analysis, &err) != 0)
            abort(); /* redaction must keep the analysis valid */
    } else if (out.analysis != NULL) {
        abort();
    }
    llm_output_release(&out);
    return 0;
}
