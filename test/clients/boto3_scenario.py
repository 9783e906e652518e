#!/usr/bin/env python3
"""boto3 scenario against a caddys3 endpoint.

Usage: boto3_scenario.py ENDPOINT LABEL WORKDIR FILE1 FILE20
                         [--ca CAFILE] [--keys DIR] [--vhost BUCKET]

Runs with whichever python runs it (pip's boto3 or Debian's python3-boto3)
and prints one "PASS: ..." or "FAIL: ..." line per check: buckets, upload
and download + cmp, metadata, ranges, listings with prefix/delimiter and
pagination, presigned GET (urllib and curl), copy_object (COPY and REPLACE),
delete_objects, errors. Uploads stay single PUTs (multipart_boto3.py does
multipart). Credentials come from S3_ACCESS_KEY / S3_SECRET_KEY.
  --ca CAFILE    trust this CA over https (verify=CAFILE; urllib and curl
                 get it too)
  --keys DIR     upload DIR's files (1,050 of them) in parallel and list
                 them past the first 1000-key page, then delete_objects
  --vhost BUCKET virtual-hosted style (addressing_style virtual) on BUCKET
"""

import argparse
import concurrent.futures
import hashlib
import os
import random
import ssl
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid

import boto3
import botocore
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

passed = 0
failed = 0


def report(ok, name, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("PASS: %s" % name, flush=True)
    else:
        failed += 1
        print("FAIL: %s%s" % (name, (" -- " + detail) if detail else ""), flush=True)


def check(name, fn):
    """Run fn(); a falsy result or an exception is a failure."""
    try:
        res = fn()
        if res is False:
            report(False, name)
        else:
            report(True, name)
        return res
    except Exception as e:  # noqa: BLE001 - report everything
        detail = "%s: %s" % (type(e).__name__, e)
        report(False, name, detail)
        traceback.print_exc(limit=3, file=sys.stdout)
        return None


def error_code(fn):
    try:
        fn()
    except ClientError as e:
        return e.response.get("Error", {}).get("Code"), e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return None, None


def parse_args():
    ap = argparse.ArgumentParser()
    for a in ("endpoint", "label", "workdir", "f1", "f20"):
        ap.add_argument(a)
    ap.add_argument("--ca")
    ap.add_argument("--keys")
    ap.add_argument("--vhost")
    return ap.parse_args()


ARGS = parse_args()


def make_client(addressing="path", max_pool=10):
    cfg = Config(
        signature_version="s3v4",
        s3={"addressing_style": addressing},
        retries={"max_attempts": 1, "mode": "standard"},
        connect_timeout=10,
        read_timeout=120,
        max_pool_connections=max_pool,
    )
    # verify=CAFILE: the server's certificate chains to run.sh's local CA
    # (None: the default trust store; plain http ignores it).
    return boto3.session.Session(
        aws_access_key_id=os.environ["S3_ACCESS_KEY"],
        aws_secret_access_key=os.environ["S3_SECRET_KEY"],
        region_name="us-east-1",
    ).client("s3", endpoint_url=ARGS.endpoint, config=cfg, verify=ARGS.ca or None)


def urlopen(url):
    ctx = ssl.create_default_context(cafile=ARGS.ca) if ARGS.ca else None
    return urllib.request.urlopen(url, timeout=60, context=ctx)


def curl(*args):
    cmd = ["curl", "-sS", "--fail", "--max-time", "60"] + (["--cacert", ARGS.ca] if ARGS.ca else []) + list(args)
    return subprocess.run(cmd, capture_output=True, timeout=90)


def main():
    endpoint, label, workdir, f1, f20 = ARGS.endpoint, ARGS.label, ARGS.workdir, ARGS.f1, ARGS.f20
    print("%s: python %s, boto3 %s (%s), botocore %s" % (
        label, sys.version.split()[0], boto3.__version__, os.path.dirname(boto3.__file__), botocore.__version__), flush=True)
    s3 = make_client()
    if ARGS.ca:
        def untrusted():
            bad = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                               aws_access_key_id="x", aws_secret_access_key="y",
                               config=Config(retries={"max_attempts": 1, "mode": "standard"}))
            try:
                bad.list_buckets()
            except botocore.exceptions.SSLError:
                return True
            return False
        check(label + ": without verify=CA the certificate is rejected (SSLError)", untrusted)
    tc = TransferConfig(multipart_threshold=256 * 1024 * 1024, multipart_chunksize=256 * 1024 * 1024, max_concurrency=4)
    bucket = "clients-%s-%s" % (label.replace("_", "-"), uuid.uuid4().hex[:8])
    t = label + ": "

    if check(t + "create_bucket " + bucket, lambda: s3.create_bucket(Bucket=bucket)) is None:
        return
    check(t + "head_bucket", lambda: s3.head_bucket(Bucket=bucket))
    check(t + "list_buckets shows it",
          lambda: bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]])
    # us-east-1 (the scenarios' region): AWS answers the owner's re-create
    # with 200 OK (CreateBucket API reference, legacy behaviour).
    check(t + "create_bucket again in us-east-1 is 200", lambda: s3.create_bucket(Bucket=bucket))

    for src, key in ((f1, "dir/f1.bin"), (f20, "dir/sub/f20.bin")):
        size = os.path.getsize(src)
        check(t + "upload_file %d bytes to %s" % (size, key),
              lambda: s3.upload_file(src, bucket, key, Config=tc))
        dst = os.path.join(workdir, label + "-" + os.path.basename(key))
        check(t + "download_file %s" % key, lambda: s3.download_file(bucket, key, dst, Config=tc))
        check(t + "cmp %s" % key, lambda: subprocess.run(["cmp", src, dst]).returncode == 0)
        check(t + "head_object %s ContentLength" % key,
              lambda: s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == size)

    body = os.urandom(4096)
    check(t + "put_object with metadata", lambda: s3.put_object(
        Bucket=bucket, Key="dir/meta.txt", Body=body, ContentType="text/plain",
        Metadata={"color": "blue"}, CacheControl="max-age=5"))

    def get_meta():
        r = s3.get_object(Bucket=bucket, Key="dir/meta.txt")
        data = r["Body"].read()
        return (data == body and r["ContentType"] == "text/plain" and r["Metadata"].get("color") == "blue"
                and r.get("CacheControl") == "max-age=5")
    check(t + "get_object body and metadata", get_meta)

    def ranged():
        r = s3.get_object(Bucket=bucket, Key="dir/meta.txt", Range="bytes=10-19")
        return r["Body"].read() == body[10:20] and r["ResponseMetadata"]["HTTPStatusCode"] == 206
    check(t + "get_object Range", ranged)

    def list_v2_delim():
        r = s3.list_objects_v2(Bucket=bucket, Prefix="dir/", Delimiter="/")
        keys = [o["Key"] for o in r.get("Contents", [])]
        prefixes = [p["Prefix"] for p in r.get("CommonPrefixes", [])]
        ok = keys == ["dir/f1.bin", "dir/meta.txt"] and prefixes == ["dir/sub/"]
        if not ok:
            print("    keys=%r prefixes=%r" % (keys, prefixes))
        return ok
    check(t + "list_objects_v2 prefix dir/ delimiter /", list_v2_delim)

    def list_v1_prefix():
        r = s3.list_objects(Bucket=bucket, Prefix="dir/sub/")
        keys = [o["Key"] for o in r.get("Contents", [])]
        if keys != ["dir/sub/f20.bin"]:
            print("    keys=%r" % keys)
        return keys == ["dir/sub/f20.bin"]
    check(t + "list_objects (v1) prefix dir/sub/", list_v1_prefix)

    def paginate():
        keys = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 1}):
            keys += [o["Key"] for o in page.get("Contents", [])]
        want = ["dir/f1.bin", "dir/meta.txt", "dir/sub/f20.bin"]
        if keys != want:
            print("    keys=%r" % keys)
        return keys == want
    check(t + "list_objects_v2 paginated with MaxKeys=1", paginate)

    def presigned_get():
        url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "dir/meta.txt"}, ExpiresIn=300)
        if "X-Amz-Signature=" not in url:
            print("    not a SigV4 URL: %s" % url.split("?")[0])
            return False
        with urlopen(url) as r:
            if r.read() != body:
                return False
        cp = curl(url)
        if cp.returncode != 0 or cp.stdout != body:
            print("    curl: exit %d %s" % (cp.returncode, cp.stderr.decode(errors="replace")))
            return False
        return True
    check(t + "presigned (SigV4) GET with urllib and curl", presigned_get)

    def copies():
        r = s3.copy_object(Bucket=bucket, Key="copy/meta.txt", CopySource={"Bucket": bucket, "Key": "dir/meta.txt"})
        assert r["CopyObjectResult"]["ETag"].strip('"'), r
        h = s3.head_object(Bucket=bucket, Key="copy/meta.txt")
        assert h["Metadata"] == {"color": "blue"} and h["ContentType"] == "text/plain", h
        s3.copy_object(Bucket=bucket, Key="copy/meta red.txt", CopySource={"Bucket": bucket, "Key": "dir/meta.txt"},
                       MetadataDirective="REPLACE", Metadata={"color": "red"}, ContentType="text/x-red")
        g = s3.get_object(Bucket=bucket, Key="copy/meta red.txt")
        assert g["Body"].read() == body, "copied body differs"
        assert g["Metadata"] == {"color": "red"} and g["ContentType"] == "text/x-red", (g["Metadata"], g["ContentType"])
    check(t + "copy_object COPY and REPLACE (metadata, body)", copies)

    def batch_delete():
        r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "copy/meta.txt"}, {"Key": "copy/meta red.txt"},
                                                                 {"Key": "copy/never existed"}]})
        deleted = sorted(d["Key"] for d in r.get("Deleted", []))
        assert deleted == ["copy/meta red.txt", "copy/meta.txt", "copy/never existed"] and not r.get("Errors"), r
        assert s3.list_objects_v2(Bucket=bucket, Prefix="copy/")["KeyCount"] == 0
    check(t + "delete_objects (batch, a missing key counts as deleted)", batch_delete)

    code, status = error_code(lambda: s3.get_object(Bucket=bucket, Key="missing"))
    report(code == "NoSuchKey" and status == 404, t + "get_object missing is NoSuchKey 404", "got %s %s" % (status, code))
    code, status = error_code(lambda: s3.delete_bucket(Bucket=bucket))
    report(code == "BucketNotEmpty" and status == 409, t + "delete_bucket non-empty is BucketNotEmpty 409", "got %s %s" % (status, code))

    for key in ("dir/f1.bin", "dir/meta.txt", "dir/sub/f20.bin"):
        check(t + "delete_object " + key,
              lambda: s3.delete_object(Bucket=bucket, Key=key)["ResponseMetadata"]["HTTPStatusCode"] == 204)
    check(t + "bucket empty after deletes", lambda: s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0)
    check(t + "delete_bucket", lambda: s3.delete_bucket(Bucket=bucket))
    code, status = error_code(lambda: s3.head_bucket(Bucket=bucket))
    report(status == 404, t + "head_bucket after delete is 404", "got %s %s" % (status, code))

    versions(label, t, s3)
    if ARGS.keys:
        many(label, t)
    if ARGS.vhost:
        vhost(label, t, f1, workdir)
    attributes_ownership(t, f20)  # issue 16 "Also" (block at the end)


def versions(label, t, s3):
    """Versioning (issue 15): put_bucket_versioning, versions made by
    put_object, get_object by VersionId (and the null version), a delete
    marker (404 with x-amz-delete-marker; 405 when named), list_object_versions
    and its paginator, delete_objects with VersionId, delete_bucket refused
    while versions remain, suspension."""
    bucket = "ver-%s-%s" % (label.replace("_", "-"), uuid.uuid4().hex[:8])
    t = t + "versions: "
    if check(t + "create_bucket", lambda: s3.create_bucket(Bucket=bucket)) is None:
        return
    check(t + "get_bucket_versioning before: no Status",
          lambda: "Status" not in s3.get_bucket_versioning(Bucket=bucket))
    check(t + "put_object before versioning (the null version)",
          lambda: s3.put_object(Bucket=bucket, Key="doc", Body=b"v0"))
    check(t + "put_bucket_versioning Enabled", lambda: s3.put_bucket_versioning(
        Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}))
    check(t + "get_bucket_versioning Enabled",
          lambda: s3.get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled")
    ids = {}

    def put_two():
        ids["v1"] = s3.put_object(Bucket=bucket, Key="doc", Body=b"v1")["VersionId"]
        ids["v2"] = s3.put_object(Bucket=bucket, Key="doc", Body=b"v2")["VersionId"]
        assert ids["v1"] and ids["v2"] and ids["v1"] != ids["v2"], ids
        return True
    if check(t + "put_object answers distinct VersionIds", put_two) is None:
        return

    def reads():
        for vid, want in ((ids["v1"], b"v1"), (ids["v2"], b"v2"), ("null", b"v0")):
            r = s3.get_object(Bucket=bucket, Key="doc", VersionId=vid)
            assert r["Body"].read() == want and r["VersionId"] == vid, (vid, r["VersionId"])
        assert s3.head_object(Bucket=bucket, Key="doc")["VersionId"] == ids["v2"]
    check(t + "get_object by VersionId (v1, v2, null); head_object latest", reads)

    def marker():
        r = s3.delete_object(Bucket=bucket, Key="doc")
        assert r.get("DeleteMarker") is True and r.get("VersionId"), r
        ids["dm"] = r["VersionId"]
        try:
            s3.get_object(Bucket=bucket, Key="doc")
            raise AssertionError("the deleted key is readable")
        except ClientError as e:
            hdr = e.response["ResponseMetadata"]["HTTPHeaders"]
            assert e.response["Error"]["Code"] == "NoSuchKey" and hdr.get("x-amz-delete-marker") == "true", e.response
        code, status = error_code(lambda: s3.get_object(Bucket=bucket, Key="doc", VersionId=ids["dm"]))
        assert (code, status) == ("MethodNotAllowed", 405), (code, status)
    check(t + "delete_object makes a marker: GET 404 NoSuchKey, by id 405", marker)

    def listing():
        r = s3.list_object_versions(Bucket=bucket)
        got = [v["VersionId"] for v in r.get("Versions", [])]
        assert got == [ids["v2"], ids["v1"], "null"], got
        dms = r.get("DeleteMarkers", [])
        assert [(d["VersionId"], d["IsLatest"]) for d in dms] == [(ids["dm"], True)], dms
        paged = []
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, PaginationConfig={"PageSize": 1}):
            paged += [v["VersionId"] for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        assert sorted(paged) == sorted(got + [ids["dm"]]) and len(paged) == 4, paged
    check(t + "list_object_versions (and pages of 1)", listing)

    code, status = error_code(lambda: s3.delete_bucket(Bucket=bucket))
    report(code == "BucketNotEmpty" and status == 409, t + "delete_bucket with versions is BucketNotEmpty 409",
           "got %s %s" % (status, code))

    def restore():
        r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "doc", "VersionId": ids["dm"]}]})
        d = r["Deleted"][0]
        assert d.get("DeleteMarker") is True and d.get("DeleteMarkerVersionId") == ids["dm"], r
        assert s3.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"v2"
    check(t + "delete_objects with the marker's VersionId brings the object back", restore)

    def suspend():
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
        r = s3.put_object(Bucket=bucket, Key="doc", Body=b"s")
        assert "VersionId" not in r, r
        assert s3.get_object(Bucket=bucket, Key="doc", VersionId=ids["v1"])["Body"].read() == b"v1"
    check(t + "suspended: put_object makes no version, old versions stay", suspend)

    def empty():
        objs = [{"Key": "doc", "VersionId": v} for v in (ids["v1"], ids["v2"], "null")]
        r = s3.delete_objects(Bucket=bucket, Delete={"Objects": objs})
        assert not r.get("Errors") and len(r["Deleted"]) == 3, r
        s3.delete_bucket(Bucket=bucket)
    check(t + "delete every version, then delete_bucket", empty)


def many(label, t):
    """1,050 keys uploaded in parallel, listed past the first 1000-key page
    (ListObjectsV2 and ListObjects paginators, a delimiter listing), removed
    with delete_objects in pages of 1000."""
    s3 = make_client(max_pool=16)
    bucket = "many-%s-%s" % (label, uuid.uuid4().hex[:8])
    names = sorted(os.listdir(ARGS.keys))
    want = ["many/" + n for n in names]
    if check(t + "create_bucket for %d keys" % len(names), lambda: s3.create_bucket(Bucket=bucket)) is None:
        return

    def upload_all():
        def put(n):
            with open(os.path.join(ARGS.keys, n), "rb") as f:
                s3.put_object(Bucket=bucket, Key="many/" + n, Body=f.read())
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            list(ex.map(put, names))
    check(t + "put_object %d keys from 8 threads" % len(names), upload_all)

    def listed(op, **kw):
        def f():
            keys = []
            pages = 0
            for page in s3.get_paginator(op).paginate(Bucket=bucket, **kw):
                pages += 1
                keys += [o["Key"] for o in page.get("Contents", [])]
            dups = len(keys) - len(set(keys))
            if keys != want:
                print("    %s: %d keys in %d pages (%d duplicates); missing %r; extra %r" % (
                    op, len(keys), pages, dups, sorted(set(want) - set(keys))[:5], sorted(set(keys) - set(want))[:5]))
                return False
            if pages < 2:
                print("    %s: only %d page(s) for %d keys" % (op, pages, len(keys)))
                return False
            return True
        return f
    check(t + "list_objects_v2 paginator: %d keys in order, each once" % len(want), listed("list_objects_v2", Prefix="many/"))
    check(t + "list_objects (v1, marker) paginator: each key once", listed("list_objects", Prefix="many/"))
    check(t + "list_objects_v2 with MaxKeys 300 pages: each key once",
          listed("list_objects_v2", PaginationConfig={"PageSize": 300}))

    def start_after():
        r = s3.list_objects_v2(Bucket=bucket, StartAfter=want[999])
        return [o["Key"] for o in r.get("Contents", [])] == want[1000:] and not r["IsTruncated"]
    check(t + "list_objects_v2 StartAfter the 1000th key", start_after)

    def delimited():
        r = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
        return [p["Prefix"] for p in r.get("CommonPrefixes", [])] == ["many/"] and r["KeyCount"] == 1
    check(t + "list_objects_v2 Delimiter / at the root: one common prefix", delimited)

    def delete_all():
        for i in range(0, len(want), 1000):
            chunk = want[i:i + 1000]
            r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True})
            assert not r.get("Errors") and not r.get("Deleted"), "Quiet delete answered %r" % r
        s3.delete_bucket(Bucket=bucket)
    check(t + "delete_objects (Quiet) in pages of 1000, delete_bucket", delete_all)


def vhost(label, t, f1, workdir):
    """Virtual-hosted style: the bucket is in the Host header."""
    s3 = make_client("virtual")
    b = ARGS.vhost
    seen = []
    s3.meta.events.register("before-send.s3", lambda request, **kw: seen.append(request.url))
    check(t + "vhost: create_bucket " + b, lambda: s3.create_bucket(Bucket=b))
    check(t + "vhost: upload_file", lambda: s3.upload_file(f1, b, "v/f1.bin"))
    dst = os.path.join(workdir, label + "-vhost.bin")
    check(t + "vhost: download_file + cmp",
          lambda: s3.download_file(b, "v/f1.bin", dst) or subprocess.run(["cmp", f1, dst]).returncode == 0)
    check(t + "vhost: list_objects_v2",
          lambda: [o["Key"] for o in s3.list_objects_v2(Bucket=b).get("Contents", [])] == ["v/f1.bin"])
    check(t + "vhost: delete_object, delete_bucket",
          lambda: s3.delete_object(Bucket=b, Key="v/f1.bin") and s3.delete_bucket(Bucket=b))
    host = urllib.parse.urlsplit(ARGS.endpoint).netloc
    want = "https://%s.%s/" % (b, host) if ARGS.endpoint.startswith("https") else "http://%s.%s/" % (b, host)
    report(bool(seen) and all(u.startswith(want) for u in seen), t + "vhost: every request went to " + want,
           "urls: %r" % seen[:3])


# ---- tagging (issue 16) ---------------------------------------------------
# put_object Tagging=, get/put/delete_object_tagging (with VersionId),
# copy_object TaggingDirective, head_object's TagCount header, bucket
# tagging and NoSuchTagSet, and AWS's refusals (11 tags, aws: keys).
def tagging_scenario():
    s3 = make_client()
    t = ARGS.label + ": tagging: "
    bucket = "tags-%s-%s" % (ARGS.label.replace("_", "-"), uuid.uuid4().hex[:8])
    if check(t + "create_bucket", lambda: s3.create_bucket(Bucket=bucket)) is None:
        return

    def tags(key, **kw):
        return sorted((x["Key"], x["Value"]) for x in s3.get_object_tagging(Bucket=bucket, Key=key, **kw)["TagSet"])

    check(t + "put_object Tagging=team=blue&env=dev",
          lambda: s3.put_object(Bucket=bucket, Key="a", Body=b"a", Tagging="team=blue&env=dev"))
    check(t + "get_object_tagging", lambda: tags("a") == [("env", "dev"), ("team", "blue")])
    check(t + "head_object x-amz-tagging-count 2", lambda: s3.head_object(Bucket=bucket, Key="a")[
        "ResponseMetadata"]["HTTPHeaders"].get("x-amz-tagging-count") == "2")
    check(t + "put_object_tagging replaces the set", lambda: s3.put_object_tagging(
        Bucket=bucket, Key="a", Tagging={"TagSet": [{"Key": "x", "Value": "1"}]}) and tags("a") == [("x", "1")])
    check(t + "copy_object keeps the tags (COPY)", lambda: s3.copy_object(
        Bucket=bucket, Key="b", CopySource={"Bucket": bucket, "Key": "a"}) and tags("b") == [("x", "1")])
    check(t + "copy_object TaggingDirective=REPLACE", lambda: s3.copy_object(
        Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "a"},
        TaggingDirective="REPLACE", Tagging="y=2") and tags("c") == [("y", "2")])
    check(t + "delete_object_tagging", lambda: s3.delete_object_tagging(Bucket=bucket, Key="a") and tags("a") == [])
    check(t + "11 tags: BadRequest", lambda: error_code(lambda: s3.put_object_tagging(
        Bucket=bucket, Key="a", Tagging={"TagSet": [{"Key": "k%d" % i, "Value": "v"} for i in range(11)]})) == ("BadRequest", 400))
    check(t + "aws: key: InvalidTag", lambda: error_code(lambda: s3.put_object_tagging(
        Bucket=bucket, Key="a", Tagging={"TagSet": [{"Key": "aws:k", "Value": "v"}]})) == ("InvalidTag", 400))

    def versions():
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        v1 = s3.put_object(Bucket=bucket, Key="v", Body=b"1", Tagging="n=1")["VersionId"]
        v2 = s3.put_object(Bucket=bucket, Key="v", Body=b"2", Tagging="n=2")["VersionId"]
        r = s3.put_object_tagging(Bucket=bucket, Key="v", VersionId=v1, Tagging={"TagSet": [{"Key": "n", "Value": "old"}]})
        return (r["VersionId"] == v1 and tags("v", VersionId=v1) == [("n", "old")]
                and tags("v", VersionId=v2) == [("n", "2")] and tags("v") == [("n", "2")])
    check(t + "put_object_tagging VersionId changes that version only", versions)

    check(t + "get_bucket_tagging without tags: NoSuchTagSet",
          lambda: error_code(lambda: s3.get_bucket_tagging(Bucket=bucket)) == ("NoSuchTagSet", 404))
    check(t + "put_bucket_tagging + get_bucket_tagging", lambda: s3.put_bucket_tagging(
        Bucket=bucket, Tagging={"TagSet": [{"Key": "owner", "Value": "ops"}]}) and
        s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "owner", "Value": "ops"}])
    check(t + "delete_bucket_tagging", lambda: s3.delete_bucket_tagging(Bucket=bucket) and
          error_code(lambda: s3.get_bucket_tagging(Bucket=bucket)) == ("NoSuchTagSet", 404))

    def cleanup():
        for v in s3.list_object_versions(Bucket=bucket).get("Versions", []):
            s3.delete_object(Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"])
        s3.delete_bucket(Bucket=bucket)
    check(t + "delete every version, delete_bucket", cleanup)
# ---- end tagging -----------------------------------------------------------
# ---- object lock (issue 16) ----
def object_lock(label, t, s3):
    """Object lock: a bucket created with lock, put_object with a
    GOVERNANCE retention, get/put_object_retention, put/get_object_legal_hold,
    delete_object by version refused (AccessDenied), bypass with
    BypassGovernanceRetention once the hold is off, a COMPLIANCE version
    that stays, and get_object_lock_configuration."""
    import datetime
    b = "lock-%s-%s" % (label.replace("_", "-").lower(), uuid.uuid4().hex[:8])
    until = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + datetime.timedelta(hours=1)
    if not check(t + "lock: create_bucket ObjectLockEnabledForBucket", lambda: s3.create_bucket(Bucket=b, ObjectLockEnabledForBucket=True)):
        return
    check(t + "lock: get_object_lock_configuration is Enabled",
          lambda: s3.get_object_lock_configuration(Bucket=b)["ObjectLockConfiguration"]["ObjectLockEnabled"] == "Enabled")
    vid = check(t + "lock: put_object with a GOVERNANCE retention", lambda: s3.put_object(
        Bucket=b, Key="g", Body=b"governed", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until)["VersionId"])
    if not vid:
        return
    check(t + "lock: get_object_retention", lambda: s3.get_object_retention(Bucket=b, Key="g", VersionId=vid)["Retention"]
          == {"Mode": "GOVERNANCE", "RetainUntilDate": until})
    check(t + "lock: head_object shows the mode", lambda: s3.head_object(Bucket=b, Key="g")["ObjectLockMode"] == "GOVERNANCE")
    check(t + "lock: put_object_legal_hold ON", lambda: s3.put_object_legal_hold(Bucket=b, Key="g", VersionId=vid, LegalHold={"Status": "ON"}))
    check(t + "lock: get_object_legal_hold is ON",
          lambda: s3.get_object_legal_hold(Bucket=b, Key="g", VersionId=vid)["LegalHold"]["Status"] == "ON")
    code, status = error_code(lambda: s3.delete_object(Bucket=b, Key="g", VersionId=vid, BypassGovernanceRetention=True))
    report(code == "AccessDenied" and status == 403, t + "lock: delete_object of a held version is AccessDenied", "got %s %s" % (status, code))
    check(t + "lock: put_object_legal_hold OFF", lambda: s3.put_object_legal_hold(Bucket=b, Key="g", VersionId=vid, LegalHold={"Status": "OFF"}))
    code, status = error_code(lambda: s3.delete_object(Bucket=b, Key="g", VersionId=vid))
    report(code == "AccessDenied" and status == 403, t + "lock: delete_object under GOVERNANCE without bypass is AccessDenied",
           "got %s %s" % (status, code))
    check(t + "lock: delete_object with BypassGovernanceRetention",
          lambda: s3.delete_object(Bucket=b, Key="g", VersionId=vid, BypassGovernanceRetention=True))
    cid = check(t + "lock: put_object_retention COMPLIANCE on a new version", lambda: (lambda v: s3.put_object_retention(
        Bucket=b, Key="c", VersionId=v, Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until}) and v)(
        s3.put_object(Bucket=b, Key="c", Body=b"kept")["VersionId"]))
    if cid:
        code, status = error_code(lambda: s3.delete_object(Bucket=b, Key="c", VersionId=cid, BypassGovernanceRetention=True))
        report(code == "AccessDenied" and status == 403, t + "lock: a COMPLIANCE version cannot be deleted, bypass or not",
               "got %s %s" % (status, code))
        code, status = error_code(lambda: s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Suspended"}))
        report(code == "InvalidBucketState" and status == 409, t + "lock: versioning cannot be suspended", "got %s %s" % (status, code))
# ---- end object lock ----
# ---- issue 16 "Also": attributes, ?partNumber=, ownership controls, public
# access block (branch h-attrs). Self-contained: its own bucket.
def attributes_ownership(t, f20):
    """get_object_attributes of a CRC32 COMPOSITE multipart object (its
    parts and their checksums), get_object with PartNumber,
    put/get/delete_bucket_ownership_controls (BucketOwnerEnforced refuses a
    public ACL), put/get/delete_public_access_block (BlockPublicAcls and
    IgnorePublicAcls seen by an anonymous GET), get_bucket_policy_status."""
    s3 = make_client()
    t = t + "attrs: "
    b = "attrs-%s" % uuid.uuid4().hex[:12]
    if check(t + "create_bucket", lambda: s3.create_bucket(Bucket=b)) is None:
        return
    with open(f20, "rb") as f:
        data = f.read()
    p1, p2 = data[:5 * 1024 * 1024], data[5 * 1024 * 1024:]
    state = {}

    def multipart():
        up = s3.create_multipart_upload(Bucket=b, Key="mp", ChecksumAlgorithm="CRC32")
        parts = []
        for n, body in ((1, p1), (2, p2)):
            r = s3.upload_part(Bucket=b, Key="mp", UploadId=up["UploadId"], PartNumber=n, Body=body, ChecksumAlgorithm="CRC32")
            parts.append({"PartNumber": n, "ETag": r["ETag"], "ChecksumCRC32": r["ChecksumCRC32"]})
        s3.complete_multipart_upload(Bucket=b, Key="mp", UploadId=up["UploadId"], MultipartUpload={"Parts": parts})
        state["parts"] = parts
        return True
    if check(t + "multipart upload with CRC32 part checksums", multipart) is None:
        return

    def attributes():
        r = s3.get_object_attributes(Bucket=b, Key="mp", ObjectAttributes=["ObjectParts", "ObjectSize", "ETag", "StorageClass"])
        op = r["ObjectParts"]
        got = [(p["PartNumber"], p["Size"], p["ChecksumCRC32"]) for p in op["Parts"]]
        want = [(p["PartNumber"], len(body), p["ChecksumCRC32"]) for p, body in zip(state["parts"], (p1, p2))]
        assert r["ObjectSize"] == len(data) and op["TotalPartsCount"] == 2 and got == want and r["ETag"].endswith("-2"), r
    check(t + "get_object_attributes: size, 2 parts with their CRC32s", attributes)

    def paged():
        r = s3.get_object_attributes(Bucket=b, Key="mp", ObjectAttributes=["ObjectParts"], MaxParts=1, PartNumberMarker=1)
        op = r["ObjectParts"]
        assert [p["PartNumber"] for p in op["Parts"]] == [2] and not op["IsTruncated"], r
    check(t + "get_object_attributes MaxParts=1 PartNumberMarker=1: part 2", paged)

    def part():
        r = s3.get_object(Bucket=b, Key="mp", PartNumber=2)
        return r["PartsCount"] == 2 and r["Body"].read() == p2 and r["ResponseMetadata"]["HTTPStatusCode"] == 206
    check(t + "get_object PartNumber=2: 206, PartsCount 2, the part's bytes", part)

    def anon_status(key):
        try:
            with urlopen("%s/%s/%s" % (ARGS.endpoint.rstrip("/"), b, key)) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code
    check(t + "put_object public-read", lambda: s3.put_object(Bucket=b, Key="pub", Body=b"x", ACL="public-read"))
    check(t + "anonymous GET of the public object is 200", lambda: anon_status("pub") == 200)

    cfg = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": False}
    check(t + "put_public_access_block", lambda: s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration=cfg))
    check(t + "get_public_access_block", lambda: s3.get_public_access_block(Bucket=b)["PublicAccessBlockConfiguration"] == cfg)
    check(t + "IgnorePublicAcls: anonymous GET is 403", lambda: anon_status("pub") == 403)
    code, status = error_code(lambda: s3.put_object(Bucket=b, Key="pub2", Body=b"x", ACL="public-read"))
    report(code == "AccessDenied" and status == 403, t + "BlockPublicAcls: put_object public-read is AccessDenied", "got %s %s" % (status, code))
    check(t + "delete_public_access_block", lambda: s3.delete_public_access_block(Bucket=b))
    code, status = error_code(lambda: s3.get_public_access_block(Bucket=b))
    report(code == "NoSuchPublicAccessBlockConfiguration" and status == 404, t + "no block: NoSuchPublicAccessBlockConfiguration",
           "got %s %s" % (status, code))
    check(t + "the public object is public again", lambda: anon_status("pub") == 200)

    policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/*"}]}' % b
    check(t + "put_bucket_policy (public)", lambda: s3.put_bucket_policy(Bucket=b, Policy=policy))
    check(t + "get_bucket_policy_status: IsPublic", lambda: s3.get_bucket_policy_status(Bucket=b)["PolicyStatus"]["IsPublic"] is True)
    check(t + "delete_bucket_policy", lambda: s3.delete_bucket_policy(Bucket=b))

    enforced = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    check(t + "put_object_acl private (before enforcing)", lambda: s3.put_object_acl(Bucket=b, Key="pub", ACL="private"))
    check(t + "put_bucket_ownership_controls BucketOwnerEnforced",
          lambda: s3.put_bucket_ownership_controls(Bucket=b, OwnershipControls=enforced))
    check(t + "get_bucket_ownership_controls", lambda: s3.get_bucket_ownership_controls(Bucket=b)["OwnershipControls"] == enforced)
    code, status = error_code(lambda: s3.put_object(Bucket=b, Key="pub3", Body=b"x", ACL="public-read"))
    report(code == "AccessControlListNotSupported" and status == 400, t + "ACLs disabled: put_object public-read refused",
           "got %s %s" % (status, code))
    check(t + "delete_bucket_ownership_controls", lambda: s3.delete_bucket_ownership_controls(Bucket=b))
    code, status = error_code(lambda: s3.get_bucket_ownership_controls(Bucket=b))
    report(code == "OwnershipControlsNotFoundError" and status == 404, t + "no controls: OwnershipControlsNotFoundError",
           "got %s %s" % (status, code))

    def cleanup():
        for k in ("mp", "pub"):
            s3.delete_object(Bucket=b, Key=k)
        s3.delete_bucket(Bucket=b)
    check(t + "delete objects and bucket", cleanup)
# ---- end of issue 16 "Also" block (h-attrs) ----


# ---- lifecycle (issue 20, h-lifecycle) ----
def lifecycle_scenario(t, s3):
    """put/get/delete_bucket_lifecycle_configuration, x-amz-expiration
    (Expiration) on put_object and head_object, S3's refusals."""
    t = t + "lifecycle: "
    b = "lc-boto3-%d-%d" % (os.getpid(), random.randint(0, 1 << 30))
    if not check(t + "create_bucket", lambda: s3.create_bucket(Bucket=b)):
        return
    rules = [{"ID": "tmp", "Status": "Enabled",
              "Filter": {"And": {"Prefix": "tmp/", "Tags": [{"Key": "kind", "Value": "scratch"}]}},
              "Expiration": {"Days": 1}},
             {"ID": "old", "Status": "Enabled", "Filter": {"Prefix": "old/"},
              "NoncurrentVersionExpiration": {"NoncurrentDays": 3, "NewerNoncurrentVersions": 2},
              "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}]
    check(t + "put_bucket_lifecycle_configuration",
          lambda: s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": rules}))
    got = check(t + "get_bucket_lifecycle_configuration", lambda: s3.get_bucket_lifecycle_configuration(Bucket=b)["Rules"])
    report(bool(got) and got[0]["Filter"]["And"]["Tags"] == rules[0]["Filter"]["And"]["Tags"]
           and got[1]["NoncurrentVersionExpiration"] == rules[1]["NoncurrentVersionExpiration"],
           t + "the rules read back", "got %r" % (got,))
    put = check(t + "put_object tagged kind=scratch",
                lambda: s3.put_object(Bucket=b, Key="tmp/x", Body=b"x", Tagging="kind=scratch"))
    report(bool(put) and 'rule-id="tmp"' in put.get("Expiration", ""), t + "put_object answers Expiration",
           "got %r" % (put and put.get("Expiration"),))
    head = check(t + "head_object", lambda: s3.head_object(Bucket=b, Key="tmp/x"))
    report(bool(head) and head.get("Expiration") == put.get("Expiration"), t + "head_object answers the same Expiration")
    untagged = check(t + "put_object untagged", lambda: s3.put_object(Bucket=b, Key="tmp/y", Body=b"y"))
    report(bool(untagged) and "Expiration" not in untagged, t + "no rule selects the untagged key: no Expiration")
    code, status = error_code(lambda: s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [
        {"ID": "a", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}},
        {"ID": "a", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 2}}]}))
    report(code == "InvalidArgument" and status == 400, t + "two rules with one ID: InvalidArgument", "got %s %s" % (status, code))
    code, status = error_code(lambda: s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [
        {"ID": "t", "Status": "Enabled", "Filter": {}, "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}]}]}))
    report(code == "NotImplemented" and status == 501, t + "a transition: NotImplemented", "got %s %s" % (status, code))
    check(t + "delete_bucket_lifecycle", lambda: s3.delete_bucket_lifecycle(Bucket=b))
    code, status = error_code(lambda: s3.get_bucket_lifecycle_configuration(Bucket=b))
    report(code == "NoSuchLifecycleConfiguration" and status == 404, t + "get after delete: NoSuchLifecycleConfiguration",
           "got %s %s" % (status, code))

    def cleanup():
        for k in ("tmp/x", "tmp/y"):
            s3.delete_object(Bucket=b, Key=k)
        s3.delete_bucket(Bucket=b)
    check(t + "delete objects and bucket", cleanup)
# ---- end lifecycle (h-lifecycle) ----


# ---- encryption at rest (issue 19, h-sse) ----
def sse_scenario():
    """SSE-S3 by header and by bucket default (PUT, GET, HEAD, copy,
    multipart through upload_fileobj), and SSE-C refused until built."""
    import io
    from boto3.s3.transfer import TransferConfig
    t = ARGS.label + ": sse: "
    s3 = make_client()
    b = "sse-" + uuid.uuid4().hex[:16]
    check(t + "create_bucket", lambda: s3.create_bucket(Bucket=b))
    body = b"sse scenario " * 10000
    r = check(t + "put_object ServerSideEncryption=AES256",
              lambda: s3.put_object(Bucket=b, Key="s3", Body=body, ServerSideEncryption="AES256"))
    report(bool(r) and r.get("ServerSideEncryption") == "AES256", t + "put answers AES256")
    g = check(t + "get_object", lambda: s3.get_object(Bucket=b, Key="s3"))
    report(bool(g) and g["Body"].read() == body and g.get("ServerSideEncryption") == "AES256", t + "get: plaintext, AES256")
    h = check(t + "head_object", lambda: s3.head_object(Bucket=b, Key="s3"))
    report(bool(h) and h["ContentLength"] == len(body) and h.get("ServerSideEncryption") == "AES256", t + "head: plaintext size, AES256")
    rg = check(t + "ranged get", lambda: s3.get_object(Bucket=b, Key="s3", Range="bytes=70000-70099")["Body"].read())
    report(rg == body[70000:70100], t + "range reads the plaintext")
    check(t + "copy_object to a plain object", lambda: s3.copy_object(Bucket=b, Key="plain", CopySource={"Bucket": b, "Key": "s3"}))
    hp = check(t + "head the plain copy", lambda: s3.head_object(Bucket=b, Key="plain"))
    report(bool(hp) and "ServerSideEncryption" not in hp, t + "the copy without SSE is plain")
    rule = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
    check(t + "put_bucket_encryption AES256", lambda: s3.put_bucket_encryption(Bucket=b, ServerSideEncryptionConfiguration=rule))
    ge = check(t + "get_bucket_encryption", lambda: s3.get_bucket_encryption(Bucket=b))
    report(bool(ge) and ge["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256",
           t + "get_bucket_encryption says AES256")
    big = os.urandom(12 << 20)
    cfg = TransferConfig(multipart_threshold=5 << 20, multipart_chunksize=5 << 20)
    check(t + "upload_fileobj 12 MiB (multipart) under the default",
          lambda: s3.upload_fileobj(io.BytesIO(big), b, "mp", Config=cfg))
    hm = check(t + "head the multipart object", lambda: s3.head_object(Bucket=b, Key="mp"))
    report(bool(hm) and hm.get("ServerSideEncryption") == "AES256" and hm["ContentLength"] == len(big), t + "multipart object is AES256")
    out = io.BytesIO()
    check(t + "download_fileobj", lambda: s3.download_fileobj(b, "mp", out, Config=cfg))
    report(out.getvalue() == big, t + "multipart object reads back")
    check(t + "delete_bucket_encryption", lambda: s3.delete_bucket_encryption(Bucket=b))
    code, status = error_code(lambda: s3.get_bucket_encryption(Bucket=b))
    report(code == "ServerSideEncryptionConfigurationNotFoundError" and status == 404, t + "no configuration: 404",
           "got %s %s" % (status, code))
    # SSE-C (SSECustomerKey: boto3 adds the algorithm's MD5): over TLS
    # only, as S3.
    key, other = b"k" * 32, b"o" * 32
    ssec = dict(SSECustomerAlgorithm="AES256", SSECustomerKey=key)
    if not ARGS.endpoint.startswith("https:"):
        code, status = error_code(lambda: s3.put_object(Bucket=b, Key="ssec", Body=b"x", **ssec))
        report(code == "InvalidRequest" and status == 400, t + "SSE-C over plain HTTP refused", "got %s %s" % (status, code))
    else:
        p = check(t + "put_object SSECustomerKey", lambda: s3.put_object(Bucket=b, Key="ssec", Body=body, **ssec))
        report(bool(p) and p.get("SSECustomerAlgorithm") == "AES256", t + "put answers the SSE-C algorithm")
        g = check(t + "get_object SSECustomerKey", lambda: s3.get_object(Bucket=b, Key="ssec", **ssec)["Body"].read())
        report(g == body, t + "SSE-C object reads back with its key")
        code, status = error_code(lambda: s3.get_object(Bucket=b, Key="ssec"))
        report(code == "InvalidRequest" and status == 400, t + "get without the key refused", "got %s %s" % (status, code))
        code, status = error_code(lambda: s3.get_object(Bucket=b, Key="ssec", SSECustomerAlgorithm="AES256", SSECustomerKey=other))
        report(code == "AccessDenied" and status == 403, t + "get with another key denied", "got %s %s" % (status, code))
        check(t + "copy_object from the SSE-C key to another",
              lambda: s3.copy_object(Bucket=b, Key="ssec2", CopySource={"Bucket": b, "Key": "ssec"},
                                     CopySourceSSECustomerAlgorithm="AES256", CopySourceSSECustomerKey=key,
                                     SSECustomerAlgorithm="AES256", SSECustomerKey=other))
        g2 = check(t + "get the copy with the other key",
                   lambda: s3.get_object(Bucket=b, Key="ssec2", SSECustomerAlgorithm="AES256", SSECustomerKey=other)["Body"].read())
        report(g2 == body, t + "the copy reads back with the other key")
        out2 = io.BytesIO()
        check(t + "upload_fileobj 12 MiB with SSECustomerKey (multipart)",
              lambda: s3.upload_fileobj(io.BytesIO(big), b, "ssec-mp", Config=cfg, ExtraArgs=ssec))
        check(t + "download_fileobj with SSECustomerKey", lambda: s3.download_fileobj(b, "ssec-mp", out2, Config=cfg, ExtraArgs=ssec))
        report(out2.getvalue() == big, t + "SSE-C multipart object reads back")

    def cleanup():
        for k in ("s3", "plain", "mp", "ssec", "ssec2", "ssec-mp"):
            s3.delete_object(Bucket=b, Key=k)
        s3.delete_bucket(Bucket=b)
    check(t + "delete objects and bucket", cleanup)
# ---- end encryption at rest ----

# ---- listing fields (issue 18: docs/listing.md) ----
def listing_fields_scenario():
    """Every page of a listing shows each key's current ETag and size (as
    HEAD does), before and after an overwrite, in v2 pages, v1 (with
    owners) and ListObjectVersions of a bucket never versioned."""
    t = ARGS.label + ": listing fields: "
    s3 = make_client()
    b = "lfields-" + uuid.uuid4().hex[:16]
    check(t + "create_bucket", lambda: s3.create_bucket(Bucket=b))
    for i in range(30):
        s3.put_object(Bucket=b, Key="k%02d" % i, Body=b"body %d" % i)

    def listed_as_head(what):
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=b, PaginationConfig={"PageSize": 7})
        v2 = {o["Key"]: (o["ETag"], o["Size"]) for p in pages for o in p.get("Contents", [])}
        v1 = s3.list_objects(Bucket=b)["Contents"]
        vs = s3.list_object_versions(Bucket=b)["Versions"]
        heads = {k: s3.head_object(Bucket=b, Key=k) for k in v2}
        want = {k: (h["ETag"], h["ContentLength"]) for k, h in heads.items()}
        report(len(v2) == 30 and v2 == want, t + what + ": v2 pages list what HEAD says")
        report({o["Key"]: (o["ETag"], o["Size"]) for o in v1} == want and all(o.get("Owner", {}).get("ID") for o in v1),
               t + what + ": v1 lists the same, with owners")
        report({v["Key"]: (v["ETag"], v["Size"]) for v in vs} == want, t + what + ": versions list the same")
    check(t + "first listing", lambda: listed_as_head("first") or True)
    check(t + "listed again", lambda: listed_as_head("again") or True)
    check(t + "overwrite k05", lambda: s3.put_object(Bucket=b, Key="k05", Body=b"a longer, replaced body"))
    check(t + "after an overwrite", lambda: listed_as_head("after an overwrite") or True)

    def cleanup():
        for i in range(30):
            s3.delete_object(Bucket=b, Key="k%02d" % i)
        s3.delete_bucket(Bucket=b)
    check(t + "delete objects and bucket", cleanup)
# ---- end listing fields ----

# ---- versioned listing fields (issue 18: docs/listing-cpu.md) ----
def versioned_listing_fields_scenario():
    """Every version a ListObjectVersions page shows of a versioned bucket
    (pages of 3) has the ETag and size HEAD of that version gives, before
    and after a new version and a version deleted: the listing reads them
    through the listing-fields cache."""
    t = ARGS.label + ": versioned listing fields: "
    s3 = make_client()
    b = "vlfields-" + uuid.uuid4().hex[:16]
    check(t + "create_bucket", lambda: s3.create_bucket(Bucket=b))
    check(t + "enable versioning", lambda: s3.put_bucket_versioning(
        Bucket=b, VersioningConfiguration={"Status": "Enabled"}))
    for i in range(8):
        for n in range(2):
            s3.put_object(Bucket=b, Key="k%02d" % i, Body=b"body %d, version %d" % (i, n) + b"x" * n)

    def listed_as_head(what, want_versions):
        pages = s3.get_paginator("list_object_versions").paginate(Bucket=b, PaginationConfig={"PageSize": 3})
        vs = [v for p in pages for v in p.get("Versions", [])]
        listed = {(v["Key"], v["VersionId"]): (v["ETag"], v["Size"]) for v in vs}
        heads = {kv: s3.head_object(Bucket=b, Key=kv[0], VersionId=kv[1]) for kv in listed}
        want = {kv: (h["ETag"], h["ContentLength"]) for kv, h in heads.items()}
        report(len(vs) == want_versions and listed == want, t + what + ": versions list what HEAD of each says")
    check(t + "first listing", lambda: listed_as_head("first", 16) or True)
    check(t + "listed again", lambda: listed_as_head("again", 16) or True)
    check(t + "new version of k03", lambda: s3.put_object(Bucket=b, Key="k03", Body=b"a third, longer body"))
    check(t + "after a new version", lambda: listed_as_head("after a new version", 17) or True)

    def delete_oldest_k05():
        vs = [v for v in s3.list_object_versions(Bucket=b, Prefix="k05")["Versions"] if not v["IsLatest"]]
        s3.delete_object(Bucket=b, Key="k05", VersionId=vs[0]["VersionId"])
    check(t + "delete an old version of k05", delete_oldest_k05)
    check(t + "after a version deleted", lambda: listed_as_head("after a version deleted", 16) or True)

    def cleanup():
        for v in s3.list_object_versions(Bucket=b).get("Versions", []):
            s3.delete_object(Bucket=b, Key=v["Key"], VersionId=v["VersionId"])
        for m in s3.list_object_versions(Bucket=b).get("DeleteMarkers", []):
            s3.delete_object(Bucket=b, Key=m["Key"], VersionId=m["VersionId"])
        s3.delete_bucket(Bucket=b)
    check(t + "delete versions and bucket", cleanup)
# ---- end versioned listing fields ----

# ---- listing page cache (issue 18: docs/listing-pagecache.md) ----
def listing_pagecache_scenario():
    """The same listing requests repeated (pages of 4, and delimited pages
    of 3 per directory) list what is stored after each change, though a
    node answers a repeated page from its cache while nothing changed."""
    t = ARGS.label + ": listing page cache: "
    s3 = make_client()
    b = "lpages-" + uuid.uuid4().hex[:16]
    check(t + "create_bucket", lambda: s3.create_bucket(Bucket=b))
    stored = {}
    for i in range(20):
        k = ("d%d/k%02d" % (i % 3, i)) if i % 4 else ("top%02d" % i)
        stored[k] = b"body %d" % i
        s3.put_object(Bucket=b, Key=k, Body=stored[k])

    def listed(what):
        for _ in range(2):  # the second time, pages may come from the cache
            time.sleep(0.05)
            pages = s3.get_paginator("list_objects_v2").paginate(Bucket=b, PaginationConfig={"PageSize": 4})
            flat = {o["Key"]: (o["ETag"], o["Size"]) for p in pages for o in p.get("Contents", [])}
            want = {k: ('"%s"' % hashlib.md5(v).hexdigest(), len(v)) for k, v in stored.items()}
            report(flat == want, t + what + ": pages of 4 list what is stored")
            keys, dirs = [], [""]
            while dirs:
                d = dirs.pop(0)
                pages = s3.get_paginator("list_objects_v2").paginate(Bucket=b, Prefix=d, Delimiter="/",
                                                                     PaginationConfig={"PageSize": 3})
                for p in pages:
                    keys += [o["Key"] for o in p.get("Contents", [])]
                    dirs += [c["Prefix"] for c in p.get("CommonPrefixes", [])]
            report(sorted(keys) == sorted(stored), t + what + ": delimited pages list every key once")
    check(t + "first listings", lambda: listed("first") or True)

    def overwrite():
        stored["d1/k01"] = b"a longer, replaced body"
        s3.put_object(Bucket=b, Key="d1/k01", Body=stored["d1/k01"])
    check(t + "overwrite d1/k01", overwrite)
    check(t + "after an overwrite", lambda: listed("after an overwrite") or True)

    def put_new_dir():
        stored["d9/new"] = b"new"
        s3.put_object(Bucket=b, Key="d9/new", Body=b"new")
    check(t + "put d9/new", put_new_dir)
    check(t + "after a key in a new directory", lambda: listed("after a new directory") or True)

    def delete_keys():
        for k in ("d9/new", "top00"):
            s3.delete_object(Bucket=b, Key=k)
            del stored[k]
    check(t + "delete d9/new and top00", delete_keys)
    check(t + "after deletes", lambda: listed("after deletes") or True)

    def cleanup():
        for k in list(stored):
            s3.delete_object(Bucket=b, Key=k)
        s3.delete_bucket(Bucket=b)
    check(t + "delete objects and bucket", cleanup)
# ---- end listing page cache ----

if __name__ == "__main__":
    try:
        main()
        tagging_scenario()
        object_lock(ARGS.label, ARGS.label + ": ", make_client())
        lifecycle_scenario(ARGS.label + ": ", make_client())
        sse_scenario()
        listing_fields_scenario()
        versioned_listing_fields_scenario()
        listing_pagecache_scenario()
    except Exception:  # noqa: BLE001
        traceback.print_exc()
        report(False, "scenario crashed")
    print("summary %s: passed=%d failed=%d" % (sys.argv[2] if len(sys.argv) > 2 else "boto3", passed, failed))
    sys.exit(1 if failed else 0)
