#!/usr/bin/env bash
# curl against a running caddys3 endpoint: HTTP/2 and HTTP/1.1 over TLS.
# Requests are signed by curl itself (--aws-sigv4); over https the server's
# certificate is verified against the CA (--cacert; without it curl
# refuses). Checks %{http_version} for: a PUT and GET of an object with
# --http2 (2) and --http1.1 (1.1), a ranged GET, a PUT from stdin over
# HTTP/2 (no Content-Length), eight GETs multiplexed on one HTTP/2
# connection (--parallel), a presigned GET (SigV4 from aws-cli v2, else v1)
# over both versions, and one GET on the plain-HTTP endpoint
# ($CADDYS3_HTTP_ENDPOINT).
#
# Usage: test/clients/scenario-curl.sh [ENDPOINT]
#   ENDPOINT defaults to $S3_ENDPOINT, then http://127.0.0.1:9000.
# Env (from run.sh; all optional): CADDYS3_CA_CERT, CADDYS3_HTTP_ENDPOINT,
#   CADDYS3_ALICE_KEY / CADDYS3_ALICE_SECRET (or S3_ACCESS_KEY /
#   S3_SECRET_KEY), CADDYS3_SHARED_DIR.
#
# Each check prints a PASS/FAIL line; the last line is "N passed, M failed"
# and the exit status is non-zero when M > 0.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STEP_TIMEOUT="${STEP_TIMEOUT:-120}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/caddys3-curl.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# shellcheck source=lib.sh
source "$HERE/lib.sh"
client_env "${1:-}"
PIP_PY="$(find_pip_python || true)"
export HOME="$WORK/home"
mkdir -p "$HOME"
aws_isolate "$WORK"

label=curl
echo "== $label: $(curl --version | head -n 1) against $ENDPOINT${CA:+ (CA $CA)}"
F1="$(shared_file f1.bin 1)"
F20="$(shared_file f20.bin 20)"
b="curl-$$-$RANDOM"
d="$WORK/d"
mkdir -p "$d"

# version_is WANT CMD... : CMD (a curl run ending in -w '%{http_version}')
# succeeds and reports HTTP version WANT.
version_is() {
	local want="$1" got
	shift
	got="$("$@")" || {
		echo "request failed: $got"
		return 1
	}
	got="${got##*$'\n'}"
	[ "$got" = "$want" ] || {
		echo "HTTP version $got, want $want"
		return 1
	}
}
export -f version_is

if [[ "$ENDPOINT" == https://* ]]; then
	check "$label: without --cacert the certificate is rejected (exit 60)" bash -c \
		'curl -sS -o /dev/null "$1/"; rc=$?; [ $rc -eq 60 ] || { echo "curl exit $rc"; exit 1; }' _ "$ENDPOINT"
	H2=2
else
	H2=1.1 # no HTTP/2 without TLS here (no h2c)
fi

check "$label: PUT bucket over --http2" version_is "$H2" s3curl PUT "$b" --http2 -o /dev/null -w '%{http_version}' || {
	# --- ops (health endpoints, docs/install.md): unauthenticated, as a load
# balancer probes them.
for p in /minio/health/live /minio/health/ready; do
	check "$label: GET $p answers 200" expect_exact 200 ccurl -sS -o /dev/null -w '%{http_code}' "$ENDPOINT$p"
	check "$label: HEAD $p answers 200" expect_exact 200 ccurl -sS -I -o /dev/null -w '%{http_code}' "$ENDPOINT$p"
done
# --- end ops

summary
	exit
}
check "$label: PUT 1 MiB object over --http2" version_is "$H2" s3curl PUT "$b/h2/f1.bin" --http2 -T "$F1" -o /dev/null -w '%{http_version}'
check "$label: PUT 20 MiB object over --http1.1" version_is 1.1 s3curl PUT "$b/h1/f20.bin" --http1.1 -T "$F20" -o /dev/null -w '%{http_version}'
check "$label: GET object over --http2" version_is "$H2" s3curl GET "$b/h1/f20.bin" --http2 -o "$d/h2.bin" -w '%{http_version}'
check "$label: cmp the HTTP/2 download" cmp "$F20" "$d/h2.bin"
check "$label: GET object over --http1.1" version_is 1.1 s3curl GET "$b/h2/f1.bin" --http1.1 -o "$d/h1.bin" -w '%{http_version}'
check "$label: cmp the HTTP/1.1 download" cmp "$F1" "$d/h1.bin"
check "$label: ranged GET over --http2 is 206" expect_exact "206 $H2" \
	s3curl GET "$b/h1/f20.bin" --http2 -r 5000000-5999999 -o "$d/range.bin" -w '%{http_code} %{http_version}'
check "$label: the range's bytes" range_is "$F20" 5000000 1000000 "$d/range.bin"
check "$label: HEAD over --http1.1 has Content-Length and ETag" bash -c \
	'h="$(s3curl HEAD "$1" --http1.1 -I | tr -d "\r")" && grep -qix "content-length: 1048576" <<<"$h" && grep -qi "^etag: \"" <<<"$h" || { echo "$h"; exit 1; }' _ "$b/h2/f1.bin"
# A body of unknown length: over HTTP/2 it has no Content-Length header.
check "$label: PUT from stdin over --http2 (no Content-Length)" version_is "$H2" \
	bash -c 's3curl PUT "$1" --http2 -T - -o /dev/null -w "%{http_version}" <"$2"' _ "$b/h2/stdin.bin" "$F1"
check "$label: the stdin upload's bytes" bash -c 's3curl GET "$1" | cmp "$2" -' _ "$b/h2/stdin.bin" "$F1"

# Eight ranged GETs multiplexed on one HTTP/2 connection. --next resets
# the per-transfer options, so every transfer repeats them.
multiplexed() {
	local i args=(--parallel --parallel-max 8)
	for i in 0 1 2 3 4 5 6 7; do
		args+=(-sS --fail --http2 ${CA:+--cacert "$CA"} --aws-sigv4 "aws:amz:us-east-1:s3"
			-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY"
			-w '%{http_version} %{num_connects}\n' -r "$((i << 17))-$((((i + 1) << 17) - 1))" -o "$d/part$i"
			--url "$ENDPOINT/$b/h2/f1.bin" --next)
	done
	unset 'args[${#args[@]}-1]'
	curl "${args[@]}" >"$d/parallel.out" || return 1
	cat "$d/part"{0..7} | cmp "$F1" - || return 1
	# Every transfer on HTTP/2, and together on at most two connections.
	if [ "$(awk '{ print $1 }' "$d/parallel.out" | sort -u)" != "$H2" ] ||
		[ "$(awk '{ n += $2 } END { print n }' "$d/parallel.out")" -gt 2 ]; then
		cat "$d/parallel.out"
		return 1
	fi
}
export -f multiplexed
export d b F1 H2
check "$label: 8 parallel ranged GETs multiplexed over HTTP/2 reassemble the object" multiplexed

# A presigned URL (SigV4) over both versions.
AWSP=()
if [ -x /usr/bin/aws ]; then
	AWSP=(/usr/bin/aws)
elif [ -n "$PIP_PY" ]; then
	AWSP=("$PIP_PY" -m awscli)
fi
if [ ${#AWSP[@]} -gt 0 ]; then
	url="$("${AWSP[@]}" --endpoint-url "$ENDPOINT" --region us-east-1 s3 presign "s3://$b/h2/f1.bin" --expires-in 300 2>&1)"
	check "$label: presigned GET over --http2" version_is "$H2" ccurl --fail --http2 -o "$d/p2.bin" -w '%{http_version}' "$url"
	check "$label: cmp presigned HTTP/2 download" cmp "$F1" "$d/p2.bin"
	check "$label: presigned GET over --http1.1" version_is 1.1 ccurl --fail --http1.1 -o "$d/p1.bin" -w '%{http_version}' "$url"
	check "$label: cmp presigned HTTP/1.1 download" cmp "$F1" "$d/p1.bin"
else
	fail "$label: no aws-cli to presign with"
fi

if [ -n "${CADDYS3_HTTP_ENDPOINT:-}" ] && [ "$CADDYS3_HTTP_ENDPOINT" != "$ENDPOINT" ]; then
	check "$label: GET on the plain-HTTP endpoint ($CADDYS3_HTTP_ENDPOINT)" version_is 1.1 \
		env ENDPOINT="$CADDYS3_HTTP_ENDPOINT" CA= bash -c 's3curl GET "$1" -o "$2" -w "%{http_version}"' _ "$b/h2/f1.bin" "$d/plain.bin"
	check "$label: cmp plain-HTTP download" cmp "$F1" "$d/plain.bin"
fi

check "$label: DELETE the objects and the bucket" bash -c \
	'for k in h2/f1.bin h1/f20.bin h2/stdin.bin; do s3curl DELETE "$1/$k" || exit 1; done; s3curl DELETE "$1"' _ "$b"
# --- ops (health endpoints, docs/install.md): unauthenticated, as a load
# balancer probes them.
for p in /minio/health/live /minio/health/ready; do
	check "$label: GET $p answers 200" expect_exact 200 ccurl -sS -o /dev/null -w '%{http_code}' "$ENDPOINT$p"
	check "$label: HEAD $p answers 200" expect_exact 200 ccurl -sS -I -o /dev/null -w '%{http_code}' "$ENDPOINT$p"
done
# --- end ops
# --- put (docs/put-path.md): small PUTs of new keys in parallel (staged
# unnamed and linked), an overwrite (the named path), each read back whole.
pb="$b-put"
for i in $(seq 0 15); do head -c $((4096 + i)) /dev/urandom >"$d/small$i"; done
check "$label: PUT bucket for small objects" s3curl PUT "$pb" -o /dev/null
check "$label: 16 parallel PUTs of 4 KiB new keys" bash -c \
	'for i in $(seq 0 15); do s3curl PUT "$1/s/$i" -T "$2/small$i" -o /dev/null & done; rc=0; for j in $(jobs -p); do wait $j || rc=1; done; exit $rc' _ "$pb" "$d"
check "$label: the 16 small objects read back whole" bash -c \
	'for i in $(seq 0 15); do s3curl GET "$1/s/$i" | cmp "$2/small$i" - || exit 1; done' _ "$pb" "$d"
check "$label: an overwrite of a small object replaces it" bash -c \
	's3curl PUT "$1/s/0" -T "$2/small1" -o /dev/null && s3curl GET "$1/s/0" | cmp "$2/small1" -' _ "$pb" "$d"
check "$label: DELETE the small objects and their bucket" bash -c \
	'for i in $(seq 0 15); do s3curl DELETE "$1/s/$i" || exit 1; done; s3curl DELETE "$1"' _ "$pb"
# --- end put

# --- get-path (docs/get-path.md): small GETs and ranges of a 4 KiB object,
# and a bucket policy obeyed by the very next anonymous GET when it is put
# and when it is deleted (each node keeps bucket records decoded).
gb="curlget-$$-$RANDOM"
head -c 4096 /dev/urandom >"$d/small.bin"
check "$label: get-path: PUT bucket and a 4 KiB object" bash -c \
	's3curl PUT "$1" -o /dev/null && s3curl PUT "$1/small" -T "$2" -o /dev/null' _ "$gb" "$d/small.bin"
check "$label: get-path: whole GET" bash -c 's3curl GET "$1/small" -o "$2" && cmp "$3" "$2"' _ "$gb" "$d/small.got" "$d/small.bin"
for r in 100-199:100:100 0-0:0:1 4000-4095:4000:96 4090-:4090:6; do
	IFS=: read -r spec start len <<<"$r"
	check "$label: get-path: Range bytes=$spec is 206 with its bytes" bash -c \
		'[ "$(s3curl GET "$1/small" -r "$2" -o "$3" -w "%{http_code}")" = 206 ] && range_is "$4" "$5" "$6" "$3"' \
		_ "$gb" "$spec" "$d/r.got" "$d/small.bin" "$start" "$len"
done
anon_status() { ccurl -o /dev/null -w '%{http_code}' "$ENDPOINT/$1/small"; }
export -f anon_status
check "$label: get-path: anonymous GET without a policy is 403" expect_exact 403 anon_status "$gb"
printf '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/*"}]}' "$gb" >"$d/policy.json"
check "$label: get-path: PUT a policy allowing anonymous GetObject" \
	s3curl PUT "$gb" --url-query policy= --data-binary @"$d/policy.json" -o /dev/null
check "$label: get-path: the next anonymous GET is 200" expect_exact 200 anon_status "$gb"
check "$label: get-path: DELETE the policy" s3curl DELETE "$gb" --url-query policy= -o /dev/null
check "$label: get-path: the next anonymous GET is 403 again" expect_exact 403 anon_status "$gb"
check "$label: get-path: DELETE the object and the bucket" bash -c 's3curl DELETE "$1/small" && s3curl DELETE "$1"' _ "$gb"
# --- end get-path

# --- put-overwrite (docs/put-path.md, "Overwrites"): 16 racing
# overwrites of one key leave one of the bodies whole, and a key that is
# also the directory of other keys is overwritten without touching them.
ob="curlover-$$-$RANDOM"
check "$label: put-overwrite: PUT bucket and key o" bash -c \
	's3curl PUT "$1" -o /dev/null && s3curl PUT "$1/o" -T "$2/small0" -o /dev/null' _ "$ob" "$d"
check "$label: put-overwrite: 16 parallel overwrites of o" bash -c \
	'for i in $(seq 0 15); do s3curl PUT "$1/o" -T "$2/small$i" -o /dev/null & done; rc=0; for j in $(jobs -p); do wait $j || rc=1; done; exit $rc' _ "$ob" "$d"
check "$label: put-overwrite: o holds one of them whole" bash -c \
	's3curl GET "$1/o" -o "$2/o.got" && for i in $(seq 0 15); do cmp -s "$2/small$i" "$2/o.got" && exit 0; done; exit 1' _ "$ob" "$d"
check "$label: put-overwrite: o/inner under o, then o overwritten" bash -c \
	's3curl PUT "$1/o/inner" -T "$2/small2" -o /dev/null && s3curl PUT "$1/o" -T "$2/small3" -o /dev/null' _ "$ob" "$d"
check "$label: put-overwrite: o and o/inner read back" bash -c \
	's3curl GET "$1/o" | cmp "$2/small3" - && s3curl GET "$1/o/inner" | cmp "$2/small2" -' _ "$ob" "$d"
check "$label: put-overwrite: DELETE the objects and the bucket" bash -c \
	's3curl DELETE "$1/o/inner" && s3curl DELETE "$1/o" && s3curl DELETE "$1"' _ "$ob"
# --- end put-overwrite

summary
