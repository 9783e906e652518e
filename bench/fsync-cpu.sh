#!/usr/bin/env bash
# fsync-cpu.sh BIN [ROUNDS] [CONCURRENCIES]: where the time of a durable
# small PUT goes. At each concurrency (default "1 4 16"), alternating, ROUNDS
# times (default 2): the disk's ceiling (bench/fsyncceiling -tmpfile -xattr
# 250, the store's own sequence without a server) and BIN's PUT 4 KiB with
# `fsync always` and with `fsync never`. For each it prints ops/s and the
# CPU time (user + system, the process's and its threads') per operation:
# when the ceiling's CPU per op is about cores / rate, the flushes cost CPU
# on this machine and add to the server's own, rather than overlap with it.
# N operations each (default 2000); port $FSYNC_PORT (default 19571).
#
# Every run's files stay until the script ends: on an ext4 without a
# journal, each new inode's allocation skips the inodes of its group
# freed in the last 60 s (360 s while their table block is dirty), one
# buffer lookup each (the kernel's recently_deleted), so removing one
# run's files slows the next run's creates by a cost that grows with how
# many were removed (perf: 58 % of a server's CPU right after a test run).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ $# -ge 1 ] || { echo "usage: $0 BIN [ROUNDS] [CONCURRENCIES]" >&2; exit 2; }
bin=$1
rounds=${2:-2}
read -r -a concs <<<"${3:-1 4 16}"
fsync_init

# server_run C MODE ROUND: "rate cpu-us-per-op" of a fresh server at C clients.
server_run() {
	local c=$1 mode=$2 root="$work/root-$2-$3" t0 t1 rate
	serve_fsync "$bin" "$root" "$mode" "$work/server.log"
	t0=$(cputicks "${pids[-1]}")
	rate=$(put_rate "$c")
	t1=$(cputicks "${pids[-1]}")
	stop_last
	echo "$rate $(usper $((t1 - t0)) "$n")"
}

printf '%-6s %-4s %22s %22s %22s\n' round c "ceiling ops/s cpu-us" "always ops/s cpu-us" "never ops/s cpu-us"
for r in $(seq "$rounds"); do
	for c in "${concs[@]}"; do
		out=$( { /usr/bin/time -f 'cpu %U %S' "$work/fsyncceiling" -dir "$work/ceil-$r-$c" -c "$c" -n "$n" -xattr 250 -tmpfile; } 2>&1)
		crate=$(awk '/ops\/s/ {print $2}' <<<"$out")
		ccpu=$(awk -v n="$n" '/^cpu / {printf "%.1f", ($2 + $3) * 1e6 / n}' <<<"$out")
		read -r arate acpu <<<"$(server_run "$c" always "$r")"
		read -r nrate ncpu <<<"$(server_run "$c" never "$r")"
		printf '%-6s %-4s %13s %8s %13s %8s %13s %8s\n' "r$r" "$c" "$crate" "$ccpu" "$arate" "$acpu" "$nrate" "$ncpu"
	done
done
