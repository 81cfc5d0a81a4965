#!/usr/bin/env bash
# ingress_bench.sh - throughput and latency of ccai-ingress against its
# ceiling (bench/bare_server.c, the same MHD thread model answering 202
# with no work), with ccai-devbroker as the broker. For each connection
# count: wrk posts ~430-byte message.received events for DURATION seconds
# to the ingress, then to the bare server; the 202s are counted in wrk's
# Lua response hook and compared with the records that landed in
# contact-events. Prints a table, with the CPU each side spent per answer
# (ingress + dev broker, bare server, and wrk itself) so the CPU budget of
# the shared machine can be checked. Exits 1 on a lost acknowledged event
# or a bare-server run that is not a ceiling: socket errors, slower than
# the ingress, or one MHD worker doing nearly all the work in three tries
# (libmicrohttpd's workers race for accept(), and the winner may keep every
# connection: seen as 92k instead of 130k req/s on the 2-vCPU box).
#
# usage: bench/ingress_bench.sh [DURATION_S] [CONNECTIONS...]
#   env: CCAI_BIN_DIR (build/bin), BENCH_BIN_DIR (CCAI_BIN_DIR, else build-bench/bin),
#        WRK_THREADS (2), INGRESS_THREADS (2), KEEP_LOGS=1
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
duration=${1:-${DURATION:-10}}
shift || true
conns=("$@")
[ ${#conns[@]} -gt 0 ] || conns=(64 256)
bin_dir=${CCAI_BIN_DIR:-$root/build/bin}
bench_bin=${BENCH_BIN_DIR:-$bin_dir}
[ -x "$bench_bin/ccai-bare-server" ] || bench_bin=$root/build-bench/bin
wrk_threads=${WRK_THREADS:-2}
lua=$here/ingress_events.lua
topic=${TOPIC_EVENTS:-contact-events}

for tool in wrk kcat python3; do
    command -v "$tool" >/dev/null || { echo "ingress_bench: $tool is required" >&2; exit 2; }
done
for b in "$bin_dir/ccai-devbroker" "$bin_dir/ccai-ingress" "$bench_bin/ccai-bare-server"; do
    [ -x "$b" ] || { echo "ingress_bench: $b not built" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/ccai-bench-XXXXXX")
pids=()
# shellcheck disable=SC2317  # invoked through the EXIT trap
cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    if [ "${KEEP_LOGS:-0}" = 1 ]; then echo "logs kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_for() { # wait_for SECONDS CMD...: poll until CMD succeeds
    local deadline=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.1
    done
}

# Records ever appended to the events topic: the sum of the partitions'
# end offsets (high watermarks). Reading the topic would undercount: the
# dev broker keeps only the last 5 MB / 100000 message sets per partition.
topic_count() {
    local n args=()
    n=$(kcat -b "$bootstrap" -L -t "$topic" 2>/dev/null | grep -c '^    partition ')
    for ((p = 0; p < n; p++)); do args+=(-t "$topic:$p:-1"); done
    kcat -b "$bootstrap" -Q "${args[@]}" 2>/dev/null |
        awk '/offset/ {s += $NF} END {print s + 0}'
}

# dev broker
"$bin_dir/ccai-devbroker" --port 0 --ready-file "$work/db.ready" \
    >"$work/devbroker.log" 2>&1 &
devbroker_pid=$!
pids+=("$devbroker_pid")
wait_for 30 grep -q '^bootstrap=' "$work/db.ready" || { echo "devbroker did not start" >&2; exit 1; }
bootstrap=$(sed -n 's/^bootstrap=//p' "$work/db.ready")

# ingress
ingress_port=$(free_port)
PORT=$ingress_port INGRESS_BIND=127.0.0.1 INGRESS_AUTH=none LOG_LEVEL=warn \
    KAFKA_BOOTSTRAP_SERVERS=$bootstrap INGRESS_THREADS=${INGRESS_THREADS:-2} \
    "$bin_dir/ccai-ingress" >"$work/ingress.log" 2>&1 &
ingress_pid=$!
pids+=("$ingress_pid")
wait_for 30 curl -fsS "http://127.0.0.1:$ingress_port/api/v1/ready" || {
    echo "ingress not ready" >&2; tail -20 "$work/ingress.log" >&2; exit 1; }

# bare server (the ceiling)
"$bench_bin/ccai-bare-server" --port 0 --threads "${INGRESS_THREADS:-2}" \
    --ready-file "$work/bare.ready" >"$work/bare.log" 2>&1 &
bare_pid=$!
pids+=("$bare_pid")
wait_for 10 grep -q '^port=' "$work/bare.ready" || { echo "bare server did not start" >&2; exit 1; }
bare_port=$(sed -n 's/^port=//p' "$work/bare.ready")

run_wrk() { # run_wrk URL CONNECTIONS OUTFILE: wrk's user+sys s in OUTFILE.cpu
    local TIMEFORMAT='%U %S'
    { time wrk -t "$wrk_threads" -c "$2" -d "${duration}s" --timeout 10s \
        --latency -s "$lua" "$1" >"$3" 2>&1; } 2>"$3.cpu"
}

wrk_cpu_s() { awk '{print $1 + $2}' "$1.cpu"; }

field() { sed -n "s/^$1=//p" "$2"; }

cpu_ticks() { # user + system clock ticks of PID so far
    awk '{print $14 + $15}' "/proc/$1/stat"
}

worker_ticks() { # CPU ticks of each MHD worker thread of PID, one line each
    local t
    for t in /proc/"$1"/task/*; do
        [ "$(cat "$t/comm")" = MHD-worker ] || continue
        awk '{print $14 + $15}' "$t/stat"
    done
}

# per_req SECONDS RPS: microseconds of CPU per answer
per_req() { python3 -c "print(f'{$1 / ($2 * $duration) * 1e6:.1f}')"; }

# warm-up (connections, producer, topic metadata); its records are counted
# out of the per-run figures by taking the topic count before each run
run_wrk "http://127.0.0.1:$ingress_port" 8 "$work/warmup.out" || true

status=0
rows=()
for c in "${conns[@]}"; do
    before=$(topic_count)
    ing0=$(cpu_ticks "$ingress_pid") db0=$(cpu_ticks "$devbroker_pid")
    run_wrk "http://127.0.0.1:$ingress_port" "$c" "$work/ingress.$c.out"
    ing1=$(cpu_ticks "$ingress_pid") db1=$(cpu_ticks "$devbroker_pid")
    sleep 2 # let requests that wrk abandoned at the end finish producing
    after=$(topic_count)
    hz=$(getconf CLK_TCK)
    ing_cpu=$(python3 -c "print(f'{($ing1 - $ing0) / $hz / $duration * 100:.0f}%')")
    db_cpu=$(python3 -c "print(f'{($db1 - $db0) / $hz / $duration * 100:.0f}%')")
    # the ceiling: up to three tries for a run whose connections were
    # spread over the bare server's workers (see the header)
    for try in 1 2 3; do
        bare0=$(cpu_ticks "$bare_pid") bw0=$(worker_ticks "$bare_pid")
        run_wrk "http://127.0.0.1:$bare_port" "$c" "$work/bare.$c.out"
        bare1=$(cpu_ticks "$bare_pid") bw1=$(worker_ticks "$bare_pid")
        # the busiest worker's share of the bare server's worker CPU
        busiest=$(paste <(echo "$bw0") <(echo "$bw1") |
            awk '{d = $2 - $1; s += d; if (d > m) m = d} END {print (s > 0 ? int(m * 100 / s) : 0)}')
        balanced=1
        [ "$(wc -l <<<"$bw1")" -gt 1 ] && [ "$busiest" -gt 85 ] && balanced=0
        [ "$balanced" = 1 ] && break
        echo "note: one bare-server worker did $busiest% of the work at $c connections (try $try)" >&2
    done

    i=$work/ingress.$c.out b=$work/bare.$c.out
    n202=$(field BENCH_202 "$i"); nother=$(field BENCH_OTHER "$i")
    irps=$(field BENCH_RPS "$i"); brps=$(field BENCH_RPS "$b")
    p50=$(field BENCH_P50_US "$i"); p99=$(field BENCH_P99_US "$i")
    landed=$((after - before))
    rss_kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$ingress_pid/status")
    ratio=$(python3 -c "print(f'{$irps / $brps * 100:.0f}%')")
    # CPU per answer: ingress + dev broker, bare server, wrk in each run
    us_ing=$(per_req "($ing1 - $ing0 + $db1 - $db0) / $hz" "$irps")
    us_bare=$(per_req "($bare1 - $bare0) / $hz" "$brps")
    us_wrk_i=$(per_req "$(wrk_cpu_s "$i")" "$irps")
    us_wrk_b=$(per_req "$(wrk_cpu_s "$b")" "$brps")
    check=ok
    if [ "$landed" -lt "$n202" ]; then
        check="LOST $((n202 - landed))"
        status=1
    elif [ "$landed" -gt $((n202 + nother + c)) ]; then
        check="EXTRA $((landed - n202))"
        status=1
    elif [ "$landed" -gt "$n202" ]; then
        # requests in flight when wrk stopped: produced, answer never read
        check="ok (+$((landed - n202)) in flight at stop)"
    fi
    rows+=("$(printf '%5s | %9.0f | %9.0f | %5s | %7.2f ms | %7.2f ms | %6.1f MB | %5s | %5s | %10s | %8s | %8s | %8s | %s' \
        "$c" "$irps" "$brps" "$ratio" \
        "$(python3 -c "print($p50/1000)")" "$(python3 -c "print($p99/1000)")" \
        "$(python3 -c "print($rss_kb/1024)")" "$ing_cpu" "$db_cpu" \
        "$us_ing/$us_bare" "$us_wrk_i/$us_wrk_b" \
        "$n202" "$landed" "$check")")
    if [ "$nother" -gt 0 ]; then
        echo "note: $nother non-202 answers at $c connections" >&2
    fi
    # a ceiling run that broke (socket errors, or slower than the ingress
    # it bounds) makes the ratio meaningless: say so instead of printing it
    berr=$(field BENCH_ERRORS "$b")
    if [ "${berr:-0}" -gt 0 ] || python3 -c "import sys; sys.exit(0 if $brps < $irps else 1)"; then
        echo "WARNING: the bare-server run at $c connections is not a ceiling ($brps req/s, $berr socket errors): rerun" >&2
        status=1
    fi
    if [ "$balanced" = 0 ]; then
        echo "WARNING: one bare-server worker did $busiest% of the work at $c connections in three tries (it won the accept race for nearly every connection): the ceiling is understated, rerun" >&2
        status=1
    fi
done

echo
echo "ingress benchmark: ${duration}s per run, wrk -t$wrk_threads, $(nproc) CPUs, ~430-byte events"
echo "(i.CPU / b.CPU: CPU used by the ingress / the dev broker during the ingress run; 100% = one core;"
echo " us/req: CPU per answer of ingress + dev broker / of the bare server, and of wrk in each run)"
printf '%5s | %9s | %9s | %5s | %10s | %10s | %9s | %5s | %5s | %10s | %8s | %8s | %8s | %s\n' \
    conns "ingress/s" "bare/s" ratio p50 p99 "RSS(HWM)" "i.CPU" "b.CPU" \
    "us/req" "wrk us" "202s" "topic" check
for r in "${rows[@]}"; do echo "$r"; done
if [ $status -ne 0 ]; then
    echo "FAIL: acknowledged events and topic records disagree, or a ceiling run is not usable (see the warnings)" >&2
fi
exit $status
