#!/usr/bin/env bash
# fsync-ab.sh BIN_A BIN_B [ROUNDS] [CONCURRENCIES]: PUT 4 KiB with
# `fsync always` (a Caddyfile s3 block) on two Caddy binaries against the
# disk's ceiling (bench/fsyncceiling -xattr 250), alternating ceiling / A / B
# at each concurrency (default "1 4 16 64"), ROUNDS times (default 2). Each
# server and each ceiling run gets a fresh directory under $work, on the
# filesystem of $TMPDIR (default /tmp), kept until the script ends (see
# fsync-cpu.sh); N operations each (default 2000).
# With STRACE=1 the servers run a last round under `strace -f -c` and the
# fsync/fdatasync/link/rename calls per PUT are printed for each
# (STRACE_W=1: with their wall-clock time per call). Port: $FSYNC_PORT
# (default 19571).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ $# -ge 2 ] || { echo "usage: $0 BIN_A BIN_B [ROUNDS] [CONCURRENCIES]" >&2; exit 2; }
bins=("$1" "$2")
rounds=${3:-2}
read -r -a concs <<<"${4:-1 4 16 64}"
fsync_init

printf '%-7s %-5s %12s %12s %12s\n' round c ceiling A B
for r in $(seq "$rounds"); do
	for c in "${concs[@]}"; do
		ceil=$("$work/fsyncceiling" -dir "$work/ceil-$r-$c" -c "$c" -n "$n" -xattr 250 | awk '/ops\/s/ {print $2}')
		rates=()
		for i in 0 1; do
			serve_fsync "${bins[$i]}" "$work/root$i-$r-$c" always "$work/server$i.log"
			rates+=("$(put_rate "$c")")
			stop_last
		done
		printf '%-7s %-5s %12s %12s %12s\n' "r$r" "$c" "$ceil" "${rates[0]}" "${rates[1]}"
	done
done

if [ "${STRACE:-}" = 1 ]; then
	c=${concs[-1]}
	for i in 0 1; do
		serve_fsync "${bins[$i]}" "$work/sroot$i" always "$work/server$i.log"
		strace -f -c ${STRACE_W:+-w} -o "$work/strace$i.txt" -p "${pids[-1]}" 2>/dev/null &
		tracer=$!
		sleep 1
		put_rate "$c" >/dev/null
		kill -INT "$tracer"
		wait "$tracer" || true
		stop_last
		echo "== ${bins[$i]}: calls per PUT (c=$c, n=$n)"
		awk -v n="$n" '$NF ~ /^(fsync|fdatasync|linkat|renameat|renameat2|openat|openat2|futex)$/ {printf "  %-10s %.2f per PUT, %s us each\n", $NF, $4 / n, $3}' "$work/strace$i.txt"
	done
fi
