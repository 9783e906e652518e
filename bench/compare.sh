#!/usr/bin/env bash
# caddys3 against Caddy's own file_server on the same files: small GETs,
# signed S3 (through the s3 handler) vs anonymous static (file_server
# over the bucket's directory), alternating S, P, F, S, P, F… so drift of
# the machine hits all alike; prints each run and the ratios of the
# medians. S is aws-sdk-go-v2 signing every request; P is GETs of URLs
# presigned once (query-string SigV4, verified by the server on every
# request) through the same plain HTTP client as F, so that the client,
# which shares the cores, costs the same on both sides.
# Bounded: fixed request counts and a timeout per run.
#
# Usage: bash bench/compare.sh [BIN] [ROUNDS]   (default: builds ./cmd/caddy; 3 rounds)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_init
caddy_bin "${1:-}"
rounds=${2:-3}
s3port=19341 fsport=19342
"$bin" s3-server --listen "127.0.0.1:$s3port" --root "$work/root" >"$work/s3.log" 2>&1 &
pids+=($!)
s3pid=$!
wait_port "$s3port"
load() { timeout 300 "$work/s3load" -timeout 4m "$@"; }
# Seed 256 objects of 4 KiB through S3 (a few GETs), then serve the same
# files with file_server.
load -endpoint "http://127.0.0.1:$s3port" -op get -size 4KiB -n 16 -c 1 -keys 256 -bucket cmp >/dev/null
cat >"$work/Caddyfile" <<CADDY
{
	admin off
	persist_config off
	auto_https off
}
http://127.0.0.1:$fsport {
	root * $work/root/cmp
	file_server
}
CADDY
"$bin" run --config "$work/Caddyfile" --adapter caddyfile >"$work/fs.log" 2>&1 &
pids+=($!)
fspid=$!
wait_port "$fsport"
rate() { sed -n 2p | awk '{print $1}'; }
s3=() ps=() fs=() s3cpu=() pcpu=() fscpu=()
for r in $(seq "$rounds"); do
	c0=$(cputicks "$s3pid")
	a=$(load -endpoint "http://127.0.0.1:$s3port" -op get -size 4KiB -n 20000 -c 16 -keys 256 -bucket cmp | tee /dev/stderr | rate)
	c1=$(cputicks "$s3pid")
	p=$(load -endpoint "http://127.0.0.1:$s3port" -op presignget -seed=false -size 4KiB -n 20000 -c 16 -keys 256 -bucket cmp | tee /dev/stderr | rate)
	c2=$(cputicks "$s3pid") f0=$(cputicks "$fspid")
	b=$(load -endpoint "http://127.0.0.1:$fsport" -op httpget -size 4KiB -n 20000 -c 16 -keys 256 | tee /dev/stderr | rate)
	f1=$(cputicks "$fspid")
	# µs of server CPU per GET; an S3 run also counts the 256 PUTs s3load
	# seeds its keys with (a few per cent of it)
	ua=$(usper $((c1 - c0)) 20000) up=$(usper $((c2 - c1)) 20000) ub=$(usper $((f1 - f0)) 20000)
	echo "round $r: S3 GET $a/s ($ua µs server CPU each), presigned S3 GET $p/s ($up µs), file_server GET $b/s ($ub µs)"
	s3+=("$a") ps+=("$p") fs+=("$b") s3cpu+=("$ua") pcpu+=("$up") fscpu+=("$ub")
done
ms=$(median "${s3[@]}") mp=$(median "${ps[@]}") mf=$(median "${fs[@]}")
awk -v s="$ms" -v f="$mf" 'BEGIN { printf "GET 4 KiB, 16 clients: S3 (SDK) %.0f/s, file_server %.0f/s, ratio %.2fx\n", s, f, s / f }'
awk -v p="$mp" -v f="$mf" 'BEGIN { printf "GET 4 KiB, 16 clients: S3 (presigned) %.0f/s, file_server %.0f/s, ratio %.2fx\n", p, f, p / f }'
cs=$(median "${s3cpu[@]}") cp=$(median "${pcpu[@]}") cf=$(median "${fscpu[@]}")
awk -v s="$cs" -v p="$cp" -v f="$cf" 'BEGIN { printf "server CPU per GET: S3 %.1f µs (SDK), %.1f µs (presigned), file_server %.1f µs, ratio %.2fx / %.2fx\n", s, p, f, s / f, p / f }'
