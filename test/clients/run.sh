#!/usr/bin/env bash
# Builds the server (unless $CADDYS3_BIN names one), starts it on a free
# loopback port with a temporary storage root, runs python.sh and every
# scenario-*.sh against it, stops the server and exits non-zero if any failed.
#
# Usage: bash test/clients/run.sh
# Env:   CADDYS3_BIN=path   use a prebuilt binary
#        CADDYS3_KEEP=1     keep the temporary directory (server log, root)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/caddys3-clients.XXXXXX")"
SERVER_PID=""

cleanup() {
	local rc=$?
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		for _ in $(seq 1 50); do
			kill -0 "$SERVER_PID" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	if [ -n "${CADDYS3_KEEP:-}" ]; then
		echo "kept $WORK"
	else
		rm -rf "$WORK"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

BIN="${CADDYS3_BIN:-}"
if [ -z "$BIN" ]; then
	echo "== building the server"
	(cd "$REPO" && timeout 900 go build -o "$WORK/caddy" ./cmd/caddy)
	BIN="$WORK/caddy"
fi

PY="$(command -v python3 || echo /usr/bin/python3)"
PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
ROOT="$WORK/root"
mkdir -p "$ROOT" "$WORK/home/data" "$WORK/home/config"

# Bob's secret comes from an {env.*} placeholder, as production configs do.
cat >"$WORK/Caddyfile" <<EOF
{
	admin off
	persist_config off
	default_bind 127.0.0.1
}
http://127.0.0.1:$PORT {
	handle_path /s3/* {
		s3 {
			root $ROOT
			region us-east-1
			credentials static {
				key AKIAEXAMPLEALICE0001 alicesecret0000000000000000000000000000 alice
				key AKIAEXAMPLEBOB000001 {env.CADDYS3_CLIENTS_BOB_SECRET} bob
			}
		}
	}
	s3 {
		root $ROOT
		region us-east-1
		credentials static {
			key AKIAEXAMPLEALICE0001 alicesecret0000000000000000000000000000 alice
			key AKIAEXAMPLEBOB000001 {env.CADDYS3_CLIENTS_BOB_SECRET} bob
		}
	}
}
EOF

echo "== starting $BIN on 127.0.0.1:$PORT"
HOME="$WORK/home" XDG_DATA_HOME="$WORK/home/data" XDG_CONFIG_HOME="$WORK/home/config" \
	CADDYS3_CLIENTS_BOB_SECRET=bobsecret00000000000000000000000000000000 \
	timeout 1800 "$BIN" run --config "$WORK/Caddyfile" --adapter caddyfile >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

up=""
for _ in $(seq 1 300); do
	if ! kill -0 "$SERVER_PID" 2>/dev/null; then
		echo "server exited during start:"
		cat "$WORK/server.log"
		exit 1
	fi
	if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
		up=1
		break
	fi
	sleep 0.2
done
if [ -z "$up" ]; then
	echo "server did not open port $PORT within 60s:"
	tail -n 50 "$WORK/server.log"
	exit 1
fi

# Every scenario script gets the endpoint as $1 and ends with a line
# "N passed, M failed"; python.sh first, then test/clients/scenario-*.sh.
total_passed=0
total_failed=0
rc=0
for script in "$HERE/python.sh" "$HERE"/scenario-*.sh; do
	[ -f "$script" ] || continue
	echo "== $(basename "$script")"
	set +e
	timeout 1200 bash "$script" "http://127.0.0.1:$PORT" 2>&1 | tee "$WORK/scenario.out"
	src=${PIPESTATUS[0]}
	set -e
	counts="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$WORK/scenario.out" | tail -n 1)"
	if [ -n "$counts" ]; then
		total_passed=$((total_passed + ${counts%% passed*}))
		f=${counts#*, }
		total_failed=$((total_failed + ${f%% failed}))
	elif [ $src -ne 0 ]; then
		total_failed=$((total_failed + 1))
	fi
	if [ $src -ne 0 ]; then
		rc=$src
		echo "== $(basename "$script") exited $src; last lines of the server log:"
		tail -n 60 "$WORK/server.log" | sed 's/^/  server: /'
	fi
done
echo "clients: $total_passed passed, $total_failed failed"
exit $rc
