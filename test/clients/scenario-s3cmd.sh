#!/usr/bin/env bash
# s3cmd (Debian 2.3.0) against a running caddys3 endpoint, once with its
# default SigV4 signing and once with `signature_v2 = True` (SigV2 header
# auth): mb, put (with metadata), ls with prefix/delimiter, get + cmp, a
# resumed get (`get --continue`: a Range request), info, cp (server-side
# copy), signurl (SigV2 query auth) fetched with curl, del --recursive (a
# multi-object delete), rb, a wrong secret; over https the certificate is
# verified against the CA (ca_certs_file, check_ssl_certificate) and each
# mode also works on the bucket vhost-s3cmd.<domain> in virtual-hosted style
# (host_bucket = %(bucket)s.<domain>:PORT). The SigV4 run also puts and gets
# the 100 MiB file as a 7-part multipart upload (15 MiB chunks).
#
# Usage: test/clients/scenario-s3cmd.sh [ENDPOINT]
#   ENDPOINT defaults to $S3_ENDPOINT, then http://127.0.0.1:9000.
# Env (from run.sh; all optional): CADDYS3_CA_CERT, CADDYS3_VHOST_DOMAIN,
#   CADDYS3_ALICE_KEY / CADDYS3_ALICE_SECRET (or S3_ACCESS_KEY /
#   S3_SECRET_KEY), CADDYS3_SHARED_DIR.
#
# Each check prints a PASS/FAIL line; the last line is "N passed, M failed"
# and the exit status is non-zero when M > 0. s3cmd's configuration is a
# temporary file (-c); nothing in ~ is read or written.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STEP_TIMEOUT="${STEP_TIMEOUT:-180}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/caddys3-s3cmd.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
export HOME="$WORK/home"
mkdir -p "$HOME"

# shellcheck source=lib.sh
source "$HERE/lib.sh"
client_env "${1:-}"

if ! command -v s3cmd >/dev/null; then
	fail "s3cmd: not installed (apt-get install s3cmd; see test/install-deps)"
	summary
	exit
fi
echo "== $(s3cmd --version) against $ENDPOINT${CA:+ (CA $CA)}"

F3="$(shared_file f3.bin 3)"
F100="$(shared_file f100.bin 100)"
printf 'small text\n' >"$WORK/small.txt"

# scenario LABEL SIGV2 BIG
scenario() {
	local label="$1" v2="$2" big="$3"
	local cfg="$WORK/$label.cfg" bad="$WORK/$label-bad.cfg" d="$WORK/$label"
	mkdir -p "$d"
	s3cmd_config "$cfg" "$v2" "$S3_SECRET_KEY"
	s3cmd_config "$bad" "$v2" "wrong$S3_SECRET_KEY"
	local -a S3CMD=(s3cmd -c "$cfg")
	local b="s3cmd-${label}-$$-${RANDOM}"
	echo "== $label (signature_v2 = $v2)"

	check "$label: mb" "${S3CMD[@]}" mb "s3://$b" || return
	# Prove the signing mode from s3cmd's own debug output.
	local want_auth="'Authorization': 'AWS4-HMAC-SHA256 "
	[ "$v2" = True ] && want_auth="'Authorization': 'AWS $S3_ACCESS_KEY:"
	check "$label: requests are signed with $([ "$v2" = True ] && echo SigV2 || echo SigV4)" \
		expect_output "$want_auth" "${S3CMD[@]}" --debug ls "s3://$b/"
	if [ -n "$CA" ]; then
		check "$label: without ca_certs_file the certificate is rejected" expect_fail_output "CERTIFICATE_VERIFY_FAILED" \
			bash -c 'sed "s|^ca_certs_file = .*|ca_certs_file =|" "$1" >"$1.noca" && s3cmd -c "$1.noca" ls' _ "$cfg"
	fi
	check "$label: put 3 MiB" "${S3CMD[@]}" put "$F3" "s3://$b/dir/f3.bin"
	check "$label: put with metadata and content type" "${S3CMD[@]}" put --add-header=x-amz-meta-color:blue \
		--mime-type=text/plain "$WORK/small.txt" "s3://$b/dir/small file.txt"
	check "$label: ls bucket shows DIR dir/" expect_output "DIR  s3://$b/dir/" "${S3CMD[@]}" ls "s3://$b/"
	check "$label: ls dir/ shows f3.bin" expect_output "s3://$b/dir/f3.bin" "${S3CMD[@]}" ls "s3://$b/dir/"
	check "$label: ls -r lists the key with a space" expect_output "s3://$b/dir/small file.txt" "${S3CMD[@]}" ls -r "s3://$b/"
	check "$label: get 3 MiB" "${S3CMD[@]}" get --force "s3://$b/dir/f3.bin" "$d/f3.bin"
	check "$label: cmp 3 MiB" cmp "$F3" "$d/f3.bin"
	# A partial local copy resumed with --continue: s3cmd asks for the rest
	# with Range: bytes=1000000-.
	head -c 1000000 "$F3" >"$d/f3-part.bin"
	check "$label: get --continue resumes with a Range request (206)" expect_output "'status': 206" \
		"${S3CMD[@]}" --debug get --continue "s3://$b/dir/f3.bin" "$d/f3-part.bin"
	check "$label: cmp resumed download" cmp "$F3" "$d/f3-part.bin"
	check "$label: get key with a space" "${S3CMD[@]}" get --force "s3://$b/dir/small file.txt" "$d/small.txt"
	check "$label: cmp small" cmp "$WORK/small.txt" "$d/small.txt"
	check "$label: info shows the metadata" expect_output "x-amz-meta-color: blue" "${S3CMD[@]}" info "s3://$b/dir/small file.txt"
	check "$label: info shows the content type" expect_output "text/plain" "${S3CMD[@]}" info "s3://$b/dir/small file.txt"
	check "$label: cp (server-side copy)" "${S3CMD[@]}" cp "s3://$b/dir/small file.txt" "s3://$b/copy/small copy.txt"
	check "$label: the copy keeps the metadata" expect_output "x-amz-meta-color: blue" "${S3CMD[@]}" info "s3://$b/copy/small copy.txt"
	local url
	url="$("${S3CMD[@]}" signurl "s3://$b/dir/f3.bin" +300 2>&1 | tail -n 1)"
	check "$label: signurl gives a SigV2 query URL" expect_output "Signature=" echo "$url"
	check "$label: curl GET of the signurl URL" curl_get "$url" "$d/signed.bin"
	check "$label: cmp signurl download" cmp "$F3" "$d/signed.bin"
	check "$label: wrong secret is refused (SignatureDoesNotMatch)" expect_fail_output "SignatureDoesNotMatch" \
		s3cmd -c "$bad" ls "s3://$b/"
	if [ "$big" = 1 ]; then
		check "$label: put 100 MiB (multipart, 15 MiB chunks)" "${S3CMD[@]}" put "$F100" "s3://$b/big/f100.bin"
		check "$label: 100 MiB object has the 7-part multipart ETag" etag_is "$(mp_etag "$F100" 15)" "$b/big/f100.bin"
		check "$label: get 100 MiB" "${S3CMD[@]}" get --force "s3://$b/big/f100.bin" "$d/f100.bin"
		check "$label: cmp 100 MiB" cmp "$F100" "$d/f100.bin"
		rm -f "$d/f100.bin"
	fi
	check "$label: rb of a non-empty bucket fails" expect_fail_output "BucketNotEmpty" "${S3CMD[@]}" rb "s3://$b"
	check "$label: del --recursive is one multi-object delete (POST ?delete)" expect_output "method_string='POST', uri='/$b/?delete'" \
		"${S3CMD[@]}" --debug del --recursive --force "s3://$b/"
	check "$label: bucket is empty" expect_empty "${S3CMD[@]}" ls -r "s3://$b/"
	check "$label: rb" "${S3CMD[@]}" rb "s3://$b"
	check "$label: bucket is gone" expect_fail_output "NoSuchBucket" "${S3CMD[@]}" ls "s3://$b/"

	# Virtual-hosted style: host_bucket puts the bucket into the host name.
	local vb=vhost-s3cmd
	vhost_ready "$label" "$vb" || return 0
	local vcfg="$WORK/$label-vhost.cfg"
	s3cmd_config "$vcfg" "$v2" "$S3_SECRET_KEY" "%(bucket)s.$VHOST_DOMAIN:${HOSTPORT##*:}"
	local -a V=(s3cmd -c "$vcfg")
	check "$label: vhost: mb s3://$vb" "${V[@]}" mb "s3://$vb" || return
	check "$label: vhost: put is sent to Host $vb.$VHOST_DOMAIN" expect_output "get_hostname($vb): $vb.$VHOST_DOMAIN:" \
		"${V[@]}" --debug put "$F3" "s3://$vb/v/f3.bin"
	check "$label: vhost: ls" expect_output "s3://$vb/v/f3.bin" "${V[@]}" ls -r "s3://$vb"
	check "$label: vhost: get + cmp" bash -c '"$@" get --force "s3://'"$vb"'/v/f3.bin" "'"$d/vhost.bin"'" && cmp "'"$F3"'" "'"$d/vhost.bin"'"' _ "${V[@]}"
	check "$label: vhost: del, rb" bash -c '"$@" del "s3://'"$vb"'/v/f3.bin" && "$@" rb "s3://'"$vb"'"' _ "${V[@]}"
}

scenario s3cmd-sigv4 False 1
scenario s3cmd-sigv2 True 0

summary
