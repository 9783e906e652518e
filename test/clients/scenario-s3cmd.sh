#!/usr/bin/env bash
# s3cmd (Debian 2.3.0) against a running caddys3 endpoint, once with its
# default SigV4 signing and once with `signature_v2 = True` (SigV2 header
# auth): mb, put (with metadata), ls, la, get + cmp, info, signurl (SigV2
# query auth fetched with curl), del, rb; plus a wrong secret in both modes.
#
# Usage: test/clients/scenario-s3cmd.sh [ENDPOINT]
#   ENDPOINT defaults to $S3_ENDPOINT, then http://127.0.0.1:9000.
#   Credentials: $S3_ACCESS_KEY / $S3_SECRET_KEY (default: alice's test key).
#
# Each check prints a PASS/FAIL line; the last line is "N passed, M failed"
# and the exit status is non-zero when M > 0. s3cmd's configuration is a
# temporary file (-c); nothing in ~ is read or written.
set -uo pipefail

ENDPOINT="${1:-${S3_ENDPOINT:-http://127.0.0.1:9000}}"
ENDPOINT="${ENDPOINT%/}"
S3_ACCESS_KEY="${S3_ACCESS_KEY:-AKIAEXAMPLEALICE0001}"
S3_SECRET_KEY="${S3_SECRET_KEY:-alicesecret0000000000000000000000000000}"
STEP_TIMEOUT="${STEP_TIMEOUT:-120}"
HOSTPORT="${ENDPOINT#http://}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/caddys3-s3cmd.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
export HOME="$WORK/home"
mkdir -p "$HOME"

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"



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

# curl_get URL OUT : fetches URL to OUT, fails on HTTP errors.
curl_get() {
	curl -sS --fail --max-time 60 -o "$2" "$1"
}
export -f expect_fail_output curl_get

if [[ "$ENDPOINT" != http://* ]]; then
	fail "s3cmd: this script needs a plain http:// endpoint, got $ENDPOINT"
	echo "$passed passed, $failed failed"
	exit 1
fi
if ! command -v s3cmd >/dev/null; then
	fail "s3cmd: not installed (apt-get install s3cmd; see test/install-deps)"
	echo "$passed passed, $failed failed"
	exit 1
fi
echo "== $(s3cmd --version) against $ENDPOINT"

head -c $((3 << 20)) /dev/urandom >"$WORK/f3.bin"
printf 'small text\n' >"$WORK/small.txt"

# s3cmd_config FILE SIGV2 SECRET
s3cmd_config() {
	cat >"$1" <<CFG
[default]
access_key = $S3_ACCESS_KEY
secret_key = $3
host_base = $HOSTPORT
host_bucket = $HOSTPORT
use_https = False
check_ssl_certificate = False
signature_v2 = $2
bucket_location = us-east-1
multipart_chunk_size_mb = 15
progress_meter = False
CFG
}

# scenario LABEL SIGV2
scenario() {
	local label="$1" v2="$2"
	local cfg="$WORK/$label.cfg" bad="$WORK/$label-bad.cfg" d="$WORK/$label"
	mkdir -p "$d"
	s3cmd_config "$cfg" "$v2" "$S3_SECRET_KEY"
	s3cmd_config "$bad" "$v2" "wrong$S3_SECRET_KEY"
	local -a S3CMD=(s3cmd -c "$cfg" --no-check-md5)
	local b="s3cmd-${label}-$$-${RANDOM}"
	echo "== $label (signature_v2 = $v2)"

	check "$label: mb" "${S3CMD[@]}" mb "s3://$b" || return
	# Prove the signing mode from s3cmd's own debug output.
	local want_auth="'Authorization': 'AWS4-HMAC-SHA256 "
	[ "$v2" = True ] && want_auth="'Authorization': 'AWS $S3_ACCESS_KEY:"
	check "$label: requests are signed with $([ "$v2" = True ] && echo SigV2 || echo SigV4)" \
		expect_output "$want_auth" "${S3CMD[@]}" --debug ls "s3://$b/"
	check "$label: put 3 MiB" "${S3CMD[@]}" put "$WORK/f3.bin" "s3://$b/dir/f3.bin"
	check "$label: put with metadata and content type" "${S3CMD[@]}" put --add-header=x-amz-meta-color:blue \
		--mime-type=text/plain "$WORK/small.txt" "s3://$b/dir/small file.txt"
	check "$label: ls bucket shows DIR dir/" expect_output "DIR  s3://$b/dir/" "${S3CMD[@]}" ls "s3://$b/"
	check "$label: ls dir/ shows f3.bin" expect_output "s3://$b/dir/f3.bin" "${S3CMD[@]}" ls "s3://$b/dir/"
	check "$label: ls -r lists the key with a space" expect_output "s3://$b/dir/small file.txt" "${S3CMD[@]}" ls -r "s3://$b/"
	check "$label: get 3 MiB" "${S3CMD[@]}" get --force "s3://$b/dir/f3.bin" "$d/f3.bin"
	check "$label: cmp 3 MiB" cmp "$WORK/f3.bin" "$d/f3.bin"
	check "$label: get key with a space" "${S3CMD[@]}" get --force "s3://$b/dir/small file.txt" "$d/small.txt"
	check "$label: cmp small" cmp "$WORK/small.txt" "$d/small.txt"
	check "$label: info shows the metadata" expect_output "x-amz-meta-color: blue" "${S3CMD[@]}" info "s3://$b/dir/small file.txt"
	check "$label: info shows the content type" expect_output "text/plain" "${S3CMD[@]}" info "s3://$b/dir/small file.txt"
	local url
	url="$("${S3CMD[@]}" signurl "s3://$b/dir/f3.bin" +300 2>&1 | tail -n 1)"
	check "$label: signurl gives a SigV2 query URL" expect_output "Signature=" echo "$url"
	check "$label: curl GET of the signurl URL" curl_get "$url" "$d/signed.bin"
	check "$label: cmp signurl download" cmp "$WORK/f3.bin" "$d/signed.bin"
	check "$label: wrong secret is refused (SignatureDoesNotMatch)" expect_fail_output "SignatureDoesNotMatch" \
		s3cmd -c "$bad" ls "s3://$b/"
	check "$label: rb of a non-empty bucket fails" expect_fail_output "BucketNotEmpty" "${S3CMD[@]}" rb "s3://$b"
	check "$label: del" "${S3CMD[@]}" del "s3://$b/dir/f3.bin" "s3://$b/dir/small file.txt"
	check "$label: bucket is empty" bash -c '[ -z "$("$@" 2>&1)" ]' bash "${S3CMD[@]}" ls -r "s3://$b/"
	check "$label: rb" "${S3CMD[@]}" rb "s3://$b"
	check "$label: bucket is gone" expect_fail_output "NoSuchBucket" "${S3CMD[@]}" ls "s3://$b/"
}

scenario s3cmd-sigv4 False
scenario s3cmd-sigv2 True

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
