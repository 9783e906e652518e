// minio-js (the `minio` package, v8) against caddys3. Usage:
// node minio.mjs ENDPOINT (environment: see common.mjs and
// test/clients/scenario-node.sh). region is set to us-east-1 so that the
// client never asks for a bucket's location first. Requests go through a
// recording transport (see client()).
import { createReadStream, writeFileSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import * as Minio from 'minio';
import http from 'node:http';
import https from 'node:https';
import {
	cfg,
	runner,
	assert,
	assertEq,
	expectError,
	uniqueBucket,
	sha256Stream,
	sha256File,
	sha256,
	readRange,
	workDir,
	bigFile,
	curl,
	pool,
	manyKeys,
} from './common.mjs';

const MiB = 1 << 20;
const t = runner('minio-js');

// client(opts): a minio Client with alice's key whose requests are recorded
// by a wrapping transport in c.sent ({method, path, headers, status}):
// minio's S3Error carries no HTTP status, and its traceOn() never logs
// error responses (parseResponseError throws before logHTTP is reached).
function client(opts = {}) {
	const sent = [];
	const base = cfg.https ? https : http;
	const transport = {
		request(opt, cb) {
			const entry = { method: opt.method, path: opt.path, headers: { ...opt.headers } };
			sent.push(entry);
			if (sent.length > 2000) sent.splice(0, 1000);
			return base.request(opt, (res) => {
				entry.status = res.statusCode;
				cb(res);
			});
		},
	};
	const c = new Minio.Client({
		endPoint: cfg.host,
		port: cfg.port,
		useSSL: cfg.https,
		accessKey: cfg.alice.accessKeyId,
		secretKey: cfg.alice.secretAccessKey,
		region: cfg.region,
		pathStyle: true,
		transport,
		retryOptions: { disableRetry: true }, // failures as they happened
		...opts,
	});
	c.sent = sent;
	c.since = (n) => sent.slice(n);
	return c;
}

// expectS3Error(c, fn, code, status): fn fails with S3 error code, and the
// last response c received had the given status.
function expectS3Error(c, fn, code, status) {
	return expectError(fn, code, status, (e) => e.code, () => c.sent.at(-1)?.status);
}

function collect(stream) {
	return new Promise((resolve, reject) => {
		const items = [];
		stream.on('data', (x) => items.push(x));
		stream.on('error', reject);
		stream.on('end', () => resolve(items));
	});
}
async function bytes(stream) {
	const parts = [];
	for await (const c of stream) parts.push(c);
	return Buffer.concat(parts);
}
function onlyOnce(keys) {
	const seen = new Set();
	const dups = keys.filter((k) => (seen.has(k) ? true : (seen.add(k), false)));
	assert(dups.length === 0, `keys listed more than once: ${dups.slice(0, 5).join(', ')}`);
}

async function main() {
	const { version } = JSON.parse(readFileSync(new URL('./node_modules/minio/package.json', import.meta.url)));
	console.log(`== minio-js ${version} against ${cfg.endpoint}`);
	const mc = client();
	const bucket = uniqueBucket('node-minio');
	const work = workDir();
	const big = await bigFile();
	const small = 'hello from minio-js\n';

	if (!(await t.check('makeBucket (region us-east-1)', () => mc.makeBucket(bucket, cfg.region)))) return;
	await t.check('bucketExists', async () => assertEq(await mc.bucketExists(bucket), true, 'bucketExists'));
	await t.check('listBuckets includes the bucket', async () => {
		const names = (await mc.listBuckets()).map((b) => b.name);
		assert(names.includes(bucket), `not listed: ${names.join(', ')}`);
	});

	// ---- uploads ----
	await t.check('putObject small string', async () => {
		const out = await mc.putObject(bucket, 'small.txt', small, undefined, { 'Content-Type': 'text/plain' });
		assertEq(out.etag, createHash('md5').update(small).digest('hex'), 'etag');
	});
	const bigKey = 'big/100MiB.bin';
	await t.check('putObject 100 MiB file stream (multipart, 64 MiB parts)', async () => {
		const n = mc.sent.length;
		const out = await mc.putObject(bucket, bigKey, createReadStream(big.path), big.size, { 'Content-Type': 'application/octet-stream' });
		const parts = mc.since(n).filter((r) => r.method === 'PUT' && /[?&]uploadId=/.test(r.path));
		assertEq(parts.length, 2, 'UploadPart requests');
		// minio-js 8.0.7 numbers parts from 2 (it increments before use).
		t.note(`part numbers: ${parts.map((r) => new URLSearchParams(r.path.split('?')[1]).get('partNumber')).join(', ')}`);
		assert(/-2$/.test(out.etag), `etag ${out.etag} is not a 2-part multipart ETag`);
	});
	await t.check('statObject 100 MiB: size', async () => {
		const st = await mc.statObject(bucket, bigKey);
		assertEq(st.size, big.size, 'size');
	});
	await t.check('getObject 100 MiB matches (streamed sha256)', async () => {
		assertEq(await sha256Stream(await mc.getObject(bucket, bigKey)), { sha256: big.sha256, size: big.size }, 'content');
	});
	await t.check('fGetObject 100 MiB to a file matches', async () => {
		const p = join(work, 'minio-fget.bin');
		await mc.fGetObject(bucket, bigKey, p);
		assertEq((await sha256File(p)).sha256, big.sha256, 'sha256');
	});

	// ---- ranges ----
	for (const [name, start, len] of [
		['across the 64 MiB part boundary', 64 * MiB - 10, 20],
		['1 MiB in the middle', 50 * MiB, MiB],
		['from an offset to the end', big.size - 100, 0],
	]) {
		await t.check(`getPartialObject ${name}`, async () => {
			const got = await bytes(await mc.getPartialObject(bucket, bigKey, start, len));
			const want = readRange(big.path, start, len || big.size - start);
			assertEq(mc.sent.at(-1).status, 206, 'status');
			assertEq([got.length, sha256(got)], [want.length, sha256(want)], '[length, sha256]');
		});
	}

	// ---- metadata ----
	const metaKey = 'meta/hello wörld.txt';
	const metaBody = 'metadata round trip\n';
	await t.check('putObject with x-amz-meta-*, Content-Type, Cache-Control', () =>
		mc.putObject(bucket, metaKey, Buffer.from(metaBody), metaBody.length, {
			'Content-Type': 'text/plain; charset=utf-8',
			'Cache-Control': 'max-age=60',
			color: 'blue', // prefixed by the client
			'X-Amz-Meta-Camel-Case': 'MiXeD value',
		}),
	);
	const wantMeta = (st, meta, type) => {
		const got = Object.fromEntries(Object.entries(st.metaData).filter(([k]) => !/^(content-type|cache-control|x-amz-.*)$/i.test(k)));
		assertEq(got, meta, 'user metadata');
		assertEq(st.metaData['content-type'], type, 'content-type');
	};
	await t.check('statObject returns the metadata', async () => {
		const st = await mc.statObject(bucket, metaKey);
		wantMeta(st, { 'camel-case': 'MiXeD value', color: 'blue' }, 'text/plain; charset=utf-8');
		assertEq(st.metaData['cache-control'], 'max-age=60', 'cache-control');
		assertEq(st.size, metaBody.length, 'size');
	});

	// ---- listing ----
	const many = manyKeys('many/k', 1050);
	await t.check('putObject 1,050 tiny keys (16 concurrent)', () => pool(many, 16, (k) => mc.putObject(bucket, k, k)));
	await t.check('listObjectsV2 stream of 1,050 keys (2 list requests, each key once)', async () => {
		const n = mc.sent.length;
		const items = await collect(mc.listObjectsV2(bucket, 'many/', true));
		const lists = mc.since(n).filter((r) => r.method === 'GET' && /[?&]list-type=2/.test(r.path));
		assertEq(lists.length, 2, 'list requests');
		const keys = items.map((o) => o.name);
		onlyOnce(keys);
		assertEq(keys.length, many.length, 'key count');
		assert(keys.every((k, i) => k === many[i]), 'keys differ from the uploaded ones (or are out of order)');
		assert(items.every((o) => o.size === o.name.length), 'sizes');
	});
	await t.check('listObjectsV2Query max-keys 400, continuation tokens (3 pages)', async () => {
		const keys = [];
		let token = '';
		let pages = 0;
		do {
			const res = await mc.listObjectsV2Query(bucket, 'many/', token, '', 400, '');
			pages++;
			keys.push(...res.objects.map((o) => o.name));
			token = res.isTruncated ? res.nextContinuationToken : '';
			assert(pages < 10, 'too many pages');
		} while (token);
		onlyOnce(keys);
		assertEq([pages, keys.length], [3, many.length], '[pages, keys]');
	});
	for (const k of ['dir/a/1', 'dir/a/2', 'dir/b/1', 'dir/top.txt']) await mc.putObject(bucket, k, k).catch(() => {});
	await t.check('listObjectsV2 non-recursive dir/ gives prefixes', async () => {
		const items = await collect(mc.listObjectsV2(bucket, 'dir/', false));
		assertEq(items.filter((i) => i.prefix).map((i) => i.prefix), ['dir/a/', 'dir/b/'], 'prefixes');
		assertEq(items.filter((i) => i.name).map((i) => i.name), ['dir/top.txt'], 'objects');
	});
	await t.check('listObjectsV2 non-recursive at the root', async () => {
		const items = await collect(mc.listObjectsV2(bucket, '', false));
		assertEq(items.filter((i) => i.prefix).map((i) => i.prefix), ['big/', 'dir/', 'many/', 'meta/'], 'prefixes');
		assertEq(items.filter((i) => i.name).map((i) => i.name), ['small.txt'], 'objects');
	});
	await t.check('listObjects (v1) recursive with a prefix', async () => {
		const items = await collect(mc.listObjects(bucket, 'dir/', true));
		assertEq(items.map((i) => i.name), ['dir/a/1', 'dir/a/2', 'dir/b/1', 'dir/top.txt'], 'objects');
	});

	// ---- presigned URLs, fetched with curl ----
	await t.check('presignedGetObject fetched with curl', async () => {
		const url = await mc.presignedGetObject(bucket, metaKey, 300);
		const res = await curl([url]);
		assertEq(res.status, 200, `status (${res.body.toString().slice(0, 300)})`);
		assertEq(res.body.toString(), metaBody, 'body');
	});
	await t.check('presignedGetObject with response-content-disposition', async () => {
		const url = await mc.presignedGetObject(bucket, metaKey, 300, { 'response-content-disposition': 'attachment; filename="dl.txt"' });
		const res = await curl(['-D', '-', '-o', '/dev/null', url]);
		assertEq(res.status, 200, 'status');
		assert(/^content-disposition: attachment; filename="dl.txt"\r?$/im.test(res.body.toString()), `headers:\n${res.body}`);
	});
	const putFile = join(work, 'minio-presigned-put.bin');
	writeFileSync(putFile, readRange(big.path, 54321, MiB + 1));
	await t.check('presignedPutObject uploaded with curl -T', async () => {
		const url = await mc.presignedPutObject(bucket, 'presigned/put.bin', 300);
		const res = await curl(['-T', putFile, url]);
		assertEq(res.status, 200, `status (${res.body.toString().slice(0, 400)})`);
		assertEq((await sha256Stream(await mc.getObject(bucket, 'presigned/put.bin'))).sha256, (await sha256File(putFile)).sha256, 'content');
	});

	// ---- copy ----
	let etag;
	await t.check('copyObject (v1) with CopyConditions setMatchETag', async () => {
		etag = (await mc.statObject(bucket, metaKey)).etag;
		const conds = new Minio.CopyConditions();
		conds.setMatchETag(etag);
		const out = await mc.copyObject(bucket, 'copy/v1.txt', `/${bucket}/${metaKey}`, conds);
		assertEq(out.etag, etag, 'etag');
		const st = await mc.statObject(bucket, 'copy/v1.txt');
		wantMeta(st, { 'camel-case': 'MiXeD value', color: 'blue' }, 'text/plain; charset=utf-8');
		assertEq((await bytes(await mc.getObject(bucket, 'copy/v1.txt'))).toString(), metaBody, 'body');
	});
	await t.check('copyObject (v1) CopyConditions setMatchETagExcept (same ETag): PreconditionFailed 412', () => {
		const conds = new Minio.CopyConditions();
		conds.setMatchETagExcept(etag);
		return expectS3Error(mc, () => mc.copyObject(bucket, 'copy/v1-no.txt', `/${bucket}/${metaKey}`, conds), 'PreconditionFailed', 412);
	});
	await t.check('copyObject (v2) CopySourceOptions/CopyDestinationOptions', async () => {
		const out = await mc.copyObject(
			new Minio.CopySourceOptions({ Bucket: bucket, Object: metaKey, MatchETag: etag }),
			new Minio.CopyDestinationOptions({ Bucket: bucket, Object: 'copy/v2.txt' }),
		);
		assertEq(out.Key, 'copy/v2.txt', 'Key');
		wantMeta(await mc.statObject(bucket, 'copy/v2.txt'), { 'camel-case': 'MiXeD value', color: 'blue' }, 'text/plain; charset=utf-8');
	});
	await t.check('copyObject onto itself, MetadataDirective REPLACE (as CloudStack UI edits metadata)', async () => {
		await mc.copyObject(
			new Minio.CopySourceOptions({ Bucket: bucket, Object: metaKey }),
			new Minio.CopyDestinationOptions({
				Bucket: bucket,
				Object: metaKey,
				MetadataDirective: 'REPLACE',
				UserMetadata: { color: 'red', 'added-by': 'replace' },
				Headers: { 'Content-Type': 'application/json' },
			}),
		);
		wantMeta(await mc.statObject(bucket, metaKey), { 'added-by': 'replace', color: 'red' }, 'application/json');
		assertEq((await bytes(await mc.getObject(bucket, metaKey))).toString(), metaBody, 'body');
	});

	// ---- error shapes ----
	await t.check('getObject of a missing key: NoSuchKey 404', () =>
		expectS3Error(mc, () => mc.getObject(bucket, 'no/such/key'), 'NoSuchKey', 404),
	);
	await t.check('statObject of a missing key: NotFound 404', () =>
		expectS3Error(mc, () => mc.statObject(bucket, 'no/such/key'), 'NotFound', 404),
	);
	await t.check('bucketExists of a missing bucket is false', async () => assertEq(await mc.bucketExists(`${bucket}-missing`), false, 'bucketExists'));
	const wrong = client({ secretKey: `wrong${cfg.alice.secretAccessKey}` });
	await t.check('wrong secret, getObject: SignatureDoesNotMatch 403', () =>
		expectS3Error(wrong, () => wrong.getObject(bucket, 'small.txt'), 'SignatureDoesNotMatch', 403),
	);
	await t.check('wrong secret, putObject: SignatureDoesNotMatch 403', () =>
		expectS3Error(wrong, () => wrong.putObject(bucket, 'wrong.txt', 'x'), 'SignatureDoesNotMatch', 403),
	);
	await t.check('removeBucket of a non-empty bucket: BucketNotEmpty 409', () =>
		expectS3Error(mc, () => mc.removeBucket(bucket), 'BucketNotEmpty', 409),
	);

	// ---- virtual-hosted style ----
	if (cfg.vhostDomain) {
		await vhost();
	} else {
		t.skip('virtual-hosted style', 'CADDYS3_VHOST_DOMAIN not set');
	}

	// ---- batch delete, remove bucket ----
	await t.check('removeObjects 1,050 keys (client batches of 1000)', async () => {
		const n = mc.sent.length;
		const res = await mc.removeObjects(bucket, many);
		const errs = res.filter((r) => r.Code || r.code);
		assertEq(errs, [], 'errors');
		const posts = mc.since(n).filter((r) => r.method === 'POST' && /[?&]delete/.test(r.path));
		assertEq(posts.length, 2, 'DeleteObjects requests');
		assertEq((await collect(mc.listObjectsV2(bucket, 'many/', true))).length, 0, 'keys left under many/');
	});
	await t.check('removeObjects of everything else (names and {name} objects)', async () => {
		const left = (await collect(mc.listObjectsV2(bucket, '', true))).map((o) => o.name);
		assert(left.length > 5, `only ${left.length} keys left`);
		const res = await mc.removeObjects(bucket, [...left.slice(0, 3), ...left.slice(3).map((name) => ({ name })), 'never/existed']);
		assertEq(res.filter((r) => r.Code || r.code), [], 'errors');
		assertEq((await collect(mc.listObjectsV2(bucket, '', true))).length, 0, 'keys left');
	});
	await t.check('removeBucket', () => mc.removeBucket(bucket));
	await t.check('bucketExists of the removed bucket is false', async () => assertEq(await mc.bucketExists(bucket), false, 'bucketExists'));
}

// vhost: the bucket vhost-minio at vhost-minio.<domain>, pathStyle false.
async function vhost() {
	const v = client({ endPoint: cfg.vhostDomain, pathStyle: false });
	const b = 'vhost-minio';
	const want = `${b}.${cfg.vhostDomain}:${cfg.port}`;
	const body = 'virtual-hosted style\n';
	const made = await t.check(`vhost: makeBucket ${b} at ${want}`, async () => {
		try {
			await v.makeBucket(b, cfg.region);
		} catch (e) {
			if (e.code !== 'BucketAlreadyOwnedByYou') throw e;
		}
		const e = v.sent.at(-1);
		assertEq([e.headers.host, e.path, e.status], [want, '/', 200], '[Host, path, status] of makeBucket');
	});
	if (!made) return;
	await t.check('vhost: putObject, getObject, listObjectsV2', async () => {
		await v.putObject(b, 'v/obj.txt', body);
		assertEq((await bytes(await v.getObject(b, 'v/obj.txt'))).toString(), body, 'body');
		const e = v.sent.at(-1);
		assertEq([e.headers.host, e.path], [want, '/v/obj.txt'], '[Host, path] of GET');
		assertEq((await collect(v.listObjectsV2(b, '', true))).map((o) => o.name), ['v/obj.txt'], 'keys');
	});
	await t.check('vhost: presignedGetObject fetched with curl', async () => {
		const url = await v.presignedGetObject(b, 'v/obj.txt', 300);
		assert(new URL(url).host === want, `presigned URL host: ${url}`);
		const res = await curl([url]);
		assertEq([res.status, res.body.toString()], [200, body], '[status, body]');
	});
	await t.check('vhost: removeObject, removeBucket', async () => {
		await v.removeObject(b, 'v/obj.txt');
		await v.removeBucket(b);
	});
}

try {
	await main();
} catch (e) {
	t.fail('scenario crashed', e);
}
t.done();
