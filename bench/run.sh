#!/usr/bin/env bash
# Loopback benchmark of the built caddy binary: 64 MiB PUT/GET throughput,
# 4 KiB PUT ops/s, and the server's peak RSS across a 1 GiB upload.
# Bounded: every step has a request count and a timeout.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
port=${PORT:-19321}
go build -o "$work/caddy" ./cmd/caddy
go build -o "$work/s3load" ./bench/s3load
"$work/caddy" s3-server --listen "127.0.0.1:$port" --root "$work/data" >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
ep="http://127.0.0.1:$port"
load() { "$work/s3load" -endpoint "$ep" -timeout 3m "$@"; }

echo "== PUT 64 MiB x 16, 1 worker";   load -op put -size 64MiB -n 16 -c 1 -bucket big
echo "== GET 64 MiB x 32, 1 worker";   load -op get -size 64MiB -n 32 -c 1 -bucket bigget
echo "== PUT 4 KiB x 20000, 8 workers"; load -op put -size 4KiB -n 20000 -c 8 -bucket small
rss_before=$(awk '/VmRSS/{print $2}' "/proc/$pid/status")
echo "== PUT 1 GiB x 1 (peak RSS)";   load -op put -size 1GiB -n 1 -c 1 -bucket huge
echo "server RSS before: ${rss_before} kB; peak RSS (VmHWM) over the whole run: $(awk '/VmHWM/{print $2}' "/proc/$pid/status") kB"
