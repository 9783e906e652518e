#!/usr/bin/env bash
# restic (Debian) backs up to and restores from a versioned bucket (issue
# 15): the bucket gets versioning Enabled (aws-cli put-bucket-versioning),
# restic init, two backups of a tree (the second after a change), snapshots,
# restore of each snapshot + diff against what was backed up, forget --prune
# of the first (deletes in a versioned bucket: delete markers), check
# --read-data, and the versions of the repository's objects are listed.
# Over https restic verifies the server against the CA (--cacert).
#
# Usage: test/clients/scenario-restic.sh [ENDPOINT]
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
WORK="$(mktemp -d "${TMPDIR:-/tmp}/caddys3-restic.XXXXXX")"
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
label=restic
echo "== $label: $(restic version 2>&1 | head -n 1) against $ENDPOINT${CA:+ (CA $CA)}"

# The bucket's versioning through aws-cli (Debian's, else pip's).
aws_isolate "$WORK"
AWSCMD=(/usr/bin/aws)
if [ ! -x /usr/bin/aws ]; then
	PIP_PY="$(find_pip_python || true)"
	AWSCMD=("${PIP_PY:-python3}" -m awscli)
fi
AWS=("${AWSCMD[@]}" --endpoint-url "$ENDPOINT" --region us-east-1 ${CA:+--ca-bundle "$CA"})

b="restic-$$-$RANDOM"
check "$label: s3 mb" "${AWS[@]}" s3 mb "s3://$b" || {
	summary
	exit
}
check "$label: put-bucket-versioning Status=Enabled" "${AWS[@]}" s3api put-bucket-versioning --bucket "$b" \
	--versioning-configuration Status=Enabled

# restic reads these (its S3 backend is minio-go: path style for a
# non-AWS endpoint).
unset_env RESTIC_
export AWS_ACCESS_KEY_ID="$S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$S3_SECRET_KEY" AWS_DEFAULT_REGION=us-east-1
export RESTIC_PASSWORD=caddys3-restic-test RESTIC_REPOSITORY="s3:$ENDPOINT/$b/repo"
R=(restic --no-cache ${CA:+--cacert "$CA"})

d="$WORK/d"
make_tree "$d/tree"
cp -a "$d/tree" "$d/tree-1"
check "$label: init" "${R[@]}" init
check "$label: backup" "${R[@]}" backup --quiet --tag one --host caddys3 "$d/tree"
echo "changed" >"$d/tree/top-1.txt"
rm -f "$d/tree/top-2.txt"
head -c 300000 /dev/urandom >"$d/tree/new.bin"
check "$label: backup after changes" "${R[@]}" backup --quiet --tag two --host caddys3 "$d/tree"
check "$label: snapshots lists two" expect_exact 2 bash -c '"$@" snapshots --json | python3 -c "import json,sys; print(len(json.load(sys.stdin)))"' _ "${R[@]}"
check "$label: restore latest" "${R[@]}" restore latest --target "$d/r2"
check "$label: the latest restore is the changed tree" diff -r "$d/tree" "$d/r2$d/tree"
check "$label: restore the first snapshot (--tag one)" "${R[@]}" restore latest --tag one --target "$d/r1"
check "$label: the first restore is the tree as first backed up" diff -r "$d/tree-1" "$d/r1$d/tree"
check "$label: forget --prune the first snapshot" "${R[@]}" forget --quiet --tag one --keep-last 0 --prune
check "$label: check --read-data after the prune" "${R[@]}" check --read-data
check "$label: restore latest after the prune" bash -c '"$@" restore latest --target "'"$d/r3"'" && diff -r "'"$d/tree"'" "'"$d/r3$d/tree"'"' _ "${R[@]}"
# The pruned objects are still there as older versions behind delete markers.
check "$label: list-object-versions shows the pruned objects' delete markers" expect_output "True" \
	"${AWS[@]}" s3api list-object-versions --bucket "$b" --prefix repo/ --query 'DeleteMarkers[0].IsLatest'

summary
