#!/usr/bin/env bash
# Server CPU time and wall-clock rate per listed key: full ListObjectsV2
# listings of 10,000 keys (flat, and 100 directories × 100 keys) in pages
# of 1,000 by the raw client (s3load -op listraw, which costs the client
# little), for each server given, alternating. The server's CPU comes from
# /proc/PID/stat (utime+stime) around the listings, after one warm-up
# listing; it depends much less on the machine's load than keys/s.
#
# Usage: bash bench/listcpu.sh BIN... (each a caddy binary, or versitygw
# when its name says so; rounds and listings per run: LISTCPU_ROUNDS,
# default 3, LISTCPU_N, default 20)
#   e.g. bash bench/listcpu.sh /tmp/caddy-main /tmp/caddy-new /tmp/vgw/versitygw
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ $# -ge 1 ] || { echo "usage: $0 BIN..." >&2; exit 2; }
rounds=${LISTCPU_ROUNDS:-3} n=${LISTCPU_N:-20}
bench_init
ports=() names=()
port=${LISTCPU_PORT:-19341}
for bin in "$@"; do
	i=${#pids[@]}
	start_server "$bin" "$port" "$work/data$i" "$work/server$i.log"
	ports+=("$port") names+=("$i:$(basename "$bin")")
	port=$((port + 1))
done
for p in "${ports[@]}"; do wait_port "$p"; done
load() { timeout 600 "$work/s3load" -endpoint "http://127.0.0.1:$1" -access-key "$bench_access" -secret-key "$bench_secret" -timeout 9m "${@:2}"; }
for i in "${!pids[@]}"; do # seed, and list once to warm up
	load "${ports[$i]}" -op listraw -size 1 -n 1 -keys 10000 -bucket flat >/dev/null
	load "${ports[$i]}" -op listraw -size 1 -n 1 -keys 10000 -dirs 100 -bucket nested >/dev/null
done
for r in $(seq "$rounds"); do
	for i in "${!pids[@]}"; do
		for layout in flat nested; do
			d=0
			[ "$layout" = nested ] && d=100
			out=$(load "${ports[$i]}" -op listraw -size 1 -n "$n" -keys 10000 -dirs "$d" -bucket "$layout" -seed=false -pid "${pids[$i]}")
			echo "round $r ${names[$i]} $layout: $(echo "$out" | sed -n 3p | xargs) $(echo "$out" | sed -n 4p | xargs)"
		done
	done
done
