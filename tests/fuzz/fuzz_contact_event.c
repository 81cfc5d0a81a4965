/* fuzz_contact_event - libFuzzer target for the ContactEvent v1 parser:
 * the request and record entry points, and for every accepted event the
 * invariants stamping and serialisation promise (a stamped event is a
 * valid record; serialising is stable). Single-threaded. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "contact_event.h"

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Serialise @ev, parse it back in @mode and require the same text. */
static void check_round_trip(const struct contact_event *ev,
                             enum contact_event_mode mode)
{
    struct contact_event back;
    struct ccai_error err;
    char *text = NULL;
    char *again = NULL;
    size_t len = 0;

    text = contact_event_to_json(ev, &len);
    if (text == NULL)
        abort();
    if (contact_event_parse(text, len, mode, &back, &err) != 0)
        abort(); /* a valid event must serialise to a valid event */
    again = contact_event_to_json(&back, NULL);
    if (again == NULL || strcmp(text, again) != 0)
        abort();
    free(again);
    free(text);
    contact_event_release(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct contact_event ev;
    struct ccai_error err;
    const char *body = (const char *)data;

    if (contact_event_parse(body, size, CONTACT_EVENT_RECORD, &ev, &err) == 0) {
        check_round_trip(&ev, CONTACT_EVENT_RECORD);
        contact_event_release(&ev);
    }
    if (contact_event_parse(body, size, CONTACT_EVENT_REQUEST, &ev, &err) !=
        0) {
        if (err.status != CCAI_E_INVALID || err.n_violations == 0)
            abort(); /* every rejection names at least one violation */
        return 0;
    }
    check_round_trip(&ev, CONTACT_EVENT_REQUEST);
    if (contact_event_stamp(&ev, "0190f5c4-0000-7000-8000-000000000001",
                            "tenant-a", "2026-11-26T23:45:00.000Z",
                            "00-0af7651916cd43dd8448eb211c80319c-"
                            "b7ad6b7169203331-01",
                            &err) != 0)
        abort();
    check_round_trip(&ev, CONTACT_EVENT_RECORD);
    contact_event_release(&ev);
    return 0;
}
