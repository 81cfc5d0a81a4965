#!/usr/bin/env bash
# test_system_e2e.sh - the whole local stack end to end, read back with kcat.
#
# Starts ccai-devbroker, ccai-processor (offline analyzer) and ccai-ingress on
# 127.0.0.1, posts a set of contacts through the HTTP API (single events, an
# NDJSON batch and a CloudEvent), writes two records straight to the events
# topic with kcat (another producer: one valid, one not JSON), and reads every
# topic back with kcat, a client nobody here wrote. Checks:
#   * every accepted event has exactly one result, keyed by its contact_id,
#     in the same partition number as its event, in the contact's order;
#   * every result validates against proto/schemas/analysis_result.v1.json;
#   * the raw card number and e-mail never appear in a result, and the
#     result counts the redacted entities; contact.ended carries a summary;
#   * the invalid record is dead-lettered once, value unchanged, with the
#     headers of PRODUCT.md section 4, and the processor logs exactly one
#     "dead-lettered" line (the CloudWatch metric filter counts those);
#   * all three binaries stop cleanly (exit 0) on SIGTERM.
# Needs /usr/bin/python3 with python3-jsonschema, kcat, $CCAI_BIN_DIR.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export CCAI_BIN_DIR="${CCAI_BIN_DIR:-build/bin}"
command -v kcat >/dev/null || { echo "test_system_e2e: kcat not installed" >&2; exit 1; }
exec /usr/bin/python3 - "$@" <<'PY'
import atexit
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

from jsonschema import Draft202012Validator

BIN = os.environ["CCAI_BIN_DIR"]
HOST = "127.0.0.1"
WAIT_S = 90
CARD = "4111 1111 1111 1111"
EMAIL = "jane.doe@example.com"

work = tempfile.mkdtemp(prefix="ccai-e2e-")
procs = {}
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start(name, argv, env):
    log = open(os.path.join(work, name + ".log"), "w")
    full = dict(os.environ)
    full.update(env)
    procs[name] = subprocess.Popen(argv, env=full, stdout=log,
                                   stderr=subprocess.STDOUT)


def cleanup():
    for p in procs.values():
        if p.poll() is None:
            p.kill()
            p.wait()


atexit.register(cleanup)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))


def wait_for(what, pred, timeout=WAIT_S):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, p in procs.items():
            if p.poll() is not None:
                print(open(os.path.join(work, name + ".log")).read()[-3000:])
                raise SystemExit(f"test_system_e2e: {name} exited ({p.returncode}) while waiting for {what}")
        v = pred()
        if v:
            return v
        time.sleep(0.2)
    raise SystemExit(f"test_system_e2e: timed out waiting for {what}")


def request(port, method, path, body=None, ctype="application/json"):
    c = http.client.HTTPConnection(HOST, port, timeout=30)
    headers = {"Content-Type": ctype} if body is not None else {}
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def http_ok(port, path):
    try:
        return request(port, "GET", path)[0] == 200
    except OSError:
        return False


def kcat_read(bootstrap, topic):
    out = subprocess.run(["kcat", "-b", bootstrap, "-C", "-t", topic, "-e",
                          "-o", "beginning", "-J", "-q"],
                         capture_output=True, text=True, timeout=60)
    return [json.loads(l) for l in out.stdout.splitlines() if l.strip()]


def headers_of(rec):
    h = rec.get("headers") or []
    return {h[i]: h[i + 1] for i in range(0, len(h), 2)}


# --- the stack -------------------------------------------------------------
ready = os.path.join(work, "devbroker.ready")
start("devbroker", [f"{BIN}/ccai-devbroker", "--port", "0", "--ready-file", ready], {})
bootstrap = wait_for("the dev broker", lambda: os.path.exists(ready) and next(
    (l.split("=", 1)[1].strip() for l in open(ready) if l.startswith("bootstrap=")), None))
common = {"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "LOG_LEVEL": "info"}
proc_port, ingress_port = free_port(), free_port()
start("processor", [f"{BIN}/ccai-processor"], dict(common, **{
    "PROCESSOR_BIND": HOST, "PROCESSOR_PORT": str(proc_port),
    "CONSUMER_GROUP": f"e2e-{os.getpid()}", "AI_PROVIDER": "rules",
    "OPENAI_API_KEY": "sk-must-never-be-logged"}))
start("ingress", [f"{BIN}/ccai-ingress"], dict(common, **{
    "INGRESS_BIND": HOST, "PORT": str(ingress_port), "INGRESS_AUTH": "none"}))
wait_for("ingress ready", lambda: http_ok(ingress_port, "/api/v1/ready"))
wait_for("processor ready", lambda: http_ok(proc_port, "/api/v1/processor/ready"))

# --- traffic ---------------------------------------------------------------
accepted = {}   # event_id -> contact_id
CONTACTS = [f"e2e-{i}" for i in range(6)]


def post(ev):
    st, body = request(ingress_port, "POST", "/api/v1/events", json.dumps(ev))
    if st != 202:
        fail(f"POST {ev.get('event_id')}: {st} {body[:200]!r}")
        return
    accepted[json.loads(body)["event_id"]] = ev["contact_id"]


for n, c in enumerate(CONTACTS):
    post({"event_id": f"{c}-start", "contact_id": c, "type": "contact.started",
          "channel": "chat", "customer": {"tier": "gold"}})
    for t in range(4):
        role = "customer" if t % 2 == 0 else "agent"
        text = (f"My card {CARD} was charged twice, mail me at {EMAIL}"
                if t == 0 else f"turn {t}: I am unhappy, please cancel")
        post({"event_id": f"{c}-m{t}", "contact_id": c, "type": "message.received",
              "sequence": t, "participant": {"role": role}, "text": text})
# an NDJSON batch of transcript segments (one partial: skipped, not analysed)
lines = []
for c in CONTACTS:
    lines.append(json.dumps({"event_id": f"{c}-seg-p", "contact_id": c,
                             "type": "transcript.segment", "segment_id": "s1", "is_partial": True,
                             "participant": {"role": "customer"}, "text": "I would like"}))
    lines.append(json.dumps({"event_id": f"{c}-seg", "contact_id": c,
                             "type": "transcript.segment", "segment_id": "s1",
                             "participant": {"role": "customer"}, "text": "I would like a refund"}))
st, body = request(ingress_port, "POST", "/api/v1/events/batch", "\n".join(lines) + "\n",
                "application/x-ndjson")
if st != 200:
    fail(f"batch: {st} {body[:200]!r}")
else:
    for item in json.loads(body)["items"]:
        if item.get("status") != "accepted":
            fail(f"batch item {item}")
        else:
            accepted[item["event_id"]] = item["event_id"].rsplit("-seg", 1)[0]
# a structured CloudEvent, then the contacts end
ce = {"specversion": "1.0", "id": "e2e-0-ce", "source": "/e2e", "type": "message.received",
      "datacontenttype": "application/json",
      "data": {"contact_id": "e2e-0", "type": "message.received",
               "participant": {"role": "customer"}, "text": "thanks, that helps"}}
st, body = request(ingress_port, "POST", "/api/v1/events", json.dumps(ce),
                "application/cloudevents+json")
if st == 202:
    accepted["e2e-0-ce"] = "e2e-0"
else:
    fail(f"CloudEvent: {st} {body[:200]!r}")
for c in CONTACTS:
    post({"event_id": f"{c}-end", "contact_id": c, "type": "contact.ended"})

# another producer writes to the topic directly: one valid record, one not JSON
other = json.dumps({"event_id": "kcat-1", "contact_id": "kcat-c", "type": "message.received",
                    "participant": {"role": "customer"}, "text": "hello from kcat"})
for key, value in (("kcat-c", other), ("kcat-bad", "this is not json")):
    subprocess.run(["kcat", "-b", bootstrap, "-P", "-t", "contact-events", "-k", key,
                    "-H", "origin=kcat"], input=value, text=True, check=True, timeout=30)
accepted["kcat-1"] = "kcat-c"
expected = len(accepted)

# --- read everything back ----------------------------------------------------
def results_and_dlq():
    res = kcat_read(bootstrap, "contact-results")
    dlq = kcat_read(bootstrap, "contact-events-dlq")
    return (res, dlq) if len(res) >= expected and len(dlq) >= 1 else None


results, dlq = wait_for(f"{expected} results and 1 dead letter", results_and_dlq)
events = kcat_read(bootstrap, "contact-events")
event_pos = {}
for rec in events:
    h = headers_of(rec)
    eid = h.get("ce_id") or (json.loads(rec["payload"]).get("event_id") if rec["payload"].startswith("{") else None)
    if eid:
        event_pos[eid] = (rec["partition"], rec["offset"])

schema = json.load(open("proto/schemas/analysis_result.v1.json"))
validator = Draft202012Validator(schema)
seen = {}
per_contact = {}
for rec in results:
    r = json.loads(rec["payload"])
    for e in sorted(validator.iter_errors(r), key=str)[:3]:
        fail(f"result {r.get('event_id')}: schema: {e.message} at {list(e.absolute_path)}")
    eid = r["event_id"]
    seen[eid] = seen.get(eid, 0) + 1
    if rec["key"] != r["contact_id"]:
        fail(f"result {eid}: key {rec['key']!r} is not its contact_id {r['contact_id']!r}")
    if eid in accepted and r["contact_id"] != accepted[eid]:
        fail(f"result {eid}: contact {r['contact_id']} expected {accepted[eid]}")
    # the ingress and the processor both partition by murmur2_random
    if eid in event_pos and not eid.startswith("kcat-") and rec["partition"] != event_pos[eid][0]:
        fail(f"result {eid}: partition {rec['partition']}, its event is in {event_pos[eid][0]}")
    per_contact.setdefault(r["contact_id"], []).append((rec["offset"], eid, rec["partition"]))
    if CARD in rec["payload"] or CARD.replace(" ", "") in rec["payload"] or EMAIL in rec["payload"]:
        fail(f"result {eid}: raw PII in the result")
    if eid.endswith("-m0"):
        kinds = {e["type"] for e in r["pii"]["entities"]}
        if not r["pii"]["redacted"] or not {"credit_card", "email"} <= kinds:
            fail(f"result {eid}: pii {r['pii']}")
    if eid.endswith("-seg-p") and (r["status"] != "skipped" or r["analysis"] is not None):
        fail(f"result {eid}: a partial segment must be skipped, got {r['status']}")
    if eid.endswith("-end") and not (r["analysis"] or {}).get("summary"):
        fail(f"result {eid}: contact.ended without a summary")

missing = sorted(set(accepted) - set(seen))
dups = {k: v for k, v in seen.items() if v > 1}
unknown = sorted(set(seen) - set(accepted))
for m in missing:
    fail(f"no result for accepted event {m}")
for k, v in dups.items():
    fail(f"{v} results for {k} (no fault was injected: expected exactly one)")
for u in unknown:
    fail(f"result for an event nobody sent: {u}")
for c, lst in per_contact.items():
    if len({p for _, _, p in lst}) != 1:
        fail(f"contact {c}: results in several partitions")
    got = [eid for _, eid, _ in sorted(lst)]
    want = sorted(got, key=lambda e: event_pos.get(e, (0, 0))[1])
    if got != want:
        fail(f"contact {c}: results out of order: {got} (event order {want})")

# the dead letter
if len(dlq) != 1:
    fail(f"{len(dlq)} dead letters, expected 1")
d = dlq[0]
h = headers_of(d)
bad = next((e for e in events if e["key"] == "kcat-bad"), None)
if d["payload"] != "this is not json" or d["key"] != "kcat-bad":
    fail(f"dead letter value/key changed: {d['key']!r} {d['payload']!r}")
want = {"error.code": "invalid_event", "error.stage": "validate", "original.topic": "contact-events",
        "attempts": "0", "origin": "kcat"}
for k, v in want.items():
    if h.get(k) != v:
        fail(f"dead-letter header {k}={h.get(k)!r}, expected {v!r}")
if bad and (h.get("original.partition") != str(bad["partition"]) or h.get("original.offset") != str(bad["offset"])):
    fail(f"dead-letter original position {h.get('original.partition')}/{h.get('original.offset')}, record at {bad['partition']}/{bad['offset']}")
if not h.get("error.message"):
    fail("dead letter without error.message")

# --- stop, then read the logs --------------------------------------------------
for name in ("ingress", "processor", "devbroker"):
    p = procs[name]
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(timeout=40)
    except subprocess.TimeoutExpired:
        fail(f"{name} did not stop within 40 s of SIGTERM")
        continue
    if rc != 0:
        fail(f"{name} exited {rc} on SIGTERM")
plog = open(os.path.join(work, "processor.log")).read()
dl_lines = [l for l in plog.splitlines() if '"msg":"dead-lettered"' in l]
if len(dl_lines) != 1:
    fail(f"processor logged {len(dl_lines)} dead-lettered lines, expected 1")
for name in procs:
    text = open(os.path.join(work, name + ".log")).read()
    if "sk-must-never-be-logged" in text or CARD in text or EMAIL in text:
        fail(f"{name} log holds a secret or raw PII")

print(f"test_system_e2e: {expected} events accepted, {len(results)} results, "
      f"{len(dlq)} dead letter, {len(per_contact)} contacts in order, "
      f"{len(failures)} failure(s)")
if failures:
    print(f"logs kept in {work}")
    sys.exit(1)
subprocess.run(["rm", "-rf", work])
PY
