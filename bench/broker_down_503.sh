#!/usr/bin/env bash
# broker_down_503.sh - how long a POST waits for its 503 while every broker
# is down (docs/ingress.md, "Why reconnect.backoff.max.ms=1000"). Starts
# ccai-devbroker and ccai-ingress on 127.0.0.1 with
# INGRESS_PRODUCE_TIMEOUT_MS=2000, posts one event (202), takes the brokers
# down through the dev broker's control API, times N posts, brings the
# brokers back and posts once more.
# usage: bench/broker_down_503.sh [N] [ENV=VALUE ...]   (env for the ingress,
#   e.g. KAFKA_CONFIG_RECONNECT_BACKOFF_MAX_MS=10000 for librdkafka's default)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${CCAI_BIN_DIR:-$root/build/bin}
n=${1:-4}
shift || true
work=$(mktemp -d "${TMPDIR:-/tmp}/ccai-503-XXXXXX")
pids=()
# shellcheck disable=SC2317  # invoked through the EXIT trap
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
"$bin/ccai-devbroker" --port 0 --control-port 0 --ready-file "$work/ready" \
  >"$work/devbroker.log" 2>&1 &
pids+=("$!")
for _ in $(seq 1 50); do [ -s "$work/ready" ] && break; sleep 0.1; done
bootstrap=$(sed -n 's/^bootstrap=//p' "$work/ready")
control=$(sed -n 's/^control=//p' "$work/ready")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
env "$@" PORT="$port" INGRESS_BIND=127.0.0.1 INGRESS_AUTH=none LOG_LEVEL=warn \
  KAFKA_BOOTSTRAP_SERVERS="$bootstrap" INGRESS_PRODUCE_TIMEOUT_MS=2000 \
  "$bin/ccai-ingress" >"$work/ingress.log" 2>&1 &
pids+=("$!")
for _ in $(seq 1 50); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/api/v1/ready" 2>/dev/null && break
  sleep 0.1
done
post() {
  curl -s -o /dev/null -w "$1 %{http_code} %{time_total} s\n" -X POST \
    -H 'Content-Type: application/json' \
    -d '{"contact_id":"c-1","type":"message.received","participant":{"role":"customer"},"text":"x"}' \
    "http://127.0.0.1:$port/api/v1/events"
}
post "broker up:"
curl -fsS -X POST "http://$control/brokers/all/down" >/dev/null
for i in $(seq 1 "$n"); do post "broker down #$i:"; done
curl -fsS -X POST "http://$control/brokers/all/up" >/dev/null
sleep 2
post "broker back:"
