# Server lifecycle shared by the test scripts that run the caddys3 binary
# against real clients (test/clients/run.sh, test/browser/run.sh). Source it,
# then:
#
#   server_init caddys3-NAME        # $WORK, $SERVER_LOG, $SERVER_CA, traps
#   server_build                    # $BIN
#   read -r A B < <(free_ports 2)
#   ... write "$WORK/Caddyfile" ...
#   server_start "$WORK/Caddyfile" 600 [VAR=value...]   # $SERVER_PID
#   server_wait REPORT CHECK [ARG...]
#
# The server runs as deployed ("caddy run" with a Caddyfile) with HOME and
# the XDG directories under $WORK, so `tls internal` puts its local CA there
# and nothing outside $WORK is written. On exit (also on Ctrl-C or TERM) the
# server is stopped and $WORK removed unless CADDYS3_KEEP is set.
# shellcheck shell=bash

SERVER_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# server_init PREFIX: makes WORK, a temporary directory named PREFIX.XXXXXX,
# and installs the EXIT/INT/TERM traps that run server_cleanup.
server_init() {
	WORK="$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")"
	SERVER_PID=""
	SERVER_LOG="$WORK/server.log"
	# Caddy's local CA root (PEM) once a `tls internal` site has started.
	SERVER_CA="$WORK/home/data/caddy/pki/authorities/local/root.crt"
	trap server_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# server_cleanup: the EXIT trap. Stops the server (TERM, up to 10 s, then
# KILL), removes WORK unless CADDYS3_KEEP is set, keeps the exit status.
server_cleanup() {
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

# server_build: sets BIN to $CADDYS3_BIN, or builds ./cmd/caddy into WORK.
server_build() {
	BIN="${CADDYS3_BIN:-}"
	if [ -z "$BIN" ]; then
		echo "== building the server"
		(cd "$SERVER_REPO" && timeout 900 go build -o "$WORK/caddy" ./cmd/caddy)
		BIN="$WORK/caddy"
	fi
}

# free_ports N: prints N distinct free TCP ports on 127.0.0.1, one line.
free_ports() {
	"$(command -v python3 || echo /usr/bin/python3)" -c '
import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])
for s in ss: s.close()' "$1"
}

# server_start CADDYFILE TIMEOUT [VAR=value...]: starts "$BIN run" on the
# Caddyfile in the background, killed after TIMEOUT seconds, with the extra
# environment given; sets SERVER_PID, logs to SERVER_LOG.
server_start() {
	local caddyfile="$1" limit="$2"
	shift 2
	mkdir -p "$WORK/home/data" "$WORK/home/config"
	HOME="$WORK/home" XDG_DATA_HOME="$WORK/home/data" XDG_CONFIG_HOME="$WORK/home/config" \
		env "$@" timeout "$limit" "$BIN" run --config "$caddyfile" --adapter caddyfile >"$SERVER_LOG" 2>&1 &
	SERVER_PID=$!
}

# server_wait REPORT CHECK [ARG...]: polls CHECK every 0.2 s until it
# succeeds. Exits 1 with the whole log if the server exits meanwhile; after
# 60 s runs REPORT (a command saying what was not up), prints the log's last
# 50 lines and exits 1.
server_wait() {
	local report="$1"
	shift
	for _ in $(seq 1 300); do
		if ! kill -0 "$SERVER_PID" 2>/dev/null; then
			echo "server exited during start:"
			cat "$SERVER_LOG"
			exit 1
		fi
		if "$@"; then
			return 0
		fi
		sleep 0.2
	done
	"$report"
	tail -n 50 "$SERVER_LOG"
	exit 1
}
