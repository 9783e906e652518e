#!/usr/bin/env bash
# Multipart uploads, server-side copies and directory syncs through real
# clients against a running caddys3 endpoint:
#   aws-cli v1 (pip)    s3 cp of 100 MiB up/down (default 8 MiB parts), s3 sync
#                       of a nested tree both ways, s3 cp s3->s3 (multipart copy)
#   aws-cli v2 (Debian) s3 cp of 40 MiB up/down
#   boto3 (pip)         upload_file / download_file / copy with 5 MiB parts
#                       (multipart_boto3.py)
#   rclone              copy, check, lsjson, sync with 5 MiB chunks
#   s3cmd               multipart put (5 MiB chunks) of 20 MiB, get
#
# Usage: test/clients/scenario-multipart.sh [ENDPOINT]
#   ENDPOINT defaults to $S3_ENDPOINT, then http://127.0.0.1:9000.
#   Credentials: $S3_ACCESS_KEY / $S3_SECRET_KEY (default: alice's test key).
#
# Each check prints a PASS/FAIL line; the last line is "N passed, M failed"
# and the exit status is non-zero when M > 0. Nothing in ~ is read or
# written: every client's configuration is temporary.
set -uo pipefail

ENDPOINT="${1:-${S3_ENDPOINT:-http://127.0.0.1:9000}}"
ENDPOINT="${ENDPOINT%/}"
export S3_ACCESS_KEY="${S3_ACCESS_KEY:-AKIAEXAMPLEALICE0001}"
export S3_SECRET_KEY="${S3_SECRET_KEY:-alicesecret0000000000000000000000000000}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STEP_TIMEOUT="${STEP_TIMEOUT:-240}"
HOSTPORT="${ENDPOINT#http://}"
HOSTPORT="${HOSTPORT#https://}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/caddys3-multipart.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"



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

# mp_etag FILE CHUNK_MIB : S3's multipart ETag of FILE cut in CHUNK_MIB parts.
mp_etag() {
	"$PY" - "$1" "$2" <<'EOF'
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

# etag_is WANT AWSCMD... : head-object (through the given aws command) has ETag WANT.
etag_is() {
	local want="$1" got
	shift
	got="$("$@" --query ETag --output text 2>&1)" || {
		printf '%s\n' "$got"
		return 1
	}
	if [ "$got" != "$want" ]; then
		echo "ETag $got, want $want"
		return 1
	fi
}

export -f expect_empty etag_is

# The pip Python: the first python3 that is not Debian's (resolved to its
# executable before HOME changes below).
find_pip_python() {
	local c
	for c in "${PIP_PYTHON:-}" "$(command -v python3 || true)" /root/.pyenv/shims/python3; do
		[ -n "$c" ] && [ -x "$c" ] || continue
		if [ "$("$c" -c 'import sys; print(sys.prefix)' 2>/dev/null)" != "/usr" ]; then
			"$c" -c 'import sys; print(sys.executable)'
			return 0
		fi
	done
	return 1
}
PIP_PY="$(find_pip_python || true)"
PY="${PIP_PY:-/usr/bin/python3}"

# Keep every client away from ~ and the environment's credentials.
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
	AWS_SECURITY_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_CA_BUNDLE AWS_DEFAULT_REGION AWS_REGION \
	AWS_USE_FIPS_ENDPOINT AWS_S3_US_EAST_1_REGIONAL_ENDPOINT AWS_REQUEST_CHECKSUM_CALCULATION \
	AWS_RESPONSE_CHECKSUM_VALIDATION
for v in $(env | grep -o '^RCLONE_[A-Z0-9_]*' || true); do
	unset "$v"
done
export AWS_CONFIG_FILE="$WORK/aws-config"
export AWS_SHARED_CREDENTIALS_FILE="$WORK/aws-credentials"
export AWS_EC2_METADATA_DISABLED=true
export AWS_PAGER=""
export AWS_DATA_PATH="$WORK/aws-data"
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"
export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" XDG_CACHE_HOME="$WORK/home/.cache"
mkdir -p "$HOME"
# Default multipart settings on purpose (8 MiB threshold and parts).
cat >"$AWS_CONFIG_FILE" <<'EOF'
[default]
region = us-east-1
output = text
cli_pager =
s3 =
    addressing_style = path
EOF
cat >"$AWS_SHARED_CREDENTIALS_FILE" <<EOF
[default]
aws_access_key_id = $S3_ACCESS_KEY
aws_secret_access_key = $S3_SECRET_KEY
EOF


echo "== endpoint $ENDPOINT, work $WORK"
head -c $((100 << 20)) /dev/urandom >"$WORK/f100.bin"
head -c $((40 << 20)) /dev/urandom >"$WORK/f40.bin"
head -c $((30 << 20)) /dev/urandom >"$WORK/f30.bin"
head -c $((20 << 20)) /dev/urandom >"$WORK/f20.bin"

# A tree of 20 small files in nested directories (names with a space and
# unicode), for s3 sync.
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
	# Two minutes in the past: sync compares the local mtime with
	# LastModified, which S3 lists with one-second resolution, so a file
	# written in the second of its upload would look newer than its copy.
	find "$root" -type f -exec touch -d "@$(($(date +%s) - 120))" {} +
}

# ---------------------------------------------------------------------------
# 1. aws-cli v1 from pip.
awscli_v1() {
	local label=awscli-v1-pip
	local -a AWS=("$PIP_PY" -m awscli --endpoint-url "$ENDPOINT" --region us-east-1)
	local b="mp-v1-$$-$RANDOM" d="$WORK/v1" v
	mkdir -p "$d"
	v="$("${AWS[@]}" --version 2>&1 | head -n 1)"
	echo "== $label: $v"
	if [[ "$v" != aws-cli/1.* ]]; then
		fail "$label: is aws-cli v1 (got: ${v:-nothing})"
		return
	fi
	check "$label: s3 mb" "${AWS[@]}" s3 mb "s3://$b" || return
	check "$label: s3 cp 100 MiB up (multipart, 8 MiB parts)" "${AWS[@]}" s3 cp --only-show-errors "$WORK/f100.bin" "s3://$b/big/f100.bin"
	check "$label: multipart ETag of the 100 MiB object" etag_is "$(mp_etag "$WORK/f100.bin" 8)" \
		"${AWS[@]}" s3api head-object --bucket "$b" --key big/f100.bin
	check "$label: s3 cp 100 MiB down" "${AWS[@]}" s3 cp --only-show-errors "s3://$b/big/f100.bin" "$d/f100.bin"
	check "$label: cmp 100 MiB" cmp "$WORK/f100.bin" "$d/f100.bin"
	rm -f "$d/f100.bin"

	check "$label: s3 cp s3->s3 (server-side multipart copy)" "${AWS[@]}" s3 cp --only-show-errors "s3://$b/big/f100.bin" "s3://$b/copy/f100 copy.bin"
	check "$label: copy has the source's size" expect_output "104857600" \
		"${AWS[@]}" s3api head-object --bucket "$b" --key "copy/f100 copy.bin" --query ContentLength
	check "$label: copy has the multipart ETag (UploadPartCopy in 8 MiB parts)" etag_is "$(mp_etag "$WORK/f100.bin" 8)" \
		"${AWS[@]}" s3api head-object --bucket "$b" --key "copy/f100 copy.bin"
	check "$label: s3 cp the copy down" "${AWS[@]}" s3 cp --only-show-errors "s3://$b/copy/f100 copy.bin" "$d/copy.bin"
	check "$label: cmp copy" cmp "$WORK/f100.bin" "$d/copy.bin"
	rm -f "$d/copy.bin"

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

	check "$label: s3api list-multipart-uploads is empty" expect_output "None" \
		"${AWS[@]}" s3api list-multipart-uploads --bucket "$b" --query 'Uploads[0].Key'
	check "$label: s3 rm --recursive" "${AWS[@]}" s3 rm --only-show-errors --recursive "s3://$b/"
	check "$label: s3 rb" "${AWS[@]}" s3 rb "s3://$b"
}

# ---------------------------------------------------------------------------
# 2. aws-cli v2 from Debian.
awscli_v2() {
	local label=awscli-v2-debian
	local -a AWS=(/usr/bin/aws --endpoint-url "$ENDPOINT" --region us-east-1)
	local b="mp-v2-$$-$RANDOM" d="$WORK/v2" v
	mkdir -p "$d"
	v="$("${AWS[@]}" --version 2>&1 | head -n 1)"
	echo "== $label: $v"
	if [[ "$v" != aws-cli/2.* ]]; then
		fail "$label: is aws-cli v2 (got: ${v:-nothing})"
		return
	fi
	check "$label: s3 mb" "${AWS[@]}" s3 mb "s3://$b" || return
	check "$label: s3 cp 40 MiB up (multipart, 8 MiB parts)" "${AWS[@]}" s3 cp --only-show-errors "$WORK/f40.bin" "s3://$b/f40.bin"
	check "$label: multipart ETag of the 40 MiB object" etag_is "$(mp_etag "$WORK/f40.bin" 8)" \
		"${AWS[@]}" s3api head-object --bucket "$b" --key f40.bin
	check "$label: s3 cp 40 MiB down" "${AWS[@]}" s3 cp --only-show-errors "s3://$b/f40.bin" "$d/f40.bin"
	check "$label: cmp 40 MiB" cmp "$WORK/f40.bin" "$d/f40.bin"
	check "$label: s3 rm" "${AWS[@]}" s3 rm --only-show-errors "s3://$b/f40.bin"
	check "$label: s3 rb" "${AWS[@]}" s3 rb "s3://$b"
}

# ---------------------------------------------------------------------------
# 3. boto3 from pip (managed transfers).
boto3_pip() {
	local label=boto3-pip out rc p f
	echo "== $label: $PIP_PY"
	out="$(timeout "$STEP_TIMEOUT" "$PIP_PY" "$HERE/multipart_boto3.py" "$ENDPOINT" "$label" "$WORK" "$WORK/f30.bin" 2>&1)"
	rc=$?
	# Its own summary line would read as this script's.
	grep -vE '^[0-9]+ passed, [0-9]+ failed$' <<<"$out"
	p="$(grep -c '^PASS: ' <<<"$out")"
	f="$(grep -c '^FAIL: ' <<<"$out")"
	passed=$((passed + p))
	failed=$((failed + f))
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		fail "$label: multipart_boto3.py exited $rc without reporting a failure"
	fi
}

# ---------------------------------------------------------------------------
# 4. rclone.
rclone_scenario() {
	local label=rclone b="mp-rclone-$$-$RANDOM" d="$WORK/rclone" v
	mkdir -p "$d"
	cat >"$WORK/rclone.conf" <<EOF
[mps3]
type = s3
provider = Other
env_auth = false
access_key_id = $S3_ACCESS_KEY
secret_access_key = $S3_SECRET_KEY
endpoint = $ENDPOINT
region = us-east-1
force_path_style = true
EOF
	local -a RC=(rclone --config "$WORK/rclone.conf" --s3-chunk-size 5M --s3-upload-cutoff 5M
		--retries 1 --low-level-retries 1 --contimeout 10s --timeout 120s --transfers 4 --checkers 4)
	v="$(rclone version 2>&1 | head -n 1)"
	echo "== $label: $v"
	make_tree "$d/tree"
	cp "$WORK/f30.bin" "$d/tree/a/big30.bin"
	check "$label: mkdir bucket" "${RC[@]}" mkdir "mps3:$b" || return
	check "$label: copy tree (30 MiB file in 5 MiB chunks)" "${RC[@]}" copy "$d/tree" "mps3:$b/tree"
	check "$label: check tree" "${RC[@]}" check "$d/tree" "mps3:$b/tree"
	check "$label: 30 MiB file has the 6-part multipart ETag" etag_is "$(mp_etag "$WORK/f30.bin" 5)" \
		"${AWS1[@]}" s3api head-object --bucket "$b" --key tree/a/big30.bin
	check "$label: lsjson -R lists the 21 files with their sizes" "$PY" -c '
import json, os, subprocess, sys
local, cmd = sys.argv[1], sys.argv[2:]
remote = {e["Path"]: e["Size"] for e in json.loads(subprocess.check_output(cmd)) if not e["IsDir"]}
want = {}
for root, _, files in os.walk(local):
    for f in files:
        p = os.path.join(root, f)
        want[os.path.relpath(p, local)] = os.path.getsize(p)
if remote != want:
    print("remote", sorted(remote.items()))
    print("local ", sorted(want.items()))
    sys.exit(1)
if len(want) != 21:
    print("expected 21 files, have", len(want))
    sys.exit(1)
' "$d/tree" "${RC[@]}" lsjson -R --files-only "mps3:$b/tree"
	# Change the tree and sync: modified, deleted and added files.
	head -c $((6 << 20)) /dev/urandom >"$d/tree/a/d/g1"
	rm -f "$d/tree/top-2.txt" "$d/tree/a/b/c/deep 4.dat"
	echo added >"$d/tree/e f/added.txt"
	check "$label: sync tree after changes" "${RC[@]}" sync "$d/tree" "mps3:$b/tree"
	check "$label: check tree after sync" "${RC[@]}" check "$d/tree" "mps3:$b/tree"
	check "$label: deleted file is gone remotely" bash -c '! "$@" | grep -q "top-2.txt"' _ "${RC[@]}" lsf -R "mps3:$b/tree"
	check "$label: copy tree back down" "${RC[@]}" copy "mps3:$b/tree" "$d/tree-down"
	check "$label: diff -r tree" diff -r "$d/tree" "$d/tree-down"
	check "$label: purge bucket" "${RC[@]}" purge "mps3:$b"
}

# ---------------------------------------------------------------------------
# 5. s3cmd.
s3cmd_scenario() {
	local label=s3cmd b="mp-s3cmd-$$-$RANDOM" d="$WORK/s3cmd" v
	mkdir -p "$d"
	cat >"$WORK/s3cmd.cfg" <<EOF
[default]
access_key = $S3_ACCESS_KEY
secret_key = $S3_SECRET_KEY
host_base = $HOSTPORT
host_bucket = $HOSTPORT
use_https = False
signature_v2 = False
bucket_location = us-east-1
multipart_chunk_size_mb = 5
enable_multipart = True
socket_timeout = 60
max_retries = 1
progress_meter = False
EOF
	local -a S3CMD=(s3cmd -c "$WORK/s3cmd.cfg")
	v="$(s3cmd --version 2>&1 | head -n 1)"
	echo "== $label: $v"
	check "$label: mb" "${S3CMD[@]}" mb "s3://$b" || return
	check "$label: put 20 MiB (multipart, 5 MiB chunks)" "${S3CMD[@]}" put "$WORK/f20.bin" "s3://$b/dir/f20.bin"
	check "$label: 20 MiB object has the 4-part multipart ETag" etag_is "$(mp_etag "$WORK/f20.bin" 5)" \
		"${AWS1[@]}" s3api head-object --bucket "$b" --key dir/f20.bin
	check "$label: get 20 MiB" "${S3CMD[@]}" get "s3://$b/dir/f20.bin" "$d/f20.bin"
	check "$label: cmp 20 MiB" cmp "$WORK/f20.bin" "$d/f20.bin"
	check "$label: ls shows the object" expect_output "s3://$b/dir/f20.bin" "${S3CMD[@]}" ls --recursive "s3://$b"
	check "$label: del" "${S3CMD[@]}" del "s3://$b/dir/f20.bin"
	check "$label: rb" "${S3CMD[@]}" rb "s3://$b"
}

# An aws command for head-object checks in the rclone and s3cmd scenarios.
AWS1=()
if [ -n "$PIP_PY" ] && "$PIP_PY" -c 'import awscli' 2>/dev/null; then
	AWS1=("$PIP_PY" -m awscli --endpoint-url "$ENDPOINT" --region us-east-1)
elif [ -x /usr/bin/aws ]; then
	AWS1=(/usr/bin/aws --endpoint-url "$ENDPOINT" --region us-east-1)
fi

if [ -n "$PIP_PY" ] && "$PIP_PY" -c 'import awscli' 2>/dev/null; then
	awscli_v1
else
	fail "awscli-v1-pip: no pip Python with aws-cli v1 (python3 other than /usr/bin/python3)"
fi
if [ -x /usr/bin/aws ]; then
	awscli_v2
else
	fail "awscli-v2-debian: /usr/bin/aws missing (apt-get install awscli; see test/install-deps)"
fi
if [ -n "$PIP_PY" ] && "$PIP_PY" -c 'import boto3' 2>/dev/null; then
	boto3_pip
else
	fail "boto3-pip: no pip Python with boto3"
fi
if command -v rclone >/dev/null; then
	rclone_scenario
else
	fail "rclone: not installed (apt-get install rclone; see test/install-deps)"
fi
if command -v s3cmd >/dev/null; then
	s3cmd_scenario
else
	fail "s3cmd: not installed (apt-get install s3cmd; see test/install-deps)"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
