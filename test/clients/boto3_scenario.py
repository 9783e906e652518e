#!/usr/bin/env python3
"""boto3 scenario against a caddys3 endpoint.

Usage: boto3_scenario.py ENDPOINT LABEL WORKDIR FILE1 FILE20

Runs with whichever python runs it (pip's boto3 or Debian's python3-boto3)
and prints one "PASS: ..." or "FAIL: ..." line per check. Credentials come
from S3_ACCESS_KEY / S3_SECRET_KEY (python.sh sets them); uploads stay single
PUTs (multipart is not implemented yet).
"""

import os
import subprocess
import sys
import traceback
import urllib.error
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


def main():
    endpoint, label, workdir, f1, f20 = sys.argv[1:6]
    print("%s: python %s, boto3 %s (%s), botocore %s" % (
        label, sys.version.split()[0], boto3.__version__, os.path.dirname(boto3.__file__), botocore.__version__), flush=True)
    cfg = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path"},
        retries={"max_attempts": 1, "mode": "standard"},
        connect_timeout=10,
        read_timeout=120,
    )
    s3 = boto3.session.Session(
        aws_access_key_id=os.environ["S3_ACCESS_KEY"],
        aws_secret_access_key=os.environ["S3_SECRET_KEY"],
        region_name="us-east-1",
    ).client("s3", endpoint_url=endpoint, config=cfg)
    tc = TransferConfig(multipart_threshold=256 * 1024 * 1024, multipart_chunksize=256 * 1024 * 1024, max_concurrency=4)
    bucket = "clients-%s-%s" % (label.replace("_", "-"), uuid.uuid4().hex[:8])
    t = label + ": "

    if check(t + "create_bucket " + bucket, lambda: s3.create_bucket(Bucket=bucket)) is None:
        return
    check(t + "head_bucket", lambda: s3.head_bucket(Bucket=bucket))
    check(t + "list_buckets shows it",
          lambda: bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]])
    code, status = error_code(lambda: s3.create_bucket(Bucket=bucket))
    report(code == "BucketAlreadyOwnedByYou" and status == 409, t + "create_bucket again is BucketAlreadyOwnedByYou 409",
           "got %s %s" % (status, code))

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
        with urllib.request.urlopen(url, timeout=60) as r:
            return r.read() == body
    check(t + "presigned (SigV4) GET with urllib", presigned_get)

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


if __name__ == "__main__":
    try:
        main()
    except Exception:  # noqa: BLE001
        traceback.print_exc()
        report(False, "scenario crashed")
    print("summary %s: passed=%d failed=%d" % (sys.argv[2] if len(sys.argv) > 2 else "boto3", passed, failed))
    sys.exit(1 if failed else 0)
