#!/usr/bin/env bash
# Multipart uploads of a 100 MiB file, server-side copies and directory
# syncs through the AWS clients against a running caddys3 endpoint:
#   aws-cli v1 (pip)    s3 cp of 100 MiB up/down (default 8 MiB parts), s3 sync
#                       of a nested tree both ways, s3 cp s3->s3 (multipart copy)
#   aws-cli v2 (Debian) s3 cp of 100 MiB up/down, s3 cp s3->s3
#   boto3 (pip and Debian)  upload_file / download_file / copy with 5 MiB
#                       parts (multipart_boto3.py)
# (rclone's and s3cmd's multipart transfers: scenario-rclone.sh,
# scenario-s3cmd.sh; legacy boto 2's: boto2_scenario.py.)
#
# Usage: test/clients/scenario-multipart.sh [ENDPOINT]
#   ENDPOINT defaults to $S3_ENDPOINT, then http://127.0.0.1:9000.
# Env (from run.sh; all optional): CADDYS3_CA_CERT (the CA to trust over
#   https), CADDYS3_ALICE_KEY / CADDYS3_ALICE_SECRET (or S3_ACCESS_KEY /
#   S3_SECRET_KEY), CADDYS3_SHARED_DIR (where the 100 MiB file is made once).
#
# Each check prints a PASS/FAIL line; the last line is "N passed, M failed"
# and the exit status is non-zero when M > 0. Nothing in ~ is read or
# written: every client's configuration is temporary.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STEP_TIMEOUT="${STEP_TIMEOUT:-240}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/caddys3-multipart.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# shellcheck source=lib.sh
source "$HERE/lib.sh"
client_env "${1:-}"
PIP_PY="$(find_pip_python || true)"
export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" XDG_CACHE_HOME="$WORK/home/.cache"
mkdir -p "$HOME"
# Default multipart settings on purpose (8 MiB threshold and parts).
aws_isolate "$WORK"

echo "== endpoint $ENDPOINT${CA:+ (CA $CA)}, work $WORK"
F100="$(shared_file f100.bin 100)"
ETAG8="$(mp_etag "$F100" 8)"

# awscli_multipart LABEL WANTVERSION TREE CMD... : 100 MiB up (multipart in
# 8 MiB parts, ETag checked), down + cmp, s3->s3 copy (UploadPartCopy) + cmp;
# TREE=1 adds s3 sync of a nested tree both ways with --delete.
awscli_multipart() {
	local label="$1" want="$2" tree="$3"
	shift 3
	local -a AWS=("$@" --endpoint-url "$ENDPOINT" --region us-east-1 ${CA:+--ca-bundle "$CA"})
	local b="mp-$label-$$-$RANDOM" d="$WORK/$label" v
	mkdir -p "$d"
	v="$("$@" --version 2>&1 | head -n 1)"
	echo "== $label: $v"
	if [[ "$v" != "aws-cli/$want."* ]]; then
		fail "$label: is aws-cli v$want (got: ${v:-nothing})"
		return
	fi
	check "$label: s3 mb" "${AWS[@]}" s3 mb "s3://$b" || return
	check "$label: s3 cp 100 MiB up (multipart, 8 MiB parts)" "${AWS[@]}" s3 cp --only-show-errors "$F100" "s3://$b/big/f100.bin"
	check "$label: multipart ETag of the 100 MiB object" etag_is "$ETAG8" "$b/big/f100.bin"
	check "$label: s3 cp 100 MiB down" "${AWS[@]}" s3 cp --only-show-errors "s3://$b/big/f100.bin" "$d/f100.bin"
	check "$label: cmp 100 MiB" cmp "$F100" "$d/f100.bin"
	rm -f "$d/f100.bin"

	# The checks of the copy only when there is one (one failure, not five).
	if check "$label: s3 cp s3->s3 (server-side multipart copy)" "${AWS[@]}" s3 cp --only-show-errors "s3://$b/big/f100.bin" "s3://$b/copy/f100 copy.bin"; then
		check "$label: copy has the source's size" expect_output "104857600" \
			"${AWS[@]}" s3api head-object --bucket "$b" --key "copy/f100 copy.bin" --query ContentLength
		check "$label: copy has the multipart ETag (UploadPartCopy in 8 MiB parts)" etag_is "$ETAG8" "$b/copy/f100 copy.bin"
		check "$label: s3 cp the copy down" "${AWS[@]}" s3 cp --only-show-errors "s3://$b/copy/f100 copy.bin" "$d/copy.bin"
		check "$label: cmp copy" cmp "$F100" "$d/copy.bin"
		rm -f "$d/copy.bin"
	fi

	if [ "$tree" = 1 ]; then
		make_tree "$d/tree"
		check "$label: s3 sync tree up" "${AWS[@]}" s3 sync --only-show-errors "$d/tree" "s3://$b/tree"
		check "$label: s3 ls --recursive lists 20 files" bash -c '[ "$("$@" | wc -l)" -eq 20 ] || { "$@"; exit 1; }' _ \
			"${AWS[@]}" s3 ls --recursive "s3://$b/tree/"
		check "$label: s3 sync again uploads nothing" expect_empty "${AWS[@]}" s3 sync --no-progress --dryrun "$d/tree" "s3://$b/tree"
		check "$label: s3 sync tree down" "${AWS[@]}" s3 sync --only-show-errors "s3://$b/tree" "$d/tree-down"
		check "$label: diff -r tree" diff -r "$d/tree" "$d/tree-down"
		# Change the tree: one file modified, one deleted, one added; sync --delete.
		head -c 5000 /dev/urandom >"$d/tree/a/f1.bin"
		rm -f "$d/tree/top-3.txt"
		echo new >"$d/tree/a/b/new.txt"
		check "$label: s3 sync --delete after changes" "${AWS[@]}" s3 sync --only-show-errors --delete "$d/tree" "s3://$b/tree"
		check "$label: s3 sync --delete down" "${AWS[@]}" s3 sync --only-show-errors --delete "s3://$b/tree" "$d/tree-down"
		check "$label: diff -r tree after changes" diff -r "$d/tree" "$d/tree-down"
	fi

	check "$label: s3api list-multipart-uploads is empty" expect_output "None" \
		"${AWS[@]}" s3api list-multipart-uploads --bucket "$b" --query 'Uploads[0].Key'
	check "$label: s3 rm --recursive" "${AWS[@]}" s3 rm --only-show-errors --recursive "s3://$b/"
	check "$label: s3 rb" "${AWS[@]}" s3 rb "s3://$b"
}

# boto3_multipart LABEL PYTHON : multipart_boto3.py with the 100 MiB file.
boto3_multipart() {
	echo "== $1: $2"
	run_sub "$1" "$2" "$HERE/multipart_boto3.py" "$ENDPOINT" "$1" "$WORK" "$F100" "$CA"
}

if [ -n "$PIP_PY" ] && "$PIP_PY" -c 'import awscli' 2>/dev/null; then
	awscli_multipart awscli-v1-pip 1 1 "$PIP_PY" -m awscli
else
	fail "awscli-v1-pip: no pip Python with aws-cli v1 (python3 other than /usr/bin/python3)"
fi
if [ -x /usr/bin/aws ]; then
	awscli_multipart awscli-v2-debian 2 0 /usr/bin/aws
else
	fail "awscli-v2-debian: /usr/bin/aws missing (apt-get install awscli; see test/install-deps)"
fi
if [ -n "$PIP_PY" ] && "$PIP_PY" -c 'import boto3' 2>/dev/null; then
	boto3_multipart boto3-pip "$PIP_PY"
else
	fail "boto3-pip: no pip Python with boto3"
fi
if /usr/bin/python3 -c 'import boto3' 2>/dev/null; then
	boto3_multipart boto3-debian /usr/bin/python3
else
	fail "boto3-debian: /usr/bin/python3 cannot import boto3 (apt-get install python3-boto3)"
fi

# ---- encryption at rest (issue 19) ------------------------------------------
# aws-cli v2 s3 cp --sse AES256 of the 100 MiB file: a multipart upload
# sealed part by part; head-object says AES256; down + cmp.
if [ -x /usr/bin/aws ]; then
	SSEAWS=(/usr/bin/aws --endpoint-url "$ENDPOINT" --region us-east-1 ${CA:+--ca-bundle "$CA"})
	sb="mp-sse-$$-$RANDOM"
	check "awscli-v2 sse: s3 mb" "${SSEAWS[@]}" s3 mb "s3://$sb"
	check "awscli-v2 sse: s3 cp --sse AES256 100 MiB up (multipart)" "${SSEAWS[@]}" s3 cp --only-show-errors --sse AES256 "$F100" "s3://$sb/f100.bin"
	check "awscli-v2 sse: head-object says AES256" expect_output "AES256" \
		"${SSEAWS[@]}" s3api head-object --bucket "$sb" --key f100.bin --query ServerSideEncryption
	check "awscli-v2 sse: s3 cp down" "${SSEAWS[@]}" s3 cp --only-show-errors "s3://$sb/f100.bin" "$WORK/sse-f100.bin"
	check "awscli-v2 sse: cmp" cmp "$F100" "$WORK/sse-f100.bin"
	rm -f "$WORK/sse-f100.bin"
	# SSE-C: --sse-c AES256 --sse-c-key fileb:// (multipart, 8 MiB parts).
	F20="$(shared_file f20.bin 20)"
	head -c 32 /dev/urandom >"$WORK/ssec.key"
	check "awscli-v2 sse-c: s3 cp --sse-c 20 MiB up" "${SSEAWS[@]}" s3 cp --only-show-errors --sse-c AES256 --sse-c-key "fileb://$WORK/ssec.key" "$F20" "s3://$sb/f20.bin"
	check "awscli-v2 sse-c: s3 cp down without the key fails" expect_fail "${SSEAWS[@]}" s3 cp --only-show-errors "s3://$sb/f20.bin" "$WORK/nokey.bin"
	check "awscli-v2 sse-c: s3 cp --sse-c down" "${SSEAWS[@]}" s3 cp --only-show-errors --sse-c AES256 --sse-c-key "fileb://$WORK/ssec.key" "s3://$sb/f20.bin" "$WORK/ssec-f20.bin"
	check "awscli-v2 sse-c: cmp" cmp "$F20" "$WORK/ssec-f20.bin"
	rm -f "$WORK/ssec-f20.bin"
	check "awscli-v2 sse: s3 rm + rb" "${SSEAWS[@]}" s3 rb --force "s3://$sb"
fi
# ---- end encryption at rest --------------------------------------------------

summary
