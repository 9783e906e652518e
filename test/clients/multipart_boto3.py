"""boto3 managed transfers against caddys3 (run by scenario-multipart.sh).

Usage: multipart_boto3.py ENDPOINT LABEL WORKDIR FILE [CAFILE]

upload_file with TransferConfig(multipart_threshold=5 MiB,
multipart_chunksize=5 MiB), checks the multipart ETag, download_file + byte
compare, then the managed copy (multipart UploadPartCopy above the
threshold) + download + compare. Prints PASS/FAIL lines; exits 1 on any
failure. Credentials come from S3_ACCESS_KEY / S3_SECRET_KEY; over https the
server's certificate is verified against CAFILE (verify=CAFILE).
"""

import filecmp
import hashlib
import os
import random
import sys
import traceback

import boto3
import botocore
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

endpoint, label, work, path = sys.argv[1:5]
cafile = sys.argv[5] if len(sys.argv) > 5 and sys.argv[5] else None
MIB = 1 << 20
passed = failed = 0


def report(ok, name, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"PASS: {label}: {name}", flush=True)
    else:
        failed += 1
        print(f"FAIL: {label}: {name}" + (f" ({detail})" if detail else ""), flush=True)


def check(name, fn):
    try:
        res = fn()
    except Exception as e:  # noqa: BLE001 - every failure is a FAIL line
        report(False, name, f"{type(e).__name__}: {e}")
        traceback.print_exc(limit=3)
        return None
    if res is False:
        report(False, name)
    elif isinstance(res, str):
        report(False, name, res)
    else:
        report(True, name)
    return res


def mp_etag(path, chunk):
    digests = []
    with open(path, "rb") as f:
        while True:
            b = f.read(chunk)
            if not b:
                break
            digests.append(hashlib.md5(b).digest())
    return '"%s-%d"' % (hashlib.md5(b"".join(digests)).hexdigest(), len(digests))


s3 = boto3.client(
    "s3",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id=os.environ["S3_ACCESS_KEY"],
    aws_secret_access_key=os.environ["S3_SECRET_KEY"],
    config=Config(
        s3={"addressing_style": "path"},
        retries={"max_attempts": 1, "mode": "standard"},
        connect_timeout=10,
        read_timeout=120,
    ),
    verify=cafile,
)
cfg = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB, max_concurrency=4)
bucket = f"mp-{label}-{os.getpid()}-{random.randint(0, 99999)}".lower()
want = mp_etag(path, 5 * MIB)
print(f"== {label}: boto3 {boto3.__version__} (botocore {botocore.__version__}, python {sys.version.split()[0]}) "
      f"against {endpoint}, bucket {bucket}", flush=True)

if check("create_bucket", lambda: s3.create_bucket(Bucket=bucket)) is None:
    print(f"{passed} passed, {failed} failed")
    sys.exit(1)


def upload():
    s3.upload_file(path, bucket, "up/big.bin", Config=cfg)


def etag_is(key, expect):
    def f():
        got = s3.head_object(Bucket=bucket, Key=key)["ETag"]
        return True if got == expect else f"ETag {got}, want {expect}"

    return f


def download(key, dst):
    def f():
        s3.download_file(bucket, key, dst, Config=cfg)
        return True if filecmp.cmp(path, dst, shallow=False) else f"{dst} differs from {path}"

    return f


def no_uploads_left():
    ups = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    return True if not ups else f"{len(ups)} uploads still in progress: {ups}"


check("upload_file 5 MiB parts", upload)
check("multipart ETag of upload_file", etag_is("up/big.bin", want))
check("download_file + compare", download("up/big.bin", os.path.join(work, f"{label}-down.bin")))
check(
    "managed copy (multipart UploadPartCopy)",
    lambda: s3.copy({"Bucket": bucket, "Key": "up/big.bin"}, bucket, "copy/big copy.bin", Config=cfg),
)
check("multipart ETag of the copy", etag_is("copy/big copy.bin", want))
check("download the copy + compare", download("copy/big copy.bin", os.path.join(work, f"{label}-copy.bin")))
check("no multipart uploads left in progress", no_uploads_left)


def cleanup():
    for k in ("up/big.bin", "copy/big copy.bin"):
        s3.delete_object(Bucket=bucket, Key=k)
    s3.delete_bucket(Bucket=bucket)


check("cleanup", cleanup)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
