# Shared by the client scenario scripts (and .ci/run, for ensure_hosts):
# PASS/FAIL counting, the checks they run, the endpoint/TLS/vhost settings
# run.sh passes, client configuration files, and shared test data. Source it
# after setting STEP_TIMEOUT (and WORK, a temporary directory); end the
# script with `summary`, which prints the "N passed, M failed" line run.sh
# reads.

passed=0
failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

# summary: the "N passed, M failed" line; non-zero status when M > 0.
summary() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

# check NAME CMD... : runs CMD (bounded in time), PASS/FAIL with its output on failure.
check() {
	local name="$1" out rc
	shift
	# bash -c so that CMD may be one of the exported helper functions.
	out="$(timeout "${STEP_TIMEOUT:-300}" bash -c '"$@"' bash "$@" 2>&1)"
	rc=$?
	if [ $rc -eq 0 ]; then
		pass "$name"
	else
		fail "$name (exit $rc)"
		printf '%s\n' "$out" | tail -n 25 | sed 's/^/    /'
	fi
	return $rc
}

# expect_output NEEDLE CMD... : CMD succeeds and its output contains NEEDLE.
expect_output() {
	local needle="$1" out
	shift
	out="$("$@" 2>&1)" || {
		printf '%s\n' "$out"
		return 1
	}
	if ! grep -qF -- "$needle" <<<"$out"; then
		printf 'output lacks %q:\n%s\n' "$needle" "$out"
		return 1
	fi
}

# expect_exact WANT CMD... : CMD succeeds and prints exactly WANT.
expect_exact() {
	local want="$1" out
	shift
	out="$("$@" 2>&1)" || {
		printf '%s\n' "$out"
		return 1
	}
	if [ "$out" != "$want" ]; then
		printf 'output %q, want %q\n' "$out" "$want"
		return 1
	fi
}

# expect_no_output NEEDLE CMD... : CMD succeeds and its output lacks NEEDLE.
expect_no_output() {
	local needle="$1" out
	shift
	out="$("$@" 2>&1)" || {
		printf '%s\n' "$out"
		return 1
	}
	if grep -qF -- "$needle" <<<"$out"; then
		printf 'output still has %q:\n%s\n' "$needle" "$out"
		return 1
	fi
}

# expect_empty CMD... : CMD succeeds and prints nothing.
expect_empty() {
	local out
	out="$("$@" 2>&1)" || {
		printf '%s\n' "$out"
		return 1
	}
	if [ -n "$out" ]; then
		printf 'expected no output, got:\n%s\n' "$out"
		return 1
	fi
}

# expect_fail CMD... : CMD fails.
expect_fail() {
	if "$@" >/dev/null 2>&1; then
		echo "succeeded, expected a failure"
		return 1
	fi
}

# expect_fail_output NEEDLE CMD... : CMD fails and its output contains NEEDLE.
expect_fail_output() {
	local needle="$1" out
	shift
	if out="$("$@" 2>&1)"; then
		printf 'succeeded, expected a failure:\n%s\n' "$out"
		return 1
	fi
	if ! grep -qF -- "$needle" <<<"$out"; then
		printf 'output lacks %q:\n%s\n' "$needle" "$out"
		return 1
	fi
}

# range_is FILE START LEN GOT : GOT holds bytes START..START+LEN-1 of FILE.
range_is() {
	cmp <(tail -c +$(($2 + 1)) "$1" | head -c "$3") "$4"
}

# keys_once WANTDIR PREFIX CMD... : CMD prints one key per line; they are
# exactly PREFIX + the relative path of every file under WANTDIR, each once.
keys_once() {
	local dir="$1" prefix="$2" got want dups
	shift 2
	got="$("$@")" || {
		printf 'listing failed:\n%s\n' "$got" | tail -n 20
		return 1
	}
	want="$(cd "$dir" && find . -type f | sed "s|^\./|$prefix|" | LC_ALL=C sort)"
	got="$(printf '%s\n' "$got" | sed '/^$/d' | LC_ALL=C sort)"
	dups="$(uniq -d <<<"$got")"
	if [ -n "$dups" ]; then
		echo "keys listed more than once: $(wc -l <<<"$dups"): $(head -n 5 <<<"$dups" | tr '\n' ' ')"
		return 1
	fi
	if [ "$got" != "$want" ]; then
		echo "listed $(wc -l <<<"$got") keys, want $(wc -l <<<"$want"); differences (< want, > listed):"
		diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | head -n 20
		return 1
	fi
}

# mp_etag FILE CHUNK_MIB : S3's multipart ETag of FILE cut in CHUNK_MIB parts.
mp_etag() {
	python3 - "$1" "$2" <<'EOF'
import hashlib, sys
path, chunk = sys.argv[1], int(sys.argv[2]) << 20
d = []
with open(path, "rb") as f:
    while True:
        b = f.read(chunk)
        if not b:
            break
        d.append(hashlib.md5(b).digest())
print('"%s-%d"' % (hashlib.md5(b"".join(d)).hexdigest(), len(d)))
EOF
}

export -f check pass fail expect_output expect_exact expect_no_output expect_empty expect_fail expect_fail_output range_is keys_once

# ---------------------------------------------------------------------------
# Endpoint, TLS and virtual hosts.

# client_env [ENDPOINT] : sets ENDPOINT (default $S3_ENDPOINT, then
# http://127.0.0.1:9000), HOSTPORT, CA (the CA file to trust: run.sh's
# CADDYS3_CA_CERT for an https endpoint, else empty), VHOST_DOMAIN (the base
# domain of virtual-hosted buckets when ENDPOINT's host is
# $CADDYS3_VHOST_DOMAIN, else empty), and exports them and S3_ACCESS_KEY /
# S3_SECRET_KEY (alice's key unless set) and NO_PROXY. ccurl is curl with
# the CA.
client_env() {
	ENDPOINT="${1:-${S3_ENDPOINT:-http://127.0.0.1:9000}}"
	ENDPOINT="${ENDPOINT%/}"
	HOSTPORT="${ENDPOINT#*://}"
	export S3_ACCESS_KEY="${S3_ACCESS_KEY:-${CADDYS3_ALICE_KEY:-AKIAEXAMPLEALICE0001}}"
	export S3_SECRET_KEY="${S3_SECRET_KEY:-${CADDYS3_ALICE_SECRET:-alicesecret0000000000000000000000000000}}"
	CA=""
	if [[ "$ENDPOINT" == https://* ]]; then
		CA="${CADDYS3_CA_CERT:-}"
		if [ -n "$CA" ] && [ ! -f "$CA" ]; then
			echo "warning: CADDYS3_CA_CERT=$CA is not a file"
		fi
		[ -n "$CA" ] || echo "warning: https endpoint without CADDYS3_CA_CERT: the system CAs must trust it"
	fi
	local host="${HOSTPORT%:*}"
	VHOST_DOMAIN=""
	if [ -n "${CADDYS3_VHOST_DOMAIN:-}" ] && [ "${host,,}" = "${CADDYS3_VHOST_DOMAIN,,}" ]; then
		VHOST_DOMAIN="$CADDYS3_VHOST_DOMAIN"
	fi
	# Never through a proxy: the server and its host names are local.
	export NO_PROXY="127.0.0.1,localhost,$host,.$host${NO_PROXY:+,$NO_PROXY}" no_proxy="127.0.0.1,localhost,$host,.$host${no_proxy:+,$no_proxy}"
	export ENDPOINT HOSTPORT CA VHOST_DOMAIN
}

# ccurl ARG... : curl trusting CA (the only way TLS is trusted here: no -k).
ccurl() {
	curl -sS --max-time 120 ${CA:+--cacert "$CA"} "$@"
}

# vhost_ready LABEL BUCKET : true when virtual-hosted requests for BUCKET
# can run (an endpoint on $CADDYS3_VHOST_DOMAIN whose BUCKET.<domain>
# resolves to 127.0.0.1); a FAIL when the name does not resolve.
vhost_ready() {
	[ -n "${VHOST_DOMAIN:-}" ] || {
		echo "   $1: no virtual-hosted checks (endpoint not on \$CADDYS3_VHOST_DOMAIN)"
		return 1
	}
	if [ "$(resolve_v4 "$2.$VHOST_DOMAIN")" != 127.0.0.1 ]; then
		fail "$1: $2.$VHOST_DOMAIN does not resolve to 127.0.0.1 (add it to /etc/hosts; see test/clients/hosts.txt)"
		return 1
	fi
}

# resolve_v4 NAME : NAME's first IPv4 address (through /etc/hosts and NSS).
resolve_v4() {
	getent ahostsv4 "$1" 2>/dev/null | awk '{ print $1; exit }'
}

# ensure_hosts HOSTSFILE : every name of HOSTSFILE (one a line, # comments)
# must resolve to 127.0.0.1. As root, missing names are appended to
# /etc/hosts as "127.0.0.1 name"; otherwise they are listed and it fails.
ensure_hosts() {
	local name missing=()
	while read -r name _; do
		case "$name" in '' | '#'*) continue ;; esac
		[ "$(resolve_v4 "$name")" = 127.0.0.1 ] || missing+=("$name")
	done <"$1"
	[ ${#missing[@]} -gt 0 ] || return 0
	if [ "$(id -u)" -eq 0 ] && [ -w /etc/hosts ]; then
		echo "== adding to /etc/hosts: ${missing[*]}"
		printf '127.0.0.1 %s\n' "${missing[@]}" >>/etc/hosts
		return 0
	fi
	echo "error: these names must resolve to 127.0.0.1 (see $1), add to /etc/hosts as root:" >&2
	printf '  127.0.0.1 %s\n' "${missing[@]}" >&2
	return 1
}

# ---------------------------------------------------------------------------
# Clients.

# find_pip_python : the pip Python's executable (the first python3 that is
# not Debian's /usr one), resolved before a script changes HOME.
find_pip_python() {
	local c
	for c in "${PIP_PYTHON:-}" "$(command -v python3 || true)" /root/.pyenv/shims/python3 "${HOME:-/root}/.pyenv/shims/python3"; do
		[ -n "$c" ] && [ -x "$c" ] || continue
		if [ "$("$c" -c 'import sys; print(sys.prefix)' 2>/dev/null)" != "/usr" ]; then
			"$c" -c 'import sys; print(sys.executable)'
			return 0
		fi
	done
	return 1
}

# run_sub LABEL CMD... : runs a sub-scenario (a Python script printing
# PASS:/FAIL: lines) bounded by STEP_TIMEOUT and adds its counts; its own
# "N passed, M failed" line is not repeated (run.sh would read it as ours).
run_sub() {
	local label="$1" out rc p f
	shift
	out="$(timeout "${STEP_TIMEOUT:-300}" "$@" 2>&1)"
	rc=$?
	grep -vE '^[0-9]+ passed, [0-9]+ failed$' <<<"$out"
	p="$(grep -c '^PASS: ' <<<"$out")"
	f="$(grep -c '^FAIL: ' <<<"$out")"
	passed=$((passed + p))
	failed=$((failed + f))
	if [ $rc -eq 124 ]; then
		fail "$label: timed out after ${STEP_TIMEOUT:-300}s"
	elif [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		fail "$label: exited $rc without reporting a failure"
	elif [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		fail "$label: ran no checks"
	fi
}

# unset_env PREFIX... : unsets every environment variable whose name starts
# with one of the PREFIXes.
unset_env() {
	local p v
	for p in "$@"; do
		for v in $(compgen -e | grep -E "^$p"); do unset "$v"; done
	done
}

# aws_isolate DIR : keeps aws-cli and boto3 away from ~/.aws and the
# caller's AWS_* settings: credentials (S3_ACCESS_KEY / S3_SECRET_KEY) and a
# path-style config (aws_config) in DIR.
aws_isolate() {
	unset_env AWS_
	export AWS_CONFIG_FILE="$1/aws-config" AWS_SHARED_CREDENTIALS_FILE="$1/aws-credentials"
	export AWS_EC2_METADATA_DISABLED=true AWS_PAGER="" AWS_DATA_PATH="$1/aws-data"
	printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$S3_ACCESS_KEY" "$S3_SECRET_KEY" \
		>"$AWS_SHARED_CREDENTIALS_FILE"
	aws_config "$AWS_CONFIG_FILE" path
}

# aws_config FILE ADDRESSING [S3 SETTING...] : an aws config file with the
# given addressing_style (path or virtual) and extra `s3 =` settings. One
# attempt per request (retry_mode standard, max_attempts 1): a failing
# request is reported, not retried away.
aws_config() {
	local file="$1" style="$2" s
	shift 2
	{
		printf '[default]\nregion = us-east-1\noutput = text\ncli_pager =\nretry_mode = standard\nmax_attempts = 1\n'
		printf 's3 =\n    addressing_style = %s\n' "$style"
		for s in "$@"; do printf '    %s\n' "$s"; done
	} >"$file"
}

# s3cmd_config FILE SIGV2(True|False) SECRET [HOST_BUCKET] : an s3cmd
# configuration for ENDPOINT; path style unless HOST_BUCKET is given (e.g.
# %(bucket)s.s3.test:PORT). Over https it verifies the server's certificate
# and host name against CA. Quirk: s3cmd's signurl writes http:// URLs
# whatever use_https says unless signurl_use_https = True.
s3cmd_config() {
	local https=False
	[[ "$ENDPOINT" == https://* ]] && https=True
	cat >"$1" <<CFG
[default]
access_key = $S3_ACCESS_KEY
secret_key = $3
host_base = $HOSTPORT
host_bucket = ${4:-$HOSTPORT}
use_https = $https
signurl_use_https = $https
check_ssl_certificate = True
check_ssl_hostname = True
ca_certs_file = $CA
signature_v2 = $2
bucket_location = us-east-1
multipart_chunk_size_mb = 15
enable_multipart = True
socket_timeout = 60
max_retries = 1
progress_meter = False
CFG
}

# rclone_config FILE REMOTE PATHSTYLE(true|false) : an rclone remote for
# ENDPOINT (rclone takes the CA with --ca-cert: see RCLONE).
rclone_config() {
	cat >>"$1" <<EOF
[$2]
type = s3
provider = Other
env_auth = false
access_key_id = $S3_ACCESS_KEY
secret_access_key = $S3_SECRET_KEY
endpoint = $ENDPOINT
region = us-east-1
force_path_style = $3
EOF
}

# s3curl METHOD BUCKET/KEY [CURL ARG...] : a SigV4-signed request (the path
# is percent-encoded here) with
# curl's own --aws-sigv4 (prints the body; fails on HTTP errors). Quirk:
# curl 7.88 does not send the x-amz-content-sha256 header S3 requires for
# SigV4 (added in curl 8.x); given as a header, curl signs it.
s3curl() {
	local method="$1" path
	path="$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe="/~"))' "$2")"
	shift 2
	ccurl --fail-with-body -X "$method" --aws-sigv4 "aws:amz:us-east-1:s3" \
		-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
		--user "$S3_ACCESS_KEY:$S3_SECRET_KEY" "$@" "$ENDPOINT/$path"
}

# etag_of BUCKET/KEY : the object's ETag (HEAD through s3curl).
etag_of() {
	s3curl HEAD "$1" -I | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p'
}

# etag_is WANT BUCKET/KEY : the object's ETag is WANT.
etag_is() {
	local got
	got="$(etag_of "$2")" || {
		echo "HEAD $2 failed: $got"
		return 1
	}
	if [ "$got" != "$1" ]; then
		echo "ETag $got, want $1"
		return 1
	fi
}

# curl_get URL OUT : fetches URL to OUT with the CA, fails on HTTP errors.
curl_get() {
	ccurl --fail -o "$2" "$1"
}
export -f ccurl s3curl etag_of etag_is curl_get

# ---------------------------------------------------------------------------
# Test data, made once per run.sh run in $CADDYS3_SHARED_DIR (else in $WORK).

# shared_file NAME MIB : path of a file of MIB random MiB.
shared_file() {
	local f="${CADDYS3_SHARED_DIR:-$WORK}/$1"
	if [ ! -f "$f" ] || [ "$(stat -c %s "$f")" -ne $(($2 << 20)) ]; then
		head -c $(($2 << 20)) /dev/urandom >"$f.tmp.$$" && mv -f "$f.tmp.$$" "$f"
	fi
	echo "$f"
}

# shared_keys_dir N : a directory of N small files k0000 … (for listings
# past one 1000-key page), their mtimes two minutes in the past (sync tools
# compare them with LastModified).
shared_keys_dir() {
	local d="${CADDYS3_SHARED_DIR:-$WORK}/keys-$1" i n
	if [ ! -d "$d" ]; then
		rm -rf "$d.tmp.$$" && mkdir -p "$d.tmp.$$"
		for ((i = 0; i < $1; i++)); do
			printf -v n "k%04d" "$i"
			printf "key %d\n" "$i" >"$d.tmp.$$/$n"
		done
		find "$d.tmp.$$" -type f -exec touch -d "@$(($(date +%s) - 120))" {} +
		mv "$d.tmp.$$" "$d"
	fi
	echo "$d"
}

# make_tree DIR : 20 small files in nested directories (names with a space
# and unicode), for the sync tools; mtimes two minutes in the past (sync
# compares the local mtime with LastModified, which S3 lists with
# one-second resolution: a file written in the second of its upload would
# look newer than its copy).
make_tree() {
	local root="$1" i
	mkdir -p "$root/a/b/c" "$root/a/d" "$root/e f" "$root/ü"
	for i in $(seq 1 5); do
		head -c $((i * 1000 + 3)) /dev/urandom >"$root/top-$i.txt"
		head -c $((i * 777)) /dev/urandom >"$root/a/f$i.bin"
		head -c $((i * 333)) /dev/urandom >"$root/a/b/c/deep $i.dat"
	done
	for i in 1 2; do
		head -c $((i * 4096)) /dev/urandom >"$root/a/d/g$i"
		echo "file $i" >"$root/e f/h $i.txt"
	done
	echo "ü" >"$root/ü/ä.txt"
	find "$root" -type f -exec touch -d "@$(($(date +%s) - 120))" {} +
}
