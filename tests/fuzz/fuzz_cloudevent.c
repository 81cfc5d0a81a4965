/* fuzz_cloudevent - libFuzzer target for the CloudEvents structured mode
 * entry point: every accepted event maps to a ContactEvent that is itself
 * a valid request whose event_id is the CloudEvents id. Single-threaded. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "contact_event.h"

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct contact_event ev;
    struct contact_event back;
    struct ccai_error err;
    char *text = NULL;
    size_t len = 0;

    if (contact_event_parse_cloudevent((const char *)data, size, &ev, &err) !=
        0) {
        if (err.status == CCAI_E_INVALID && err.n_violations == 0)
            abort(); /* every rejection names at least one violation */
        return 0;
    }
    if (ev.event_id == NULL || !contact_event_id_is_valid(ev.event_id))
        abort();
    text = contact_event_to_json(&ev, &len);
    if (text == NULL)
        abort();
    if (contact_event_parse(text, len, CONTACT_EVENT_REQUEST, &back, &err) != 0)
        abort();
    if (strcmp(back.event_id, ev.event_id) != 0)
        abort();
    contact_event_release(&back);
    free(text);
    contact_event_release(&ev);
    return 0;
}
