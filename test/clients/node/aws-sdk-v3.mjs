// AWS SDK for JavaScript v3 (@aws-sdk/client-s3, lib-storage,
// s3-request-presigner) against caddys3. Usage: node aws-sdk-v3.mjs ENDPOINT
// (environment: see common.mjs and test/clients/scenario-node.sh).
//
// The client keeps its defaults: requestChecksumCalculation WHEN_SUPPORTED,
// so streamed PutObject bodies go out aws-chunked with a CRC32 trailer
// (x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER) and
// DeleteObjects carries a CRC32 instead of Content-MD5; one upload uses a
// second client with requestChecksumCalculation WHEN_REQUIRED.
import { createReadStream, writeFileSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import * as zlib from 'node:zlib'; // zlib.crc32: node >= 20.15
import { join } from 'node:path';
import {
	S3Client,
	CreateBucketCommand,
	HeadBucketCommand,
	PutObjectCommand,
	GetObjectCommand,
	HeadObjectCommand,
	ListObjectsV2Command,
	paginateListObjectsV2,
	CopyObjectCommand,
	DeleteObjectCommand,
	DeleteObjectsCommand,
	DeleteBucketCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
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
	vhostEndpoint,
} from './common.mjs';

const MiB = 1 << 20;
const t = runner('aws-sdk-v3');

// client(opts): an S3Client with alice's key; every request it sends is
// recorded (headers as signed, and the response status) in client.sent.
function client(opts = {}) {
	const c = new S3Client({
		endpoint: cfg.endpoint,
		region: cfg.region,
		credentials: cfg.alice,
		forcePathStyle: true,
		maxAttempts: 1, // a failure is reported as it happened, not retried
		...opts,
	});
	c.sent = [];
	c.middlewareStack.add(
		(next, context) => async (args) => {
			const req = args.request;
			const entry = { command: context.commandName, method: req.method, host: req.headers.host || req.hostname, path: req.path, query: req.query, headers: { ...req.headers } };
			c.sent.push(entry);
			if (c.sent.length > 200) c.sent.shift();
			const out = await next(args);
			entry.status = out.response?.statusCode;
			entry.responseHeaders = out.response?.headers;
			return out;
		},
		{ step: 'deserialize', priority: 'low', name: 'caddys3Recorder' },
	);
	return c;
}
function last(c, command) {
	for (let i = c.sent.length - 1; i >= 0; i--) if (c.sent[i].command === command) return c.sent[i];
	return undefined;
}
const codeOf = (e) => e.name;
const statusOf = (e) => e.$metadata?.httpStatusCode;

async function bodyBytes(out) {
	return Buffer.from(await out.Body.transformToByteArray());
}
async function listAll(s3, params) {
	const keys = [];
	const prefixes = [];
	let pages = 0;
	for await (const page of paginateListObjectsV2({ client: s3 }, params)) {
		pages++;
		for (const o of page.Contents || []) keys.push(o.Key);
		for (const p of page.CommonPrefixes || []) prefixes.push(p.Prefix);
	}
	return { keys, prefixes, pages };
}
function onlyOnce(keys) {
	const seen = new Set();
	const dups = keys.filter((k) => (seen.has(k) ? true : (seen.add(k), false)));
	assert(dups.length === 0, `keys listed more than once: ${dups.slice(0, 5).join(', ')}`);
}

async function main() {
	const { version } = JSON.parse(readFileSync(new URL('./node_modules/@aws-sdk/client-s3/package.json', import.meta.url)));
	console.log(`== @aws-sdk/client-s3 ${version} against ${cfg.endpoint}`);
	const s3 = client();
	const s3Required = client({ requestChecksumCalculation: 'WHEN_REQUIRED' });
	const bucket = uniqueBucket('node-aws');
	const work = workDir();
	const big = await bigFile();
	const small = 'hello from @aws-sdk/client-s3\n';

	if (!(await t.check('CreateBucket', () => s3.send(new CreateBucketCommand({ Bucket: bucket }))))) return;
	await t.check('HeadBucket', async () => {
		const out = await s3.send(new HeadBucketCommand({ Bucket: bucket }));
		assertEq(out.$metadata.httpStatusCode, 200, 'status');
	});

	// ---- uploads ----
	await t.check('PutObject small string (CRC32 header checksum)', async () => {
		const out = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'small.txt', Body: small, ContentType: 'text/plain' }));
		assertEq(out.ETag, `"${createHash('md5').update(small).digest('hex')}"`, 'ETag');
		const h = last(s3, 'PutObjectCommand').headers;
		assert(h['x-amz-checksum-crc32'], `no x-amz-checksum-crc32 header sent: ${JSON.stringify(h)}`);
	});

	const slice = { start: 3 * MiB + 7, len: 5 * MiB + 3 };
	const sliceSha = (await sha256File(big.path, slice.start, slice.start + slice.len - 1)).sha256;
	await t.check('PutObject stream, aws-chunked with CRC32 trailer (default)', async () => {
		const out = await s3.send(
			new PutObjectCommand({
				Bucket: bucket,
				Key: 'stream/trailer.bin',
				Body: createReadStream(big.path, { start: slice.start, end: slice.start + slice.len - 1 }),
				ContentLength: slice.len,
			}),
		);
		const h = last(s3, 'PutObjectCommand').headers;
		assert(/^STREAMING-.*-TRAILER$/.test(h['x-amz-content-sha256']), `not a trailer upload: x-amz-content-sha256=${h['x-amz-content-sha256']}`, h);
		assertEq(h['x-amz-trailer'], 'x-amz-checksum-crc32', 'x-amz-trailer');
		assert(/aws-chunked/.test(h['content-encoding'] || ''), `content-encoding ${h['content-encoding']}`);
		assert(out.ETag, 'no ETag');
		t.note(`sent x-amz-content-sha256: ${h['x-amz-content-sha256']}, x-amz-decoded-content-length: ${h['x-amz-decoded-content-length']}`);
	});
	await t.check('GetObject of the trailer upload matches (sha256)', async () => {
		const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'stream/trailer.bin' }));
		const got = await sha256Stream(out.Body);
		assertEq(got, { sha256: sliceSha, size: slice.len }, 'content');
	});
	await t.check('GetObject ChecksumMode ENABLED (SDK validates what the server returns)', async () => {
		const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'stream/trailer.bin', ChecksumMode: 'ENABLED' }));
		const got = await sha256Stream(out.Body);
		assertEq(got.sha256, sliceSha, 'sha256');
		t.note(`server returned ChecksumCRC32=${out.ChecksumCRC32 ?? 'none'}`);
		if (out.ChecksumCRC32 !== undefined && zlib.crc32) {
			const want = Buffer.alloc(4);
			want.writeUInt32BE(zlib.crc32(readRange(big.path, slice.start, slice.len)));
			assertEq(out.ChecksumCRC32, want.toString('base64'), 'ChecksumCRC32 (the trailer value)');
		}
	});

	await t.check('PutObject stream with requestChecksumCalculation WHEN_REQUIRED', async () => {
		await s3Required.send(
			new PutObjectCommand({
				Bucket: bucket,
				Key: 'stream/when-required.bin',
				Body: createReadStream(big.path, { start: slice.start, end: slice.start + slice.len - 1 }),
				ContentLength: slice.len,
			}),
		);
		const h = last(s3Required, 'PutObjectCommand').headers;
		assert(!h['x-amz-trailer'] && !h['x-amz-checksum-crc32'], `a checksum was sent anyway: ${JSON.stringify(h)}`);
		const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'stream/when-required.bin' }));
		assertEq(await sha256Stream(out.Body), { sha256: sliceSha, size: slice.len }, 'content');
		t.note(`sent x-amz-content-sha256: ${h['x-amz-content-sha256']}`);
	});

	const bigKey = 'big/100MiB.bin';
	await t.check('lib-storage Upload 100 MiB stream, 8 MiB parts (multipart)', async () => {
		const before = s3.sent.length;
		const up = new Upload({
			client: s3,
			params: { Bucket: bucket, Key: bigKey, Body: createReadStream(big.path), ContentType: 'application/octet-stream' },
			partSize: 8 * MiB,
			queueSize: 4,
		});
		const out = await up.done();
		const parts = s3.sent.slice(before).filter((e) => e.command === 'UploadPartCommand');
		assertEq(parts.length, Math.ceil(big.size / (8 * MiB)), 'UploadPart requests');
		assert(/-13"$/.test(out.ETag || ''), `ETag ${out.ETag} is not a 13-part multipart ETag`);
		const create = last(s3, 'CreateMultipartUploadCommand')?.headers || {};
		t.note(`CreateMultipartUpload x-amz-checksum-algorithm: ${create['x-amz-checksum-algorithm'] ?? 'none'}; UploadPart checksum: ${parts[0].headers['x-amz-checksum-crc32'] ? 'x-amz-checksum-crc32 header' : parts[0].headers['x-amz-trailer'] ?? 'none'}`);
	});
	await t.check('HeadObject 100 MiB: ContentLength', async () => {
		const out = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: bigKey }));
		assertEq(out.ContentLength, big.size, 'ContentLength');
	});
	await t.check('GetObject 100 MiB matches (streamed sha256)', async () => {
		const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: bigKey }));
		assertEq(await sha256Stream(out.Body), { sha256: big.sha256, size: big.size }, 'content');
	});
	await t.check('GetObject 100 MiB with ChecksumMode ENABLED', async () => {
		const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: bigKey, ChecksumMode: 'ENABLED' }));
		assertEq(await sha256Stream(out.Body), { sha256: big.sha256, size: big.size }, 'content');
		t.note(`server returned ChecksumCRC32=${out.ChecksumCRC32 ?? 'none'} ChecksumType=${out.ChecksumType ?? 'none'}`);
	});

	// ---- ranges ----
	for (const [name, range, start, len] of [
		['across the 8 MiB part boundary', `bytes=${8 * MiB - 10}-${8 * MiB + 9}`, 8 * MiB - 10, 20],
		['1 MiB in the middle', `bytes=${50 * MiB}-${51 * MiB - 1}`, 50 * MiB, MiB],
		['suffix bytes=-100', 'bytes=-100', big.size - 100, 100],
	]) {
		await t.check(`GetObject Range ${name}`, async () => {
			const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: bigKey, Range: range }));
			assertEq(out.$metadata.httpStatusCode, 206, 'status');
			assertEq(out.ContentRange, `bytes ${start}-${start + len - 1}/${big.size}`, 'ContentRange');
			const got = await bodyBytes(out);
			assertEq(sha256(got), sha256(readRange(big.path, start, len)), `sha256 of ${got.length} bytes`);
		});
	}

	// ---- metadata ----
	const metaKey = 'meta/hello wörld+%.txt';
	const metaBody = 'metadata round trip\n';
	await t.check('PutObject with Metadata, ContentType, CacheControl, ContentDisposition', () =>
		s3.send(
			new PutObjectCommand({
				Bucket: bucket,
				Key: metaKey,
				Body: metaBody,
				ContentType: 'text/plain; charset=utf-8',
				CacheControl: 'max-age=60',
				ContentDisposition: 'attachment; filename="x.txt"',
				Metadata: { color: 'blue', 'Camel-Case': 'MiXeD value' },
			}),
		),
	);
	await t.check('HeadObject returns the metadata', async () => {
		const out = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: metaKey }));
		assertEq(out.Metadata, { 'camel-case': 'MiXeD value', color: 'blue' }, 'Metadata');
		assertEq(out.ContentType, 'text/plain; charset=utf-8', 'ContentType');
		assertEq(out.CacheControl, 'max-age=60', 'CacheControl');
		assertEq(out.ContentDisposition, 'attachment; filename="x.txt"', 'ContentDisposition');
		assertEq(out.ContentLength, Buffer.byteLength(metaBody), 'ContentLength');
	});
	await t.check('GetObject returns body and metadata', async () => {
		const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: metaKey }));
		assertEq(out.Metadata, { 'camel-case': 'MiXeD value', color: 'blue' }, 'Metadata');
		assertEq((await bodyBytes(out)).toString(), metaBody, 'body');
	});

	// ---- listing ----
	const many = manyKeys('many/k', 1050);
	await t.check('PutObject 1,050 tiny keys (16 concurrent)', () =>
		pool(many, 16, (k) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: k }))),
	);
	await t.check('ListObjectsV2 paginates 1,050 keys (2 pages, each key once)', async () => {
		const first = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'many/' }));
		assertEq([first.KeyCount, first.IsTruncated, !!first.NextContinuationToken], [1000, true, true], '[KeyCount, IsTruncated, token] of page 1');
		const { keys, pages } = await listAll(s3, { Bucket: bucket, Prefix: 'many/' });
		assertEq(pages, 2, 'pages');
		onlyOnce(keys);
		assertEq(keys.length, many.length, 'key count');
		assert(keys.every((k, i) => k === many[i]), 'keys differ from the uploaded ones (or are out of order)');
	});
	await t.check('ListObjectsV2 pageSize 300 with StartAfter (3 pages)', async () => {
		const { keys, pages } = await listAll(s3, { Bucket: bucket, Prefix: 'many/', StartAfter: many[149], MaxKeys: 300 });
		onlyOnce(keys);
		assertEq([pages, keys.length, keys[0], keys.at(-1)], [3, 900, many[150], many.at(-1)], '[pages, keys, first, last]');
	});
	for (const k of ['dir/a/1', 'dir/a/2', 'dir/b/1', 'dir/top.txt']) {
		await s3.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: k })).catch(() => {});
	}
	await t.check('ListObjectsV2 Prefix dir/ Delimiter / gives CommonPrefixes', async () => {
		const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'dir/', Delimiter: '/' }));
		assertEq((out.CommonPrefixes || []).map((p) => p.Prefix), ['dir/a/', 'dir/b/'], 'CommonPrefixes');
		assertEq((out.Contents || []).map((o) => o.Key), ['dir/top.txt'], 'Contents');
		assertEq(out.KeyCount, 3, 'KeyCount');
	});
	await t.check('ListObjectsV2 Delimiter / at the root, paginated by 2', async () => {
		const { keys, prefixes, pages } = await listAll(s3, { Bucket: bucket, Delimiter: '/', MaxKeys: 2 });
		assertEq(prefixes, ['big/', 'dir/', 'many/', 'meta/', 'stream/'], 'CommonPrefixes');
		assertEq(keys, ['small.txt'], 'Contents');
		assertEq(pages, 3, 'pages');
	});

	// ---- presigned URLs, fetched with curl ----
	await t.check('presigned GET (getSignedUrl) fetched with curl', async () => {
		const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: metaKey }), { expiresIn: 300 });
		assert(url.includes('X-Amz-Signature='), `not a SigV4 query URL: ${url}`);
		const res = await curl([url]);
		assertEq(res.status, 200, `status (${res.body.toString().slice(0, 300)})`);
		assertEq(res.body.toString(), metaBody, 'body');
	});
	const putFile = join(work, 'presigned-put.bin');
	writeFileSync(putFile, readRange(big.path, 12345, MiB + 1));
	// With the default WHEN_SUPPORTED the presigner bakes the CRC32 of an
	// empty body into the URL (x-amz-checksum-crc32=AAAAAA==,
	// x-amz-sdk-checksum-algorithm=CRC32). AWS ignores checksums in presigned
	// URLs (they are documented as unsupported there), so the upload of a
	// real body must still succeed.
	await t.check('presigned PUT (getSignedUrl) uploaded with curl -T', async () => {
		const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: 'presigned/put.bin' }), { expiresIn: 300 });
		const q = new URL(url).searchParams;
		t.note(`URL carries x-amz-checksum-crc32=${q.get('x-amz-checksum-crc32') ?? 'none'}, x-amz-sdk-checksum-algorithm=${q.get('x-amz-sdk-checksum-algorithm') ?? 'none'}`);
		const res = await curl(['-T', putFile, url]);
		assertEq(res.status, 200, `status (${res.body.toString().slice(0, 400)}; url ${url})`);
		const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'presigned/put.bin' }));
		assertEq((await sha256Stream(out.Body)).sha256, (await sha256File(putFile)).sha256, 'content');
	});

	// ---- copy ----
	const src = `${bucket}/${metaKey.split('/').map(encodeURIComponent).join('/')}`;
	let metaETag;
	await t.check('CopyObject (MetadataDirective COPY) keeps body and metadata', async () => {
		metaETag = (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: metaKey }))).ETag;
		const out = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy/of meta.txt', CopySource: src }));
		assertEq(out.CopyObjectResult?.ETag, metaETag, 'CopyObjectResult.ETag');
		const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'copy/of meta.txt' }));
		assertEq(got.Metadata, { 'camel-case': 'MiXeD value', color: 'blue' }, 'Metadata');
		assertEq(got.ContentType, 'text/plain; charset=utf-8', 'ContentType');
		assertEq((await bodyBytes(got)).toString(), metaBody, 'body');
	});
	await t.check('CopyObject CopySourceIfMatch (matching ETag) succeeds', () =>
		s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy/if-match.txt', CopySource: src, CopySourceIfMatch: metaETag })),
	);
	await t.check('CopyObject CopySourceIfMatch (other ETag) is PreconditionFailed 412', () =>
		expectError(
			() => s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy/if-match-no.txt', CopySource: src, CopySourceIfMatch: '"0123456789abcdef0123456789abcdef"' })),
			'PreconditionFailed',
			412,
			codeOf,
			statusOf,
		),
	);
	await t.check('CopyObject onto itself, MetadataDirective REPLACE (edit metadata)', async () => {
		await s3.send(
			new CopyObjectCommand({
				Bucket: bucket,
				Key: metaKey,
				CopySource: src,
				MetadataDirective: 'REPLACE',
				ContentType: 'application/json',
				Metadata: { color: 'red', 'added-by': 'replace' },
			}),
		);
		const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: metaKey }));
		assertEq(got.Metadata, { 'added-by': 'replace', color: 'red' }, 'Metadata');
		assertEq(got.ContentType, 'application/json', 'ContentType');
		assertEq((await bodyBytes(got)).toString(), metaBody, 'body');
	});

	// ---- error shapes ----
	await t.check('GetObject of a missing key: NoSuchKey 404', () =>
		expectError(() => s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'no/such/key' })), 'NoSuchKey', 404, codeOf, statusOf),
	);
	await t.check('HeadObject of a missing key: NotFound 404', () =>
		expectError(() => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'no/such/key' })), 'NotFound', 404, codeOf, statusOf),
	);
	await t.check('GetObject in a missing bucket: NoSuchBucket 404', () =>
		expectError(() => s3.send(new GetObjectCommand({ Bucket: `${bucket}-missing`, Key: 'k' })), 'NoSuchBucket', 404, codeOf, statusOf),
	);
	// (logger: quiet, else the SDK warns on the console that the failed
	// streaming request cannot be retried.)
	const quiet = { debug() {}, info() {}, warn() {}, error() {} };
	const wrong = client({ credentials: { ...cfg.alice, secretAccessKey: `wrong${cfg.alice.secretAccessKey}` }, logger: quiet });
	await t.check('wrong secret, ListObjectsV2: SignatureDoesNotMatch 403', () =>
		expectError(() => wrong.send(new ListObjectsV2Command({ Bucket: bucket })), 'SignatureDoesNotMatch', 403, codeOf, statusOf),
	);
	await t.check('wrong secret, streamed PutObject (trailer): SignatureDoesNotMatch 403', () =>
		expectError(
			() => wrong.send(new PutObjectCommand({ Bucket: bucket, Key: 'wrong.bin', Body: createReadStream(putFile), ContentLength: MiB + 1 })),
			'SignatureDoesNotMatch',
			403,
			codeOf,
			statusOf,
		),
	);
	await t.check('DeleteBucket of a non-empty bucket: BucketNotEmpty 409', () =>
		expectError(() => s3.send(new DeleteBucketCommand({ Bucket: bucket })), 'BucketNotEmpty', 409, codeOf, statusOf),
	);

	// ---- virtual-hosted style ----
	if (cfg.vhostDomain) {
		await vhost();
	} else {
		t.skip('virtual-hosted style', 'CADDYS3_VHOST_DOMAIN not set');
	}

	// ---- batch delete, remove bucket ----
	await t.check('DeleteObjects 1,050 keys in batches of 1000 (CRC32, no Content-MD5)', async () => {
		for (let i = 0; i < many.length; i += 1000) {
			const batch = many.slice(i, i + 1000);
			const out = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })) } }));
			assertEq(out.Errors || [], [], 'Errors');
			assertEq((out.Deleted || []).length, batch.length, 'Deleted');
		}
		const h = last(s3, 'DeleteObjectsCommand').headers;
		t.note(`DeleteObjects sent content-md5: ${h['content-md5'] ?? 'none'}, x-amz-checksum-crc32: ${h['x-amz-checksum-crc32'] ?? 'none'}`);
		const left = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'many/' }));
		assertEq(left.KeyCount, 0, 'keys left under many/');
	});
	await t.check('DeleteObjects Quiet of everything else (incl. a missing key)', async () => {
		const { keys } = await listAll(s3, { Bucket: bucket });
		assert(keys.length > 5, `only ${keys.length} keys left`);
		const out = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Quiet: true, Objects: [...keys, 'never/existed'].map((Key) => ({ Key })) } }));
		assertEq([out.Errors || [], out.Deleted || []], [[], []], '[Errors, Deleted] of a quiet delete');
		assertEq((await listAll(s3, { Bucket: bucket })).keys, [], 'keys left');
	});
	await t.check('DeleteBucket', () => s3.send(new DeleteBucketCommand({ Bucket: bucket })));
	await t.check('HeadBucket of the removed bucket: NotFound 404', () =>
		expectError(() => s3.send(new HeadBucketCommand({ Bucket: bucket })), 'NotFound', 404, codeOf, statusOf),
	);
}

// vhost: the bucket vhost-node at vhost-node.<domain>, forcePathStyle false.
async function vhost() {
	const v = client({ endpoint: vhostEndpoint(), forcePathStyle: false });
	const b = 'vhost-node';
	const want = `${b}.${cfg.vhostDomain}:${cfg.port}`;
	const body = 'virtual-hosted style\n';
	const created = await t.check(`vhost: CreateBucket ${b} at ${want}`, async () => {
		try {
			await v.send(new CreateBucketCommand({ Bucket: b }));
		} catch (e) {
			if (e.name !== 'BucketAlreadyOwnedByYou') throw e;
		}
		const e = last(v, 'CreateBucketCommand');
		assertEq(e.headers.host, want, 'Host header');
		assertEq(e.path, '/', 'request path');
	});
	if (!created) return;
	await t.check('vhost: PutObject (trailer), GetObject, ListObjectsV2', async () => {
		await v.send(new PutObjectCommand({ Bucket: b, Key: 'v/obj.txt', Body: Buffer.from(body) }));
		const got = await v.send(new GetObjectCommand({ Bucket: b, Key: 'v/obj.txt' }));
		assertEq((await bodyBytes(got)).toString(), body, 'body');
		assertEq(last(v, 'GetObjectCommand').path, '/v/obj.txt', 'GetObject path');
		const list = await v.send(new ListObjectsV2Command({ Bucket: b }));
		assertEq((list.Contents || []).map((o) => o.Key), ['v/obj.txt'], 'keys');
	});
	await t.check('vhost: presigned GET fetched with curl', async () => {
		const url = await getSignedUrl(v, new GetObjectCommand({ Bucket: b, Key: 'v/obj.txt' }), { expiresIn: 300 });
		assert(new URL(url).host === want, `presigned URL host: ${url}`);
		const res = await curl([url]);
		assertEq([res.status, res.body.toString()], [200, body], '[status, body]');
	});
	await t.check('vhost: path-style request to the vhost bucket sees the same object', async () => {
		const got = await client().send(new GetObjectCommand({ Bucket: b, Key: 'v/obj.txt' }));
		assertEq((await bodyBytes(got)).toString(), body, 'body');
	});
	await t.check('vhost: DeleteObject, DeleteBucket', async () => {
		await v.send(new DeleteObjectCommand({ Bucket: b, Key: 'v/obj.txt' }));
		await v.send(new DeleteBucketCommand({ Bucket: b }));
	});
}

try {
	await main();
} catch (e) {
	t.fail('scenario crashed', e);
}
t.done();
