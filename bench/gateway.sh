#!/usr/bin/env bash
# caddys3 against versitygw (an Apache-2.0 POSIX S3 gateway, the
# comparison of issue 18) on the same filesystem, same credentials, same
# load tool: PUT 4 KiB (16 clients, new keys every round), GET 4 KiB (16
# clients, 256 keys), full listings of 10,000 keys flat and in 100
# directories of 100 (one client; by the SDK and by -op listraw)
# and PUT 64 MiB (4 clients). Runs alternate caddys3, gateway, caddys3,
# gateway… so drift of the machine hits both alike; prints each run, the
# medians, the ratio caddys3/gateway and the server CPU per operation
# (user + system time of the server process from /proc, which depends
# far less on the machine's load than the rates). Keys are seeded before
# the rounds, outside the measurement. Bounded: fixed counts, a timeout
# per run.
#
# versitygw is a benchmark contender only, run as a separate program:
# never linked or imported. $VGW names its binary; otherwise it is built
# once into $VGW_CACHE (default ~/.cache/caddys3-bench) with go install.
#
# Usage: bash bench/gateway.sh [BIN] [ROUNDS]   (default: builds ./cmd/caddy; 3 rounds)
#        GW_PORTS="P1 P2" when another run on this machine has the defaults.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_init
caddy_bin "${1:-}"
rounds=${2:-3}
vgw_bin
read -r -a ports <<<"${GW_PORTS:-19361 19362}"
names=(caddys3 gateway)
# Both roots under $work: one filesystem, both fresh.
start_server "$bin" "${ports[0]}" "$work/caddys3" "$work/caddys3.log"
start_server "$vgw" "${ports[1]}" "$work/gateway" "$work/gateway.log"
for p in "${ports[@]}"; do wait_port "$p"; done

load() {
	timeout 300 "$work/s3load" -endpoint "http://127.0.0.1:${ports[$1]}" \
		-access-key "$bench_access" -secret-key "$bench_secret" -timeout 4m "${@:2}"
}
list_ops=(list listraw)

# Seed what GET and the listings read, on both sides, unmeasured.
for i in 0 1; do
	load "$i" -op put -size 4KiB -n 256 -c 16 -bucket get >/dev/null
	load "$i" -op put -size 1 -n 10000 -c 16 -bucket flat >/dev/null
	load "$i" -op put -size 1 -n 10000 -c 16 -dirs 100 -bucket nested >/dev/null
done

# The works: name, unit, what server CPU is divided by (requests, listed
# keys, or MiB for the large PUT), the
# s3load arguments (the word ROUND is replaced by the round's number).
works=(
	"PUT 4 KiB|PUT/s|5000|-op put -size 4KiB -n 5000 -c 16 -bucket put-rROUND"
	"GET 4 KiB|GET/s|20000|-op get -seed=false -size 4KiB -n 20000 -c 16 -keys 256 -bucket get"
)
for op in "${list_ops[@]}"; do
	works+=(
		"$op 10,000 flat|keys/s|50000|-op $op -seed=false -size 1 -n 5 -c 1 -keys 10000 -bucket flat"
		"$op 100 x 100|keys/s|50000|-op $op -seed=false -size 1 -n 5 -c 1 -keys 10000 -dirs 100 -bucket nested"
	)
done
works+=("PUT 64 MiB|MiB/s|512|-op put -size 64MiB -n 8 -c 4 -bucket big-rROUND")

# rate UNIT: the rate from s3load's output.
rate() {
	case "$1" in
	keys/s) awk '/keys\/s/ {print $1; exit}' ;;
	MiB/s) sed -n 2p | awk '{print $3}' ;;
	*) sed -n 2p | awk '{print $1}' ;;
	esac
}
declare -A rates cpus
for r in $(seq "$rounds"); do
	for w in "${works[@]}"; do
		IFS='|' read -r name unit count args <<<"$w"
		line="round $r $name:"
		for i in 0 1; do
			c0=$(cputicks "${pids[$i]}")
			# shellcheck disable=SC2086 # args are words
			v=$(load "$i" ${args//ROUND/$r} | rate "$unit")
			u=$(usper $(($(cputicks "${pids[$i]}") - c0)) "$count")
			rates["$name|$i"]+="$v " cpus["$name|$i"]+="$u "
			line+=" ${names[$i]} $v $unit ($u µs server CPU),"
		done
		echo "${line%,}"
	done
done

echo
echo "medians of $rounds rounds; server CPU in µs per request, per listed key, per MiB of PUT 64 MiB"
printf '%-22s %14s %14s %7s %12s %12s %7s\n' work caddys3 gateway ratio "CPU caddys3" "CPU gateway" "gw/c3"
for w in "${works[@]}"; do
	IFS='|' read -r name unit _ _ <<<"$w"
	# shellcheck disable=SC2086 # lists of numbers
	a=$(median ${rates["$name|0"]}) b=$(median ${rates["$name|1"]})
	# shellcheck disable=SC2086
	ca=$(median ${cpus["$name|0"]}) cb=$(median ${cpus["$name|1"]})
	awk -v n="$name" -v u="$unit" -v a="$a" -v b="$b" -v ca="$ca" -v cb="$cb" 'BEGIN {
		printf "%-22s %14s %14s %6.2fx %12.1f %12.1f %6.2fx\n", n, sprintf("%.0f %s", a, u), sprintf("%.0f %s", b, u), a / b, ca, cb, cb / ca }'
done
