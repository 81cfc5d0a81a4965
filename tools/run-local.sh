#!/usr/bin/env bash
# run-local.sh - build and run the whole local stack in the foreground:
# ccai-devbroker (in-memory Kafka-protocol dev broker on 127.0.0.1:9092),
# ccai-processor (admin on :8001; the offline analyzer unless OPENAI_API_KEY
# is set) and ccai-ingress (API on :8000, INGRESS_AUTH=none).
# Ctrl-C (or SIGTERM, or closing the terminal) stops everything cleanly.
# Logs: build/local/*.log.
# Environment: PORT, PROCESSOR_PORT, KAFKA_PORT (9092), OPENAI_API_KEY, ...
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

"$root/tools/deps.sh" --runtime
cmake --preset debug >/dev/null
cmake --build build -j"$(nproc)" --target ccai-devbroker ccai-ingress ccai-processor

bin="$root/build/bin"
logs="$root/build/local"
mkdir -p "$logs"
kafka_port=${KAFKA_PORT:-9092}
export PORT=${PORT:-8000}
export PROCESSOR_PORT=${PROCESSOR_PORT:-8001}
export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$kafka_port"
export INGRESS_AUTH=${INGRESS_AUTH:-none}
export LOG_LEVEL=${LOG_LEVEL:-info}

# The components run in their own sessions (setsid): a terminal's Ctrl-C
# reaches only this script, which stops them one by one in reverse start
# order, so the processor commits and leaves its group while the broker is
# still up (signalled together, the broker went first and the processor's
# close waited for it).
pids=()
stop() {
  trap - INT TERM HUP EXIT
  echo
  echo "run-local: stopping"
  # reverse start order: ingress, processor, then the broker
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    local pid=${pids[$i]}
    kill -TERM "$pid" 2>/dev/null || true
    # a component that ignores SIGTERM for 35 s is killed (ECS waits 30 s)
    for _ in $(seq 1 350); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "run-local: pid $pid did not stop in 35 s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  echo "run-local: stopped"
}
trap 'stop; exit 0' INT TERM HUP
trap stop EXIT

wait_http() { # URL NAME
  for _ in $(seq 1 100); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "run-local: $2 did not become ready; see $logs/$2.log" >&2
  return 1
}

ready="$logs/devbroker.ready"
rm -f "$ready"
setsid "$bin/ccai-devbroker" --port "$kafka_port" --ready-file "$ready" >"$logs/devbroker.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  [ -s "$ready" ] && break
  sleep 0.1
done
[ -s "$ready" ] || { echo "run-local: devbroker did not start; see $logs/devbroker.log" >&2; exit 1; }

setsid "$bin/ccai-processor" >"$logs/processor.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$PROCESSOR_PORT/api/v1/processor/health" processor

setsid "$bin/ccai-ingress" >"$logs/ingress.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$PORT/api/v1/health" ingress

provider="offline analyzer (no OPENAI_API_KEY)"
[ -n "${OPENAI_API_KEY:-}" ] && provider="OpenAI (${OPENAI_MODEL:-gpt-4o-mini})"
cat <<TXT

Local stack is up  (Ctrl-C stops it; logs in $logs/)
  broker     127.0.0.1:$kafka_port   (ccai-devbroker, in memory, dev only)
  ingress    http://127.0.0.1:$PORT/api/v1/health
  processor  http://127.0.0.1:$PROCESSOR_PORT/api/v1/processor/stats   ($provider)

Try:
  curl -s -X POST http://127.0.0.1:$PORT/api/v1/events -H 'Content-Type: application/json' \\
    -d '{"contact_id":"c-1","type":"message.received","participant":{"role":"customer"},"text":"I want to cancel, my card 4111 1111 1111 1111 was charged twice"}'
  kcat -b 127.0.0.1:$kafka_port -C -t contact-results -e -o beginning
TXT

# stay in the foreground until Ctrl-C or a component exits
while true; do
  for pid in "${pids[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "run-local: a component exited (pid $pid); see $logs/" >&2
      exit 1
    fi
  done
  sleep 1
done
