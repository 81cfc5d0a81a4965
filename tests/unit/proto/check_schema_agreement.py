#!/usr/bin/python3
"""check_schema_agreement - the C validator (via dump_verdicts) and the JSON
Schemas in proto/schemas/ must agree on every fixture in proto/examples/.

For every fixture:
  * the verdict (valid / invalid) of the C validator equals the verdict of
    the JSON Schema (request form for valid/ and invalid/, $defs/record for
    records/, $defs/cloudevent for cloudevents/), except for the KNOWN_GAPS
    below, where the C validator must say invalid and the schema valid (so
    a gap that closes, or a fixture that stops exercising it, fails here);
  * fixtures under */valid/ are valid, fixtures under */invalid/ are not;
  * the violation pointers of the C validator equal, as a multiset, the
    pointers listed in the NAME.expect file next to an invalid fixture (one
    JSON pointer per line; an empty line is the document itself, "");
  * every C pointer is related (equal, ancestor or descendant) to some
    schema error path and vice versa: the schema reports "required" and
    "additionalProperties" at the parent object, so equality is too strict;
  * a valid event serialises (contact_event_to_json) to the same JSON value
    it was read from (CloudEvents: data plus the id/time mapping), and its
    stamped record is valid against $defs/record.
Also validates proto/examples/results/*.json against analysis_result.v1.json.

The JSON text is read with a strict loader that mirrors jansson's parser as
the C validator configures it (these are parser rules, not schema rules):
invalid UTF-8, duplicate keys, NaN/Infinity, U+0000 and unpaired surrogates
in strings, integers outside int64, numbers that overflow a double and
nesting deeper than 32 make the document "not JSON" (invalid at "").
Python's re differs from ECMA-262 in two ways that matter here: "$" also
matches before a final newline, and "\\d" matches non-ASCII digits. The
schemas never use "\\d", and the "pattern" keyword below emulates ECMA "$".

Usage: check_schema_agreement.py --dump BUILD/tests/dump_verdicts --root SRC
Needs python3-jsonschema >= 4 (Debian 12: apt-get install python3-jsonschema).
"""
import argparse
import collections
import glob
import json
import os
import re
import subprocess
import sys

try:
    import jsonschema
    from jsonschema import validators
except ImportError:  # pragma: no cover
    print("check_schema_agreement: python3-jsonschema is missing "
          "(apt-get install -y python3-jsonschema; use /usr/bin/python3)")
    sys.exit(1)

MAX_DEPTH = 32

# Fixtures where the JSON Schema cannot express the rule: the C validator
# rejects them, the schema accepts them. Keyed by path under proto/examples.
KNOWN_GAPS = {
    "invalid/text_too_long_utf8_bytes.json":
        "text is limited to 32768 UTF-8 bytes; maxLength counts code points",
    "invalid/end_before_start.json":
        "end_ms >= start_ms compares two fields",
    "invalid/occurred_at_feb_29_non_leap.json":
        "29 February only in leap years; the pattern allows any 29 Feb",
    "invalid/sequence_integral_real.json":
        "integers are written without fraction; JSON Schema treats 2.0 as "
        "an integer",
    "invalid/sequence_exponent.json":
        "integers are written without exponent; JSON Schema treats 1e2 as "
        "an integer",
    "cloudevents/invalid/data_event_id_mismatch.json":
        "data.event_id must equal the CloudEvents id: compares two fields",
}

# (directory under proto/examples, dump_verdicts mode, schema form, valid?)
SETS = [
    ("valid", "request", "request", True),
    ("invalid", "request", "request", False),
    ("records/valid", "record", "record", True),
    ("records/invalid", "record", "record", False),
    ("cloudevents/valid", "cloudevent", "cloudevent", True),
    ("cloudevents/invalid", "cloudevent", "cloudevent", False),
]


class NotJSON(Exception):
    pass


def _reject_constant(name):
    raise NotJSON("non-standard number %s" % name)


def _check_int(text):
    value = int(text)
    if not -(2 ** 63) <= value < 2 ** 63:
        raise NotJSON("integer out of range")
    return value


def _check_float(text):
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise NotJSON("real number overflow")
    return value


def _no_duplicates(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise NotJSON("duplicate key %r" % key)
        obj[key] = value
    return obj


def _check_strings_and_depth(value, depth):
    if isinstance(value, (dict, list)):
        depth += 1
        if depth > MAX_DEPTH:
            raise NotJSON("nested deeper than %d" % MAX_DEPTH)
        items = value.items() if isinstance(value, dict) else \
            enumerate(value)
        for key, item in items:
            if isinstance(key, str):
                _check_string(key)
            _check_strings_and_depth(item, depth)
    elif isinstance(value, str):
        _check_string(value)


def _check_string(s):
    if "\x00" in s:
        raise NotJSON("U+0000 in a string")
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise NotJSON("unpaired surrogate")


def strict_load(raw):
    """Parse bytes like jansson with JSON_REJECT_DUPLICATES, or NotJSON."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotJSON("invalid UTF-8: %s" % exc)
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates,
                           parse_constant=_reject_constant,
                           parse_int=_check_int, parse_float=_check_float)
    except ValueError as exc:
        if isinstance(exc, NotJSON):
            raise
        raise NotJSON(str(exc))
    if not isinstance(value, (dict, list)):
        raise NotJSON("top level is not an object or array")
    _check_strings_and_depth(value, 0)
    return value


def _ecma_pattern(validator, pattern, instance, schema):
    """ECMA-262 "$" (no multiline) matches only at the very end."""
    if not validator.is_type(instance, "string"):
        return
    py = pattern[:-1] + r"\Z" if pattern.endswith("$") and \
        not pattern.endswith(r"\$") else pattern
    if not re.search(py, instance):
        yield jsonschema.ValidationError(
            "%r does not match %r" % (instance, pattern))


EcmaValidator = validators.extend(jsonschema.Draft202012Validator,
                                  {"pattern": _ecma_pattern})


def load_validators(root):
    path = os.path.join(root, "proto/schemas/contact_event.v1.json")
    with open(path, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    resolver = jsonschema.RefResolver.from_schema(schema)
    forms = {
        "request": EcmaValidator(schema, resolver=resolver),
        "record": EcmaValidator(schema["$defs"]["record"], resolver=resolver),
        "cloudevent": EcmaValidator(schema["$defs"]["cloudevent"],
                                    resolver=resolver),
    }
    path = os.path.join(root, "proto/schemas/analysis_result.v1.json")
    with open(path, encoding="utf-8") as f:
        result_schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(result_schema)
    forms["result"] = EcmaValidator(
        result_schema,
        resolver=jsonschema.RefResolver.from_schema(result_schema))
    return forms


def pointer(path):
    out = ""
    for part in path:
        out += "/" + str(part).replace("~", "~0").replace("/", "~1")
    return out


def related(a, b):
    return a == b or b.startswith(a + "/") or a.startswith(b + "/") or \
        a == "" or b == ""


def schema_verdict(validator, raw):
    """(valid, [error pointers]) of the schema for the file's bytes."""
    try:
        value = strict_load(raw)
    except NotJSON:
        return False, [""], None
    errors = list(validator.iter_errors(value))
    return not errors, [pointer(e.absolute_path) for e in errors], value


def read_expect(path):
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()


def run_dump(dump, mode, files):
    out = subprocess.run([dump, mode] + files, check=True,
                         stdout=subprocess.PIPE).stdout
    verdicts = {}
    for line in out.decode("utf-8").splitlines():
        obj = json.loads(line)
        verdicts[obj["file"]] = obj
    return verdicts


def check_set(args, forms, directory, mode, form, want_valid, problems,
              counts):
    base = os.path.join(args.root, "proto/examples")
    files = sorted(glob.glob(os.path.join(base, directory, "*.json")))
    if not files:
        problems.append("%s: no fixtures" % directory)
        return
    verdicts = run_dump(args.dump, mode, files)
    for path in files:
        rel = os.path.relpath(path, base)
        c = verdicts[path]
        c_ptrs = [v["pointer"] for v in c["violations"]]
        with open(path, "rb") as f:
            raw = f.read()
        s_valid, s_ptrs, value = schema_verdict(forms[form], raw)
        counts[directory] += 1
        if c["valid"] != want_valid:
            problems.append("%s: C says %s: %s" % (
                rel, "valid" if c["valid"] else "invalid",
                "; ".join("%s %s" % (v["pointer"], v["message"])
                          for v in c["violations"])))
        if rel in KNOWN_GAPS:
            if c["valid"] or not s_valid:
                problems.append("%s: known gap (%s) no longer shows: C %s, "
                                "schema %s" % (rel, KNOWN_GAPS[rel],
                                               c["valid"], s_valid))
            counts["gaps"] += 1
        elif c["valid"] != s_valid:
            problems.append("%s: C says %s, schema says %s %s" % (
                rel, c["valid"], s_valid, s_ptrs))
        elif not s_valid:
            for p in c_ptrs:
                if not any(related(p, s) for s in s_ptrs):
                    problems.append("%s: C pointer %r has no schema error "
                                    "near it (schema: %s)" % (rel, p, s_ptrs))
            for s in s_ptrs:
                if not any(related(p, s) for p in c_ptrs):
                    problems.append("%s: schema error at %r has no C "
                                    "pointer near it (C: %s)" % (rel, s,
                                                                 c_ptrs))
        expect = path[:-len(".json")] + ".expect"
        if not want_valid:
            if not os.path.exists(expect):
                problems.append("%s: missing %s" % (rel,
                                                    os.path.basename(expect)))
            elif collections.Counter(read_expect(expect)) != \
                    collections.Counter(c_ptrs):
                problems.append("%s: C pointers %s, expected %s" % (
                    rel, c_ptrs, read_expect(expect)))
        elif c["valid"]:
            check_valid_output(forms, rel, mode, value, c, problems)


def check_valid_output(forms, rel, mode, value, c, problems):
    normalised = json.loads(c["normalised"])
    expected = value
    if mode == "cloudevent":
        expected = dict(value["data"])
        expected.setdefault("event_id", value["id"])
        if "time" in value:
            expected.setdefault("occurred_at", value["time"])
    if normalised != expected:
        problems.append("%s: normalised form differs: %s" % (
            rel, c["normalised"][:200]))
    if mode == "record":
        return
    if c.get("stamp_error"):
        problems.append("%s: stamping failed: %s" % (rel, c["stamp_error"]))
        return
    stamped = json.loads(c["stamped"])
    errors = list(forms["record"].iter_errors(stamped))
    if errors:
        problems.append("%s: stamped record is not a valid record: %s" % (
            rel, errors[0].message[:200]))
    for key in ("schema_version", "event_id", "tenant_id", "received_at",
                "occurred_at", "trace"):
        if key not in stamped:
            problems.append("%s: stamped record lacks %s" % (rel, key))


def check_results(args, forms, problems, counts):
    files = sorted(glob.glob(os.path.join(args.root,
                                          "proto/examples/results/*.json")))
    if not files:
        problems.append("results: no AnalysisResult examples")
    for path in files:
        counts["results"] += 1
        with open(path, "rb") as f:
            value = strict_load(f.read())
        for e in forms["result"].iter_errors(value):
            problems.append("%s: not a valid AnalysisResult at %s: %s" % (
                os.path.basename(path), pointer(e.absolute_path),
                e.message[:200]))


def self_test(forms, problems):
    """The checker itself must be able to fail: the schemas reject a few
    hand-written bad documents."""
    bad = [
        ("request", {"contact_id": "c", "type": "contact.ended", "x": 1}),
        ("request", {"contact_id": "c\n", "type": "contact.ended"}),
        ("record", {"contact_id": "c", "type": "contact.ended",
                    "schema_version": 2}),
        ("result", {"schema_version": 1}),
    ]
    for form, doc in bad:
        if forms[form].is_valid(doc):
            problems.append("self test: %s schema accepted %s" % (form, doc))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dump", required=True)
    parser.add_argument("--root", required=True)
    args = parser.parse_args()
    forms = load_validators(args.root)
    problems = []
    counts = collections.Counter()
    self_test(forms, problems)
    for directory, mode, form, want_valid in SETS:
        check_set(args, forms, directory, mode, form, want_valid, problems,
                  counts)
    check_results(args, forms, problems, counts)
    for p in problems:
        print("DISAGREE " + p)
    print("checked: %s; known gaps exercised: %d" % (
        ", ".join("%s=%d" % (k, v) for k, v in sorted(counts.items())
                  if k != "gaps"), counts["gaps"]))
    if problems:
        print("check_schema_agreement: %d problem(s)" % len(problems))
        return 1
    print("check_schema_agreement: C validator and JSON Schemas agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
