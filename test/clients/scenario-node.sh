#!/usr/bin/env bash
# Node.js clients against a running caddys3 endpoint: the AWS SDK for
# JavaScript v3 (@aws-sdk/client-s3 with lib-storage and
# s3-request-presigner; node/aws-sdk-v3.mjs) and minio-js (node/minio.mjs).
# Each covers mb, small and 100 MiB multipart uploads, listing past 1000 keys
# with pagination and delimiters, download + sha256, ranges, metadata,
# presigned GET/PUT fetched with curl, copy (conditional, REPLACE), batch
# delete, rb, NoSuchKey / SignatureDoesNotMatch error shapes, and (when
# CADDYS3_VHOST_DOMAIN is set) virtual-hosted-style requests.
#
# Usage: test/clients/scenario-node.sh [ENDPOINT]
#   ENDPOINT defaults to $S3_ENDPOINT, then http://127.0.0.1:9000.
# Env (from run.sh; all optional):
#   CADDYS3_CA_CERT        PEM file of the CA to trust for an https endpoint
#                          (NODE_EXTRA_CA_CERTS for node, --cacert for curl)
#   CADDYS3_VHOST_DOMAIN   base domain of virtual-hosted buckets; the scripts
#                          use vhost-node.<domain> and vhost-minio.<domain>
#   CADDYS3_ALICE_KEY / CADDYS3_ALICE_SECRET   default: alice's test key
#   NODE_TIMEOUT           seconds per client script (default 500)
#
# The npm packages are those of node/package-lock.json, installed by
# test/install-deps (npm ci). Each check prints a PASS/FAIL line; the last
# line is "N passed, M failed" and the exit status is non-zero when M > 0.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ENDPOINT="${1:-${S3_ENDPOINT:-http://127.0.0.1:9000}}"
ENDPOINT="${ENDPOINT%/}"
NODE_TIMEOUT="${NODE_TIMEOUT:-500}"
export STEP_TIMEOUT="${STEP_TIMEOUT:-180}"
export CADDYS3_ALICE_KEY="${CADDYS3_ALICE_KEY:-${S3_ACCESS_KEY:-AKIAEXAMPLEALICE0001}}"
export CADDYS3_ALICE_SECRET="${CADDYS3_ALICE_SECRET:-${S3_SECRET_KEY:-alicesecret0000000000000000000000000000}}"
export CADDYS3_VHOST_DOMAIN="${CADDYS3_VHOST_DOMAIN:-}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/caddys3-node.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# shellcheck source=lib.sh
source "$HERE/lib.sh"

finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

if [[ "$ENDPOINT" == https://* ]]; then
	if [ -n "${CADDYS3_CA_CERT:-}" ] && [ -f "$CADDYS3_CA_CERT" ]; then
		export NODE_EXTRA_CA_CERTS="$CADDYS3_CA_CERT"
	else
		# TLS verification stays on: without the CA the checks fail.
		echo "warning: https endpoint but no CADDYS3_CA_CERT file; the system CAs must trust it"
		export CADDYS3_CA_CERT=""
	fi
else
	export CADDYS3_CA_CERT=""
fi
if ! command -v node >/dev/null; then
	fail "node: not installed"
	finish
fi
if [ ! -d "$HERE/node/node_modules/@aws-sdk/client-s3" ] || [ ! -d "$HERE/node/node_modules/minio" ]; then
	fail "node: packages missing (run test/install-deps: npm ci in test/clients/node)"
	finish
fi

pkgver() { node -p "require('$HERE/node/node_modules/$1/package.json').version" 2>/dev/null || echo '?'; }
echo "== node $(node --version): @aws-sdk/client-s3 $(pkgver @aws-sdk/client-s3)," \
	"@aws-sdk/lib-storage $(pkgver @aws-sdk/lib-storage)," \
	"@aws-sdk/s3-request-presigner $(pkgver @aws-sdk/s3-request-presigner)," \
	"minio $(pkgver minio); against $ENDPOINT${CADDYS3_VHOST_DOMAIN:+ (vhost *.$CADDYS3_VHOST_DOMAIN)}"

# One 100 MiB file for both clients; they stream it.
export CADDYS3_NODE_BIG_FILE="$WORK/big.bin"
head -c $((100 << 20)) /dev/urandom >"$CADDYS3_NODE_BIG_FILE"
CADDYS3_NODE_BIG_SHA256="$(sha256sum "$CADDYS3_NODE_BIG_FILE" | cut -d' ' -f1)"
export CADDYS3_NODE_BIG_SHA256

# Nothing from the caller's AWS configuration (profiles, checksum settings,
# endpoints) may change the SDK's defaults; the SDK's "node >= 22 from
# 2027" notice is silenced.
export HOME="$WORK/home"
mkdir -p "$HOME"
for v in $(compgen -e | grep -E '^AWS_'); do unset "$v"; done
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true

# run_client LABEL SCRIPT: runs one client script (bounded in time) and adds
# its PASS/FAIL lines to the totals.
run_client() {
	local label="$1" script="$2" out="$WORK/$1.out" rc p f
	# TMPDIR: the scripts' own temporary files go under $WORK, removed even
	# when timeout kills them.
	TMPDIR="$WORK" timeout "$NODE_TIMEOUT" node "$HERE/node/$script" "$ENDPOINT" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	p=$(grep -c '^PASS: ' "$out")
	f=$(grep -c '^FAIL: ' "$out")
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$rc" -eq 124 ]; then
		fail "$label: timed out after ${NODE_TIMEOUT}s"
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		fail "$label: exited $rc"
	fi
}

start=$SECONDS
run_client aws-sdk-v3 aws-sdk-v3.mjs
run_client minio-js minio.mjs
echo "== node clients took $((SECONDS - start))s"
finish
