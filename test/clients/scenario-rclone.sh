#!/usr/bin/env bash
# rclone (Debian) against a running caddys3 endpoint: copy of a nested tree
# with the 100 MiB file in 5 MiB multipart chunks, check, lsjson -R, lsf
# (delimiter listing), sync after changes, copy back + diff, ranged cat,
# metadata (-M --metadata-set), server-side copyto, link (presigned URL)
# fetched with curl, 1,050 keys (copy with 16 transfers, listed past the
# first 1000-key page: every key once), purge, versioning (backend
# versioning, --s3-versions, --s3-version-at, purge --s3-versions); over https the certificate is
# verified against the CA (--ca-cert) and the bucket vhost-rclone.<domain>
# is used in virtual-hosted style (force_path_style = false).
#
# Usage: test/clients/scenario-rclone.sh [ENDPOINT]
#   ENDPOINT defaults to $S3_ENDPOINT, then http://127.0.0.1:9000.
# Env (from run.sh; all optional): CADDYS3_CA_CERT, CADDYS3_VHOST_DOMAIN,
#   CADDYS3_ALICE_KEY / CADDYS3_ALICE_SECRET (or S3_ACCESS_KEY /
#   S3_SECRET_KEY), CADDYS3_SHARED_DIR.
#
# Each check prints a PASS/FAIL line; the last line is "N passed, M failed"
# and the exit status is non-zero when M > 0. rclone's configuration is a
# temporary file (--config); nothing in ~ is read or written.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STEP_TIMEOUT="${STEP_TIMEOUT:-240}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/caddys3-rclone.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" XDG_CACHE_HOME="$WORK/home/.cache"
mkdir -p "$HOME"

# shellcheck source=lib.sh
source "$HERE/lib.sh"
client_env "${1:-}"
# Quirk: rclone's AWS SDK reads AWS_CA_BUNDLE (set on this machine to the
# system bundle) and then refuses its own transport ("LoadCustomCABundleError:
# unsupported transport"): no AWS_* or RCLONE_* settings from the caller.
unset_env AWS_ RCLONE_

if ! command -v rclone >/dev/null; then
	fail "rclone: not installed (apt-get install rclone; see test/install-deps)"
	summary
	exit
fi
label=rclone
echo "== $label: $(rclone version 2>&1 | head -n 1) against $ENDPOINT${CA:+ (CA $CA)}"

F100="$(shared_file f100.bin 100)"
KEYS="$(shared_keys_dir 1050)"
CONF="$WORK/rclone.conf"
rclone_config "$CONF" s3p true
rclone_config "$CONF" s3v false
RC0=(rclone --config "$CONF" --retries 1 --low-level-retries 1 --contimeout 10s --timeout 120s)
RC=("${RC0[@]}" ${CA:+--ca-cert "$CA"} --s3-chunk-size 5M --s3-upload-cutoff 5M --transfers 4 --checkers 4)
b="rclone-$$-$RANDOM"
d="$WORK/d"
mkdir -p "$d"

if [ -n "$CA" ]; then
	check "$label: without --ca-cert the certificate is rejected" expect_fail_output "x509: certificate signed by unknown authority" \
		"${RC0[@]}" lsd s3p:
fi
make_tree "$d/tree"
cp "$F100" "$d/tree/a/big100.bin"
check "$label: mkdir bucket" "${RC[@]}" mkdir "s3p:$b" || {
	summary
	exit
}
check "$label: copy tree (100 MiB file in 5 MiB chunks)" "${RC[@]}" copy "$d/tree" "s3p:$b/tree"
check "$label: check tree" "${RC[@]}" check "$d/tree" "s3p:$b/tree"
check "$label: 100 MiB file has the 20-part multipart ETag" etag_is "$(mp_etag "$F100" 5)" "$b/tree/a/big100.bin"
check "$label: lsjson -R lists the 21 files with their sizes" python3 -c '
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
' "$d/tree" "${RC[@]}" lsjson -R --files-only "s3p:$b/tree"
check "$label: lsf (delimiter listing) shows the top level only" expect_exact "$(printf 'a/\ne f/\ntop-1.txt\ntop-2.txt\ntop-3.txt\ntop-4.txt\ntop-5.txt\nü/')" \
	"${RC[@]}" lsf "s3p:$b/tree"
check "$label: cat --offset 1000000 --count 3000000 (ranged GET)" bash -c '"$@" >"'"$d/range.bin"'"' _ \
	"${RC[@]}" cat --offset 1000000 --count 3000000 "s3p:$b/tree/a/big100.bin"
check "$label: the range's bytes" range_is "$F100" 1000000 3000000 "$d/range.bin"

# Metadata: -M uploads it as x-amz-meta-*, lsjson -M reads it back.
printf 'with metadata\n' >"$d/meta.txt"
check "$label: copyto -M --metadata-set color=blue" "${RC[@]}" copyto -M --metadata-set color=blue --metadata-set content-type=text/x-rclone \
	"$d/meta.txt" "s3p:$b/meta.txt"
check "$label: lsjson -M shows the metadata" expect_output '"color":"blue"' "${RC[@]}" lsjson -M "s3p:$b/meta.txt"
check "$label: HEAD has x-amz-meta-color and the content type" bash -c \
	'h="$(s3curl HEAD "$1" -I | tr -d "\r")" && grep -qix "x-amz-meta-color: blue" <<<"$h" && grep -qix "content-type: text/x-rclone" <<<"$h" || { echo "$h"; exit 1; }' _ "$b/meta.txt"
check "$label: link (presigned URL) fetched with curl" bash -c \
	'url="$("$@" link --expire 5m "s3p:'"$b"'/meta.txt")" && curl_get "$url" "'"$d/link.txt"'" && cmp "'"$d/meta.txt"'" "'"$d/link.txt"'"' _ "${RC[@]}"
check "$label: server-side copyto of the 100 MiB object" "${RC[@]}" copyto "s3p:$b/tree/a/big100.bin" "s3p:$b/copy/big copy.bin"
check "$label: the copy's bytes" bash -c '"$@" cat "s3p:'"$b"'/copy/big copy.bin" | cmp "'"$F100"'" -' _ "${RC[@]}"

# Change the tree and sync: modified, deleted and added files.
head -c $((6 << 20)) /dev/urandom >"$d/tree/a/d/g1"
rm -f "$d/tree/top-2.txt" "$d/tree/a/b/c/deep 4.dat"
echo added >"$d/tree/e f/added.txt"
check "$label: sync tree after changes" "${RC[@]}" sync "$d/tree" "s3p:$b/tree"
check "$label: check tree after sync" "${RC[@]}" check "$d/tree" "s3p:$b/tree"
check "$label: deleted file is gone remotely" expect_no_output "top-2.txt" "${RC[@]}" lsf -R "s3p:$b/tree"
check "$label: copy tree back down" "${RC[@]}" copy "s3p:$b/tree" "$d/tree-down"
check "$label: diff -r tree" diff -r "$d/tree" "$d/tree-down"

# 1,050 keys: more than one ListObjects page.
check "$label: copy 1,050 files (16 transfers)" "${RC[@]}" copy --transfers 16 --checkers 16 "$KEYS" "s3p:$b/many"
check "$label: lsf -R lists each of the 1,050 keys once" keys_once "$KEYS" "" "${RC[@]}" lsf -R --files-only "s3p:$b/many"
check "$label: check the 1,050 files" "${RC[@]}" check --checkers 16 "$KEYS" "s3p:$b/many"
check "$label: purge bucket" "${RC[@]}" purge "s3p:$b"
check "$label: bucket is gone" expect_fail "${RC[@]}" lsf "s3p:$b"

# Versioning (issue 15): backend versioning enables it, an overwrite and a
# delete keep the old versions, --s3-versions lists them (name-vDATE.ext),
# --s3-version-at reads the bucket as it was, and purge --s3-versions
# removes every version (a plain rmdir is BucketNotEmpty while they exist).
vb="rclone-ver-$$-$RANDOM"
printf 'one\n' >"$d/ver1.txt"
check "$label: versions: mkdir" "${RC[@]}" mkdir "s3p:$vb"
check "$label: versions: backend versioning Enabled" expect_exact Enabled "${RC[@]}" backend versioning "s3p:$vb" Enabled
check "$label: versions: copyto the first content" "${RC[@]}" copyto "$d/ver1.txt" "s3p:$vb/a.txt"
# rclone names versions to the second: the second write, and the time
# between, fall in later seconds.
sleep 1.2
at="$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)"
sleep 1.2
# Written now: same size, a later modification time (else rclone skips it).
printf 'two\n' >"$d/ver2.txt"
check "$label: versions: copyto over it" "${RC[@]}" copyto "$d/ver2.txt" "s3p:$vb/a.txt"
check "$label: versions: lsf --s3-versions shows the old version" expect_output "a-v" "${RC[@]}" lsf --s3-versions "s3p:$vb"
check "$label: versions: cat --s3-version-at reads the first content" expect_exact one "${RC[@]}" cat --s3-version-at "$at" "s3p:$vb/a.txt"
check "$label: versions: cat reads the latest" expect_exact two "${RC[@]}" cat "s3p:$vb/a.txt"
check "$label: versions: deletefile" "${RC[@]}" deletefile "s3p:$vb/a.txt"
check "$label: versions: the file is not listed" expect_empty "${RC[@]}" lsf "s3p:$vb"
check "$label: versions: --s3-versions still lists two versions" expect_exact 2 bash -c '"$@" lsf --s3-versions "s3p:'"$vb"'" | wc -l' _ "${RC[@]}"
check "$label: versions: --s3-version-at still reads the deleted file" expect_exact one "${RC[@]}" cat --s3-version-at "$at" "s3p:$vb/a.txt"
check "$label: versions: rmdir fails while versions exist" expect_fail "${RC[@]}" rmdir "s3p:$vb"
check "$label: versions: purge --s3-versions" "${RC[@]}" purge --s3-versions "s3p:$vb"
check "$label: versions: bucket is gone" expect_fail "${RC[@]}" lsf "s3p:$vb"

# Virtual-hosted style.
vb=vhost-rclone
if vhost_ready "$label" "$vb"; then
	check "$label: vhost: mkdir $vb" "${RC[@]}" mkdir "s3v:$vb"
	check "$label: vhost: copyto is sent to Host $vb.$VHOST_DOMAIN" expect_output "Host: $vb.$VHOST_DOMAIN:" \
		"${RC[@]}" --dump headers copyto "$d/meta.txt" "s3v:$vb/v/meta.txt"
	check "$label: vhost: lsf" expect_exact "v/meta.txt" "${RC[@]}" lsf -R --files-only "s3v:$vb"
	check "$label: vhost: cat + cmp" bash -c '"$@" cat "s3v:'"$vb"'/v/meta.txt" | cmp "'"$d/meta.txt"'" -' _ "${RC[@]}"
	check "$label: vhost: purge" "${RC[@]}" purge "s3v:$vb"
fi

# ---- tagging (issue 16) ----------------------------------------------------
# rclone's S3 metadata carries no tags (its system metadata is btime,
# cache-control, content-*, mtime, tier: `rclone help backend s3`), but
# --header-upload sends x-amz-tagging with every upload, which S3 applies.
# The tags are read back with curl's SigV4 (s3curl cannot add a query).
tb="rclone-tags-$$-$RANDOM"
printf 'tagged by rclone\n' >"$d/tagged.txt"
check "$label: tagging: mkdir" "${RC[@]}" mkdir "s3p:$tb"
check "$label: tagging: copyto --header-upload 'X-Amz-Tagging: src=rclone&team=blue'" "${RC[@]}" \
	--header-upload "X-Amz-Tagging: src=rclone&team=blue" copyto "$d/tagged.txt" "s3p:$tb/tagged.txt"
check "$label: tagging: the object has the tags (GET ?tagging)" expect_output \
	"<Tag><Key>src</Key><Value>rclone</Value></Tag><Tag><Key>team</Key><Value>blue</Value></Tag>" \
	ccurl --fail-with-body --aws-sigv4 "aws:amz:us-east-1:s3" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
	--user "$S3_ACCESS_KEY:$S3_SECRET_KEY" "$ENDPOINT/$tb/tagged.txt?tagging="
check "$label: tagging: purge" "${RC[@]}" purge "s3p:$tb"
# ---- end tagging ------------------------------------------------------------

# ---- encryption at rest (issue 19) ------------------------------------------
# --s3-server-side-encryption AES256 sends x-amz-server-side-encryption with
# every upload (SSE-S3); the object reads back and HEAD says AES256.
sb="rclone-sse-$$-$RANDOM"
head -c 300000 /dev/urandom >"$d/sse.bin"
check "$label: sse: mkdir" "${RC[@]}" mkdir "s3p:$sb"
check "$label: sse: copyto --s3-server-side-encryption AES256" "${RC[@]}" --s3-server-side-encryption AES256 \
	copyto "$d/sse.bin" "s3p:$sb/sse.bin"
check "$label: sse: cat + cmp" bash -c '"$@" cat "s3p:'"$sb"'/sse.bin" | cmp "'"$d/sse.bin"'" -' _ "${RC[@]}"
check "$label: sse: HEAD says x-amz-server-side-encryption: AES256" expect_output ": AES256" \
	ccurl -sS -I --fail-with-body --aws-sigv4 "aws:amz:us-east-1:s3" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
	--user "$S3_ACCESS_KEY:$S3_SECRET_KEY" "$ENDPOINT/$sb/sse.bin"
# SSE-C: --s3-sse-customer-key (the 32-byte key as text) on upload and read.
SSEC=(--s3-sse-customer-algorithm AES256 --s3-sse-customer-key "rclone-sse-c-key-0123456789abcde")
check "$label: sse-c: copyto --s3-sse-customer-key" "${RC[@]}" "${SSEC[@]}" copyto "$d/sse.bin" "s3p:$sb/ssec.bin"
check "$label: sse-c: cat with the key + cmp" bash -c '"$@" cat "s3p:'"$sb"'/ssec.bin" | cmp "'"$d/sse.bin"'" -' _ "${RC[@]}" "${SSEC[@]}"
# Without the key the HEAD is refused (400), and rclone takes the path for
# an empty directory: no byte of the object comes back.
check "$label: sse-c: cat without the key does not read it" expect_fail \
	bash -c '"$@" cat "s3p:'"$sb"'/ssec.bin" | cmp "'"$d/sse.bin"'" -' _ "${RC[@]}"
check "$label: sse: purge" "${RC[@]}" purge "s3p:$sb"
# ---- end encryption at rest --------------------------------------------------

summary
