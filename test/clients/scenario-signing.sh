#!/usr/bin/env bash
# Signing modes through real clients against a running caddys3 endpoint:
#   boto3 (pip and Debian)  generate_presigned_url with its default signer,
#                           's3' (SigV2) and 's3v4', fetched and uploaded with
#                           curl; generate_presigned_post forms posted with
#                           requests (presign_boto3.py)
#   boto 2 (Debian)         S3Connection with OrdinaryCallingFormat: SigV2
#                           header auth and generate_url SigV2 query auth
#                           (boto2_scenario.py)
#   aws-cli v1 (pip) and v2 (Debian)  `aws s3 presign` (v1: SigV2, v2: SigV4)
#                           fetched with curl
#
# Usage: test/clients/scenario-signing.sh [ENDPOINT]
#   ENDPOINT defaults to $S3_ENDPOINT, then http://127.0.0.1:9000.
#   Credentials: $S3_ACCESS_KEY / $S3_SECRET_KEY (default: alice's test key).
#
# Each check prints a PASS/FAIL line; the last line is "N passed, M failed"
# and the exit status is non-zero when M > 0. Nothing in ~ is read or written.
set -uo pipefail

ENDPOINT="${1:-${S3_ENDPOINT:-http://127.0.0.1:9000}}"
ENDPOINT="${ENDPOINT%/}"
export S3_ACCESS_KEY="${S3_ACCESS_KEY:-AKIAEXAMPLEALICE0001}"
export S3_SECRET_KEY="${S3_SECRET_KEY:-alicesecret0000000000000000000000000000}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STEP_TIMEOUT="${STEP_TIMEOUT:-300}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/caddys3-signing.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
export HOME="$WORK/home"
mkdir -p "$HOME"

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# run_py LABEL CMD... : runs a Python scenario that prints PASS:/FAIL: lines.
run_py() {
	local label="$1" out rc p f
	shift
	out="$(timeout "$STEP_TIMEOUT" "$@" 2>&1)"
	rc=$?
	printf '%s\n' "$out"
	p="$(grep -c '^PASS: ' <<<"$out")"
	f="$(grep -c '^FAIL: ' <<<"$out")"
	passed=$((passed + p))
	failed=$((failed + f))
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		fail "$label: exited $rc without reporting a failure"
	fi
	if [ "$p" -eq 0 ] && [ $rc -eq 0 ]; then
		fail "$label: ran no checks"
	fi
}

# Keep every AWS client away from ~/.aws and the environment's credentials.
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
	AWS_SECURITY_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_CA_BUNDLE AWS_DEFAULT_REGION AWS_REGION
export AWS_CONFIG_FILE="$WORK/aws-config" AWS_SHARED_CREDENTIALS_FILE="$WORK/aws-credentials"
export AWS_EC2_METADATA_DISABLED=true AWS_PAGER=""
export BOTO_CONFIG=/dev/null
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"
printf '[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n' >"$AWS_CONFIG_FILE"
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$S3_ACCESS_KEY" "$S3_SECRET_KEY" >"$AWS_SHARED_CREDENTIALS_FILE"

echo "== endpoint $ENDPOINT"

# The pip Python: the first python3 that is not Debian's.
PIP_PY=""
for c in "${PIP_PYTHON:-}" "$(command -v python3 || true)" /root/.pyenv/shims/python3; do
	[ -n "$c" ] && [ -x "$c" ] || continue
	if [ "$("$c" -c 'import sys; print(sys.prefix)' 2>/dev/null)" != "/usr" ]; then
		PIP_PY="$c"
		break
	fi
done

# 1. boto3 presigned URLs and POST forms.
if [ -n "$PIP_PY" ] && "$PIP_PY" -c 'import boto3, requests' 2>/dev/null; then
	run_py boto3-pip "$PIP_PY" "$HERE/presign_boto3.py" "$ENDPOINT" boto3-pip "$WORK"
else
	fail "boto3-pip: no pip Python with boto3 and requests"
fi
if /usr/bin/python3 -c 'import boto3, requests' 2>/dev/null; then
	run_py boto3-debian /usr/bin/python3 "$HERE/presign_boto3.py" "$ENDPOINT" boto3-debian "$WORK"
else
	fail "boto3-debian: /usr/bin/python3 lacks boto3 or requests (apt-get install python3-boto3 python3-requests)"
fi

# 2. Legacy boto 2.
if /usr/bin/python3 -c 'import boto' 2>/dev/null; then
	run_py boto2 /usr/bin/python3 "$HERE/boto2_scenario.py" "$ENDPOINT"
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
	local -a AWS=("$@" --endpoint-url "$ENDPOINT" --region us-east-1)
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
	if curl -sS --fail --max-time 60 -o "$WORK/$label.out" "$url" && cmp -s "$WORK/$label.bin" "$WORK/$label.out"; then
		pass "$label: curl GET of the $mode presigned URL"
	else
		fail "$label: curl GET of the $mode presigned URL"
	fi
	st="$(curl -sS --max-time 60 -o /dev/null -w '%{http_code}' "${url/a%20b.bin/other.bin}")"
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

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
