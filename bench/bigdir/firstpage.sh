#!/bin/bash
# Times the first ListObjectsV2 page (1,000 keys) on freshly started
# servers, and a second page on the same server, three rounds, with the
# server's CPU time (utime+stime, 10 ms ticks) and minor page faults for
# each page. Make the keys first with `go run ./bench/bigdir make`.
#
#   bash bench/bigdir/firstpage.sh BIN ROOT PORT BUCKET [PREFIX]
#
# BIN is a built cmd/caddy (`go build -o /tmp/caddy ./cmd/caddy`); it runs
# `BIN s3-server` on 127.0.0.1:PORT over ROOT. SLEEP (default 1) is how
# long to wait after the start before the first page.
set -euo pipefail
bin=$1 root=$2 port=$3 bucket=$4 prefix=${5:-}
here=$(cd "$(dirname "$0")/../.." && pwd)
client=$(mktemp -d)/bigdir
(cd "$here" && go build -o "$client" ./bench/bigdir)
pid=
start() {
	"$bin" s3-server --listen "127.0.0.1:$port" --root "$root" >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 100); do curl -s -o /dev/null "127.0.0.1:$port" && break; sleep 0.1; done
	sleep "${SLEEP:-1}"
}
stop() {
	if [ -n "$pid" ]; then kill "$pid"; wait "$pid" 2>/dev/null || true; fi
	pid=
}
trap 'stop; rm -rf "$(dirname "$client")"' EXIT
stat_of() { awk -v f="$1" '{print $f}' "/proc/$pid/stat"; }
page() {
	local c0 f0 out
	c0=$(( $(stat_of 14) + $(stat_of 15) )) f0=$(stat_of 10)
	out=$("$client" first -endpoint "http://127.0.0.1:$port" -bucket "$bucket" -prefix "$prefix")
	echo "$out, server CPU $(( ($(stat_of 14) + $(stat_of 15) - c0) * 10 )) ms, minor faults $(( $(stat_of 10) - f0 ))"
}
for round in 1 2 3; do
	start
	echo -n "start $round: "; page
	echo -n "   again: "; page
	stop
done
