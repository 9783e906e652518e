#!/usr/bin/env bash
# Runs a scenario against a running caddys3 endpoint with each Python client:
#   aws-cli v1 (pip, the `aws` of the pip Python), boto3 (pip),
#   aws-cli v2 (Debian's /usr/bin/aws) and python3-boto3 (Debian's /usr/bin/python3).
# aws-cli: mb, 1 MiB and 20 MiB single-PUT uploads, downloads + cmp, metadata
# round trip, ranged get, s3->s3 copy (COPY and REPLACE metadata), batch
# delete (delete-objects), listings with prefix/delimiter (v1 and v2),
# sync down, rm, rb; versioning (put-bucket-versioning, list-object-versions,
# get-object/delete-object --version-id); aws-cli v1 also 1,050 keys (s3 sync up, list-objects-v2
# and list-objects paginated, every key once, batch delete in pages of
# 1000). boto3: boto3_scenario.py (the same ground plus presigned GET;
# 1,050 keys with pip's boto3). Over https each client also proves that TLS
# is verified (without the CA it fails) and, when the endpoint is on
# $CADDYS3_VHOST_DOMAIN, works on its bucket vhost-<client>.<domain> in
# virtual-hosted style. 100 MiB multipart transfers: scenario-multipart.sh.
#
# Usage: test/clients/python.sh [ENDPOINT]
#   ENDPOINT defaults to $S3_ENDPOINT, then http://127.0.0.1:9000.
# Env (from run.sh; all optional): CADDYS3_CA_CERT (CA to trust over https:
#   aws-cli --ca-bundle, boto3 verify=), CADDYS3_VHOST_DOMAIN,
#   CADDYS3_ALICE_KEY / CADDYS3_ALICE_SECRET (or S3_ACCESS_KEY /
#   S3_SECRET_KEY), CADDYS3_SHARED_DIR, CADDYS3_LIGHT=1 (skip the 1,050-key
#   listings: run.sh's second, plain-HTTP run).
#
# Each check prints a PASS/FAIL line; the last line is "N passed, M failed"
# and the exit status is non-zero when M > 0. Nothing in ~ is read or
# written: the AWS config and credentials files are temporary.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STEP_TIMEOUT="${STEP_TIMEOUT:-300}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/caddys3-python.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# shellcheck source=lib.sh
source "$HERE/lib.sh"
client_env "${1:-}"
PIP_PY="$(find_pip_python || true)"
LIGHT="${CADDYS3_LIGHT:-}"
# Labels (and bucket names) say which transport a line is about when the
# endpoint is plain HTTP (run.sh's second run).
T=""
[[ "$ENDPOINT" == http://* ]] && T="-http"

# Single PUTs here (multipart is scenario-multipart.sh's); 4 parallel
# requests for s3 sync.
aws_isolate "$WORK"
aws_config "$AWS_CONFIG_FILE" path "multipart_threshold = 256MB" "multipart_chunksize = 256MB" "max_concurrent_requests = 4"
aws_config "$WORK/aws-config-vhost" virtual

F1="$(shared_file f1.bin 1)"
F20="$(shared_file f20.bin 20)"
KEYS=""
[ -n "$LIGHT" ] || KEYS="$(shared_keys_dir 1050)"
echo "== endpoint $ENDPOINT${CA:+ (CA $CA)}${VHOST_DOMAIN:+, vhost *.$VHOST_DOMAIN}${LIGHT:+ (light)}"

# aws_delete_keys LISTFILE BUCKET AWS... : deletes the keys of LISTFILE (one a line)
# with s3api delete-objects in pages of 1000 and checks that every key was
# reported deleted.
aws_delete_keys() {
	local list="$1" bucket="$2" page n=0 out
	shift 2
	split -l 1000 "$list" "$list.page."
	for page in "$list".page.*; do
		python3 -c 'import json, sys; print(json.dumps({"Objects": [{"Key": l.rstrip("\n")} for l in open(sys.argv[1])], "Quiet": False}))' \
			"$page" >"$page.json"
		out="$("$@" s3api delete-objects --bucket "$bucket" --delete "file://$page.json" --query 'length(Deleted)' 2>&1)" || {
			printf '%s\n' "$out"
			return 1
		}
		[ "$out" = "$(wc -l <"$page")" ] || {
			echo "delete-objects reported $out deleted of $(wc -l <"$page"): $out"
			return 1
		}
		n=$((n + out))
	done
	echo "deleted $n keys"
}
export -f aws_delete_keys

# awscli_many LABEL AWS... : 1,050 keys through s3 sync, listed past the
# first 1000-key page with ListObjectsV2 and ListObjects (aws-cli follows
# the continuation token / marker), a delimiter listing, batch delete.
awscli_many() {
	local label="$1"
	shift
	local -a AWS=("$@")
	local b="many-${label}-$$-${RANDOM}"
	check "$label: s3 mb for 1,050 keys" "${AWS[@]}" s3 mb "s3://$b" || return
	check "$label: s3 sync 1,050 files up" "${AWS[@]}" s3 sync --only-show-errors "$KEYS" "s3://$b/many/"
	check "$label: list-objects-v2 pages past 1000: every key once" keys_once "$KEYS" many/ \
		"${AWS[@]}" s3api list-objects-v2 --bucket "$b" --prefix many/ --query 'Contents[].[Key]'
	check "$label: list-objects (v1, marker) pages past 1000: every key once" keys_once "$KEYS" many/ \
		"${AWS[@]}" s3api list-objects --bucket "$b" --prefix many/ --query 'Contents[].[Key]'
	check "$label: list-objects-v2 with --page-size 400 (3 pages)" keys_once "$KEYS" many/ \
		"${AWS[@]}" s3api list-objects-v2 --bucket "$b" --page-size 400 --query 'Contents[].[Key]'
	check "$label: delimiter listing of the root has the one prefix many/" expect_output "many/" \
		"${AWS[@]}" s3api list-objects-v2 --bucket "$b" --delimiter / --query 'CommonPrefixes[].Prefix'
	check "$label: s3 sync again uploads nothing" expect_empty "${AWS[@]}" s3 sync --dryrun --no-progress "$KEYS" "s3://$b/many/"
	(cd "$KEYS" && find . -type f | sed 's|^\./|many/|') >"$WORK/$label-keys"
	check "$label: delete-objects of 1,050 keys in pages of 1000" aws_delete_keys "$WORK/$label-keys" "$b" "${AWS[@]}"
	check "$label: s3 rb after the batch delete" "${AWS[@]}" s3 rb "s3://$b"
}

# awscli_vhost LABEL BUCKET AWS... : virtual-hosted style (addressing_style
# virtual) on BUCKET.<domain>: mb, cp up and down, ls (the request's Host
# proves the style), rb --force.
awscli_vhost() {
	local label="$1" vb="$2"
	shift 2
	vhost_ready "$label" "$vb" || return 0
	local -a AWS=(env AWS_CONFIG_FILE="$WORK/aws-config-vhost" "$@")
	check "$label: vhost: s3 mb s3://$vb" "${AWS[@]}" s3 mb "s3://$vb" || return
	check "$label: vhost: s3 cp up" "${AWS[@]}" s3 cp --only-show-errors "$F1" "s3://$vb/v/f1.bin"
	check "$label: vhost: s3 ls is sent to Host $vb.$VHOST_DOMAIN" expect_output "host:$vb.$VHOST_DOMAIN" \
		"${AWS[@]}" --debug s3 ls "s3://$vb/v/"
	check "$label: vhost: s3 cp down + cmp" bash -c '"$@" s3 cp --only-show-errors "s3://'"$vb"'/v/f1.bin" "'"$WORK/$vb.bin"'" && cmp "'"$F1"'" "'"$WORK/$vb.bin"'"' _ "${AWS[@]}"
	check "$label: vhost: s3 rb --force" "${AWS[@]}" s3 rb --force "s3://$vb"
}

# awscli_versions LABEL AWS... : versioning (issue 15): put-bucket-versioning,
# put-object makes versions, get-object --version-id, a delete marker
# (delete-object), list-object-versions (versions newest first, the marker
# latest), delete-object --version-id of the marker brings the object back,
# every version deleted for good, then rb.
awscli_versions() {
	local label="$1"
	shift
	local -a AWS=("$@")
	local b="ver-${label}-$$-${RANDOM}" v1 v2 dm
	local d="$WORK/$label-ver"
	mkdir -p "$d"
	printf 'first\n' >"$d/one.txt"
	printf 'second\n' >"$d/two.txt"
	check "$label: versions: s3 mb" "${AWS[@]}" s3 mb "s3://$b" || return
	check "$label: versions: put-bucket-versioning Status=Enabled" "${AWS[@]}" s3api put-bucket-versioning --bucket "$b" \
		--versioning-configuration Status=Enabled || return
	check "$label: versions: get-bucket-versioning is Enabled" expect_exact Enabled \
		"${AWS[@]}" s3api get-bucket-versioning --bucket "$b" --query Status
	v1="$("${AWS[@]}" s3api put-object --bucket "$b" --key doc.txt --body "$d/one.txt" --query VersionId 2>&1)"
	v2="$("${AWS[@]}" s3api put-object --bucket "$b" --key doc.txt --body "$d/two.txt" --query VersionId 2>&1)"
	if [ -n "$v1" ] && [ -n "$v2" ] && [ "$v1" != "$v2" ] && [ "$v1" != None ]; then
		pass "$label: versions: put-object answers two version ids"
	else
		fail "$label: versions: put-object version ids: '$v1' '$v2'"
		return
	fi
	check "$label: versions: get-object --version-id (the first) + cmp" bash -c '"$@" s3api get-object --bucket "'"$b"'" --key doc.txt \
		--version-id "'"$v1"'" "'"$d/got1.txt"'" >/dev/null && cmp "'"$d/one.txt"'" "'"$d/got1.txt"'"' _ "${AWS[@]}"
	dm="$("${AWS[@]}" s3api delete-object --bucket "$b" --key doc.txt --query '[DeleteMarker,VersionId]' 2>&1)"
	if [[ "$dm" == True$'\t'* ]]; then
		pass "$label: versions: delete-object makes a delete marker"
		dm="${dm#True$'\t'}"
	else
		fail "$label: versions: delete-object: $dm"
		return
	fi
	check "$label: versions: get-object of the deleted key fails (404)" expect_fail_output "NoSuchKey" \
		"${AWS[@]}" s3api get-object --bucket "$b" --key doc.txt "$d/none.txt"
	check "$label: versions: list-object-versions: the versions newest first" expect_exact "$(printf '%s\t%s' "$v2" "$v1")" \
		"${AWS[@]}" s3api list-object-versions --bucket "$b" --query 'Versions[].VersionId'
	check "$label: versions: list-object-versions: the marker is latest" expect_exact "$(printf '%s\tTrue' "$dm")" \
		"${AWS[@]}" s3api list-object-versions --bucket "$b" --query 'DeleteMarkers[].[VersionId,IsLatest]'
	check "$label: versions: delete-object --version-id of the marker" "${AWS[@]}" s3api delete-object --bucket "$b" --key doc.txt --version-id "$dm"
	check "$label: versions: the latest version is back + cmp" bash -c '"$@" s3api get-object --bucket "'"$b"'" --key doc.txt \
		"'"$d/got2.txt"'" >/dev/null && cmp "'"$d/two.txt"'" "'"$d/got2.txt"'"' _ "${AWS[@]}"
	check "$label: versions: s3 rb fails while versions exist" expect_fail "${AWS[@]}" s3 rb "s3://$b"
	check "$label: versions: delete-object --version-id of each version" bash -c '"$@" s3api delete-object --bucket "'"$b"'" --key doc.txt --version-id "'"$v1"'" >/dev/null &&
		"$@" s3api delete-object --bucket "'"$b"'" --key doc.txt --version-id "'"$v2"'" >/dev/null' _ "${AWS[@]}"
	check "$label: versions: s3 rb once every version is gone" "${AWS[@]}" s3 rb "s3://$b"
}

# awscli_scenario LABEL WANTVERSION VHOSTBUCKET MANY CMD... : the aws-cli
# scenario with CMD as `aws`; MANY=1 adds the 1,050-key listings.
awscli_scenario() {
	local label="$1" want="$2" vb="$3" many="$4"
	shift 4
	local -a AWS=("$@" --endpoint-url "$ENDPOINT" --region us-east-1 ${CA:+--ca-bundle "$CA"})
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
	if [ -n "$CA" ]; then
		# Without the CA the server's certificate is not trusted: TLS is verified.
		check "$label: without --ca-bundle the certificate is rejected" expect_fail_output "CERTIFICATE_VERIFY_FAILED" \
			"$@" --endpoint-url "$ENDPOINT" --region us-east-1 s3 ls
	fi

	check "$label: s3 mb" "${AWS[@]}" s3 mb "s3://$b" || return
	check "$label: s3 cp 1 MiB up" "${AWS[@]}" s3 cp --only-show-errors "$F1" "s3://$b/dir/f1.bin"
	check "$label: s3 cp 20 MiB up (single PUT)" "${AWS[@]}" s3 cp --only-show-errors "$F20" "s3://$b/dir/sub/f20.bin"
	check "$label: s3 cp 1 MiB down" "${AWS[@]}" s3 cp --only-show-errors "s3://$b/dir/f1.bin" "$d/f1.bin"
	check "$label: cmp 1 MiB" cmp "$F1" "$d/f1.bin"
	check "$label: s3 cp 20 MiB down" "${AWS[@]}" s3 cp --only-show-errors "s3://$b/dir/sub/f20.bin" "$d/f20.bin"
	check "$label: cmp 20 MiB" cmp "$F20" "$d/f20.bin"
	check "$label: s3api get-object --range bytes=1000-2999" "${AWS[@]}" s3api get-object --bucket "$b" --key dir/sub/f20.bin \
		--range bytes=1000-2999 "$d/range.bin"
	check "$label: the range's bytes" range_is "$F20" 1000 2000 "$d/range.bin"

	check "$label: s3 cp with --metadata, --content-type, --cache-control" "${AWS[@]}" s3 cp --only-show-errors \
		--metadata color=blue,mood=calm --content-type text/plain --cache-control max-age=5 "$F1" "s3://$b/dir/meta.txt"
	check "$label: head-object returns the metadata" expect_exact "$(printf 'max-age=5\ttext/plain\tblue\tcalm')" \
		"${AWS[@]}" s3api head-object --bucket "$b" --key dir/meta.txt --query '[CacheControl,ContentType,Metadata.color,Metadata.mood]'
	check "$label: s3 cp s3->s3 (CopyObject) keeps the metadata" "${AWS[@]}" s3 cp --only-show-errors "s3://$b/dir/meta.txt" "s3://$b/copy/meta.txt"
	check "$label: the copy's metadata" expect_exact "$(printf 'text/plain\tblue')" \
		"${AWS[@]}" s3api head-object --bucket "$b" --key copy/meta.txt --query '[ContentType,Metadata.color]'
	check "$label: s3api copy-object --metadata-directive REPLACE" "${AWS[@]}" s3api copy-object --bucket "$b" \
		--key "copy/meta red.txt" --copy-source "$b/dir/meta.txt" --metadata-directive REPLACE --metadata color=red
	check "$label: the replaced metadata" expect_exact "$(printf 'red\tNone')" \
		"${AWS[@]}" s3api head-object --bucket "$b" --key "copy/meta red.txt" --query '[Metadata.color,Metadata.mood]'
	check "$label: s3 cp the copy down + cmp" bash -c '"$@" s3 cp --only-show-errors "s3://'"$b"'/copy/meta red.txt" "'"$d/copy.bin"'" && cmp "'"$F1"'" "'"$d/copy.bin"'"' _ "${AWS[@]}"

	check "$label: s3 ls bucket shows PRE dir/" expect_output "PRE dir/" "${AWS[@]}" s3 ls "s3://$b/"
	check "$label: s3 ls prefix dir/ shows f1.bin" expect_output " 1048576 f1.bin" "${AWS[@]}" s3 ls "s3://$b/dir/"
	check "$label: s3 ls prefix dir/ shows PRE sub/" expect_output "PRE sub/" "${AWS[@]}" s3 ls "s3://$b/dir/"
	check "$label: s3 ls --recursive shows dir/sub/f20.bin" expect_output " 20971520 dir/sub/f20.bin" "${AWS[@]}" s3 ls --recursive "s3://$b/"
	check "$label: s3api list-objects-v2 --prefix dir/ --delimiter /" expect_exact "$(printf 'dir/f1.bin\tdir/meta.txt\tdir/sub/')" \
		"${AWS[@]}" s3api list-objects-v2 --bucket "$b" --prefix dir/ --delimiter / --query '[Contents[].Key, CommonPrefixes[].Prefix][]'
	local all
	all="$(printf 'copy/meta red.txt\ncopy/meta.txt\ndir/f1.bin\ndir/meta.txt\ndir/sub/f20.bin')"
	check "$label: list-objects-v2 --page-size 1 (5 pages): each key once, in order" expect_exact "$all" \
		"${AWS[@]}" s3api list-objects-v2 --bucket "$b" --page-size 1 --query 'Contents[].[Key]'
	check "$label: list-objects (v1) --page-size 2 (3 pages): each key once, in order" expect_exact "$all" \
		"${AWS[@]}" s3api list-objects --bucket "$b" --page-size 2 --query 'Contents[].[Key]'
	check "$label: s3api list-objects (v1) --prefix dir/f" expect_output "dir/f1.bin" \
		"${AWS[@]}" s3api list-objects --bucket "$b" --prefix dir/f --query 'Contents[].Key'
	check "$label: s3api head-object size" expect_output "20971520" \
		"${AWS[@]}" s3api head-object --bucket "$b" --key dir/sub/f20.bin --query ContentLength
	check "$label: s3 sync down" "${AWS[@]}" s3 sync --only-show-errors "s3://$b/dir/" "$d/sync/"
	check "$label: cmp synced 20 MiB" cmp "$F20" "$d/sync/sub/f20.bin"
	check "$label: s3 rb without --force fails on a non-empty bucket" expect_fail "${AWS[@]}" s3 rb "s3://$b"
	check "$label: s3api delete-objects (batch) deletes both copies" expect_exact "$(printf '2\tNone')" \
		"${AWS[@]}" s3api delete-objects --bucket "$b" --query '[length(Deleted), Errors]' \
		--delete '{"Objects":[{"Key":"copy/meta.txt"},{"Key":"copy/meta red.txt"}]}'
	check "$label: batch-deleted objects are not listed" expect_no_output "copy/" "${AWS[@]}" s3 ls --recursive "s3://$b/"
	check "$label: s3 rm one object" "${AWS[@]}" s3 rm --only-show-errors "s3://$b/dir/f1.bin"
	check "$label: removed object is not listed" expect_no_output "f1.bin" "${AWS[@]}" s3 ls --recursive "s3://$b/"
	check "$label: s3 rm --recursive" "${AWS[@]}" s3 rm --only-show-errors --recursive "s3://$b/"
	check "$label: bucket is empty" expect_no_output "f20.bin" "${AWS[@]}" s3 ls --recursive "s3://$b/"
	check "$label: s3 rb" "${AWS[@]}" s3 rb "s3://$b"
	check "$label: bucket is gone (head-bucket fails)" expect_fail "${AWS[@]}" s3api head-bucket --bucket "$b"

	awscli_versions "$label" "${AWS[@]}"
	[ "$many" = 1 ] && [ -n "$KEYS" ] && awscli_many "$label" "${AWS[@]}"
	awscli_vhost "$label" "$vb" "${AWS[@]}"
}

# boto3_scenario LABEL PYTHON VHOSTBUCKET MANY : boto3_scenario.py.
boto3_scenario() {
	local label="$1" py="$2" vb="$3" many="$4"
	local -a args=("$ENDPOINT" "$label" "$WORK" "$F1" "$F20")
	[ -n "$CA" ] && args+=(--ca "$CA")
	[ "$many" = 1 ] && [ -n "$KEYS" ] && args+=(--keys "$KEYS")
	echo "== $label: $py"
	vhost_ready "$label" "$vb" && args+=(--vhost "$vb")
	run_sub "$label" "$py" "$HERE/boto3_scenario.py" "${args[@]}"
}

# 1. aws-cli v1 from pip.
if [ -n "$PIP_PY" ]; then
	echo "== pip python: $PIP_PY"
	if "$PIP_PY" -c 'import awscli' 2>/dev/null; then
		awscli_scenario "awscli-v1-pip$T" 1 vhost-awscli1 1 "$PIP_PY" -m awscli
	else
		fail "awscli-v1-pip: aws-cli is not installed for $PIP_PY"
	fi
	# 2. boto3 from pip.
	if "$PIP_PY" -c 'import boto3' 2>/dev/null; then
		boto3_scenario "boto3-pip$T" "$PIP_PY" vhost-boto3 1
	else
		fail "boto3-pip: boto3 is not installed for $PIP_PY"
	fi
else
	fail "awscli-v1-pip: no pip Python (python3 other than /usr/bin/python3) found"
	fail "boto3-pip: no pip Python found"
fi

# 3. aws-cli v2 from Debian (apt package awscli).
if [ -x /usr/bin/aws ]; then
	awscli_scenario "awscli-v2-debian$T" 2 vhost-awscli2 0 /usr/bin/aws
else
	fail "awscli-v2-debian: /usr/bin/aws missing (apt-get install awscli; see test/install-deps)"
fi

# 4. boto3 from Debian (apt package python3-boto3).
if /usr/bin/python3 -c 'import boto3' 2>/dev/null; then
	boto3_scenario "boto3-debian$T" /usr/bin/python3 vhost-boto3deb 0
else
	fail "boto3-debian: /usr/bin/python3 cannot import boto3 (apt-get install python3-boto3)"
fi

# ---- tagging (issue 16) ----------------------------------------------------
# awscli_tagging LABEL CMD... : s3api put-object --tagging, put-object-tagging,
# get-object-tagging (with --version-id), delete-object-tagging,
# put-bucket-tagging / get-bucket-tagging / delete-bucket-tagging, and the
# InvalidTag refusal of an aws: key.
awscli_tagging() {
	local label="$1"
	shift
	local -a AWS=("$@" --endpoint-url "$ENDPOINT" --region us-east-1 ${CA:+--ca-bundle "$CA"})
	local b="tags-${label}-$$-${RANDOM}" v1 v2
	local d="$WORK/$label-tags"
	mkdir -p "$d"
	printf 'tagged\n' >"$d/t.txt"
	check "$label: tagging: s3 mb" "${AWS[@]}" s3 mb "s3://$b" || return
	check "$label: tagging: put-object --tagging" "${AWS[@]}" s3api put-object --bucket "$b" --key t.txt --body "$d/t.txt" --tagging 'team=blue&env=dev'
	check "$label: tagging: get-object-tagging" expect_exact "$(printf 'env\tdev\nteam\tblue')" \
		"${AWS[@]}" s3api get-object-tagging --bucket "$b" --key t.txt --query 'TagSet[].[Key,Value]'
	check "$label: tagging: put-object-tagging" "${AWS[@]}" s3api put-object-tagging --bucket "$b" --key t.txt \
		--tagging 'TagSet=[{Key=project,Value=caddys3}]'
	check "$label: tagging: get-object-tagging after put" expect_exact "$(printf 'project\tcaddys3')" \
		"${AWS[@]}" s3api get-object-tagging --bucket "$b" --key t.txt --query 'TagSet[].[Key,Value]'
	check "$label: tagging: put-object-tagging of an aws: key is InvalidTag" expect_fail_output "InvalidTag" \
		"${AWS[@]}" s3api put-object-tagging --bucket "$b" --key t.txt --tagging 'TagSet=[{Key=aws:x,Value=y}]'
	check "$label: tagging: delete-object-tagging" "${AWS[@]}" s3api delete-object-tagging --bucket "$b" --key t.txt
	check "$label: tagging: no tags left" expect_exact "0" \
		"${AWS[@]}" s3api get-object-tagging --bucket "$b" --key t.txt --query 'length(TagSet)'
	check "$label: tagging: get-bucket-tagging without tags fails (NoSuchTagSet)" expect_fail_output "NoSuchTagSet" \
		"${AWS[@]}" s3api get-bucket-tagging --bucket "$b"
	check "$label: tagging: put-bucket-tagging" "${AWS[@]}" s3api put-bucket-tagging --bucket "$b" \
		--tagging 'TagSet=[{Key=owner,Value=ops},{Key=cost,Value=42}]'
	check "$label: tagging: get-bucket-tagging" expect_exact "$(printf 'cost\t42\nowner\tops')" \
		"${AWS[@]}" s3api get-bucket-tagging --bucket "$b" --query 'TagSet[].[Key,Value]'
	check "$label: tagging: delete-bucket-tagging" "${AWS[@]}" s3api delete-bucket-tagging --bucket "$b"
	check "$label: tagging: put-bucket-versioning Status=Enabled" "${AWS[@]}" s3api put-bucket-versioning --bucket "$b" \
		--versioning-configuration Status=Enabled
	v1="$("${AWS[@]}" s3api put-object --bucket "$b" --key v.txt --body "$d/t.txt" --tagging n=1 --query VersionId 2>&1)"
	v2="$("${AWS[@]}" s3api put-object --bucket "$b" --key v.txt --body "$d/t.txt" --tagging n=2 --query VersionId 2>&1)"
	check "$label: tagging: put-object-tagging --version-id (the first)" "${AWS[@]}" s3api put-object-tagging --bucket "$b" --key v.txt \
		--version-id "$v1" --tagging 'TagSet=[{Key=n,Value=old}]'
	check "$label: tagging: the first version's tags changed" expect_exact "old" \
		"${AWS[@]}" s3api get-object-tagging --bucket "$b" --key v.txt --version-id "$v1" --query 'TagSet[0].Value'
	check "$label: tagging: the second version's tags did not" expect_exact "2" \
		"${AWS[@]}" s3api get-object-tagging --bucket "$b" --key v.txt --version-id "$v2" --query 'TagSet[0].Value'
	check "$label: tagging: delete every version, rb" bash -c '"$@" s3api delete-object --bucket "'"$b"'" --key v.txt --version-id "'"$v1"'" >/dev/null &&
		"$@" s3api delete-object --bucket "'"$b"'" --key v.txt --version-id "'"$v2"'" >/dev/null &&
		"$@" s3api delete-object --bucket "'"$b"'" --key t.txt --version-id null >/dev/null &&
		"$@" s3 rb "s3://'"$b"'"' _ "${AWS[@]}"
}
if [ -n "$PIP_PY" ] && "$PIP_PY" -c 'import awscli' 2>/dev/null; then
	awscli_tagging "awscli-v1-pip$T" "$PIP_PY" -m awscli
fi
if [ -x /usr/bin/aws ]; then
	awscli_tagging "awscli-v2-debian$T" /usr/bin/aws
fi
# ---- end tagging ------------------------------------------------------------

# ---- object lock (issue 16) ----
# awscli_objectlock LABEL AWS... : s3api create-bucket
# --object-lock-enabled-for-bucket, put-object-lock-configuration (a
# GOVERNANCE default of 1 day), put-object (the default applies),
# put-object-retention / get-object-retention, put-object-legal-hold /
# get-object-legal-hold, delete-object --version-id refused while held and
# without --bypass-governance-retention, allowed with it once released.
awscli_objectlock() {
	local label="$1"
	shift
	local -a AWS=("$@" --endpoint-url "$ENDPOINT" --region us-east-1 ${CA:+--ca-bundle "$CA"})
	local b="lock-${label}-$$-${RANDOM}" v until
	local d="$WORK/$label-lock"
	mkdir -p "$d"
	printf 'locked\n' >"$d/l.txt"
	until="$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%SZ)"
	check "$label: lock: create-bucket --object-lock-enabled-for-bucket" "${AWS[@]}" s3api create-bucket --bucket "$b" \
		--object-lock-enabled-for-bucket || return
	check "$label: lock: put-object-lock-configuration GOVERNANCE 1 day" "${AWS[@]}" s3api put-object-lock-configuration --bucket "$b" \
		--object-lock-configuration '{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Mode":"GOVERNANCE","Days":1}}}'
	check "$label: lock: get-object-lock-configuration" expect_exact "$(printf 'Enabled\tGOVERNANCE\t1')" \
		"${AWS[@]}" s3api get-object-lock-configuration --bucket "$b" \
		--query '[ObjectLockConfiguration.ObjectLockEnabled,ObjectLockConfiguration.Rule.DefaultRetention.Mode,ObjectLockConfiguration.Rule.DefaultRetention.Days]'
	v="$("${AWS[@]}" s3api put-object --bucket "$b" --key l.txt --body "$d/l.txt" --query VersionId 2>&1)"
	if [ -n "$v" ] && [ "$v" != None ]; then
		pass "$label: lock: put-object (checksummed) into the bucket with a default retention"
	else
		fail "$label: lock: put-object: $v"
		return
	fi
	check "$label: lock: the default retention applies" expect_exact GOVERNANCE \
		"${AWS[@]}" s3api get-object-retention --bucket "$b" --key l.txt --version-id "$v" --query Retention.Mode
	check "$label: lock: put-object-retention extends it" "${AWS[@]}" s3api put-object-retention --bucket "$b" --key l.txt \
		--version-id "$v" --retention "{\"Mode\":\"GOVERNANCE\",\"RetainUntilDate\":\"$until\"}"
	check "$label: lock: get-object-retention reads it back" expect_exact "${until%Z}" \
		bash -c '"$@" s3api get-object-retention --bucket "'"$b"'" --key l.txt --version-id "'"$v"'" --query Retention.RetainUntilDate | cut -c1-19' _ "${AWS[@]}"
	check "$label: lock: put-object-legal-hold ON" "${AWS[@]}" s3api put-object-legal-hold --bucket "$b" --key l.txt \
		--version-id "$v" --legal-hold Status=ON
	check "$label: lock: get-object-legal-hold" expect_exact ON \
		"${AWS[@]}" s3api get-object-legal-hold --bucket "$b" --key l.txt --version-id "$v" --query LegalHold.Status
	check "$label: lock: delete-object --version-id of a held version is refused" expect_fail_output AccessDenied \
		"${AWS[@]}" s3api delete-object --bucket "$b" --key l.txt --version-id "$v" --bypass-governance-retention
	check "$label: lock: put-object-legal-hold OFF" "${AWS[@]}" s3api put-object-legal-hold --bucket "$b" --key l.txt \
		--version-id "$v" --legal-hold Status=OFF
	check "$label: lock: delete-object --version-id without bypass is refused" expect_fail_output AccessDenied \
		"${AWS[@]}" s3api delete-object --bucket "$b" --key l.txt --version-id "$v"
	check "$label: lock: delete-object --version-id --bypass-governance-retention" "${AWS[@]}" s3api delete-object --bucket "$b" \
		--key l.txt --version-id "$v" --bypass-governance-retention
	check "$label: lock: s3 rb once the version is gone" "${AWS[@]}" s3 rb "s3://$b"
}
if [ -n "$PIP_PY" ] && "$PIP_PY" -c 'import awscli' 2>/dev/null; then
	awscli_objectlock "awscli-v1-pip$T" "$PIP_PY" -m awscli
fi
if [ -x /usr/bin/aws ]; then
	awscli_objectlock "awscli-v2-debian$T" /usr/bin/aws
fi
# ---- end object lock ----

# ---- issue 16 "Also" (branch h-attrs): aws-cli v2 get-object-attributes,
# get-object --part-number, ownership controls and the public access block.
# Self-contained: its own bucket.
# awscli_attributes LABEL AWS... : a multipart upload with CRC32 part
# checksums (s3api create-multipart-upload / upload-part /
# complete-multipart-upload), s3api get-object-attributes (size, the parts
# with their CRC32s, paged with --max-parts), get-object --part-number 2
# (the part's bytes, PartsCount), put/get/delete-bucket-ownership-controls,
# put/get/delete-public-access-block.
awscli_attributes() {
	local label="$1: attrs"
	shift
	local -a AWS=("$@")
	local b="attrs-${1##*/}-$$-${RANDOM}" id c1 c2 e1 e2
	b="${b//[^a-z0-9-]/}"
	local d="$WORK/attrs-awscli"
	mkdir -p "$d"
	head -c 5242880 "$F20" >"$d/p1"
	tail -c +5242881 "$F20" >"$d/p2"
	check "$label: s3 mb" "${AWS[@]}" s3 mb "s3://$b" || return
	id="$("${AWS[@]}" s3api create-multipart-upload --bucket "$b" --key mp --checksum-algorithm CRC32 --query UploadId --output text 2>&1)"
	read -r e1 c1 < <("${AWS[@]}" s3api upload-part --bucket "$b" --key mp --upload-id "$id" --part-number 1 --body "$d/p1" \
		--checksum-algorithm CRC32 --query '[ETag,ChecksumCRC32]' --output text 2>&1)
	read -r e2 c2 < <("${AWS[@]}" s3api upload-part --bucket "$b" --key mp --upload-id "$id" --part-number 2 --body "$d/p2" \
		--checksum-algorithm CRC32 --query '[ETag,ChecksumCRC32]' --output text 2>&1)
	check "$label: complete-multipart-upload with the part CRC32s" "${AWS[@]}" s3api complete-multipart-upload --bucket "$b" --key mp \
		--upload-id "$id" --multipart-upload '{"Parts":[{"PartNumber":1,"ETag":'"$e1"',"ChecksumCRC32":"'"$c1"'"},{"PartNumber":2,"ETag":'"$e2"',"ChecksumCRC32":"'"$c2"'"}]}' || return
	check "$label: get-object-attributes: size, 2 parts, their CRC32s" expect_exact "$(printf '20971520\t2\t%s\t%s' "$c1" "$c2")" \
		"${AWS[@]}" s3api get-object-attributes --bucket "$b" --key mp --object-attributes ObjectSize ObjectParts \
		--query '[ObjectSize,ObjectParts.TotalPartsCount,ObjectParts.Parts[0].ChecksumCRC32,ObjectParts.Parts[1].ChecksumCRC32]' --output text
	check "$label: get-object-attributes --max-parts 1: truncated after part 1" expect_exact "$(printf 'True\t1\t1')" \
		"${AWS[@]}" s3api get-object-attributes --bucket "$b" --key mp --object-attributes ObjectParts --max-parts 1 \
		--query '[ObjectParts.IsTruncated,ObjectParts.NextPartNumberMarker,length(ObjectParts.Parts)]' --output text
	check "$label: get-object-attributes without attributes fails" expect_fail_output "InvalidRequest" \
		"${AWS[@]}" s3api get-object-attributes --bucket "$b" --key mp --object-attributes ""
	check "$label: get-object --part-number 2: PartsCount 2" expect_exact 2 \
		"${AWS[@]}" s3api get-object --bucket "$b" --key mp --part-number 2 "$d/got2" --query PartsCount --output text
	check "$label: cmp part 2" cmp "$d/p2" "$d/got2"
	check "$label: put-bucket-ownership-controls BucketOwnerEnforced" "${AWS[@]}" s3api put-bucket-ownership-controls --bucket "$b" \
		--ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'
	check "$label: get-bucket-ownership-controls" expect_exact BucketOwnerEnforced \
		"${AWS[@]}" s3api get-bucket-ownership-controls --bucket "$b" --query 'OwnershipControls.Rules[0].ObjectOwnership' --output text
	check "$label: a public-read PUT is AccessControlListNotSupported" expect_fail_output AccessControlListNotSupported \
		"${AWS[@]}" s3api put-object --bucket "$b" --key pub --body "$d/p1" --acl public-read
	check "$label: delete-bucket-ownership-controls" "${AWS[@]}" s3api delete-bucket-ownership-controls --bucket "$b"
	check "$label: put-public-access-block" "${AWS[@]}" s3api put-public-access-block --bucket "$b" \
		--public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=false,BlockPublicPolicy=true,RestrictPublicBuckets=false
	check "$label: get-public-access-block" expect_exact "$(printf 'True\tFalse\tTrue\tFalse')" \
		"${AWS[@]}" s3api get-public-access-block --bucket "$b" --output text \
		--query 'PublicAccessBlockConfiguration.[BlockPublicAcls,IgnorePublicAcls,BlockPublicPolicy,RestrictPublicBuckets]'
	check "$label: BlockPublicAcls: a public-read PUT is AccessDenied" expect_fail_output AccessDenied \
		"${AWS[@]}" s3api put-object --bucket "$b" --key pub --body "$d/p1" --acl public-read
	check "$label: delete-public-access-block" "${AWS[@]}" s3api delete-public-access-block --bucket "$b"
	check "$label: get-public-access-block fails without one" expect_fail_output NoSuchPublicAccessBlockConfiguration \
		"${AWS[@]}" s3api get-public-access-block --bucket "$b"
	check "$label: s3 rb --force" "${AWS[@]}" s3 rb --force "s3://$b"
}
if [ -x /usr/bin/aws ]; then
	awscli_attributes "awscli-v2-debian$T" /usr/bin/aws --endpoint-url "$ENDPOINT" --region us-east-1 ${CA:+--ca-bundle "$CA"}
fi
# ---- end of issue 16 "Also" block (h-attrs) ----

# ---- lifecycle (issue 20, h-lifecycle) --------------------------------------
# awscli_lifecycle LABEL AWS... : s3api put-bucket-lifecycle-configuration
# (aws-cli adds the checksum S3 requires), get (the rules back, the ID
# given), x-amz-expiration on head-object (Expiration), a transition
# refused with NotImplemented, delete-bucket-lifecycle, then
# NoSuchLifecycleConfiguration.
awscli_lifecycle() {
	local label="$1: lifecycle"
	local b="lc-$1-$$-${RANDOM}"
	b="${b//[^a-z0-9-]/}"
	shift
	local -a AWS=("$@" --endpoint-url "$ENDPOINT" --region us-east-1 ${CA:+--ca-bundle "$CA"})
	local d="$WORK/lifecycle-awscli"
	mkdir -p "$d"
	printf 'log line\n' >"$d/log.txt"
	check "$label: s3 mb" "${AWS[@]}" s3 mb "s3://$b" || return
	check "$label: put-bucket-lifecycle-configuration" "${AWS[@]}" s3api put-bucket-lifecycle-configuration --bucket "$b" \
		--lifecycle-configuration '{"Rules":[{"ID":"logs","Status":"Enabled","Filter":{"Prefix":"logs/"},"Expiration":{"Days":30},"NoncurrentVersionExpiration":{"NoncurrentDays":7}},{"ID":"mpu","Status":"Enabled","Filter":{},"AbortIncompleteMultipartUpload":{"DaysAfterInitiation":2}}]}'
	check "$label: get-bucket-lifecycle-configuration" expect_exact "$(printf 'logs\tlogs/\t30\t7')" \
		"${AWS[@]}" s3api get-bucket-lifecycle-configuration --bucket "$b" --output text \
		--query 'Rules[0].[ID,Filter.Prefix,Expiration.Days,NoncurrentVersionExpiration.NoncurrentDays]'
	check "$label: put-object" "${AWS[@]}" s3api put-object --bucket "$b" --key logs/a --body "$d/log.txt"
	check "$label: head-object carries x-amz-expiration of rule logs" expect_output 'rule-id="logs"' \
		"${AWS[@]}" s3api head-object --bucket "$b" --key logs/a --query Expiration --output text
	check "$label: a Transition is NotImplemented" expect_fail_output NotImplemented \
		"${AWS[@]}" s3api put-bucket-lifecycle-configuration --bucket "$b" \
		--lifecycle-configuration '{"Rules":[{"ID":"t","Status":"Enabled","Filter":{},"Transitions":[{"Days":30,"StorageClass":"GLACIER"}]}]}'
	check "$label: Days 0 is InvalidArgument" expect_fail_output InvalidArgument \
		"${AWS[@]}" s3api put-bucket-lifecycle-configuration --bucket "$b" \
		--lifecycle-configuration '{"Rules":[{"ID":"z","Status":"Enabled","Filter":{},"Expiration":{"Days":0}}]}'
	check "$label: delete-bucket-lifecycle" "${AWS[@]}" s3api delete-bucket-lifecycle --bucket "$b"
	check "$label: get after delete is NoSuchLifecycleConfiguration" expect_fail_output NoSuchLifecycleConfiguration \
		"${AWS[@]}" s3api get-bucket-lifecycle-configuration --bucket "$b"
	check "$label: s3 rb --force" "${AWS[@]}" s3 rb --force "s3://$b"
}
if [ -n "$PIP_PY" ] && "$PIP_PY" -c 'import awscli' 2>/dev/null; then
	awscli_lifecycle "awscli-v1-pip$T" "$PIP_PY" -m awscli
fi
if [ -x /usr/bin/aws ]; then
	awscli_lifecycle "awscli-v2-debian$T" /usr/bin/aws
fi
# ---- end lifecycle (h-lifecycle) ---------------------------------------------

summary
