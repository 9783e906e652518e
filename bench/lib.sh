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
