#!/usr/bin/env python3
"""boto3 presigned URLs and presigned POST forms against a caddys3 endpoint.

Usage: presign_boto3.py ENDPOINT LABEL WORKDIR [CAFILE]

For each signer -- boto3's default for presigning (SigV2 query auth in the
boto3 versions we test), an explicit signature_version='s3' (SigV2) and
signature_version='s3v4' -- it:
  * fetches generate_presigned_url GET URLs with curl (also with a
    response-content-type override and a key that needs escaping),
  * uploads through a presigned PUT URL with curl,
  * posts a generate_presigned_post form with requests (key ${filename},
    Content-Type, x-amz-meta-*, success_action_status, content-length-range),
  * checks that expired URLs, tampered URLs and out-of-policy forms fail.
Prints "PASS: ..."/"FAIL: ..." lines; exits 1 when anything failed.
Credentials: S3_ACCESS_KEY / S3_SECRET_KEY. Over https, boto3 (verify=),
curl (--cacert) and requests (verify=) trust CAFILE.
"""

import os
import subprocess
import sys
import time
import traceback
import uuid
import xml.etree.ElementTree as ET

import boto3
import botocore
import requests
from botocore.config import Config

endpoint, label, work = sys.argv[1], sys.argv[2], sys.argv[3]
cafile = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else None
AK = os.environ.get("S3_ACCESS_KEY", "AKIAEXAMPLEALICE0001")
SK = os.environ.get("S3_SECRET_KEY", "alicesecret0000000000000000000000000000")
passed = failed = 0


def report(ok, name, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("PASS: %s: %s" % (label, name), flush=True)
    else:
        failed += 1
        print("FAIL: %s: %s%s" % (label, name, (" -- " + detail) if detail else ""), flush=True)


def check(name, fn):
    try:
        res = fn()
        report(res is not False, name)
    except Exception as e:  # noqa: BLE001 - report everything
        report(False, name, "%s: %s" % (type(e).__name__, e))
        traceback.print_exc(limit=3, file=sys.stdout)


def client(sigver):
    kw = {"s3": {"addressing_style": "path"}, "retries": {"max_attempts": 1}}
    if sigver:
        kw["signature_version"] = sigver
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=AK,
                        aws_secret_access_key=SK, config=Config(**kw), verify=cafile)


def mode_of_url(url):
    if "X-Amz-Signature=" in url:
        return "SigV4"
    if "Signature=" in url and "AWSAccessKeyId=" in url:
        return "SigV2"
    return "unknown"


def mode_of_fields(fields):
    low = {k.lower() for k in fields}
    if "x-amz-signature" in low:
        return "SigV4"
    if "signature" in low and "awsaccesskeyid" in low:
        return "SigV2"
    return "unknown"


def curl(*args):
    """Runs curl; returns (http status, body bytes, headers text)."""
    hdr = os.path.join(work, "curl-headers")
    out = os.path.join(work, "curl-body")
    ca = ["--cacert", cafile] if cafile else []
    cp = subprocess.run(["curl", "-sS", "--max-time", "60", "-D", hdr, "-o", out, "-w", "%{http_code}"] + ca + list(args),
                        capture_output=True, timeout=90)
    if cp.returncode != 0:
        raise RuntimeError("curl failed: %s" % cp.stderr.decode(errors="replace"))
    with open(out, "rb") as f:
        body = f.read()
    with open(hdr, "r", errors="replace") as f:
        headers = f.read()
    return int(cp.stdout.decode()), body, headers


def xml_code(body):
    try:
        return ET.fromstring(body).findtext("Code")
    except ET.ParseError:
        return None


s3 = client("s3v4")
bucket = "presign-%s-%s" % (label.replace("_", "-"), uuid.uuid4().hex[:8])
print("== %s: boto3 %s, botocore %s, requests %s, bucket %s" % (label, boto3.__version__, botocore.__version__,
                                                             requests.__version__, bucket), flush=True)
check("create bucket", lambda: s3.create_bucket(Bucket=bucket))
content = os.urandom(70000)
odd_key = "dir/obj name+%&=.bin"
check("put object", lambda: s3.put_object(Bucket=bucket, Key=odd_key, Body=content, ContentType="application/x-test"))

for sigver, want in ((None, None), ("s3", "SigV2"), ("s3v4", "SigV4")):
    name = sigver or "default"
    c = client(sigver)

    url = c.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": odd_key}, ExpiresIn=300)
    mode = mode_of_url(url)
    print("   %s: signer %s presigns URLs with %s" % (label, name, mode), flush=True)
    check("%s: presigned URL uses %s" % (name, want or "SigV2 or SigV4"),
          lambda: mode == want if want else mode in ("SigV2", "SigV4"))

    def get_ok(url=url):
        st, body, _ = curl(url)
        assert st == 200, "status %d: %r" % (st, body[:300])
        assert body == content, "body differs (%d bytes)" % len(body)
    check("%s (%s): curl GET presigned URL" % (name, mode), get_ok)

    def get_override():
        u = c.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": odd_key,
                                     "ResponseContentType": "image/png",
                                     "ResponseContentDisposition": 'attachment; filename="x y.png"'}, ExpiresIn=300)
        st, body, hdrs = curl(u)
        assert st == 200, "status %d: %r" % (st, body[:300])
        low = hdrs.lower()
        assert "content-type: image/png" in low, hdrs
        assert 'content-disposition: attachment; filename="x y.png"' in low, hdrs
    check("%s (%s): curl GET with response-* overrides" % (name, mode), get_override)

    def tampered(url=url):
        st, body, _ = curl(url.replace("obj%20name", "obj%20other").replace("obj+name", "obj+other"))
        assert st == 403 and xml_code(body) == "SignatureDoesNotMatch", "status %d: %r" % (st, body[:300])
    check("%s (%s): tampered presigned URL is SignatureDoesNotMatch" % (name, mode), tampered)

    def expired():
        u = c.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": odd_key}, ExpiresIn=1)
        time.sleep(2.2)
        st, body, _ = curl(u)
        assert st == 403 and xml_code(body) == "AccessDenied", "status %d: %r" % (st, body[:300])
    check("%s (%s): expired presigned URL is AccessDenied" % (name, mode), expired)

    def put_ok():
        key = "put/%s/obj" % name
        u = c.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
        path = os.path.join(work, "put-%s.bin" % name)
        data = os.urandom(12345)
        with open(path, "wb") as f:
            f.write(data)
        st, body, _ = curl("-X", "PUT", "-T", path, "-H", "Content-Type:", u)
        assert st == 200, "status %d: %r" % (st, body[:300])
        got = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        assert got == data, "stored object differs"
    check("%s (%s): curl PUT to presigned URL" % (name, mode), put_ok)

    # Presigned POST (browser form).
    post = c.generate_presigned_post(
        bucket, "post/%s/${filename}" % name,
        Fields={"Content-Type": "text/plain", "x-amz-meta-color": "blue", "success_action_status": "201"},
        Conditions=[{"Content-Type": "text/plain"}, {"x-amz-meta-color": "blue"}, {"success_action_status": "201"},
                    ["content-length-range", 1, 100000]],
        ExpiresIn=300)
    pmode = mode_of_fields(post["fields"])
    print("   %s: signer %s presigns POST forms with %s (fields %s)" % (label, name, pmode, sorted(post["fields"])), flush=True)
    check("%s: presigned POST uses %s" % (name, want or "SigV2 or SigV4"),
          lambda: pmode == want if want else pmode in ("SigV2", "SigV4"))
    body_text = ("posted with %s\n" % name).encode()

    def post_ok():
        r = requests.post(post["url"], data=post["fields"], files={"file": ("hello.txt", body_text, "text/plain")}, timeout=60, verify=cafile or True)
        assert r.status_code == 201, "status %d: %s" % (r.status_code, r.text[:400])
        root = ET.fromstring(r.content)
        key = root.findtext("Key")
        assert key == "post/%s/hello.txt" % name, "PostResponse Key %r" % key
        assert root.findtext("Bucket") == bucket
        obj = s3.get_object(Bucket=bucket, Key=key)
        assert obj["Body"].read() == body_text, "stored body differs"
        assert obj["ContentType"] == "text/plain", obj["ContentType"]
        assert obj["Metadata"].get("color") == "blue", obj["Metadata"]
    check("%s (%s): requests POST of generate_presigned_post form" % (name, pmode), post_ok)

    def post_outside_policy():
        fields = dict(post["fields"])
        fields["key"] = "elsewhere/${filename}"
        r = requests.post(post["url"], data=fields, files={"file": ("evil.txt", b"x")}, timeout=60, verify=cafile or True)
        assert r.status_code == 403 and xml_code(r.content) == "AccessDenied", "status %d: %s" % (r.status_code, r.text[:400])
        assert "Invalid according to Policy" in r.text, r.text[:400]
    check("%s (%s): POST with a key outside the policy is AccessDenied" % (name, pmode), post_outside_policy)

    def post_too_large():
        r = requests.post(post["url"], data=post["fields"], files={"file": ("big.txt", b"x" * 100001)}, timeout=60, verify=cafile or True)
        assert r.status_code == 400 and xml_code(r.content) == "EntityTooLarge", "status %d: %s" % (r.status_code, r.text[:400])
        try:
            s3.head_object(Bucket=bucket, Key="post/%s/big.txt" % name)
        except botocore.exceptions.ClientError:
            return
        raise AssertionError("oversized POST was stored")
    check("%s (%s): POST larger than content-length-range is EntityTooLarge" % (name, pmode), post_too_large)

    def post_wrong_secret():
        bad = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=AK,
                           aws_secret_access_key="wrong" + SK,
                           config=Config(s3={"addressing_style": "path"}, **({"signature_version": sigver} if sigver else {})),
                           verify=cafile)
        p = bad.generate_presigned_post(bucket, "post/%s/forged" % name, ExpiresIn=300)
        r = requests.post(p["url"], data=p["fields"], files={"file": ("f", b"forged")}, timeout=60, verify=cafile or True)
        assert r.status_code == 403 and xml_code(r.content) == "SignatureDoesNotMatch", "status %d: %s" % (r.status_code, r.text[:400])
    check("%s (%s): POST signed with a wrong secret is SignatureDoesNotMatch" % (name, pmode), post_wrong_secret)


def cleanup():
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for o in page.get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=o["Key"])
    s3.delete_bucket(Bucket=bucket)


check("delete everything and the bucket", cleanup)
print("%s: %d passed, %d failed" % (label, passed, failed), flush=True)
sys.exit(1 if failed else 0)
