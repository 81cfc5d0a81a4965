#!/usr/bin/env bash
# run-local.sh - build and run the whole local stack in the foreground:
# ccai-devbroker (in-memory Kafka-protocol dev broker on 127.0.0.1:9092),
# ccai-processor (admin on :8001; the offline analyzer unless OPENAI_API_KEY
# is set) and ccai-ingress (API on :8000, INGRESS_AUTH=none).
# Ctrl-C (or SIGTERM) stops everything cleanly. Logs: build/local/*.log.
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

pids=()
stop() {
  trap - INT TERM EXIT
  echo
  echo "run-local: stopping"
  # reverse start order: ingress, processor, then the broker
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[$i]}" 2>/dev/null || true
    wait "${pids[$i]}" 2>/dev/null || true
  done
  echo "run-local: stopped"
}
trap stop INT TERM EXIT

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
"$bin/ccai-devbroker" --port "$kafka_port" --ready-file "$ready" >"$logs/devbroker.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  [ -s "$ready" ] && break
  sleep 0.1
done
[ -s "$ready" ] || { echo "run-local: devbroker did not start; see $logs/devbroker.log" >&2; exit 1; }

"$bin/ccai-processor" >"$logs/processor.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$PROCESSOR_PORT/api/v1/processor/health" processor

"$bin/ccai-ingress" >"$logs/ingress.log" 2>&1 &
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
