#!/usr/bin/python3
"""Legacy boto 2 (Debian's python3-boto) against a caddys3 endpoint: the
client CloudStack's S3 was tested with. It signs every request with SigV2
(Authorization: AWS key:sig) and presigns with SigV2 query auth, putting
x-amz-meta-* into the URL.

Usage: /usr/bin/python3 boto2_scenario.py ENDPOINT
Prints "PASS: ..."/"FAIL: ..." lines and exits 1 when anything failed.
Credentials: S3_ACCESS_KEY / S3_SECRET_KEY.
"""

import os
import sys
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid

import boto
from boto.s3.connection import OrdinaryCallingFormat, S3Connection
from boto.s3.key import Key

endpoint = urllib.parse.urlparse(sys.argv[1])
AK = os.environ.get("S3_ACCESS_KEY", "AKIAEXAMPLEALICE0001")
SK = os.environ.get("S3_SECRET_KEY", "alicesecret0000000000000000000000000000")
passed = failed = 0


def report(ok, name, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("PASS: boto2: %s" % name, flush=True)
    else:
        failed += 1
        print("FAIL: boto2: %s%s" % (name, (" -- " + detail) if detail else ""), flush=True)


def check(name, fn):
    try:
        res = fn()
        report(res is not False, name)
        return res
    except Exception as e:  # noqa: BLE001 - report everything
        report(False, name, "%s: %s" % (type(e).__name__, e))
        traceback.print_exc(limit=3, file=sys.stdout)
        return None


def connect(secret=SK):
    # boto 2 reads ~/.boto and /etc/boto.cfg; BOTO_CONFIG points elsewhere.
    return S3Connection(AK, secret, host=endpoint.hostname, port=endpoint.port, is_secure=False,
                        calling_format=OrdinaryCallingFormat())


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            return r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


print("== boto %s on Python %s" % (boto.__version__, sys.version.split()[0]), flush=True)
conn = connect()
name = "boto2-%s" % uuid.uuid4().hex[:10]
data = os.urandom(50000)
key_name = "dir/legacy obj+1.bin"

bucket = check("create_bucket", lambda: conn.create_bucket(name))
if bucket is None:
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1)


def put():
    k = Key(bucket, key_name)
    k.set_metadata("color", "blue")
    k.content_type = "application/x-legacy"
    k.set_contents_from_string(data)
check("set_contents_from_string with metadata", put)


def get():
    k = bucket.get_key(key_name)
    assert k is not None, "get_key returned None"
    assert k.get_metadata("color") == "blue", k.metadata
    assert k.content_type == "application/x-legacy", k.content_type
    assert k.get_contents_as_string() == data, "body differs"
check("get_key + get_contents_as_string (metadata, content type)", get)


def listing():
    keys = [k.name for k in bucket.list(prefix="dir/")]
    assert keys == [key_name], keys
    assert any(b.name == name for b in conn.get_all_buckets())
check("list and get_all_buckets", listing)


def presigned_get():
    url = bucket.get_key(key_name).generate_url(300)
    assert "Signature=" in url and "AWSAccessKeyId=" in url, url
    st, body, _ = fetch(url)
    assert st == 200 and body == data, "status %d" % st
check("generate_url presigned GET (SigV2 query) with urllib", presigned_get)


def presigned_override():
    url = conn.generate_url(300, "GET", bucket=name, key=key_name,
                            response_headers={"response-content-type": "text/x-override"})
    st, body, headers = fetch(url)
    assert st == 200 and headers.get("Content-Type") == "text/x-override", (st, dict(headers))
check("generate_url with response-content-type override", presigned_override)


def presigned_put_with_meta():
    # boto 2 signs x-amz-meta-* given as headers into the query string.
    # The URL carries x-amz-meta-mood; the request sends only the signed
    # Content-Type (urllib would otherwise add its form content type).
    url = conn.generate_url(300, "PUT", bucket=name, key="dir/presigned put",
                            headers={"x-amz-meta-mood": "calm", "Content-Type": "text/plain"})
    assert "x-amz-meta-mood=calm" in url, url
    req = urllib.request.Request(url, data=b"via presigned PUT", method="PUT", headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(req, timeout=60) as r:
        assert r.status == 200, r.status
    k = bucket.get_key("dir/presigned put")
    assert k.get_contents_as_string() == b"via presigned PUT"
    # The signed x-amz-meta-* query parameters are the object's metadata.
    assert k.get_metadata("mood") == "calm", k.metadata
check("generate_url presigned PUT with x-amz-meta-* with urllib", presigned_put_with_meta)


def expired():
    url = bucket.get_key(key_name).generate_url(-10)
    st, body, _ = fetch(url)
    assert st == 403 and b"AccessDenied" in body, (st, body[:300])
check("expired generate_url is 403 AccessDenied", expired)


def wrong_secret():
    try:
        # A GET, so the error has a body (boto maps a bodiless 403 to
        # AccessDenied).
        connect("wrong" + SK).get_bucket(name, validate=False).get_all_keys()
    except boto.exception.S3ResponseError as e:
        assert e.status == 403 and e.error_code == "SignatureDoesNotMatch", (e.status, e.error_code)
        return
    raise AssertionError("a wrong secret was accepted")
check("wrong secret is SignatureDoesNotMatch", wrong_secret)


def delete():
    for k in bucket.list():
        k.delete()
    assert bucket.get_key(key_name) is None
    conn.delete_bucket(name)
    assert conn.lookup(name) is None
check("delete keys and bucket", delete)

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
