#!/usr/bin/python3
"""validate_request - checks the OpenAI request bodies the engine builds.

1. Every request_*.json validates against CreateChatCompletionRequest of
   OpenAI's OpenAPI document (refs resolved inside the document; the
   document mixes OpenAPI 3.0 `nullable: true` with 3.1 `type: "null"`, so
   `nullable` is rewritten into JSON Schema before validating), and every
   top-level key is a property the spec defines (the spec itself does not
   close the object, so a typo would pass silently).
2. The response_format json_schema follows the Structured Outputs strict
   rules: strict true, every object closed (additionalProperties false)
   with every property required, nullable as a type array, root an object.
3. The transcript is delimited: one <transcript> block, closed last, and
   nothing from it changed the configured model or added tools.
4. Every result_*.json validates against proto/schemas/analysis_result.v1.json.
5. Self-checks: a broken request and a non-strict schema are rejected, so
   this test can fail.

Usage: validate_request.py --dump DUMP_BINARY [--spec openapi.yaml]
       [--result-schema analysis_result.v1.json] [--extract OUT.json]
Without --spec the committed extract chat_completions_request.schema.json
(made with --extract) is used.
"""
import argparse
import copy
import glob
import json
import os
import subprocess
import sys
import tempfile

import jsonschema
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
EXTRACT = os.path.join(HERE, "chat_completions_request.schema.json")
ROOT_REF = "#/components/schemas/CreateChatCompletionRequest"


def fix_nullable(node):
    """OpenAPI 3.0 `nullable: true` -> JSON Schema null type."""
    if isinstance(node, list):
        return [fix_nullable(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: fix_nullable(v) for k, v in node.items()}
    if out.pop("nullable", False) is True:
        t = out.get("type")
        if isinstance(t, str):
            out["type"] = [t, "null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = out["enum"] + [None]
        elif isinstance(t, list):
            if "null" not in t:
                out["type"] = t + ["null"]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def refs_in(node, acc):
    if isinstance(node, dict):
        r = node.get("$ref")
        if isinstance(r, str) and r.startswith("#/components/schemas/"):
            acc.add(r.split("/")[-1])
        for v in node.values():
            refs_in(v, acc)
    elif isinstance(node, list):
        for v in node:
            refs_in(v, acc)


def extract(spec):
    """CreateChatCompletionRequest and every schema it references."""
    schemas = spec["components"]["schemas"]
    todo, seen = ["CreateChatCompletionRequest"], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        acc = set()
        refs_in(schemas[name], acc)
        todo.extend(acc - seen)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "description": "CreateChatCompletionRequest extracted from OpenAI's "
        "openapi.yaml (see /work/shared/openai/SOURCE.md); nullable rewritten",
        "$ref": ROOT_REF,
        "components": {"schemas": {n: fix_nullable(schemas[n])
                                   for n in sorted(seen)}},
    }


def declared_properties(schema, root, depth=0):
    """Union of properties over allOf/$ref of the request schema."""
    props = set()
    if depth > 10 or not isinstance(schema, dict):
        return props
    if "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        props |= declared_properties(root["components"]["schemas"][name], root,
                                     depth + 1)
    props |= set(schema.get("properties", {}).keys())
    for part in schema.get("allOf", []):
        props |= declared_properties(part, root, depth + 1)
    return props


def strict_problems(schema, path="schema"):
    """Structured Outputs strict-mode rules."""
    problems = []
    if not isinstance(schema, dict):
        return [f"{path}: not an object"]
    t = schema.get("type")
    types = t if isinstance(t, list) else [t]
    if "nullable" in schema:
        problems.append(f"{path}: uses nullable (use a type array)")
    if "anyOf" in schema and path == "schema":
        problems.append(f"{path}: root must not be anyOf")
    if "object" in types or "properties" in schema:
        props = schema.get("properties", {})
        if schema.get("additionalProperties") is not False:
            problems.append(f"{path}: additionalProperties must be false")
        if sorted(schema.get("required", [])) != sorted(props.keys()):
            problems.append(f"{path}: every property must be required")
        for k, v in props.items():
            problems += strict_problems(v, f"{path}.{k}")
    if "array" in types:
        problems += strict_problems(schema.get("items"), f"{path}[]")
    for alt in schema.get("anyOf", []):
        problems += strict_problems(alt, f"{path}|")
    if "enum" in schema and "null" in types and None not in schema["enum"]:
        problems.append(f"{path}: nullable enum must list null")
    if t is None and "anyOf" not in schema and "$ref" not in schema:
        problems.append(f"{path}: no type")
    return problems


def request_problems(req, validator, known):
    problems = [f"spec: {'/'.join(map(str, e.absolute_path)) or '/'}: "
                f"{e.message[:200]}"
                for e in validator.iter_errors(req)]
    for k in req:
        if k not in known:
            problems.append(f"unknown request field {k!r}")
    rf = req.get("response_format", {})
    js = rf.get("json_schema", {})
    if rf.get("type") != "json_schema" or js.get("strict") is not True:
        problems.append("response_format is not a strict json_schema")
    schema = js.get("schema", {})
    if schema.get("type") != "object":
        problems.append("schema root must be an object")
    problems += strict_problems(schema)
    if req.get("model") != "gpt-4o-mini":
        problems.append(f"model is {req.get('model')!r}, not the configured one")
    if "tools" in req or "functions" in req:
        problems.append("request offers tools")
    msgs = req.get("messages", [])
    if [m.get("role") for m in msgs] != ["system", "user"]:
        problems.append("messages must be system + user")
    else:
        user = msgs[1]["content"]
        if user.count("<transcript>") != 1 or user.count("</transcript>") != 1 \
                or not user.endswith("</transcript>"):
            problems.append("transcript block is not delimited exactly once")
        block = user[user.index("<transcript>") + 12:user.rindex("</transcript>")]
        try:
            turns = json.loads(block)
        except ValueError as e:
            problems.append(f"transcript block is not JSON: {e}")
            turns = []
        for t in turns:
            if "4111" in t.get("text", "") or "415-555" in t.get("text", ""):
                problems.append("raw PII in the transcript")
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dump", help="dump_requests binary")
    ap.add_argument("--spec", help="OpenAI openapi.yaml")
    ap.add_argument("--result-schema")
    ap.add_argument("--extract", help="write the request schema extract here")
    args = ap.parse_args()

    if args.spec and os.path.exists(args.spec):
        with open(args.spec) as f:
            root = extract(yaml.safe_load(f))
        source = args.spec
    else:
        with open(EXTRACT) as f:
            root = json.load(f)
        source = EXTRACT
    if args.extract:
        with open(args.extract, "w") as f:
            json.dump(root, f, indent=1, sort_keys=True)
            f.write("\n")
        print(f"wrote {args.extract}")
        if not args.dump:
            return 0
    validator = jsonschema.Draft202012Validator(root)
    known = declared_properties(root["components"]["schemas"]
                                ["CreateChatCompletionRequest"], root)
    failed = 0

    with tempfile.TemporaryDirectory() as out:
        subprocess.run([args.dump, out], check=True)
        requests = sorted(glob.glob(os.path.join(out, "request_*.json")))
        results = sorted(glob.glob(os.path.join(out, "result_*.json")))
        if len(requests) < 4 or len(results) < 9:
            print(f"FAIL: expected 4 requests and 9 results, got "
                  f"{len(requests)} and {len(results)}")
            return 1
        for path in requests:
            with open(path) as f:
                req = json.load(f)
            problems = request_problems(req, validator, known)
            name = os.path.basename(path)
            if problems:
                failed += 1
                print(f"FAIL {name}:")
                for p in problems[:20]:
                    print(f"  {p}")
            else:
                print(f"ok   {name} valid against CreateChatCompletionRequest "
                      f"({source}) and strict")
            if name == "request_turn.json":
                sample = req

        # self-checks: the validator and the strictness check have teeth
        broken = copy.deepcopy(sample)
        broken["messages"] = []
        broken["max_completion_tokens"] = "many"
        broken["response_format"]["type"] = "json_schemas"
        broken["temprature"] = 1
        if len(request_problems(broken, validator, known)) < 4:
            print("FAIL self-check: a broken request was accepted")
            failed += 1
        loose = copy.deepcopy(sample["response_format"]["json_schema"]["schema"])
        loose["properties"]["intent"].pop("additionalProperties", None)
        loose["required"].remove("summary")
        if len(strict_problems(loose)) < 2:
            print("FAIL self-check: a non-strict schema passed")
            failed += 1

        if args.result_schema and os.path.exists(args.result_schema):
            with open(args.result_schema) as f:
                rs = json.load(f)
            rv = jsonschema.Draft202012Validator(
                rs, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
            for path in results:
                with open(path) as f:
                    text = f.read()
                doc = json.loads(text)
                errs = [f"{'/'.join(map(str, e.absolute_path)) or '/'}: "
                        f"{e.message[:200]}" for e in rv.iter_errors(doc)]
                for raw in ("4111 1111", "415-555-2671", "a@b.co"):
                    if raw in text:
                        errs.append(f"raw PII {raw!r} in the result")
                name = os.path.basename(path)
                if errs:
                    failed += 1
                    print(f"FAIL {name}:")
                    for e in errs[:20]:
                        print(f"  {e}")
                else:
                    print(f"ok   {name} valid against analysis_result.v1 "
                          f"(status {doc['status']}, kind "
                          f"{doc['result_kind']}, provider "
                          f"{doc['provider']['name']})")
            bad = json.loads(open(results[0]).read())
            bad["status"] = "done"
            if not list(rv.iter_errors(bad)):
                print("FAIL self-check: a bad result was accepted")
                failed += 1
        else:
            print("skip results: no result schema")
    print("PASS" if failed == 0 else f"{failed} FAILED")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
