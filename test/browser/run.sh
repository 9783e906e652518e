#!/usr/bin/env bash
# CloudStack's bucket browser in a real browser: a page using minio-js
# (bundled from npm with esbuild), served by Caddy's file_server on one
# origin, drives the S3 endpoint on another origin from headless Chromium.
# Every S3 call is cross-origin, and the bucket has no CORS configuration:
# the s3 directive's cors_origins (the page's origin) answers, as it would
# for CloudStack's UI. A second bucket keeps a CORS configuration of its own
# (aws-cli PutBucketCors) to check that it still wins; a third has
# CloudStack's Public policy for the public-link check.
#
# Builds the server (unless $CADDYS3_BIN names one) and the page bundle,
# starts one Caddy with both sites on free loopback ports and a temporary
# root, creates and seeds the bucket, runs driver.mjs (PASS/FAIL lines,
# "N passed, M failed"), stops the server and exits non-zero on any FAIL.
# Screenshots: test/browser/out/bucket-browser.png (and -final.png), copied
# to $CI_ARTIFACTS_DIR when set.
#
# Both sites are HTTPS (tls internal) and Chromium trusts Caddy's local CA
# through an NSS db in its own HOME; without certutil (libnss3-tools) it
# falls back to plain HTTP and says so.
#
# Usage: bash test/browser/run.sh
# Env:   CADDYS3_BIN=path    use a prebuilt binary
#        BROWSER_TLS=https|http   force a mode (default: https if certutil exists)
#        CADDYS3_KEEP=1      keep the temporary directory (server log, profile)
#        BROWSER_VERBOSE=1   print the page's S3 request log even on success
#        CHROMIUM=path       default /usr/bin/chromium
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../server.sh
source "$HERE/../server.sh"
server_init caddys3-browser
OUT="$HERE/out"

start=$(date +%s)
server_build

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
export CHROMIUM
if [ ! -x "$CHROMIUM" ]; then
	echo "FAIL: chromium: $CHROMIUM missing (apt-get install chromium; see test/install-deps)"
	echo "0 passed, 1 failed"
	exit 1
fi

# npm packages exactly as locked; test/install-deps normally did this.
if [ ! -d "$HERE/node_modules/playwright-core" ] || [ ! -d "$HERE/node_modules/minio" ]; then
	echo "== npm ci"
	(cd "$HERE" && timeout 600 npm ci --no-audit --no-fund --loglevel=error)
fi

echo "== bundling the page"
(cd "$HERE" && timeout 120 node build.mjs "$WORK/site")

TLS="${BROWSER_TLS:-}"
if [ -z "$TLS" ]; then
	if command -v certutil >/dev/null; then
		TLS=https
	else
		echo "warning: certutil (libnss3-tools) missing: both sites over plain HTTP"
		TLS=http
	fi
fi

read -r PAGE_PORT S3_PORT < <(free_ports 2)
# Two origins: the page on 127.0.0.1, the S3 endpoint on localhost (the URL
# CloudStack would store for the object store), each on its own port.
PAGE_ORIGIN="$TLS://127.0.0.1:$PAGE_PORT"
S3_ORIGIN="$TLS://localhost:$S3_PORT"
BUCKET=cloudstack-bucket
PUBLIC_BUCKET=cloudstack-public
OWN_BUCKET=own-cors
OTHER_ORIGIN=https://other.example
ACCESS_KEY=AKIAEXAMPLEALICE0001
SECRET_KEY=alicesecret0000000000000000000000000000
ROOT="$WORK/root"
mkdir -p "$ROOT" "$WORK/browser-home" "$OUT"
rm -f "$OUT"/bucket-browser*.png

if [ "$TLS" = https ]; then
	GLOBAL_TLS=$'\tlocal_certs\n\tskip_install_trust\n\tauto_https disable_redirects'
	SITE_TLS=$'\ttls internal'
else
	GLOBAL_TLS=$'\tauto_https off'
	SITE_TLS=""
fi
cat >"$WORK/Caddyfile" <<EOF
{
	admin off
	persist_config off
	default_bind 127.0.0.1
$GLOBAL_TLS
}
$PAGE_ORIGIN {
$SITE_TLS
	root * $WORK/site
	file_server
}
$S3_ORIGIN {
$SITE_TLS
	s3 {
		root $ROOT
		region us-east-1
		cors_origins $PAGE_ORIGIN
		credentials static {
			key $ACCESS_KEY $SECRET_KEY alice
		}
	}
}
EOF
# What CloudStack hands its UI: the bucket URL and the user's keys.
cat >"$WORK/site/config.json" <<EOF
{"url": "$S3_ORIGIN/$BUCKET", "bucket": "$BUCKET", "accessKey": "$ACCESS_KEY", "secretKey": "$SECRET_KEY",
 "partSize": 5242880, "publicUrl": "$S3_ORIGIN/$PUBLIC_BUCKET", "publicKey": "public/hello.txt"}
EOF

echo "== starting $BIN: page $PAGE_ORIGIN, S3 $S3_ORIGIN"
server_start "$WORK/Caddyfile" 600

CA="$SERVER_CA"
curl_ok() { # curl_ok URL: the server answered (any HTTP status)
	local -a tls=()
	[ "$TLS" = https ] && tls=(--cacert "$CA")
	[ "$TLS" = http ] || [ -f "$CA" ] || return 1
	curl -s -o /dev/null --max-time 5 "${tls[@]}" "$1"
}
server_up() { curl_ok "$PAGE_ORIGIN/index.html" && curl_ok "$S3_ORIGIN/"; }
not_ready() { echo "server did not answer on $PAGE_ORIGIN and $S3_ORIGIN within 60s:"; }
server_wait not_ready server_up

if [ "$TLS" = https ]; then
	# Chromium on Linux takes extra trust anchors from the NSS db in its
	# HOME; a fresh HOME holds only Caddy's local root.
	NSSDB="$WORK/browser-home/.pki/nssdb"
	mkdir -p "$NSSDB"
	certutil -d "sql:$NSSDB" -N --empty-password
	certutil -d "sql:$NSSDB" -A -t "C,," -n "caddys3 test local CA" -i "$CA"
fi

# The bucket, a few objects so the root shows folders, and its CORS
# configuration, with a real S3 client.
AWS=/usr/bin/aws
[ -x "$AWS" ] || AWS="$(command -v aws || true)"
if [ -z "$AWS" ]; then
	echo "FAIL: aws-cli missing (apt-get install awscli; see test/install-deps)"
	echo "0 passed, 1 failed"
	exit 1
fi
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ENDPOINT_URL \
	AWS_ENDPOINT_URL_S3 AWS_CA_BUNDLE AWS_REGION
export AWS_CONFIG_FILE="$WORK/aws-config" AWS_SHARED_CREDENTIALS_FILE="$WORK/aws-credentials"
export AWS_ACCESS_KEY_ID="$ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$SECRET_KEY" AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true AWS_PAGER=""
: >"$AWS_CONFIG_FILE"
s3api() {
	local -a tls=()
	[ "$TLS" = https ] && tls=(--ca-bundle "$CA")
	timeout 60 "$AWS" --endpoint-url "$S3_ORIGIN" "${tls[@]}" s3api "$@"
}
echo "== buckets $BUCKET (no CORS configuration), $PUBLIC_BUCKET (Public policy), $OWN_BUCKET (own CORS)"
s3api create-bucket --bucket "$BUCKET" >/dev/null
printf 'caddys3 bucket browser test\n' >"$WORK/seed.txt"
for key in readme.txt docs/guide.txt docs/api/reference.txt images/logo.txt; do
	s3api put-object --bucket "$BUCKET" --key "$key" --body "$WORK/seed.txt" >/dev/null
done
passed=0
failed=0
result() { # result OK|FAIL NAME [WHY]
	if [ "$1" = OK ]; then
		echo "PASS: $2"
		passed=$((passed + 1))
	else
		echo "FAIL: $2${3:+ — $3}"
		failed=$((failed + 1))
	fi
}
# CloudStack's "Public" bucket policy: anonymous GetBucketLocation and
# ListBucket on the bucket, GetObject on its objects.
s3api create-bucket --bucket "$PUBLIC_BUCKET" >/dev/null
printf 'public object\n' >"$WORK/public.txt"
s3api put-object --bucket "$PUBLIC_BUCKET" --key public/hello.txt --body "$WORK/public.txt" >/dev/null
cat >"$WORK/public-policy.json" <<EOF
{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetBucketLocation","s3:ListBucket"],"Resource":["arn:aws:s3:::$PUBLIC_BUCKET"]},
 {"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::$PUBLIC_BUCKET/*"]}]}
EOF
if s3api put-bucket-policy --bucket "$PUBLIC_BUCKET" --policy "file://$WORK/public-policy.json"; then
	result OK "put-bucket-policy Public on $PUBLIC_BUCKET (aws-cli)"
else
	result FAIL "put-bucket-policy Public on $PUBLIC_BUCKET (aws-cli)"
fi
# preflight ORIGIN BUCKET: the Access-Control-Allow-Origin (with EXPOSE=1:
# the Access-Control-Expose-Headers) a PUT preflight gets.
preflight() {
	local -a tls=()
	local hdr=allow-origin
	[ "$TLS" = https ] && tls=(--cacert "$CA")
	[ "${EXPOSE:-}" = 1 ] && hdr=expose-headers
	curl -s -o /dev/null -D - --max-time 10 "${tls[@]}" -X OPTIONS -H "Origin: $1" \
		-H 'Access-Control-Request-Method: PUT' -H 'Access-Control-Request-Headers: authorization,x-amz-date' \
		"$S3_ORIGIN/$2/preflight-probe" | tr -d '\r' | sed -n "s/^access-control-$hdr: //Ip"
}
# The page's origin is allowed by cors_origins alone (the bucket has no
# CORS configuration); another origin is not.
got="$(preflight "$PAGE_ORIGIN" "$BUCKET")"
if [ "$got" = "$PAGE_ORIGIN" ]; then result OK "preflight from $PAGE_ORIGIN allowed by cors_origins (no PutBucketCors)"; else result FAIL "preflight from $PAGE_ORIGIN allowed by cors_origins (no PutBucketCors)" "Access-Control-Allow-Origin: '$got'"; fi
got="$(EXPOSE=1 preflight "$PAGE_ORIGIN" "$BUCKET")"
case ", $got," in *", ETag,"*) result OK "cors_origins exposes ETag" ;; *) result FAIL "cors_origins exposes ETag" "Access-Control-Expose-Headers: '$got'" ;; esac
got="$(preflight "$OTHER_ORIGIN" "$BUCKET")"
if [ -z "$got" ]; then result OK "preflight from another origin refused"; else result FAIL "preflight from another origin refused" "Access-Control-Allow-Origin: $got"; fi
# A bucket's own CORS configuration wins over cors_origins.
s3api create-bucket --bucket "$OWN_BUCKET" >/dev/null
cat >"$WORK/cors.json" <<EOF
{"CORSRules": [{"AllowedOrigins": ["$OTHER_ORIGIN"], "AllowedMethods": ["GET", "PUT"], "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"]}]}
EOF
if s3api put-bucket-cors --bucket "$OWN_BUCKET" --cors-configuration "file://$WORK/cors.json" &&
	s3api get-bucket-cors --bucket "$OWN_BUCKET" >"$WORK/cors-got.json"; then
	result OK "put-bucket-cors on $OWN_BUCKET for $OTHER_ORIGIN only (aws-cli)"
else
	result FAIL "put-bucket-cors on $OWN_BUCKET for $OTHER_ORIGIN only (aws-cli)"
fi
got="$(preflight "$OTHER_ORIGIN" "$OWN_BUCKET")"
if [ "$got" = "$OTHER_ORIGIN" ]; then result OK "$OWN_BUCKET: its own CORS rule allows $OTHER_ORIGIN"; else result FAIL "$OWN_BUCKET: its own CORS rule allows $OTHER_ORIGIN" "Access-Control-Allow-Origin: '$got'"; fi
got="$(preflight "$PAGE_ORIGIN" "$OWN_BUCKET")"
if [ -z "$got" ]; then result OK "$OWN_BUCKET: its own CORS configuration wins over cors_origins"; else result FAIL "$OWN_BUCKET: its own CORS configuration wins over cors_origins" "Access-Control-Allow-Origin: $got"; fi

echo "== driver ($TLS)"
set +e
(cd "$HERE" && NODE_EXTRA_CA_CERTS="$([ "$TLS" = https ] && echo "$CA")" \
	timeout -k 10 180 node driver.mjs --page "$PAGE_ORIGIN/" --s3 "$S3_ORIGIN" --out "$OUT" \
	--work "$WORK/driver" --home "$WORK/browser-home") 2>&1 | tee "$WORK/driver.out"
rc=${PIPESTATUS[0]}
set -e
counts="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$WORK/driver.out" | tail -n 1 || true)"
if [ -n "$counts" ]; then
	passed=$((passed + ${counts%% passed*}))
	f=${counts#*, }
	failed=$((failed + ${f%% failed}))
fi
if [ $rc -ne 0 ] && [ -z "$counts" ]; then
	if [ $rc -eq 124 ]; then
		echo "FAIL: driver timed out after 180s"
	else
		echo "FAIL: driver exited with status $rc"
	fi
	failed=$((failed + 1))
fi
if [ $failed -gt 0 ]; then
	echo "--- server log (last 40 lines)"
	tail -n 40 "$SERVER_LOG"
fi
echo "browser test: $TLS, $(($(date +%s) - start))s"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ] && [ $rc -eq 0 ]
