#!/usr/bin/env bash
# Runs a scenario against a running caddys3 endpoint with each Python client:
#   aws-cli v1 (pip, the `aws` of the pip Python), boto3 (pip),
#   aws-cli v2 (Debian's /usr/bin/aws) and python3-boto3 (Debian's /usr/bin/python3).
#
# Usage: test/clients/python.sh [ENDPOINT]
#   ENDPOINT defaults to $S3_ENDPOINT, then http://127.0.0.1:9000.
#   Credentials: $S3_ACCESS_KEY / $S3_SECRET_KEY (default: alice's test key).
#
# Each check prints a PASS/FAIL line; the last line is "N passed, M failed"
# and the exit status is non-zero when M > 0. Nothing in ~ is read or
# written: the AWS config and credentials files are temporary.
set -uo pipefail

ENDPOINT="${1:-${S3_ENDPOINT:-http://127.0.0.1:9000}}"
export S3_ACCESS_KEY="${S3_ACCESS_KEY:-AKIAEXAMPLEALICE0001}"
export S3_SECRET_KEY="${S3_SECRET_KEY:-alicesecret0000000000000000000000000000}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STEP_TIMEOUT="${STEP_TIMEOUT:-300}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/caddys3-python.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"



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

# expect_fail CMD... : CMD fails.
expect_fail() {
	if "$@" >/dev/null 2>&1; then
		echo "succeeded, expected a failure"
		return 1
	fi
}

export -f expect_no_output expect_fail

# Keep every AWS client away from ~/.aws and the environment's credentials.
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
	AWS_SECURITY_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_CA_BUNDLE AWS_DEFAULT_REGION AWS_REGION \
	AWS_USE_FIPS_ENDPOINT AWS_S3_US_EAST_1_REGIONAL_ENDPOINT AWS_REQUEST_CHECKSUM_CALCULATION \
	AWS_RESPONSE_CHECKSUM_VALIDATION
export AWS_CONFIG_FILE="$WORK/aws-config"
export AWS_SHARED_CREDENTIALS_FILE="$WORK/aws-credentials"
export AWS_EC2_METADATA_DISABLED=true
export AWS_PAGER=""
export AWS_DATA_PATH="$WORK/aws-data"
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"
cat >"$AWS_CONFIG_FILE" <<'EOF'
[default]
region = us-east-1
output = text
cli_pager =
s3 =
    addressing_style = path
    multipart_threshold = 256MB
    multipart_chunksize = 256MB
    max_concurrent_requests = 4
EOF
cat >"$AWS_SHARED_CREDENTIALS_FILE" <<EOF
[default]
aws_access_key_id = $S3_ACCESS_KEY
aws_secret_access_key = $S3_SECRET_KEY
EOF

head -c $((1 << 20)) /dev/urandom >"$WORK/f1.bin"
head -c $((20 << 20)) /dev/urandom >"$WORK/f20.bin"

echo "== endpoint $ENDPOINT"

# The pip Python: the first python3 that is not Debian's.
find_pip_python() {
	local c
	for c in "${PIP_PYTHON:-}" "$(command -v python3 || true)" /root/.pyenv/shims/python3 "$HOME/.pyenv/shims/python3"; do
		[ -n "$c" ] && [ -x "$c" ] || continue
		if [ "$("$c" -c 'import sys; print(sys.prefix)' 2>/dev/null)" != "/usr" ]; then
			echo "$c"
			return 0
		fi
	done
	return 1
}

# awscli_scenario LABEL WANTVERSION CMD... : the aws-cli scenario with CMD as `aws`.
awscli_scenario() {
	local label="$1" want="$2"
	shift 2
	local -a AWS=("$@" --endpoint-url "$ENDPOINT" --region us-east-1)
	local b="clients-${label}-$$-${RANDOM}"
	local d="$WORK/$label"
	mkdir -p "$d"
	local v
	v="$("$@" --version 2>&1 | head -n 1)"
	echo "== $label: $v"
	if [[ "$v" != "aws-cli/$want."* ]]; then
		fail "$label: is aws-cli v$want (got: ${v:-nothing})"
		return
	fi
	pass "$label: is aws-cli v$want"

	check "$label: s3 mb" "${AWS[@]}" s3 mb "s3://$b" || return
	check "$label: s3 cp 1 MiB up" "${AWS[@]}" s3 cp --only-show-errors "$WORK/f1.bin" "s3://$b/dir/f1.bin"
	check "$label: s3 cp 20 MiB up (single PUT)" "${AWS[@]}" s3 cp --only-show-errors "$WORK/f20.bin" "s3://$b/dir/sub/f20.bin"
	check "$label: s3 cp 1 MiB down" "${AWS[@]}" s3 cp --only-show-errors "s3://$b/dir/f1.bin" "$d/f1.bin"
	check "$label: cmp 1 MiB" cmp "$WORK/f1.bin" "$d/f1.bin"
	check "$label: s3 cp 20 MiB down" "${AWS[@]}" s3 cp --only-show-errors "s3://$b/dir/sub/f20.bin" "$d/f20.bin"
	check "$label: cmp 20 MiB" cmp "$WORK/f20.bin" "$d/f20.bin"
	check "$label: s3 ls bucket shows PRE dir/" expect_output "PRE dir/" "${AWS[@]}" s3 ls "s3://$b/"
	check "$label: s3 ls prefix dir/ shows f1.bin" expect_output " 1048576 f1.bin" "${AWS[@]}" s3 ls "s3://$b/dir/"
	check "$label: s3 ls prefix dir/ shows PRE sub/" expect_output "PRE sub/" "${AWS[@]}" s3 ls "s3://$b/dir/"
	check "$label: s3 ls --recursive shows dir/sub/f20.bin" expect_output " 20971520 dir/sub/f20.bin" "${AWS[@]}" s3 ls --recursive "s3://$b/"
	check "$label: s3api list-objects-v2 --prefix dir/sub/" expect_output "dir/sub/f20.bin" \
		"${AWS[@]}" s3api list-objects-v2 --bucket "$b" --prefix dir/sub/ --query 'Contents[].Key'
	check "$label: s3api list-objects (v1) --prefix dir/f" expect_output "dir/f1.bin" \
		"${AWS[@]}" s3api list-objects --bucket "$b" --prefix dir/f --query 'Contents[].Key'
	check "$label: s3api head-object size" expect_output "20971520" \
		"${AWS[@]}" s3api head-object --bucket "$b" --key dir/sub/f20.bin --query ContentLength
	check "$label: s3 sync down" "${AWS[@]}" s3 sync --only-show-errors "s3://$b/dir/" "$d/sync/"
	check "$label: cmp synced 20 MiB" cmp "$WORK/f20.bin" "$d/sync/sub/f20.bin"
	check "$label: s3 rb without --force fails on a non-empty bucket" expect_fail "${AWS[@]}" s3 rb "s3://$b"
	check "$label: s3 rm one object" "${AWS[@]}" s3 rm --only-show-errors "s3://$b/dir/f1.bin"
	check "$label: removed object is not listed" expect_no_output "f1.bin" "${AWS[@]}" s3 ls --recursive "s3://$b/"
	check "$label: s3 rm --recursive" "${AWS[@]}" s3 rm --only-show-errors --recursive "s3://$b/"
	check "$label: bucket is empty" expect_no_output "f20.bin" "${AWS[@]}" s3 ls --recursive "s3://$b/"
	check "$label: s3 rb" "${AWS[@]}" s3 rb "s3://$b"
	check "$label: bucket is gone (head-bucket fails)" expect_fail "${AWS[@]}" s3api head-bucket --bucket "$b"
}

# boto3_scenario LABEL PYTHON : runs boto3_scenario.py and counts its lines.
boto3_scenario() {
	local label="$1" py="$2" out rc line
	echo "== $label: $py"
	out="$(timeout "$STEP_TIMEOUT" "$py" "$HERE/boto3_scenario.py" "$ENDPOINT" "$label" "$WORK" "$WORK/f1.bin" "$WORK/f20.bin" 2>&1)"
	rc=$?
	printf '%s\n' "$out"
	local p f
	p="$(grep -c '^PASS: ' <<<"$out")"
	f="$(grep -c '^FAIL: ' <<<"$out")"
	passed=$((passed + p))
	failed=$((failed + f))
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		fail "$label: boto3 scenario exited $rc without reporting a failure"
	fi
}

# 1. aws-cli v1 from pip.
if PIP_PY="$(find_pip_python)"; then
	echo "== pip python: $PIP_PY"
	if "$PIP_PY" -c 'import awscli' 2>/dev/null; then
		awscli_scenario awscli-v1-pip 1 "$PIP_PY" -m awscli
	else
		fail "awscli-v1-pip: aws-cli is not installed for $PIP_PY"
	fi
	# 2. boto3 from pip.
	if "$PIP_PY" -c 'import boto3' 2>/dev/null; then
		boto3_scenario boto3-pip "$PIP_PY"
	else
		fail "boto3-pip: boto3 is not installed for $PIP_PY"
	fi
else
	fail "awscli-v1-pip: no pip Python (python3 other than /usr/bin/python3) found"
	fail "boto3-pip: no pip Python found"
fi

# 3. aws-cli v2 from Debian (apt package awscli).
if [ -x /usr/bin/aws ]; then
	awscli_scenario awscli-v2-debian 2 /usr/bin/aws
else
	fail "awscli-v2-debian: /usr/bin/aws missing (apt-get install awscli; see test/install-deps)"
fi

# 4. boto3 from Debian (apt package python3-boto3).
if /usr/bin/python3 -c 'import boto3' 2>/dev/null; then
	boto3_scenario boto3-debian /usr/bin/python3
else
	fail "boto3-debian: /usr/bin/python3 cannot import boto3 (apt-get install python3-boto3)"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
