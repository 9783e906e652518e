#!/usr/bin/env bash
# Builds the server (unless $CADDYS3_BIN names one) and starts it as
# deployed: an HTTPS site `https://s3.test:$TLSPORT, https://*.s3.test:$TLSPORT`
# with `tls internal` and virtual-hosted buckets under s3.test, plus a plain
# HTTP site on 127.0.0.1:$PORT. Then runs python.sh and every scenario-*.sh
# against the HTTPS endpoint, python.sh once more against the HTTP one, stops
# the server and exits non-zero if any failed.
#
# Usage: bash test/clients/run.sh
# Env:   CADDYS3_BIN=path      use a prebuilt binary
#        CADDYS3_KEEP=1        keep the temporary directory (server log, root)
#        CADDYS3_ONLY="a.sh b.sh"  run only these scripts (python.sh runs
#                              over HTTPS and HTTP when named)
#
# s3.test and vhost-<client>.s3.test must resolve to 127.0.0.1
# (test/clients/hosts.txt): run as root, this script adds the missing
# /etc/hosts lines itself; otherwise it stops and says which are missing.
#
# Every scenario gets the HTTPS endpoint as $1 and, in the environment:
#   CADDYS3_CA_CERT        Caddy's local CA root (PEM) that signed the TLS
#                          site's certificates: clients trust it through
#                          their normal CA settings, never by disabling checks
#   CADDYS3_HTTP_ENDPOINT  http://127.0.0.1:$PORT
#   CADDYS3_VHOST_DOMAIN   s3.test (buckets as vhost-<client>.s3.test)
#   CADDYS3_ALICE_KEY / CADDYS3_ALICE_SECRET / CADDYS3_BOB_KEY / CADDYS3_BOB_SECRET
#   CADDYS3_SHARED_DIR     random test files made once for all scripts
#                          (lib.sh's shared_file, shared_keys_dir)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/caddys3-clients.XXXXXX")"
SERVER_PID=""
START=$SECONDS

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

# shellcheck source=lib.sh
source "$HERE/lib.sh"

DOMAIN=s3.test
ensure_hosts "$HERE/hosts.txt"

BIN="${CADDYS3_BIN:-}"
if [ -z "$BIN" ]; then
	echo "== building the server"
	(cd "$REPO" && timeout 900 go build -o "$WORK/caddy" ./cmd/caddy)
	BIN="$WORK/caddy"
fi

PY="$(command -v python3 || echo /usr/bin/python3)"
free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
PORT="$(free_port)"
TLSPORT="$(free_port)"
while [ "$TLSPORT" = "$PORT" ]; do TLSPORT="$(free_port)"; done
ROOT="$WORK/root"
mkdir -p "$ROOT" "$WORK/home/data" "$WORK/home/config" "$WORK/shared"

export CADDYS3_ALICE_KEY=AKIAEXAMPLEALICE0001
export CADDYS3_ALICE_SECRET=alicesecret0000000000000000000000000000
export CADDYS3_BOB_KEY=AKIAEXAMPLEBOB000001
export CADDYS3_BOB_SECRET=bobsecret00000000000000000000000000000000

# Both sites serve one storage root. Bob's secret comes from an {env.*}
# placeholder, as production configs do. skip_install_trust: Caddy must not
# put its test CA into the system trust store (we run as root); clients get
# the root certificate through their CA settings instead. No HTTP->HTTPS
# redirect listener (it would take port 80) and no HTTP/3. default_sni:
# legacy boto 2 validates certificates with its own ssl.wrap_socket call,
# which sends no SNI; without a default Caddy has no certificate to offer
# and aborts the handshake (TLS alert "internal error").
# s3_block INDENT [DOMAIN]: the site's s3 directive.
s3_block() {
	sed "s/^/$1/" <<EOF
s3 {
	root $ROOT
	region us-east-1${2:+
	domain $2}
	credentials static {
		key $CADDYS3_ALICE_KEY $CADDYS3_ALICE_SECRET alice
		key $CADDYS3_BOB_KEY {env.CADDYS3_CLIENTS_BOB_SECRET} bob
	}
}
EOF
}
cat >"$WORK/Caddyfile" <<EOF
{
	admin off
	persist_config off
	default_bind 127.0.0.1
	auto_https disable_redirects
	skip_install_trust
	default_sni $DOMAIN
	servers {
		protocols h1 h2
	}
}

https://$DOMAIN:$TLSPORT, https://*.$DOMAIN:$TLSPORT {
	tls internal
$(s3_block '\t' "$DOMAIN")
}

http://127.0.0.1:$PORT {
	handle_path /s3/* {
$(s3_block '\t\t')
	}
$(s3_block '\t')
}
EOF

echo "== starting $BIN: https://$DOMAIN:$TLSPORT (tls internal, *.$DOMAIN) and http://127.0.0.1:$PORT"
HOME="$WORK/home" XDG_DATA_HOME="$WORK/home/data" XDG_CONFIG_HOME="$WORK/home/config" \
	CADDYS3_CLIENTS_BOB_SECRET="$CADDYS3_BOB_SECRET" \
	timeout 1800 "$BIN" run --config "$WORK/Caddyfile" --adapter caddyfile >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
CA="$WORK/home/data/caddy/pki/authorities/local/root.crt"

# Up when the HTTP port answers and an HTTPS request verifies against the
# local CA's root (the site certificates are issued in the background).
up=""
for _ in $(seq 1 300); do
	if ! kill -0 "$SERVER_PID" 2>/dev/null; then
		echo "server exited during start:"
		cat "$WORK/server.log"
		exit 1
	fi
	if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && [ -s "$CA" ] &&
		curl -s -o /dev/null --max-time 5 --cacert "$CA" "https://$DOMAIN:$TLSPORT/" &&
		curl -s -o /dev/null --max-time 5 --cacert "$CA" "https://vhost-s3cmd.$DOMAIN:$TLSPORT/"; then
		up=1
		break
	fi
	sleep 0.2
done
if [ -z "$up" ]; then
	echo "server not ready within 60s (HTTP port $PORT, CA $CA, https://$DOMAIN:$TLSPORT):"
	curl -sS -o /dev/null --max-time 5 --cacert "$CA" "https://$DOMAIN:$TLSPORT/" || true
	tail -n 50 "$WORK/server.log"
	exit 1
fi
echo "== server up after $((SECONDS - START))s; CA root $CA"

export CADDYS3_CA_CERT="$CA"
export CADDYS3_HTTP_ENDPOINT="http://127.0.0.1:$PORT"
export CADDYS3_VHOST_DOMAIN="$DOMAIN"
export CADDYS3_SHARED_DIR="$WORK/shared"
HTTPS_ENDPOINT="https://$DOMAIN:$TLSPORT"

# run_script SCRIPT ENDPOINT [LABEL]: one scenario; its "N passed, M
# failed" line is added to the totals.
total_passed=0
total_failed=0
rc=0
summaries=()
run_script() {
	local script="$1" endpoint="$2" label="${3:-$(basename "$1")}" src counts f t0=$SECONDS
	echo "== $label against $endpoint"
	set +e
	timeout 1200 bash "$script" "$endpoint" 2>&1 | tee "$WORK/scenario.out"
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
	summaries+=("$(printf '%-32s %-26s %4ss' "$label" "${counts:-exit $src}" $((SECONDS - t0)))")
	if [ $src -ne 0 ]; then
		rc=$src
		echo "== $label exited $src; last lines of the server log:"
		tail -n 60 "$WORK/server.log" | sed 's/^/  server: /'
	fi
}

selected() {
	[ -z "${CADDYS3_ONLY:-}" ] || [[ " $CADDYS3_ONLY " == *" $(basename "$1") "* ]]
}

# Every script over HTTPS (python.sh first), then python.sh over plain HTTP
# with CADDYS3_LIGHT=1: the same clients and checks, without the large
# listings (the 100 MiB transfers are in scenario-multipart.sh, HTTPS only).
for script in "$HERE/python.sh" "$HERE"/scenario-*.sh; do
	[ -f "$script" ] && selected "$script" || continue
	run_script "$script" "$HTTPS_ENDPOINT"
done
if selected "$HERE/python.sh"; then
	CADDYS3_LIGHT=1 run_script "$HERE/python.sh" "$CADDYS3_HTTP_ENDPOINT" "python.sh (plain HTTP)"
fi

if [ ${#summaries[@]} -gt 0 ]; then
	echo "== per script"
	printf '  %s\n' "${summaries[@]}"
fi
echo "== clients took $((SECONDS - START))s"
echo "clients: $total_passed passed, $total_failed failed"
exit $rc
