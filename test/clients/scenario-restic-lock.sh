#!/usr/bin/env bash
# restic (Debian) backs up to a bucket with object lock (issue 16): the
# bucket is created with --object-lock-enabled-for-bucket and a default
# COMPLIANCE retention of 1 day (aws-cli), restic init and backup (every
# object it writes gets the default retention), restore + diff, then a
# delete of one of its data objects' versions by id is refused
# (AccessDenied) while a plain delete only adds a marker, after which the
# version is still there and restic check --read-data still passes once
# the marker is removed. Over https restic verifies the server against the
# CA (--cacert).
#
# Usage: test/clients/scenario-restic-lock.sh [ENDPOINT]
#   ENDPOINT defaults to $S3_ENDPOINT, then http://127.0.0.1:9000.
# Env (from run.sh; all optional): CADDYS3_CA_CERT, CADDYS3_ALICE_KEY /
#   CADDYS3_ALICE_SECRET (or S3_ACCESS_KEY / S3_SECRET_KEY).
#
# Each check prints a PASS/FAIL line; the last line is "N passed, M failed"
# and the exit status is non-zero when M > 0. Nothing in ~ is read or
# written (restic's cache and the AWS config are in the temporary directory).
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STEP_TIMEOUT="${STEP_TIMEOUT:-240}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/caddys3-restic-lock.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
export HOME="$WORK/home" XDG_CACHE_HOME="$WORK/home/.cache"
mkdir -p "$HOME"

# shellcheck source=lib.sh
source "$HERE/lib.sh"
client_env "${1:-}"

if ! command -v restic >/dev/null; then
	fail "restic: not installed (apt-get install restic; see test/install-deps)"
	summary
	exit
fi
label=restic-lock
echo "== $label: $(restic version 2>&1 | head -n 1) against $ENDPOINT${CA:+ (CA $CA)}"

aws_isolate "$WORK"
AWSCMD=(/usr/bin/aws)
if [ ! -x /usr/bin/aws ]; then
	PIP_PY="$(find_pip_python || true)"
	AWSCMD=("${PIP_PY:-python3}" -m awscli)
fi
AWS=("${AWSCMD[@]}" --endpoint-url "$ENDPOINT" --region us-east-1 ${CA:+--ca-bundle "$CA"})

b="restic-lock-$$-$RANDOM"
check "$label: create-bucket --object-lock-enabled-for-bucket" "${AWS[@]}" s3api create-bucket --bucket "$b" \
	--object-lock-enabled-for-bucket || {
	summary
	exit
}
check "$label: put-object-lock-configuration COMPLIANCE 1 day" "${AWS[@]}" s3api put-object-lock-configuration --bucket "$b" \
	--object-lock-configuration '{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Mode":"COMPLIANCE","Days":1}}}'

unset_env RESTIC_
export AWS_ACCESS_KEY_ID="$S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$S3_SECRET_KEY" AWS_DEFAULT_REGION=us-east-1
export RESTIC_PASSWORD=caddys3-restic-test RESTIC_REPOSITORY="s3:$ENDPOINT/$b/repo"
R=(restic --no-cache ${CA:+--cacert "$CA"})

d="$WORK/d"
make_tree "$d/tree"
check "$label: init" "${R[@]}" init
check "$label: backup" "${R[@]}" backup --quiet --host caddys3 "$d/tree"
check "$label: restore latest + diff" bash -c '"$@" restore latest --target "'"$d/r"'" && diff -r "'"$d/tree"'" "'"$d/r$d/tree"'"' _ "${R[@]}"

key="$("${AWS[@]}" s3api list-objects-v2 --bucket "$b" --prefix repo/data/ --query 'Contents[0].Key' --output text 2>&1)"
vid="$("${AWS[@]}" s3api list-object-versions --bucket "$b" --prefix "$key" --query 'Versions[0].VersionId' --output text 2>&1)"
if [[ "$key" == repo/data/* ]] && [ -n "$vid" ] && [ "$vid" != None ]; then
	pass "$label: a data object and its version: $key"
else
	fail "$label: no data object found: '$key' '$vid'"
	summary
	exit
fi
check "$label: the data object has the default COMPLIANCE retention" expect_exact COMPLIANCE \
	"${AWS[@]}" s3api get-object-retention --bucket "$b" --key "$key" --version-id "$vid" --query Retention.Mode
check "$label: delete-object --version-id of the data object is refused" expect_fail_output AccessDenied \
	"${AWS[@]}" s3api delete-object --bucket "$b" --key "$key" --version-id "$vid" --bypass-governance-retention
check "$label: shortening its retention is refused" expect_fail_output AccessDenied \
	"${AWS[@]}" s3api put-object-retention --bucket "$b" --key "$key" --version-id "$vid" --bypass-governance-retention \
	--retention "{\"Mode\":\"COMPLIANCE\",\"RetainUntilDate\":\"$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)\"}"
dm="$("${AWS[@]}" s3api delete-object --bucket "$b" --key "$key" --query VersionId --output text 2>&1)"
check "$label: a delete without version id adds a marker; the version stays" expect_exact "$vid" \
	"${AWS[@]}" s3api list-object-versions --bucket "$b" --prefix "$key" --query 'Versions[0].VersionId' --output text
check "$label: removing the marker brings the object back" "${AWS[@]}" s3api delete-object --bucket "$b" --key "$key" --version-id "$dm"
check "$label: check --read-data" "${R[@]}" check --read-data

summary
