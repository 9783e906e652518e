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
# shellcheck source=../server.sh
source "$HERE/../server.sh"
server_init caddys3-clients
START=$SECONDS

# shellcheck source=lib.sh
source "$HERE/lib.sh"

DOMAIN=s3.test
ensure_hosts "$HERE/hosts.txt"

server_build

read -r PORT TLSPORT < <(free_ports 2)
ROOT="$WORK/root"
mkdir -p "$ROOT" "$WORK/shared"

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
	encryption {
		key clients-1 {env.CADDYS3_CLIENTS_MASTER_KEY}
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
server_start "$WORK/Caddyfile" 1800 CADDYS3_CLIENTS_BOB_SECRET="$CADDYS3_BOB_SECRET" \
	CADDYS3_CLIENTS_MASTER_KEY="$(head -c 32 /dev/urandom | base64)" # SSE-S3 (docs/encryption.md)
CA="$SERVER_CA"

# Up when the HTTP port answers and an HTTPS request verifies against the
# local CA's root (the site certificates are issued in the background).
server_up() {
	(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && [ -s "$CA" ] &&
		curl -s -o /dev/null --max-time 5 --cacert "$CA" "https://$DOMAIN:$TLSPORT/" &&
		curl -s -o /dev/null --max-time 5 --cacert "$CA" "https://vhost-s3cmd.$DOMAIN:$TLSPORT/"
}
not_ready() {
	echo "server not ready within 60s (HTTP port $PORT, CA $CA, https://$DOMAIN:$TLSPORT):"
	curl -sS -o /dev/null --max-time 5 --cacert "$CA" "https://$DOMAIN:$TLSPORT/" || true
}
server_wait not_ready server_up
echo "== server up after $((SECONDS - START))s; CA root $CA"

export CADDYS3_CA_CERT="$CA"
export CADDYS3_HTTP_ENDPOINT="http://127.0.0.1:$PORT"
export CADDYS3_VHOST_DOMAIN="$DOMAIN"
export CADDYS3_SHARED_DIR="$WORK/shared"
HTTPS_ENDPOINT="https://$DOMAIN:$TLSPORT"

# run_script SCRIPT ENDPOINT [LABEL]: one scenario; its "N passed, M
# failed" line is added to the totals (see tally).
total_passed=0
total_failed=0
rc=0
summaries=()
run_script() {
	local script="$1" endpoint="$2" label="${3:-$(basename "$1")}" src t0=$SECONDS
	echo "== $label against $endpoint"
	set +e
	timeout 1200 bash "$script" "$endpoint" 2>&1 | tee "$WORK/scenario.out"
	src=${PIPESTATUS[0]}
	set -e
	tally "$label" "$WORK/scenario.out" "$src" "$t0"
}

# tally LABEL OUTPUT EXIT START: adds a scenario's counts to the totals
# and its line to the summary; a scenario that failed without counts
# counts as one failure.
tally() {
	local label="$1" out="$2" src="$3" t0="$4" counts f
	counts="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)"
	if [ -n "$counts" ]; then
		total_passed=$((total_passed + ${counts%% passed*}))
		f=${counts#*, }
		total_failed=$((total_failed + ${f%% failed}))
	elif [ "$src" -ne 0 ]; then
		total_failed=$((total_failed + 1))
	fi
	summaries+=("$(printf '%-32s %-26s %4ss' "$label" "${counts:-exit $src}" $((SECONDS - t0)))")
	if [ "$src" -ne 0 ]; then
		rc=$src
		echo "== $label exited $src; last lines of the server log:"
		tail -n 60 "$SERVER_LOG" | sed 's/^/  server: /'
	fi
}

selected() {
	[ -z "${CADDYS3_ONLY:-}" ] || [[ " $CADDYS3_ONLY " == *" $(basename "$1") "* ]]
}

# Every script over HTTPS (python.sh first), and beside them python.sh
# over plain HTTP with CADDYS3_LIGHT=1: the same clients and checks,
# without the large listings (the 100 MiB transfers are in
# scenario-multipart.sh, HTTPS only). The two streams share the server and
# the test files (made here first, so neither replaces one the other
# reads); each scenario names its own buckets. The plain-HTTP output is
# printed when it ends.
shared_file f1.bin 1 >/dev/null
shared_file f20.bin 20 >/dev/null
http_pid=""
http_t0=$SECONDS
if selected "$HERE/python.sh"; then
	echo "== python.sh (plain HTTP) against $CADDYS3_HTTP_ENDPOINT, beside the HTTPS scenarios"
	(
		set +e
		CADDYS3_LIGHT=1 timeout 1200 bash "$HERE/python.sh" "$CADDYS3_HTTP_ENDPOINT" >"$WORK/http.out" 2>&1
		echo $? >"$WORK/http.rc"
	) &
	http_pid=$!
fi
for script in "$HERE/python.sh" "$HERE"/scenario-*.sh; do
	[ -f "$script" ] && selected "$script" || continue
	run_script "$script" "$HTTPS_ENDPOINT"
done
if [ -n "$http_pid" ]; then
	wait "$http_pid" || true
	echo "== python.sh (plain HTTP) against $CADDYS3_HTTP_ENDPOINT"
	cat "$WORK/http.out"
	tally "python.sh (plain HTTP)" "$WORK/http.out" "$(cat "$WORK/http.rc" 2>/dev/null || echo 1)" "$http_t0"
fi

if [ ${#summaries[@]} -gt 0 ]; then
	echo "== per script"
	printf '  %s\n' "${summaries[@]}"
fi
echo "== clients took $((SECONDS - START))s"
echo "clients: $total_passed passed, $total_failed failed"
exit $rc
