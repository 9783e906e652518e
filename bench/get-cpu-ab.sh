#!/usr/bin/env bash
# Server CPU time per small GET, two caddy binaries A/B: each serves its
# own root; s3load GETs 4 KiB objects from A, then B, alternating, and
# the server's user+system CPU time over each run (from /proc) is divided
# by the request count. CPU time per request depends much less on what
# else loads the machine (the client, other work) than requests per
# second do. Bounded: fixed request counts and a timeout per run.
#
# Usage: bash bench/get-cpu-ab.sh BIN_A BIN_B [ROUNDS] [REQUESTS]   (default 5 rounds of 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: $0 BIN_A BIN_B [ROUNDS] [REQUESTS]" >&2; exit 2; }
bins=("$1" "$2")
rounds=${3:-5} n=${4:-10000}
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/s3load" ./bench/s3load
ports=(19351 19352)
for i in 0 1; do
	"${bins[$i]}" s3-server --listen "127.0.0.1:${ports[$i]}" --root "$work/data$i" >"$work/server$i.log" 2>&1 &
	pids+=($!)
done
for p in "${ports[@]}"; do
	for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && break; sleep 0.1; done
done
load() { timeout 300 "$work/s3load" -endpoint "http://127.0.0.1:$1" -timeout 4m "${@:2}"; }
# Seed 256 keys once; each run below re-seeds them (s3load -op get does),
# so the PUTs are measured apart and taken out.
for i in 0 1; do load "${ports[$i]}" -op get -size 4KiB -n 1 -c 1 -keys 256 -bucket cpu >/dev/null; done
cputicks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
tick=$(getconf CLK_TCK)
for r in $(seq "$rounds"); do
	for i in 0 1; do
		c0=$(cputicks "${pids[$i]}")
		load "${ports[$i]}" -op get -size 4KiB -n 1 -c 1 -keys 256 -bucket cpu >/dev/null
		c1=$(cputicks "${pids[$i]}")
		rate=$(load "${ports[$i]}" -op get -size 4KiB -n "$n" -c 16 -keys 256 -bucket cpu | sed -n 2p | awk '{print $1}')
		c2=$(cputicks "${pids[$i]}")
		awk -v r="$r" -v b="$([ "$i" = 0 ] && echo A || echo B)" -v seed=$((c1 - c0)) -v all=$((c2 - c1)) -v t="$tick" -v n="$n" -v rate="$rate" \
			'BEGIN { printf "round %d %s: %.1f µs server CPU per GET (%s GET/s)\n", r, b, (all - seed) * 1e6 / t / n, rate }'
	done
done
