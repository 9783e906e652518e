#!/usr/bin/env bash
# The Debian package, end to end on this machine (as root; CI is root, a
# developer's run goes through sudo -n): build it (packaging/deb/build.sh,
# with $CADDYS3_BIN as the binary when set), dpkg -i, check what it
# installed, start the unit's ExecStart the way systemd would (its User,
# Environment, EnvironmentFile and ambient CAP_NET_BIND_SERVICE: systemd
# itself does not run here) on the installed /etc/caddy/Caddyfile, smoke
# test it over HTTPS on port 443 (readiness, a SigV4-signed PUT and GET
# with curl --aws-sigv4), stop it, dpkg --purge and check that only what
# the package keeps on purge is left (the storage root with its buckets and
# the caddys3 user), which the script then removes itself.
#
#   bash test/deb/run.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

if [ "$(id -u)" -ne 0 ]; then
	exec sudo -n --preserve-env=CADDYS3_BIN,PATH,GOPATH,GOCACHE,GOMODCACHE,HOME bash "$0" "$@"
fi

fail() {
	echo "deb: FAIL: $*" >&2
	exit 1
}
TMP="$(mktemp -d "${TMPDIR:-/tmp}/caddys3-deb-test.XXXXXX")"
server_pid=""
aside=""
owned="" # set once this machine's caddys3 state is the test's own
cleanup() {
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	if [ -n "$owned" ]; then
		if dpkg-query -W caddys3 >/dev/null 2>&1; then
			dpkg --purge caddys3 >/dev/null 2>&1 || true
		fi
		rm -rf /var/lib/caddys3
		if getent passwd caddys3 >/dev/null; then userdel caddys3; fi
		if getent group caddys3 >/dev/null; then groupdel caddys3; fi
	fi
	if [ -n "$aside" ] && [ ! -e /var/lib/caddys3 ]; then
		mv "$aside/caddys3" /var/lib/caddys3 && rmdir "$aside"
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT

# The machine must not have a caddys3 of its own: purge and the clean-up
# would remove it. A root holding nothing but .caddys3/ without buckets is
# what `caddy validate` of Caddyfile.example left before it stopped
# creating the root: it is moved aside for the test and put back.
if [ -d /var/lib/caddys3 ] && [ "$(ls -A /var/lib/caddys3)" = .caddys3 ] && [ -z "$(ls -A /var/lib/caddys3/.caddys3/buckets 2>/dev/null)" ]; then
	aside="$(mktemp -d /var/lib/caddys3-aside.XXXXXX)"
	mv /var/lib/caddys3 "$aside/"
fi
if dpkg-query -W caddys3 >/dev/null 2>&1 || getent passwd caddys3 >/dev/null || [ -e /var/lib/caddys3 ]; then
	fail "this machine already has a caddys3 package, user or /var/lib/caddys3"
fi
for port in 80 443 2019; do
	if ss -Hltn "sport = :$port" | grep -q .; then
		fail "port $port is in use (the installed Caddyfile listens on 80 and 443, admin on 2019)"
	fi
done
owned=1

echo "--- build"
deb="$(bash packaging/deb/build.sh --out "$TMP" ${CADDYS3_BIN:+--bin "$CADDYS3_BIN"} | tail -1)"
dpkg-deb --info "$deb" | sed -n 's/^ \(Package\|Version\|Architecture\): /  \1: /p'

echo "--- install"
dpkg -i "$deb"
unit=/lib/systemd/system/caddys3.service
for f in /usr/bin/caddys3 "$unit" /etc/caddy/Caddyfile /etc/default/caddys3 /usr/share/doc/caddys3/copyright; do
	[ -e "$f" ] || fail "$f not installed"
done
cmp -s Caddyfile.example /etc/caddy/Caddyfile || fail "/etc/caddy/Caddyfile differs from Caddyfile.example"
[ -L /etc/systemd/system/multi-user.target.wants/caddys3.service ] || fail "the unit is not enabled"
[ "$(stat -c %U:%a /var/lib/caddys3)" = caddys3:750 ] || fail "/var/lib/caddys3 is $(stat -c %U:%a /var/lib/caddys3)"
[ "$(stat -c %U:%G:%a /etc/default/caddys3)" = root:caddys3:640 ] || fail "/etc/default/caddys3 is $(stat -c %U:%G:%a /etc/default/caddys3)"
for want in "User=caddys3" "ProtectSystem=strict" "AmbientCapabilities=CAP_NET_BIND_SERVICE" "ReadWritePaths=/var/lib/caddys3 "; do
	grep -q "^$want" "$unit" || fail "the unit lacks $want"
done
/usr/bin/caddys3 s3 version | grep -q '^on-disk layout 1$' || fail "caddys3 s3 version"
[ -z "$(ls -A /var/lib/caddys3)" ] || fail "the storage root is not empty before the first start"

echo "--- start the unit's ExecStart as its user"
secret="$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')"
echo "S3_ALICE_SECRET=$secret" >>/etc/default/caddys3
unit_value() { sed -n "s/^$1=//p" "$unit"; }
user="$(unit_value User)"
group="$(unit_value Group)"
read -r -a exec_start <<<"$(unit_value ExecStart)"
read -r -a unit_env <<<"$(unit_value Environment)"
mapfile -t file_env < <(grep -E '^[A-Za-z_][A-Za-z0-9_]*=' /etc/default/caddys3)
caps="$(unit_value AmbientCapabilities | tr 'A-Z' 'a-z' | sed 's/cap_//')"
(cd / && exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "${file_env[@]}" "${unit_env[@]}" \
	setpriv --reuid="$user" --regid="$group" --init-groups --no-new-privs \
	--bounding-set=-all,+"$caps" --inh-caps=-all,+"$caps" --ambient-caps=-all,+"$caps" \
	"${exec_start[@]}") >"$TMP/server.log" 2>&1 &
server_pid=$!

ca=/var/lib/caddys3-state/data/caddy/pki/authorities/local/root.crt
host=s3.cloud.example.com
base="https://$host"
c() { curl -sS --max-time 20 --resolve "$host:443:127.0.0.1" --cacert "$ca" "$@"; }
up=""
for _ in $(seq 1 150); do
	if ! kill -0 "$server_pid" 2>/dev/null; then
		cat "$TMP/server.log" >&2
		fail "the server exited"
	fi
	if [ -e "$ca" ] && [ "$(c -o /dev/null -w '%{http_code}' "$base/minio/health/ready" 2>/dev/null)" = 200 ]; then
		up=1
		break
	fi
	sleep 0.2
done
[ -n "$up" ] || { tail -30 "$TMP/server.log" >&2; fail "not ready on $base within 30 s"; }
[ "$(stat -c %U /proc/"$server_pid")" = caddys3 ] || fail "the server does not run as caddys3"

echo "--- smoke test"
s3() {
	local method="$1" path="$2"
	shift 2
	c --fail-with-body -X "$method" --aws-sigv4 "aws:amz:us-east-1:s3" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
		--user "AKIAEXAMPLEALICE0001:$secret" "$@" "$base/$path"
}
s3 PUT debtest >/dev/null
echo "hello from the package" >"$TMP/obj"
s3 PUT debtest/hello.txt --data-binary @"$TMP/obj" >/dev/null
[ "$(s3 GET debtest/hello.txt)" = "hello from the package" ] || fail "GET did not return what PUT stored"
[ "$(stat -c %U /var/lib/caddys3/debtest/hello.txt)" = caddys3 ] || fail "the object file is not owned by caddys3"
code="$(c -o /dev/null -w '%{http_code}' "$base/debtest/hello.txt")"
[ "$code" = 403 ] || fail "an anonymous GET answered $code"
grep -q 'debtest/hello.txt' /var/log/caddys3/s3-access.log || fail "no access log in /var/log/caddys3"
if grep -q "$secret" "$TMP/server.log" /var/log/caddys3/s3-access.log; then fail "a log holds the secret"; fi

echo "--- stop and purge"
kill "$server_pid"
wait "$server_pid" || true
server_pid=""
dpkg --purge caddys3
left=""
for f in /usr/bin/caddys3 "$unit" /etc/caddy /etc/default/caddys3 /usr/share/doc/caddys3 \
	/var/lib/caddys3-state /var/log/caddys3 /etc/systemd/system/multi-user.target.wants/caddys3.service \
	/var/lib/systemd/deb-systemd-helper-enabled/caddys3.service; do
	[ -e "$f" ] || [ -L "$f" ] && left="$left $f"
done
[ -z "$left" ] || fail "purge left:$left"
if dpkg-query -W caddys3 >/dev/null 2>&1; then fail "dpkg still knows caddys3 after purge"; fi
[ -f /var/lib/caddys3/debtest/hello.txt ] || fail "purge removed the storage root's data (it is kept)"
getent passwd caddys3 >/dev/null || fail "purge removed the caddys3 user (it is kept)"
echo "deb: PASS"
