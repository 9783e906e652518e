#!/usr/bin/env bash
# Alternate runs of bench/s3load (PUT and GET 4 KiB, 8 workers) against a
# server whose lifecycle executor is off, then on (passes back to back at
# the default rate limit over a 20,000-object bucket with a rule not due).
# Usage: go build -o /tmp/lcb/caddy ./cmd/caddy && go build -o /tmp/lcb/s3load ./bench/s3load && bash bench/lifecycle-ab.sh
# (needs aws-cli to set the bucket's rule).
set -euo pipefail
D=${LCB_DIR:-/tmp/lcb}; ROOT=$D/root; rm -rf "$ROOT"; mkdir -p "$ROOT"
export S3_ACCESS_KEY=AKIACADDYS3DEV000001 S3_SECRET_KEY=caddys3-dev-secret-change-me-000000000000
cfg() { cat > $D/Caddyfile <<CF
{
	admin off
	persist_config off
	auto_https off
}
http://127.0.0.1:19488 {
	s3 {
		root $ROOT
		lifecycle {
			$1
		}
		credentials static {
			key $S3_ACCESS_KEY $S3_SECRET_KEY dev
		}
	}
}
CF
}
start() { cfg "$1"; $D/caddy run --config $D/Caddyfile > $D/server.log 2>&1 & PID=$!; sleep 1.5; }
stop() { kill $PID; wait $PID 2>/dev/null || true; }
L() { $D/s3load -endpoint http://127.0.0.1:19488 -bucket lcbench "$@"; }
start "off"
L -op put -size 4KiB -n 20000 -keys 20000 -c 8 >/dev/null
AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY AWS_CONFIG_FILE=/dev/null aws --endpoint-url http://127.0.0.1:19488 --region us-east-1 s3api put-bucket-lifecycle-configuration --bucket lcbench --lifecycle-configuration '{"Rules":[{"ID":"later","Status":"Enabled","Filter":{},"Expiration":{"Days":30}}]}'
stop
for round in 1 2; do
  for mode in off "interval 10ms"; do
    start "$mode"
    echo "== round $round lifecycle {$mode}"
    L -op put -size 4KiB -n 10000 -keys 10000 -c 8 | tail -2
    L -op get -size 4KiB -n 10000 -keys 10000 -c 8 | tail -2
    stop
    grep -c "lifecycle pass" $D/server.log || true
    grep "lifecycle pass" $D/server.log | tail -1 | cut -c1-400 || true
  done
done
