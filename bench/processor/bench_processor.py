#!/usr/bin/env python3
"""bench_processor - completion throughput of ccai-processor against
ccai-fake-openai (fixed latency), compared with the ceiling
MAX_INFLIGHT / mean LLM latency measured in the same run.

For each in-flight cap it starts a fresh ccai-devbroker and fake, produces N
message.received events over C contacts (C >= 4 x in-flight) with kcat,
starts the processor (AI_PROVIDER=openai, dummy key), waits until every
event has a result, then reads the results back and prints:
  throughput (events/s between the first and last result timestamps),
  ceiling (in-flight / mean latency of the LLM calls, from the processor's
  ccai_llm_request_duration_seconds histogram), ratio, CPU ms per event
  (utime+stime from /proc/PID/stat), peak RSS (VmHWM), per-contact order
  violations on the results topic (must be 0), the mean of the in_flight
  samples of /api/v1/processor/stats during the run, and the CPU of the
  processor, the fake and the broker over the run (% of one core).

Not a ctest. Usage:
  bench/processor/bench_processor.py --bin-dir build/bin [--latency-ms 200]
      [--inflight 256,1024] [--events-per-contact 12] [--perf fp|dwarf]
      [--wrap 'heaptrack -o /tmp/hp']
The log directory keeps samples-<in-flight>.json (in_flight, waiting,
buffered, paused, contacts_active, finished every 0.2 s) and, with --perf,
perf-<in-flight>.data of the processor and the fake.
Needs kcat and python3 (and perf / heaptrack for those options).
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request


def wait_file(path, proc, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path):
            with open(path) as f:
                text = f.read()
            if text.endswith("\n"):
                return text
        if proc.poll() is not None:
            raise RuntimeError("%s exited at start" % proc.args[0])
        time.sleep(0.05)
    raise RuntimeError("timeout waiting for %s" % path)


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http_json(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read().decode())


def http_text(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def vm_hwm_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def histogram_mean(metrics, family):
    s = c = None
    for line in metrics.splitlines():
        if line.startswith(family + "_sum"):
            s = float(line.split()[-1])
        elif line.startswith(family + "_count"):
            c = float(line.split()[-1])
    return s / c if s is not None and c else None


def run_one(args, inflight, tmp):
    contacts = max(4 * inflight, 64)
    n = contacts * args.events_per_contact
    procs = []
    log = open(os.path.join(tmp, "bench-%d.log" % inflight), "w")
    try:
        ready = os.path.join(tmp, "broker-%d.ready" % inflight)
        broker = subprocess.Popen(
            [os.path.join(args.bin_dir, "ccai-devbroker"), "--port", "0",
             "--ready-file", ready], stdout=log, stderr=log)
        procs.append(broker)
        text = wait_file(ready, broker)
        bootstrap = re.search(r"bootstrap=(\S+)", text).group(1)
        fready = os.path.join(tmp, "fake-%d.ready" % inflight)
        fake = subprocess.Popen(
            [os.path.join(args.bin_dir, "ccai-fake-openai"), "--port", "0",
             "--ready-file", fready, "--latency-ms", str(args.latency_ms)],
            stdout=log, stderr=log)
        procs.append(fake)
        url = re.search(r"url=(\S+)", wait_file(fready, fake)).group(1)

        # produce: key|value lines; turns in order per contact
        events = os.path.join(tmp, "events-%d.txt" % inflight)
        with open(events, "w") as f:
            for turn in range(args.events_per_contact):
                for c in range(contacts):
                    ev = {"event_id": "b-%d-%d" % (c, turn),
                          "contact_id": "bc-%d" % c,
                          "type": "message.received", "sequence": turn,
                          "participant": {"role": "customer"},
                          "text": "my internet keeps dropping, please help"}
                    f.write("bc-%d|%s\n" % (c, json.dumps(ev, separators=(",", ":"))))
        t0 = time.time()
        subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", "contact-events",
                        "-K", "|", "-l", events, "-X", "linger.ms=20"],
                       check=True, stdout=log, stderr=log)
        print("  produced %d events over %d contacts in %.1f s" %
              (n, contacts, time.time() - t0), file=sys.stderr)

        port = free_port()
        env = dict(os.environ)
        env.update({"KAFKA_BOOTSTRAP_SERVERS": bootstrap,
                    "PROCESSOR_PORT": str(port),
                    "PROCESSOR_BIND": "127.0.0.1",
                    "AI_PROVIDER": "openai", "OPENAI_API_KEY": "sk-bench",
                    "OPENAI_BASE_URL": url,
                    "PROCESSOR_MAX_INFLIGHT": str(inflight),
                    "PROCESSOR_MAX_BUFFERED": str(args.max_buffered or
                                                  max(10000, 8 * inflight)),
                    "CONSUMER_GROUP": "bench-%d" % inflight,
                    "LOG_LEVEL": "warn"})
        # own process group: with --wrap the signals must reach the
        # processor under the wrapper too
        proc = subprocess.Popen(args.wrap.split() +
                                [os.path.join(args.bin_dir, "ccai-processor")],
                                env=env, stdout=log, stderr=log,
                                start_new_session=True)
        procs.append(proc)
        admin = "http://127.0.0.1:%d" % port
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                http_text(admin + "/api/v1/processor/health")
                break
            except Exception:
                time.sleep(0.1)
        cpu0 = cpu_ticks(proc.pid)
        fcpu0 = cpu_ticks(fake.pid)
        bcpu0 = cpu_ticks(broker.pid)
        t_start = time.time()
        perf = None
        if args.perf:
            perf = subprocess.Popen(
                ["perf", "record", "-F", "199" if args.perf == "dwarf" else "499",
                 "--call-graph", args.perf, "-o",
                 os.path.join(tmp, "perf-%d.data" % inflight),
                 "-p", "%d,%d" % (proc.pid, fake.pid)],
                stdout=log, stderr=log)
        finished = 0
        samples = []  # (in_flight, waiting) from the stats snapshots
        deadline = time.time() + args.timeout_s
        while time.time() < deadline:
            try:
                st = http_json(admin + "/api/v1/processor/stats")
                finished = st["totals"]["finished"]
                if 0 < finished < n:
                    samples.append((st["in_flight"], st["waiting"],
                                    st["buffered"], st["paused"],
                                    st["contacts_active"], finished))
            except Exception:
                pass
            if finished >= n:
                break
            if proc.poll() is not None:
                raise RuntimeError("processor exited")
            time.sleep(0.2)
        wall = time.time() - t_start
        with open(os.path.join(tmp, "samples-%d.json" % inflight), "w") as f:
            json.dump(samples, f)
        if perf is not None:
            perf.send_signal(signal.SIGINT)
            perf.wait(timeout=60)
        cpu1 = cpu_ticks(proc.pid)
        fcpu1 = cpu_ticks(fake.pid)
        bcpu1 = cpu_ticks(broker.pid)
        hwm = vm_hwm_kb(proc.pid)
        metrics = http_text(admin + "/metrics")
        mean_lat = histogram_mean(metrics, "ccai_llm_request_duration_seconds")
        fstats = http_json(url.replace("/v1", "") + "/_control/stats")
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)

        out = subprocess.run(
            ["kcat", "-C", "-b", bootstrap, "-t", "contact-results", "-e",
             "-q", "-f", "%p\t%o\t%T\t%k\t%h\n"],
            check=True, capture_output=True, text=True).stdout
        ts = []
        by_contact = {}
        for line in out.splitlines():
            p, o, t, k, h = line.split("\t", 4)
            m = re.search(r"event_id=b-(\d+)-(\d+)", h)
            if not m:
                continue
            ts.append(int(t))
            by_contact.setdefault(k, []).append((int(p), int(o), int(m.group(2))))
        violations = 0
        for recs in by_contact.values():
            recs.sort()
            turns = [r[2] for r in recs]
            violations += sum(1 for a, b in zip(turns, turns[1:]) if b <= a)
        span = (max(ts) - min(ts)) / 1000.0 if len(ts) > 1 else wall
        thr = len(ts) / span if span > 0 else 0
        ceiling = inflight / mean_lat if mean_lat else inflight / (args.latency_ms / 1000.0)
        hz = os.sysconf("SC_CLK_TCK")
        return {"inflight": inflight, "events": n, "contacts": contacts,
                "results": len(ts), "finished": finished, "span_s": span,
                "throughput": thr, "mean_latency_ms": (mean_lat or 0) * 1000,
                "ceiling": ceiling, "ratio": thr / ceiling if ceiling else 0,
                "cpu_ms_per_event": (cpu1 - cpu0) * 1000.0 / hz / max(finished, 1),
                # share of one core over the run, per process
                "cpu_proc": (cpu1 - cpu0) / hz / wall,
                "cpu_fake": (fcpu1 - fcpu0) / hz / wall,
                "cpu_broker": (bcpu1 - bcpu0) / hz / wall,
                "rss_mb": hwm / 1024.0, "order_violations": violations,
                "fake_max_in_flight": fstats.get("max_in_flight"),
                "mean_in_flight": (sum(x[0] for x in samples) / len(samples)
                                   if samples else 0)}
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
        log.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", default="build/bin")
    ap.add_argument("--latency-ms", type=int, default=200)
    ap.add_argument("--inflight", default="256,1024")
    ap.add_argument("--events-per-contact", type=int, default=12)
    ap.add_argument("--timeout-s", type=int, default=600)
    ap.add_argument("--perf", choices=["fp", "dwarf"],
                    help="perf record the processor and the fake with this "
                         "call-graph mode (perf-<in-flight>.data in the log "
                         "directory)")
    ap.add_argument("--wrap", default="",
                    help="command prefix for the processor, e.g. 'heaptrack "
                         "-o /tmp/hp' (CPU and RSS figures are then not the "
                         "processor's own)")
    ap.add_argument("--max-buffered", type=int, default=0,
                    help="PROCESSOR_MAX_BUFFERED (default max(10000, 8 x in-flight))")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="ccai-bench-processor-")
    rows = []
    for x in [int(v) for v in args.inflight.split(",")]:
        print("running in-flight %d ..." % x, file=sys.stderr)
        rows.append(run_one(args, x, tmp))
    print()
    print("| in flight | events | contacts | results | events/s | mean LLM ms "
          "| ceiling/s | ratio | CPU ms/event | peak RSS MB | order violations "
          "| fake max in flight | mean in flight | CPU processor / fake / broker |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %d | %d | %d | %d | %.0f | %.1f | %.0f | %.1f %% | %.3f | %.1f "
              "| %d | %s | %.0f | %.0f / %.0f / %.0f %% |" % (
                  r["inflight"], r["events"], r["contacts"], r["results"],
                  r["throughput"], r["mean_latency_ms"], r["ceiling"],
                  100 * r["ratio"], r["cpu_ms_per_event"], r["rss_mb"],
                  r["order_violations"], r["fake_max_in_flight"],
                  r["mean_in_flight"], 100 * r["cpu_proc"], 100 * r["cpu_fake"],
                  100 * r["cpu_broker"]))
    print("\nlogs: %s" % tmp)
    bad = [r for r in rows if r["order_violations"] or r["results"] < r["events"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
