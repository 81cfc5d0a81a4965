#!/usr/bin/env bash
# check_config_docs.sh - docs/configuration.md must describe exactly the
# variables the binaries read (their --print-env output): same services,
# kind, default and range. Also: other docs tables must not show another
# default, every variable of ../shared/PRODUCT.md section 7 must exist, and
# compose.yaml must set only variables its service reads.
# Needs CCAI_BIN_DIR (ctest sets it). Exits 1 naming every difference.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin_dir=${CCAI_BIN_DIR:-build/bin}
for svc in ingress processor; do
  [ -x "$bin_dir/ccai-$svc" ] || { echo "check_config_docs: $bin_dir/ccai-$svc not built" >&2; exit 1; }
done
exec /usr/bin/python3 - "$bin_dir" <<'PY'
import glob, os, re, subprocess, sys
import yaml

bin_dir = sys.argv[1]
problems = []
code = {}  # name -> {kind, default, range, services}
for svc in ("ingress", "processor"):
    out = subprocess.run([os.path.join(bin_dir, "ccai-" + svc), "--print-env"],
                         check=True, capture_output=True, text=True).stdout
    if not out.strip():
        problems.append(f"ccai-{svc} --print-env printed nothing")
    for line in out.splitlines():
        name, kind, default, rng = line.split("\t")
        entry = code.setdefault(name, {"kind": kind, "default": default,
                                       "range": rng, "services": set()})
        if (entry["kind"], entry["default"], entry["range"]) != (kind, default, rng):
            problems.append(f"{name}: ingress and processor disagree on kind/default/range")
        entry["services"].add(svc)

def cell_default(text):
    text = text.strip()
    if text == "—":
        return "-"
    m = re.fullmatch(r"`([^`]*)`", text)
    return m.group(1) if m else None

def cell_range(text, kind):
    text = text.strip()
    if text == "—":
        return "-"
    vals = re.findall(r"`([^`]*)`", text)
    return "|".join(vals) if kind == "enum" else (vals[0] if len(vals) == 1 else None)

documented = {}
row_re = re.compile(r"^\| `([A-Z][A-Z0-9_<>]+)` \|(.*)\|\s*$")
for line in open("docs/configuration.md", encoding="utf-8"):
    m = row_re.match(line)
    if not m:
        continue
    cells = [c.strip() for c in m.group(2).split(" | ")]
    if len(cells) != 5:
        problems.append(f"configuration.md: row {m.group(1)} has {len(cells) + 1} cells, expected 6")
        continue
    documented[m.group(1)] = cells

for name, c in sorted(code.items()):
    d = documented.get(name)
    if d is None:
        problems.append(f"configuration.md: {name} is read by {', '.join(sorted(c['services']))} but not documented")
        continue
    services, kind, default, rng, meaning = d
    if set(s.strip() for s in services.split(",")) != c["services"]:
        problems.append(f"configuration.md: {name}: services '{services}', code: {', '.join(sorted(c['services']))}")
    if kind != c["kind"]:
        problems.append(f"configuration.md: {name}: kind '{kind}', code: {c['kind']}")
    if cell_default(default) != c["default"]:
        problems.append(f"configuration.md: {name}: default {default}, code: {c['default']}")
    if cell_range(rng, c["kind"]) != c["range"]:
        problems.append(f"configuration.md: {name}: range {rng}, code: {c['range']}")
    if not meaning:
        problems.append(f"configuration.md: {name}: no meaning given")
for name in sorted(set(documented) - set(code)):
    problems.append(f"configuration.md: {name} is documented but no binary reads it")

# any other table row "| `NAME` | `value` | ..." must show the code's default
other = [f for f in glob.glob("docs/**/*.md", recursive=True) if not f.endswith("configuration.md")]
for f in other + ["README.md"]:
    for n, line in enumerate(open(f, encoding="utf-8"), 1):
        m = re.match(r"^\| `([A-Z][A-Z0-9_<>]+)` \| `([^`]*)`", line)
        if m and m.group(1) in code and code[m.group(1)]["default"] != m.group(2):
            problems.append(f"{f}:{n}: {m.group(1)} default `{m.group(2)}`, code: {code[m.group(1)]['default']}")

# the product contract's variables (section 7) exist
product = "../shared/PRODUCT.md"
if os.path.exists(product):
    text = open(product, encoding="utf-8").read()
    sec = text.split("## 7.", 1)[1].split("\n## ", 1)[0] if "## 7." in text else ""
    first_cells = [l.split("|")[1] for l in sec.splitlines() if l.startswith("| `")]
    for name in sorted({n for c in first_cells for n in re.findall(r"`([A-Z][A-Z0-9_<>]+)`", c)}):
        if name not in code:
            problems.append(f"PRODUCT.md section 7 names {name}, no binary reads it")

# compose.yaml: the services' environment keys are variables they read
compose = yaml.safe_load(open("compose.yaml"))
for svc in ("ingress", "processor"):
    env = (compose.get("services", {}).get(svc) or {}).get("environment") or {}
    keys = env.keys() if isinstance(env, dict) else [e.split("=", 1)[0] for e in env]
    for k in keys:
        if k not in code or svc not in code[k]["services"]:
            if not k.startswith("KAFKA_CONFIG_"):
                problems.append(f"compose.yaml: {svc} sets {k}, which ccai-{svc} does not read")

for p in problems:
    print("check_config_docs:", p)
if problems:
    sys.exit(1)
print(f"check_config_docs: {len(code)} variables documented and matching the code")
PY
