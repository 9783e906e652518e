#!/usr/bin/env bash
# Signing modes through real clients against a running caddys3 endpoint:
#   boto3 (pip and Debian)  generate_presigned_url with its default signer,
#                           's3' (SigV2) and 's3v4', fetched and uploaded with
#                           curl; generate_presigned_post forms posted with
#                           requests (presign_boto3.py)
#   boto 2 (Debian)         S3Connection with OrdinaryCallingFormat: SigV2
#                           header auth and generate_url SigV2 query auth,
#                           plus its whole matrix: metadata, ranges,
#                           prefix/delimiter listings, copy_key, delete_keys,
#                           the multipart API with the 100 MiB file, and
#                           SubdomainCallingFormat on vhost-boto2.<domain>
#                           (boto2_scenario.py)
#   aws-cli v1 (pip) and v2 (Debian)  `aws s3 presign` (v1: SigV2, v2: SigV4)
#                           fetched with curl
#
# Usage: test/clients/scenario-signing.sh [ENDPOINT]
#   ENDPOINT defaults to $S3_ENDPOINT, then http://127.0.0.1:9000.
# Env (from run.sh; all optional): CADDYS3_CA_CERT (the CA every client and
#   curl trust over https; boto 2 through its BOTO_CONFIG file),
#   CADDYS3_VHOST_DOMAIN, CADDYS3_ALICE_KEY / CADDYS3_ALICE_SECRET (or
#   S3_ACCESS_KEY / S3_SECRET_KEY), CADDYS3_SHARED_DIR.
#
# Each check prints a PASS/FAIL line; the last line is "N passed, M failed"
# and the exit status is non-zero when M > 0. Nothing in ~ is read or written.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STEP_TIMEOUT="${STEP_TIMEOUT:-300}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/caddys3-signing.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# shellcheck source=lib.sh
source "$HERE/lib.sh"
client_env "${1:-}"
PIP_PY="$(find_pip_python || true)"
export HOME="$WORK/home"
mkdir -p "$HOME"
aws_isolate "$WORK"
# boto 2 reads its settings (and its CA) only from its config files: ours.
export BOTO_CONFIG="$WORK/boto.cfg"
{
	printf '[Boto]\nnum_retries = 0\nhttp_socket_timeout = 60\n'
	[ -n "$CA" ] && printf 'https_validate_certificates = True\nca_certificates_file = %s\n' "$CA"
} >"$BOTO_CONFIG"

F100="$(shared_file f100.bin 100)"
echo "== endpoint $ENDPOINT${CA:+ (CA $CA)}${VHOST_DOMAIN:+, vhost *.$VHOST_DOMAIN}"

# 1. boto3 presigned URLs and POST forms.
if [ -n "$PIP_PY" ] && "$PIP_PY" -c 'import boto3, requests' 2>/dev/null; then
	run_sub boto3-pip "$PIP_PY" "$HERE/presign_boto3.py" "$ENDPOINT" boto3-pip "$WORK" "$CA"
else
	fail "boto3-pip: no pip Python with boto3 and requests"
fi
if /usr/bin/python3 -c 'import boto3, requests' 2>/dev/null; then
	run_sub boto3-debian /usr/bin/python3 "$HERE/presign_boto3.py" "$ENDPOINT" boto3-debian "$WORK" "$CA"
else
	fail "boto3-debian: /usr/bin/python3 lacks boto3 or requests (apt-get install python3-boto3 python3-requests)"
fi

# 2. Legacy boto 2.
if /usr/bin/python3 -c 'import boto' 2>/dev/null; then
	args=("$ENDPOINT" --big "$F100")
	vhost_ready boto2 vhost-boto2 && args+=(--vhost vhost-boto2)
	run_sub boto2 /usr/bin/python3 "$HERE/boto2_scenario.py" "${args[@]}"
else
	fail "boto2: /usr/bin/python3 cannot import boto (apt-get install python3-boto; see test/install-deps)"
fi

# 3. aws s3 presign (SigV4) fetched with curl.
# presign_cli LABEL WANT CMD... : uploads an object, presigns it (WANT is
# SigV4, SigV2 or "any": aws-cli v1 presigns with SigV2 by default, v2 with
# SigV4), fetches it with curl.
presign_cli() {
	local label="$1" want="$2" mode=unknown
	shift 2
	local -a AWS=("$@" --endpoint-url "$ENDPOINT" --region us-east-1 ${CA:+--ca-bundle "$CA"})
	local b="signing-${label}-$$-${RANDOM}" url st
	head -c 100000 /dev/urandom >"$WORK/$label.bin"
	if ! timeout "$STEP_TIMEOUT" "${AWS[@]}" s3 mb "s3://$b" >/dev/null 2>&1 ||
		! timeout "$STEP_TIMEOUT" "${AWS[@]}" s3 cp --only-show-errors "$WORK/$label.bin" "s3://$b/a b.bin" 2>&1; then
		fail "$label: setting up the bucket"
		return
	fi
	url="$(timeout "$STEP_TIMEOUT" "${AWS[@]}" s3 presign "s3://$b/a b.bin" --expires-in 300 2>&1)"
	[[ "$url" == *X-Amz-Signature=* ]] && mode=SigV4
	[[ "$url" == *AWSAccessKeyId=*Signature=* ]] && mode=SigV2
	echo "   $label: s3 presign signs with $mode"
	if [ "$mode" != unknown ] && { [ "$want" = any ] || [ "$want" = "$mode" ]; }; then
		pass "$label: s3 presign gives a $mode URL"
	else
		fail "$label: s3 presign gives a $want URL (got: $url)"
	fi
	if curl_get "$url" "$WORK/$label.out" && cmp -s "$WORK/$label.bin" "$WORK/$label.out"; then
		pass "$label: curl GET of the $mode presigned URL"
	else
		fail "$label: curl GET of the $mode presigned URL"
	fi
	st="$(ccurl -o /dev/null -w '%{http_code}' "${url/a%20b.bin/other.bin}")"
	if [ "$st" = 403 ]; then
		pass "$label: curl GET with the URL's key changed is 403"
	else
		fail "$label: curl GET with the URL's key changed is 403 (got $st)"
	fi
	timeout "$STEP_TIMEOUT" "${AWS[@]}" s3 rb --force "s3://$b" >/dev/null 2>&1 || fail "$label: removing the bucket"
}
if [ -n "$PIP_PY" ] && "$PIP_PY" -c 'import awscli' 2>/dev/null; then
	echo "== awscli-v1-pip: $("$PIP_PY" -m awscli --version 2>&1)"
	presign_cli awscli-v1-pip any "$PIP_PY" -m awscli
else
	fail "awscli-v1-pip: aws-cli is not installed for the pip Python"
fi
if [ -x /usr/bin/aws ]; then
	echo "== awscli-v2-debian: $(/usr/bin/aws --version 2>&1)"
	presign_cli awscli-v2-debian SigV4 /usr/bin/aws
else
	fail "awscli-v2-debian: /usr/bin/aws missing"
fi

summary
