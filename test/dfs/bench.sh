#!/usr/bin/env bash
# Scale-out figures of docs/scale-out.md: for each filesystem (arguments;
# default moosefs glusterfs), bring it up (lib.sh), then with 1, 2 and 3
# caddys3 nodes (s3-server, each on its own mount) behind one Caddy
# balancer, run bench/s3load through the balancer: PUT and GET of 4 KiB
# objects and of 64 MiB objects. Prints one line per run. Measured, not
# asserted; run by hand as root (not part of test/run).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=lib.sh
source test/dfs/lib.sh
dfs_can_run || { echo "bench: needs root and /dev/fuse"; exit 1; }
filesystems=("$@")
[ ${#filesystems[@]} -gt 0 ] || filesystems=(moosefs glusterfs)

DFS_WORK="$(mktemp -d /var/tmp/caddys3-dfs-bench.XXXXXX)"
chmod 755 "$DFS_WORK"
current=""
pids=()
stop_servers() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	pids=()
}
cleanup() {
	stop_servers
	[ -n "$current" ] && dfs_down "$current"
	rm -rf "$DFS_WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

go build -o "$DFS_WORK/caddy" ./cmd/caddy && go build -o "$DFS_WORK/s3load" ./bench/s3load || exit 1
BIN="$DFS_WORK/caddy"
base_port=19500

wait_port() {
	local i
	for i in $(seq 1 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	echo "bench: port $1 did not open" >&2
	return 1
}

# start_cluster N: N nodes on the first N mounts and the balancer.
start_cluster() {
	local n="$1" i up=() m
	IFS=: read -r -a m <<<"$DFS_MOUNTS"
	for i in $(seq 1 "$n"); do
		HOME="$DFS_WORK/home$i" "$BIN" s3-server --listen "127.0.0.1:$((base_port + i))" --root "${m[$((i - 1))]}/bench-root" \
			>"$DFS_WORK/node$i.log" 2>&1 &
		pids+=($!)
		up+=("127.0.0.1:$((base_port + i))")
	done
	cat >"$DFS_WORK/lb.Caddyfile" <<CFG
{
	admin off
	persist_config off
	auto_https off
}
http://127.0.0.1:$base_port {
	reverse_proxy ${up[*]} {
		lb_policy round_robin
		lb_try_duration 10s
		health_uri /minio/health/ready
		health_interval 1s
	}
}
CFG
	HOME="$DFS_WORK/home-lb" "$BIN" run --config "$DFS_WORK/lb.Caddyfile" --adapter caddyfile >"$DFS_WORK/lb.log" 2>&1 &
	pids+=($!)
	for i in $(seq 0 "$n"); do wait_port $((base_port + i)) || return 1; done
	sleep 2
}

for fs in "${filesystems[@]}"; do
	current="$fs"
	dfs_up "$fs" || { echo "bench: $fs did not come up"; exit 1; }
	for n in 1 2 3; do
		start_cluster "$n" || exit 1
		ep="http://127.0.0.1:$base_port"
		for run in "put 4KiB 1000 8" "get 4KiB 2000 8" "put 64MiB 12 3" "get 64MiB 24 3"; do
			read -r op size count conc <<<"$run"
			out="$("$DFS_WORK/s3load" -endpoint "$ep" -bucket "bench-$n-nodes" -op "$op" -size "$size" -n "$count" -c "$conc" -timeout 120s 2>&1 | tail -n 2 | tr -s ' \n' ' ')"
			echo "$fs nodes=$n $op $size c=$conc: $out"
		done
		stop_servers
	done
	dfs_down "$fs"
	current=""
done
