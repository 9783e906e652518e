// Shared by the Node client scenarios (aws-sdk-v3.mjs, minio.mjs): the
// environment contract of test/clients/run.sh, a PASS/FAIL runner, streaming
// sha256, curl, and a bounded-concurrency pool.
import { createReadStream, mkdtempSync, openSync, readSync, closeSync, statSync, writeSync, rmSync } from 'node:fs';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';

// ---- configuration (run.sh contract; defaults for the plain-HTTP run) ----

const endpointArg = (process.argv[2] || process.env.S3_ENDPOINT || 'http://127.0.0.1:9000').replace(/\/+$/, '');
const url = new URL(endpointArg);

export const cfg = {
	endpoint: endpointArg,
	url,
	https: url.protocol === 'https:',
	host: url.hostname,
	port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
	caCert: process.env.CADDYS3_CA_CERT || '',
	region: 'us-east-1',
	alice: {
		accessKeyId: process.env.CADDYS3_ALICE_KEY || 'AKIAEXAMPLEALICE0001',
		secretAccessKey: process.env.CADDYS3_ALICE_SECRET || 'alicesecret0000000000000000000000000000',
	},
	// Set by run.sh once it serves virtual-hosted buckets; empty: skip.
	vhostDomain: process.env.CADDYS3_VHOST_DOMAIN || '',
	bigFile: process.env.CADDYS3_NODE_BIG_FILE || '',
	bigSha256: process.env.CADDYS3_NODE_BIG_SHA256 || '',
	stepTimeoutMs: Number(process.env.STEP_TIMEOUT || 180) * 1000,
};

if (cfg.https && cfg.caCert && process.env.NODE_EXTRA_CA_CERTS !== cfg.caCert) {
	console.log(`note: set NODE_EXTRA_CA_CERTS=${cfg.caCert} (as scenario-node.sh does) for node to trust the endpoint`);
}

// vhostEndpoint: the endpoint with the virtual-host base domain as host
// (same scheme and port), for clients that put the bucket in front of it.
export function vhostEndpoint() {
	return `${cfg.url.protocol}//${cfg.vhostDomain}:${cfg.port}`;
}

// ---- PASS/FAIL runner ----

export function runner(label) {
	let passed = 0;
	let failed = 0;
	let notes = [];
	const r = {
		label,
		// check(name, fn): runs fn (async) bounded in time; PASS/FAIL.
		// Returns fn's value, or undefined when it failed.
		async check(name, fn) {
			let timer;
			notes = [];
			try {
				const v = await Promise.race([
					fn(),
					new Promise((_, rej) => {
						timer = setTimeout(() => rej(new Error(`timed out after ${cfg.stepTimeoutMs / 1000}s`)), cfg.stepTimeoutMs);
					}),
				]);
				console.log(`PASS: ${label}: ${name}`);
				passed++;
				return v === undefined ? true : v;
			} catch (err) {
				r.fail(name, err);
				return undefined;
			} finally {
				clearTimeout(timer);
				for (const n of notes) console.log(`    (${n})`);
				notes = [];
			}
		},
		// note(text): printed under the current check's PASS/FAIL line.
		note(text) {
			notes.push(text);
		},
		fail(name, err) {
			console.log(`FAIL: ${label}: ${name}`);
			failed++;
			for (const line of describeError(err).split('\n')) console.log(`    ${line}`);
		},
		skip(name, why) {
			console.log(`SKIP: ${label}: ${name} (${why})`);
		},
		done() {
			console.log(`${label}: ${passed} passed, ${failed} failed`);
			process.exitCode = failed ? 1 : 0;
		},
	};
	return r;
}

// describeError: message plus what the clients attach (AWS $metadata and
// $response, minio's code/amzRequestid, our own .detail).
export function describeError(err) {
	if (!(err instanceof Error)) return String(err);
	const out = [`${err.name}: ${err.message}`];
	const extra = {};
	for (const k of ['code', 'Code', '$fault', '$metadata', 'amzRequestid', 'resource', 'bucketname', 'key', 'detail']) {
		if (err[k] !== undefined) extra[k] = err[k];
	}
	if (Object.keys(extra).length) out.push(JSON.stringify(extra));
	if (err.$response) {
		const res = err.$response;
		out.push(`response: ${res.statusCode} ${JSON.stringify(res.headers)}`);
	}
	if (err.stack) out.push(...err.stack.split('\n').slice(1, 5));
	return out.join('\n');
}

export function assert(cond, msg, detail) {
	if (!cond) {
		const e = new Error(msg);
		if (detail !== undefined) e.detail = detail;
		throw e;
	}
}

export function assertEq(got, want, what) {
	assert(
		JSON.stringify(got) === JSON.stringify(want),
		`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`,
	);
}

// expectError(fn, code, status, codeOf, statusOf): fn must throw an error
// whose code (codeOf(err)) and status (statusOf(err)) are as given.
export async function expectError(fn, code, status, codeOf, statusOf) {
	let err;
	try {
		await fn();
	} catch (e) {
		err = e;
	}
	assert(err, `succeeded, expected ${code} ${status}`);
	const got = { code: codeOf(err), status: statusOf(err) };
	if (got.code !== code || got.status !== status) {
		const e = new Error(`got ${got.code} ${got.status}, want ${code} ${status}: ${err.message}`);
		e.detail = describeError(err);
		throw e;
	}
}

// ---- data ----

export function uniqueBucket(prefix) {
	return `${prefix}-${process.pid}-${randomUUID().slice(0, 8)}`;
}

export async function sha256Stream(readable) {
	const h = createHash('sha256');
	let n = 0;
	await pipeline(
		readable,
		new Writable({
			write(chunk, _enc, cb) {
				h.update(chunk);
				n += chunk.length;
				cb();
			},
		}),
	);
	return { sha256: h.digest('hex'), size: n };
}

export async function sha256File(path, start, end) {
	return sha256Stream(createReadStream(path, start === undefined ? {} : { start, end }));
}

export function sha256(buf) {
	return createHash('sha256').update(buf).digest('hex');
}

// readRange: bytes [start, start+len) of a file.
export function readRange(path, start, len) {
	const fd = openSync(path, 'r');
	try {
		const buf = Buffer.alloc(len);
		const n = readSync(fd, buf, 0, len, start);
		return buf.subarray(0, n);
	} finally {
		closeSync(fd);
	}
}

// workDir: a temporary directory removed at exit.
let work;
export function workDir() {
	if (!work) {
		work = mkdtempSync(join(process.env.TMPDIR || tmpdir(), 'caddys3-node-'));
		process.on('exit', () => rmSync(work, { recursive: true, force: true }));
	}
	return work;
}

// bigFile: the 100 MiB file scenario-node.sh generated (or one generated
// here, in 1 MiB writes, when run alone) and its sha256.
export async function bigFile() {
	if (!cfg.bigFile) {
		const path = join(workDir(), 'big.bin');
		const fd = openSync(path, 'w');
		for (let i = 0; i < 100; i++) writeSync(fd, randomBytes(1 << 20));
		closeSync(fd);
		cfg.bigFile = path;
		cfg.bigSha256 = '';
	}
	if (!cfg.bigSha256) cfg.bigSha256 = (await sha256File(cfg.bigFile)).sha256;
	return { path: cfg.bigFile, size: statSync(cfg.bigFile).size, sha256: cfg.bigSha256 };
}

// ---- curl ----

// curl(args): runs curl (with --cacert for https) and resolves to
// { status, stdout }; -w puts the status code on stdout's last line.
export function curl(args) {
	const base = ['-sS', '--max-time', '120', '-w', '\n%{http_code}'];
	if (cfg.https && cfg.caCert) base.push('--cacert', cfg.caCert);
	return new Promise((resolve, reject) => {
		execFile('curl', [...base, ...args], { encoding: 'buffer', maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
			if (err) {
				err.detail = `curl ${args.join(' ')}\n${stderr.toString()}`;
				reject(err);
				return;
			}
			const i = stdout.lastIndexOf(0x0a);
			resolve({ status: Number(stdout.subarray(i + 1).toString()), body: stdout.subarray(0, i) });
		});
	});
}

// ---- concurrency ----

export async function pool(items, limit, fn) {
	let next = 0;
	const errors = [];
	async function worker() {
		while (next < items.length) {
			const i = next++;
			try {
				await fn(items[i], i);
			} catch (e) {
				errors.push(e);
				if (errors.length > 5) return;
			}
		}
	}
	await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
	if (errors.length) {
		const e = new Error(`${errors.length}+ of ${items.length} failed; first: ${errors[0].message}`);
		e.detail = describeError(errors[0]);
		throw e;
	}
}

export function manyKeys(prefix, n) {
	return Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(5, '0')}`);
}
