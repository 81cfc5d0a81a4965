#!/usr/bin/env bash
# check_openapi_routes.sh - the ingress route table (ingress/*.c) and the
# OpenAPI document (docs/api/openapi.yaml) must list the same paths and
# methods. Exits 1 naming every difference.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec /usr/bin/python3 - "$@" <<'PY'
import glob, re, sys
import yaml

doc = yaml.safe_load(open("docs/api/openapi.yaml"))
documented = set()
for path, ops in (doc.get("paths") or {}).items():
    norm = re.sub(r"\{[^}]+\}", "{}", path)
    for method in ops:
        if method.lower() in ("get", "post", "put", "delete", "patch", "head"):
            documented.add((method.upper(), norm))

# route table entries look like {HTTP_GET | HTTP_HEAD, "/api/v1/...", handler, "name"}
implemented = set()
route_re = re.compile(r'\{\s*((?:HTTP_[A-Z]+\s*\|?\s*)+),\s*"(/[^"]*)"')
for src in glob.glob("ingress/*.c"):
    text = open(src).read()
    for m in route_re.finditer(text):
        for meth in re.findall(r"HTTP_([A-Z]+)", m.group(1)):
            if meth in ("HEAD", "OTHER"):
                continue
            implemented.add((meth, m.group(2)))

if not implemented:
    print("check_openapi_routes: no route table found in ingress/*.c")
    sys.exit(1)
missing_doc = sorted(implemented - documented)
missing_impl = sorted(documented - implemented)
for meth, path in missing_doc:
    print(f"implemented but not in docs/api/openapi.yaml: {meth} {path}")
for meth, path in missing_impl:
    print(f"documented but not implemented: {meth} {path}")
if missing_doc or missing_impl:
    sys.exit(1)
print(f"check_openapi_routes: {len(implemented)} routes match")
PY
