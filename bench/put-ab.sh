#!/usr/bin/env bash
# Small PUTs only, two caddy binaries: ROUNDS runs of 5,000 PUTs of 4 KiB
# (16 clients) against each, every run into a new bucket (new keys, no
# overwrites), the order flipped every round (A B, B A, ...), after an
# unmeasured warm-up of both. Prints the rate and the server CPU per PUT
# (user + system time from /proc, and the user part alone) of each run.
#
# Usage: bash bench/put-ab.sh BIN_A BIN_B [ROUNDS]   (default 6 rounds)
#        PUTAB_PORTS="P1 P2" when another run on this machine has the defaults.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ab_init 6 "${PUTAB_PORTS:-19395 19396}" "$@"
names=(A B)
# Unmeasured warm-up: what each server does once after it starts.
for i in 0 1; do
	timeout 300 "$work/s3load" -endpoint "http://127.0.0.1:${ports[$i]}" -op put -size 4KiB -n 1000 -c 16 -bucket warm-up >/dev/null
done
for r in $(seq "$rounds"); do
	order=(0 1)
	[ $((r % 2)) = 0 ] && order=(1 0)
	for i in "${order[@]}"; do
		c0=$(cputicks "${pids[$i]}") u0=$(userticks "${pids[$i]}")
		v=$(timeout 300 "$work/s3load" -endpoint "http://127.0.0.1:${ports[$i]}" -timeout 4m \
			-op put -size 4KiB -n 5000 -c 16 -bucket "put-r$r" | sed -n 2p | awk '{print $1}')
		c=$(usper $(($(cputicks "${pids[$i]}") - c0)) 5000) u=$(usper $(($(userticks "${pids[$i]}") - u0)) 5000)
		echo "round $r ${names[$i]}: $v PUT/s, server CPU $c µs per PUT, of which user $u µs"
	done
done
