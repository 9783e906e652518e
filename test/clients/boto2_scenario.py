#!/usr/bin/python3
"""Legacy boto 2 (Debian's python3-boto) against a caddys3 endpoint: the
client CloudStack's S3 was tested with. It signs every request with SigV2
(Authorization: AWS key:sig) and presigns with SigV2 query auth, putting
x-amz-meta-* into the URL.

Usage: /usr/bin/python3 boto2_scenario.py ENDPOINT [--big FILE] [--vhost BUCKET]

S3Connection(host, port, is_secure=<https endpoint>) with
OrdinaryCallingFormat (path style): create_bucket, small objects with
metadata, ranged get, list with prefix/delimiter, copy_key (COPY and
REPLACE), presigned GET/PUT (generate_url) fetched with curl and urllib,
delete_keys (multi-object delete), errors, delete_bucket; with --big FILE
its multipart API (initiate_multipart_upload, upload_part_from_file,
complete_upload) in 25 MiB parts + download + compare; with --vhost BUCKET
SubdomainCallingFormat (virtual-hosted style) on BUCKET.<host>.

TLS: boto 2 takes its CA from its own config, not from arguments: the
caller points BOTO_CONFIG at a file with [Boto] https_validate_certificates
= True and ca_certificates_file = <CA>; urllib and curl get the same file.
Quirk: boto 2's validating connection (ssl.wrap_socket) sends no SNI, so
the server must have a default certificate (Caddy's default_sni) and only
that name verifies: path style on the endpoint's host works, a bucket host
name cannot. For virtual-hosted style it gets boto 2's other hook,
https_connection_factory: http.client's HTTPSConnection with an SSL context
that trusts the same CA file (SNI, hostname check).
Prints "PASS: ..."/"FAIL: ..." lines and exits 1 when anything failed.
Credentials: S3_ACCESS_KEY / S3_SECRET_KEY.
"""

import argparse
import filecmp
import hashlib
import http.client
import os
import ssl
import subprocess
import sys
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid

import boto
from boto.s3.connection import OrdinaryCallingFormat, S3Connection, SubdomainCallingFormat
from boto.s3.key import Key
from boto.s3.prefix import Prefix

ap = argparse.ArgumentParser()
ap.add_argument("endpoint")
ap.add_argument("--big")
ap.add_argument("--vhost")
ARGS = ap.parse_args()
endpoint = urllib.parse.urlparse(ARGS.endpoint)
SECURE = endpoint.scheme == "https"
CAFILE = boto.config.get_value("Boto", "ca_certificates_file") if SECURE else None
AK = os.environ.get("S3_ACCESS_KEY", "AKIAEXAMPLEALICE0001")
SK = os.environ.get("S3_SECRET_KEY", "alicesecret0000000000000000000000000000")
MIB = 1 << 20
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


def connect(secret=SK, calling_format=None, **kw):
    # boto 2 reads ~/.boto and /etc/boto.cfg; BOTO_CONFIG points elsewhere.
    return S3Connection(AK, secret, host=endpoint.hostname, port=endpoint.port, is_secure=SECURE,
                        calling_format=calling_format or OrdinaryCallingFormat(), **kw)


def sni_connection(host, **kw):
    """An HTTPS connection that sends SNI and verifies against CAFILE. boto 2
    calls it with the bare host name (no port, no timeout)."""
    return http.client.HTTPSConnection(host, port=endpoint.port, timeout=60,
                                       context=ssl.create_default_context(cafile=CAFILE))


def fetch(url, data=None, method=None, headers=None):
    ctx = ssl.create_default_context(cafile=CAFILE) if SECURE else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60, context=ctx) as r:
            return r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


def curl(url):
    ca = ["--cacert", CAFILE] if CAFILE else []
    cp = subprocess.run(["curl", "-sS", "--fail", "--max-time", "60"] + ca + [url], capture_output=True, timeout=90)
    assert cp.returncode == 0, "curl exit %d: %s" % (cp.returncode, cp.stderr.decode(errors="replace"))
    return cp.stdout


def mp_etag(path, chunk):
    digests = []
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(chunk), b""):
            digests.append(hashlib.md5(b).digest())
    return '"%s-%d"' % (hashlib.md5(b"".join(digests)).hexdigest(), len(digests))


print("== boto %s on Python %s, %s%s" % (boto.__version__, sys.version.split()[0], ARGS.endpoint,
                                         (", CA " + CAFILE) if CAFILE else ""), flush=True)

if SECURE:
    def untrusted():
        # The same connection with boto's bundled CA list instead of ours.
        saved = boto.config.get_value("Boto", "ca_certificates_file")
        boto.config.remove_option("Boto", "ca_certificates_file")
        try:
            assert connect().https_validate_certificates, "https_validate_certificates is off"
            try:
                connect().get_all_buckets()
            except ssl.SSLError as e:
                assert "CERTIFICATE_VERIFY_FAILED" in str(e), e
                return True
            raise AssertionError("the server's certificate was accepted without its CA")
        finally:
            boto.config.set("Boto", "ca_certificates_file", saved)
    check("https: without ca_certificates_file the certificate is rejected", untrusted)

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
    bucket.new_key("dir/sub/a.txt").set_contents_from_string(b"a")
    bucket.new_key("top.txt").set_contents_from_string(b"top")
check("set_contents_from_string with metadata", put)


def get():
    k = bucket.get_key(key_name)
    assert k is not None, "get_key returned None"
    assert k.get_metadata("color") == "blue", k.metadata
    assert k.content_type == "application/x-legacy", k.content_type
    assert k.get_contents_as_string() == data, "body differs"
check("get_key + get_contents_as_string (metadata, content type)", get)


def ranged():
    got = bucket.get_key(key_name).get_contents_as_string(headers={"Range": "bytes=100-1099"})
    assert got == data[100:1100], "range body differs (%d bytes)" % len(got)
check("get_contents_as_string with Range: bytes=100-1099", ranged)


def listing():
    keys = [k.name for k in bucket.list(prefix="dir/")]
    assert keys == [key_name, "dir/sub/a.txt"], keys
    assert any(b.name == name for b in conn.get_all_buckets())
check("list with prefix and get_all_buckets", listing)


def paged():
    keys, marker, pages = [], "", 0
    while True:
        rs = bucket.get_all_keys(max_keys=1, marker=marker)
        pages += 1
        keys += [k.name for k in rs]
        if not rs.is_truncated:
            break
        marker = rs.next_marker or keys[-1]
    assert keys == sorted([key_name, "dir/sub/a.txt", "top.txt"]) and pages == 3, (keys, pages)
check("get_all_keys max_keys=1 with marker: 3 pages, each key once", paged)


def delimited():
    # boto 2 yields the page's keys, then its prefixes.
    got = [(type(e).__name__, e.name) for e in bucket.list(prefix="dir/", delimiter="/")]
    assert got == [("Key", key_name), ("Prefix", "dir/sub/")], got
    top = [(type(e).__name__, e.name) for e in bucket.list(delimiter="/")]
    assert top == [("Key", "top.txt"), ("Prefix", "dir/")], top
    assert all(isinstance(e, (Key, Prefix)) for e in bucket.list(delimiter="/"))
check("list with prefix and delimiter (Key and Prefix entries)", delimited)


def copies():
    bucket.copy_key("copy/plain", name, key_name)
    k = bucket.get_key("copy/plain")
    assert k.get_metadata("color") == "blue" and k.get_contents_as_string() == data, k.metadata
    bucket.copy_key("copy/replaced", name, key_name, metadata={"color": "red"})
    k = bucket.get_key("copy/replaced")
    assert k.get_metadata("color") == "red" and k.get_contents_as_string() == data, k.metadata
check("copy_key (metadata copied, then replaced)", copies)


def batch_delete():
    res = bucket.delete_keys(["copy/plain", "copy/replaced", "copy/never existed"])
    assert not res.errors, [(e.key, e.code) for e in res.errors]
    assert sorted(d.key for d in res.deleted) == ["copy/never existed", "copy/plain", "copy/replaced"], res.deleted
    assert [k.name for k in bucket.list(prefix="copy/")] == []
check("delete_keys (multi-object delete)", batch_delete)


def presigned_get():
    url = bucket.get_key(key_name).generate_url(300)
    assert "Signature=" in url and "AWSAccessKeyId=" in url, url
    assert url.startswith("https://" if SECURE else "http://"), url
    st, body, _ = fetch(url)
    assert st == 200 and body == data, "status %d" % st
    assert curl(url) == data, "curl body differs"
check("generate_url presigned GET (SigV2 query) with urllib and curl", presigned_get)


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
    st, body, _ = fetch(url, data=b"via presigned PUT", method="PUT", headers={"Content-Type": "text/plain"})
    assert st == 200, (st, body[:300])
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

if ARGS.big:
    size = os.path.getsize(ARGS.big)
    part = 25 * MIB

    def multipart():
        mp = bucket.initiate_multipart_upload("big/f100.bin", metadata={"color": "green"})
        with open(ARGS.big, "rb") as fp:
            for i, off in enumerate(range(0, size, part), 1):
                fp.seek(off)
                mp.upload_part_from_file(fp, i, size=min(part, size - off))
        assert [p.part_number for p in mp.get_all_parts()] == list(range(1, (size + part - 1) // part + 1))
        mp.complete_upload()
        k = bucket.get_key("big/f100.bin")
        want = mp_etag(ARGS.big, part)
        assert k.etag == want, "ETag %s, want %s" % (k.etag, want)
        assert k.size == size and k.get_metadata("color") == "green", (k.size, k.metadata)
    check("multipart: initiate_multipart_upload, upload_part_from_file x%d, complete_upload"
          % ((size + part - 1) // part), multipart)

    def big_down():
        dst = os.path.join(os.path.dirname(os.path.abspath(ARGS.big)), "boto2-%s.bin" % uuid.uuid4().hex[:6])
        try:
            bucket.get_key("big/f100.bin").get_contents_to_filename(dst)
            assert filecmp.cmp(ARGS.big, dst, shallow=False), "downloaded bytes differ"
        finally:
            if os.path.exists(dst):
                os.remove(dst)
    check("multipart: get_contents_to_filename + compare", big_down)

    def cancelled():
        mp = bucket.initiate_multipart_upload("big/cancelled")
        mp.upload_part_from_file(open(ARGS.big, "rb"), 1, size=5 * MIB)
        mp.cancel_upload()
        assert [u.key_name for u in bucket.get_all_multipart_uploads()] == [], "uploads left"
        assert bucket.get_key("big/cancelled") is None
    check("multipart: cancel_upload leaves no upload and no object", cancelled)


def delete():
    for k in bucket.list():
        k.delete()
    assert bucket.get_key(key_name) is None
    conn.delete_bucket(name)
    assert conn.lookup(name) is None
check("delete keys and bucket", delete)

if ARGS.vhost:
    # SubdomainCallingFormat: the bucket is in the host name
    # (BUCKET.s3.test:PORT); SigV2 still signs /BUCKET/key.
    kw = {"https_connection_factory": (sni_connection, ())} if SECURE else {}
    vconn = connect(calling_format=SubdomainCallingFormat(), **kw)
    vb = ARGS.vhost
    want_host = "%s.%s" % (vb, endpoint.netloc)

    def vhost():
        assert vconn.calling_format.build_host(vconn.server_name(), vb) == want_host
        b = vconn.create_bucket(vb)
        b.new_key("v/obj.txt").set_contents_from_string(data)
        assert b.get_key("v/obj.txt").get_contents_as_string() == data
        assert [k.name for k in b.list()] == ["v/obj.txt"]
        url = b.get_key("v/obj.txt").generate_url(300)
        assert urllib.parse.urlparse(url).netloc == want_host, url
        assert curl(url) == data
        b.delete_key("v/obj.txt")
        vconn.delete_bucket(vb)
    check("vhost: SubdomainCallingFormat on %s: create, put, get, list, presigned GET, delete" % want_host, vhost)

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
