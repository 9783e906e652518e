#!/usr/bin/env bash
# A/B comparison of two caddy binaries on the request path: PUT 4 KiB,
# GET 4 KiB (256 keys) and full listings of 10,000 keys (flat, and in 100
# directories of 100), each binary
# serving its own root under $TMPDIR, runs alternating A, B, A, B…
# so drift of the machine hits both alike. Bounded: fixed request counts
# and a timeout per run.
#
# Usage: bash bench/ab.sh BIN_A BIN_B [ROUNDS]   (default 3 rounds)
# Build the binaries first, e.g. `git worktree add /tmp/base <rev>` and
# `go build -o /tmp/caddy-a ./cmd/caddy` in each tree.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
# AB_PORTS="P1 P2" when another run on this machine has the defaults.
ab_init 3 "${AB_PORTS:-19331 19332}" "$@"
load() { timeout 300 "$work/s3load" -endpoint "http://127.0.0.1:$1" -timeout 4m "${@:2}"; }
for r in $(seq "$rounds"); do
	for i in 0 1; do
		tag="$(printf 'round %d %s' "$r" "$([ "$i" = 0 ] && echo A || echo B)")"
		# Round 1 puts new keys, later rounds overwrite them.
		c0=$(cputicks "${pids[$i]}")
		echo "== $tag PUT 4 KiB";  load "${ports[$i]}" -op put -size 4KiB -n 10000 -c 16 -bucket put | sed -n 2p
		echo "  server CPU $(usper $(($(cputicks "${pids[$i]}") - c0)) 10000) µs per PUT"
		c0=$(cputicks "${pids[$i]}")
		echo "== $tag GET 4 KiB";  load "${ports[$i]}" -op get -size 4KiB -n 20000 -c 16 -keys 256 -bucket get | sed -n 2p
		# Server CPU per GET (user+system, /proc), which depends much less
		# on the machine's load than the rate; it includes the 256 PUTs
		# s3load seeds its keys with, a few per cent.
		echo "  server CPU $(usper $(($(cputicks "${pids[$i]}") - c0)) 20000) µs per GET"
		echo "== $tag LIST 10k";   load "${ports[$i]}" -op list -size 1 -n 10 -c 1 -keys 10000 -bucket list | sed -n 3p
		echo "== $tag LIST 100x100"; load "${ports[$i]}" -op list -size 1 -n 10 -c 1 -keys 10000 -dirs 100 -bucket nested | sed -n 3p
	done
done
