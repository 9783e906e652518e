# Shared by the bench scripts (source it; bash only): a work directory
# removed on exit with the servers started in it, the load tool built
# once, waiting for a port, server CPU from /proc and medians.

# bench_init: cd to the repository, make $work, kill "${pids[@]}" and
# remove $work on exit, and build bench/s3load as $work/s3load.
bench_init() {
	cd "$(dirname "${BASH_SOURCE[0]}")/.."
	work=$(mktemp -d)
	pids=()
	trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
	go build -o "$work/s3load" ./bench/s3load
	tick=$(getconf CLK_TCK)
}

# wait_port PORT: until something accepts on 127.0.0.1:PORT (at most 10 s).
wait_port() {
	for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.1; done
	echo "nothing listens on 127.0.0.1:$1" >&2
	return 1
}

# cputicks PID: the process's CPU time (user + system, clock ticks): what
# the requests cost the server, whatever else loads the machine.
cputicks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# userticks PID: the user-space part of cputicks, which the kernel's own
# variable costs (an inode allocator scanning recently freed inodes, page
# cache write-back) do not touch.
userticks() { awk '{print $14}' "/proc/$1/stat"; }

# usper TICKS COUNT: microseconds of CPU per operation.
usper() { awk -v d="$1" -v t="$tick" -v n="$2" 'BEGIN { printf "%.1f", d * 1e6 / t / n }'; }

# median X...: the median of the numbers.
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# caddy_bin [BIN]: $bin is BIN, or ./cmd/caddy built into $work.
caddy_bin() {
	bin=${1:-}
	if [ -z "$bin" ]; then
		go build -o "$work/caddy" ./cmd/caddy
		bin="$work/caddy"
	fi
}

# start_pair BIN_A BIN_B PORT_A PORT_B: `caddy s3-server` of each binary
# on its port with its own root ($work/data0, $work/data1), logs in
# $work/server0.log and server1.log; pids appended to $pids.
start_pair() {
	local i bins=("$1" "$2") ports=("$3" "$4")
	for i in 0 1; do
		"${bins[$i]}" s3-server --listen "127.0.0.1:${ports[$i]}" --root "$work/data$i" >"$work/server$i.log" 2>&1 &
		pids+=($!)
	done
	for i in 0 1; do wait_port "${ports[$i]}"; done
}

# ab_init DEFAULT_ROUNDS "PORT_A PORT_B" BIN_A BIN_B [ROUNDS]: the A/B
# scripts' start: $bins, $rounds, $ports, bench_init, both servers up.
ab_init() {
	local default_rounds=$1 port_list=$2
	shift 2
	[ $# -ge 2 ] || { echo "usage: $0 BIN_A BIN_B [ROUNDS]" >&2; exit 2; }
	bins=("$1" "$2")
	rounds=${3:-$default_rounds}
	bench_init
	read -r -a ports <<<"$port_list"
	start_pair "${bins[@]}" "${ports[@]}"
}

# The key pair every bench server is started with (s3load's defaults).
bench_access=AKIACADDYS3DEV000001 bench_secret=caddys3-dev-secret-change-me-000000000000

# vgw_bin: $vgw is versitygw, a benchmark contender run as a separate
# program (never linked or imported): $VGW, else built once into
# $VGW_CACHE (default ~/.cache/caddys3-bench) with go install.
vgw_bin() {
	vgw=${VGW:-}
	if [ -z "$vgw" ]; then
		local cache=${VGW_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/caddys3-bench}
		vgw="$cache/versitygw"
		[ -x "$vgw" ] || GOBIN="$cache" timeout 900 go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
	fi
}

# start_server BIN PORT ROOT LOG: BIN (`caddy s3-server`, or versitygw's
# posix backend when its name says so) on 127.0.0.1:PORT over the fresh
# directory ROOT with the bench key pair; its pid appended to $pids.
start_server() {
	mkdir -p "$3"
	if [[ $(basename "$1") == *versitygw* ]]; then
		"$1" --access "$bench_access" --secret "$bench_secret" --port "127.0.0.1:$2" posix "$3" >"$4" 2>&1 &
	else
		"$1" s3-server --listen "127.0.0.1:$2" --root "$3" --access-key "$bench_access" --secret-key "$bench_secret" >"$4" 2>&1 &
	fi
	pids+=($!)
}

# fsync_init: the fsync scripts' start: bench_init, $n operations per run
# ($N, default 2000), bench/fsyncceiling built as $work/fsyncceiling, and
# the servers' $port ($FSYNC_PORT, default 19571).
fsync_init() {
	n=${N:-2000}
	bench_init
	go build -o "$work/fsyncceiling" ./bench/fsyncceiling
	port=${FSYNC_PORT:-19571}
}

# put_rate C: ops/s of $n PUTs of 4 KiB at C clients against $port.
put_rate() {
	"$work/s3load" -endpoint "http://127.0.0.1:$port" -op put -size 4KiB -n "$n" -c "$1" | awk '/ops\/s/ {print $1}'
}

# serve_fsync BIN ROOT MODE LOG: BIN on 127.0.0.1:$port over ROOT with
# `fsync MODE` (a Caddyfile s3 block), its log in LOG; pid appended to
# $pids. For the fsync scripts.
serve_fsync() {
	local bin=$1 root=$2 mode=$3 log=$4
	mkdir -p "$root"
	cat >"$root.Caddyfile" <<EOF
{
	admin off
	auto_https off
}
http://127.0.0.1:$port {
	s3 {
		root $root
		fsync $mode
		credentials static {
			key $bench_access $bench_secret
		}
	}
}
EOF
	"$bin" run --config "$root.Caddyfile" --adapter caddyfile >"$log" 2>&1 &
	pids+=($!)
	wait_port "$port"
}

# stop_last: stops the last server started and takes it off $pids.
stop_last() {
	local pid=${pids[-1]}
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	unset 'pids[-1]'
}
