/* dump_verdicts - runs the production ContactEvent validator over fixture
 * files and prints one JSON object per file on stdout (verdict, every
 * violation, the normalised event and, for valid events, the stamped
 * record), for check_schema_agreement.py. Single-threaded test tool.
 * usage: dump_verdicts request|record|cloudevent FILE... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "contact_event.h"

#include "banned.h"

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    long size = 0;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0)
        goto out;
    size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto out;
    data = malloc((size_t)size + 1);
    if (data == NULL)
        goto out;
    if (fread(data, 1, (size_t)size, f) != (size_t)size) {
        free(data);
        data = NULL;
        goto out;
    }
    data[size] = '\0';
    *len = (size_t)size;
out:
    fclose(f);
    return data;
}

static json_t *violations_json(const struct ccai_error *err)
{
    json_t *arr = json_array();

    for (size_t i = 0; i < err->n_violations; i++)
        json_array_append_new(
            arr, json_pack("{s:s, s:s}", "pointer", err->violations[i].pointer,
                           "message", err->violations[i].message));
    return arr;
}

/* Stamp a copy of the valid event with fixed envelope values, add the
 * record to @out as "stamped", and check it parses back in record mode
 * (else "stamp_error"). */
static void stamped_json(const char *normalised, size_t len, json_t *out)
{
    struct contact_event ev;
    struct contact_event back;
    struct ccai_error err;
    char *text = NULL;
    size_t text_len = 0;

    if (contact_event_parse(normalised, len, CONTACT_EVENT_REQUEST, &ev,
                            &err) != 0) {
        json_object_set_new(out, "stamp_error",
                            json_string("normalised form did not parse"));
        return;
    }
    if (contact_event_stamp(&ev, "0190f5c4-0000-7000-8000-000000000001",
                            "tenant-a", "2026-11-26T23:45:00.000Z",
                            "00-0af7651916cd43dd8448eb211c80319c-"
                            "b7ad6b7169203331-01",
                            &err) != 0) {
        json_object_set_new(out, "stamp_error", json_string(err.message));
        goto out;
    }
    text = contact_event_to_json(&ev, &text_len);
    if (text == NULL)
        goto out;
    json_object_set_new(out, "stamped", json_stringn(text, text_len));
    if (contact_event_parse(text, text_len, CONTACT_EVENT_RECORD, &back,
                            &err) != 0)
        json_object_set_new(out, "stamp_error", json_string(err.message));
    else
        contact_event_release(&back);
out:
    free(text);
    contact_event_release(&ev);
}

static int dump_one(const char *mode, const char *path)
{
    struct contact_event ev;
    struct ccai_error err;
    char *body = NULL;
    size_t len = 0;
    int rc = -1;
    json_t *out = NULL;
    char *line = NULL;

    body = read_file(path, &len);
    if (body == NULL) {
        (void)fprintf(stderr, "dump_verdicts: cannot read %s\n", path);
        return -1;
    }
    if (strcmp(mode, "cloudevent") == 0)
        rc = contact_event_parse_cloudevent(body, len, &ev, &err);
    else
        rc = contact_event_parse(body, len,
                                 strcmp(mode, "record") == 0
                                     ? CONTACT_EVENT_RECORD
                                     : CONTACT_EVENT_REQUEST,
                                 &ev, &err);
    out = json_pack("{s:s, s:b}", "file", path, "valid", rc == 0);
    if (rc == 0) {
        size_t n = 0;
        char *norm = contact_event_to_json(&ev, &n);

        json_object_set_new(out, "violations", json_array());
        json_object_set_new(out, "normalised",
                            norm ? json_stringn(norm, n) : json_null());
        if (norm != NULL && strcmp(mode, "record") != 0)
            stamped_json(norm, n, out);
        free(norm);
        contact_event_release(&ev);
    } else {
        json_object_set_new(out, "violations", violations_json(&err));
        json_object_set_new(out, "dropped",
                            json_integer((json_int_t)err.n_dropped));
    }
    line = json_dumps(out, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (line != NULL)
        printf("%s\n", line);
    free(line);
    json_decref(out);
    free(body);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 ||
        (strcmp(argv[1], "request") != 0 && strcmp(argv[1], "record") != 0 &&
         strcmp(argv[1], "cloudevent") != 0)) {
        (void)fprintf(
            stderr, "usage: dump_verdicts request|record|cloudevent FILE...\n");
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        if (dump_one(argv[1], argv[i]) != 0)
            return 1;
    }
    return 0;
}
