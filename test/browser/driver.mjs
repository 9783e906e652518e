// Drives the bucket browser page (src/) in headless Chromium with
// playwright-core: lists, opens folders, uploads files through
// <input type=file>, makes 24-hour presigned GETs and downloads them,
// replaces metadata (copyObject REPLACE) and deletes objects and a folder.
// Prints "PASS: step" / "FAIL: step" lines and "N passed, M failed"; saves
// screenshots to --out (and $CI_ARTIFACTS_DIR); on failure prints the page's
// console errors, failed requests and the S3 requests with their responses.
//
// Usage: node driver.mjs --page URL --s3 ORIGIN --out DIR [--work DIR] [--home DIR]
//   --out:  screenshots
//   --work: generated upload files and the fresh Chromium profile (default:
//           a new directory under the system temp dir)
//   --home: HOME for Chromium (its NSS db in HOME/.pki/nssdb trusts Caddy's
//           local CA when the sites are HTTPS)
// Env: CHROMIUM (default /usr/bin/chromium), CI_ARTIFACTS_DIR,
//      BROWSER_VERBOSE=1 (print the S3 request log even when all passed)
import { chromium } from 'playwright-core'
import { createHash, randomBytes } from 'node:crypto'
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

const { values: opt } = parseArgs({
  options: {
    page: { type: 'string' },
    s3: { type: 'string' },
    out: { type: 'string' },
    work: { type: 'string' },
    home: { type: 'string' }
  }
})
if (!opt.page || !opt.s3 || !opt.out) {
  console.error('usage: node driver.mjs --page URL --s3 ORIGIN --out DIR [--home DIR]')
  process.exit(2)
}
mkdirSync(opt.out, { recursive: true })
const work = opt.work || mkdtempSync(join(tmpdir(), 'caddys3-browser-'))
mkdirSync(work, { recursive: true })
const STEP_TIMEOUT = 60000

let passed = 0
let failed = 0
function check (name, ok, why) {
  if (ok) {
    passed++
    console.log(`PASS: ${name}`)
  } else {
    failed++
    console.log(`FAIL: ${name}${why ? ' — ' + why : ''}`)
  }
  return ok
}

// Files to upload: a few hundred KB (a name that needs encoding-type=url:
// '+', ' ' and '%'), ~4 MiB (both with one putObject) and ~11 MiB, over
// the page's part size (5 MiB, config.json): a multipart upload.
const PART = 5 * 1024 * 1024
const files = [
  { name: 'small report+v1 %20.bin', size: 300 * 1024 + 17 },
  { name: 'medium-image.bin', size: 4 * 1024 * 1024 + 123 },
  { name: 'large-video.bin', size: 2 * PART + 1024 * 1024 + 5, multipart: true }
].map((f) => {
  const data = randomBytes(f.size)
  const path = join(work, f.name)
  writeFileSync(path, data)
  return {
    ...f,
    data,
    path,
    sha256: createHash('sha256').update(data).digest('hex'),
    md5: createHash('md5').update(data).digest('hex')
  }
})

// An interrupted earlier upload of the large file: its first part is
// already there. minio-js finds it (ListMultipartUploads by prefix), reads
// its parts (ListParts) and sends only the parts that are missing.
const MinioModule = await import('minio')
const Minio = MinioModule.default || MinioModule
const cfg = await (await fetch(new URL('config.json', opt.page))).json()
async function interruptedUpload (f) {
  const u = new URL(cfg.url)
  const node = new Minio.Client({
    endPoint: u.hostname, port: Number(u.port), useSSL: u.protocol === 'https:',
    accessKey: cfg.accessKey, secretKey: cfg.secretKey, partSize: PART
  })
  const key = 'uploads/' + f.name
  const id = await new Promise((resolve, reject) =>
    node.initiateNewMultipartUpload(cfg.bucket, key, { 'Content-Type': 'application/octet-stream', 'X-Amz-Meta-Uploadedby': 'bucket-browser' }, (e, id) => e ? reject(e) : resolve(id)))
  const part = f.data.subarray(0, PART)
  await new Promise((resolve, reject) => node.makeRequest(
    { method: 'PUT', bucketName: cfg.bucket, objectName: key, query: `partNumber=1&uploadId=${id}`, headers: { 'Content-Length': part.length } },
    part, [200], '', true, (e, res) => { if (e) return reject(e); res.on('data', () => {}); res.on('end', resolve) }))
  return id
}
const large = files.find((f) => f.multipart)
let earlierUpload = ''
try {
  earlierUpload = await interruptedUpload(large)
  check('an interrupted upload of the large file with part 1 (minio-js in Node)', true)
} catch (e) {
  check('an interrupted upload of the large file with part 1 (minio-js in Node)', false, e.stack || String(e))
}

// --- Chromium -------------------------------------------------------------
const profile = mkdtempSync(join(work, 'profile-'))
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-dev-shm-usage'
  ],
  env: { ...process.env, ...(opt.home ? { HOME: opt.home } : {}) },
  viewport: { width: 1280, height: 900 },
  timeout: 60000
})
const browserVersion = context.browser() ? context.browser().version() : ''
const page = context.pages()[0] || await context.newPage()
page.setDefaultTimeout(15000)

// Everything the page says or fails at, for the report on failure.
const consoleErrors = []
const failedRequests = []
const s3Log = []
page.on('console', (m) => {
  if (m.type() === 'error' || m.type() === 'warning') {
    const loc = m.location() && m.location().url ? ` (${m.location().url})` : ''
    consoleErrors.push(`[${m.type()}] ${m.text()}${loc}`)
  }
})
page.on('pageerror', (e) => consoleErrors.push(`[pageerror] ${e.stack || e.message}`))
page.on('requestfinished', async (r) => {
  if (!r.url().startsWith(opt.s3)) return
  const entry = { method: r.method(), url: r.url(), postData: r.method() === 'POST' ? (r.postDataBuffer() || Buffer.alloc(0)).toString() : undefined }
  s3Log.push(entry)
  try {
    const res = await r.response()
    entry.reqHeaders = await r.allHeaders()
    if (res) {
      entry.status = res.status()
      entry.resHeaders = await res.allHeaders()
      if (res.status() >= 400 || /\?delete(=|$)/.test(r.url())) entry.body = (await res.text()).slice(0, 600)
    }
  } catch (e) {
    entry.err = String(e)
  }
})
// Chromium's own reason for a blocked request (CORS, certificate, ...):
// the CDP Network domain tells what playwright's requestfailed does not.
const cdp = await context.newCDPSession(page)
await cdp.send('Network.enable')
// CORS preflights (OPTIONS) are visible only there too, and so are the
// response headers of a response the browser then blocked.
const cdpRequests = new Map()
const preflights = []
cdp.on('Network.requestWillBeSent', (e) => {
  const r = { id: e.requestId, method: e.request.method, url: e.request.url, reqHeaders: e.request.headers }
  cdpRequests.set(e.requestId, r)
  if (e.request.method === 'OPTIONS' || e.type === 'Preflight') preflights.push(r) // the page sends no OPTIONS itself
})
cdp.on('Network.responseReceived', (e) => {
  const r = cdpRequests.get(e.requestId)
  if (r) {
    r.status = e.response.status
    r.resHeaders = e.response.headers
  }
})
cdp.on('Network.loadingFailed', (e) => {
  const r = cdpRequests.get(e.requestId) || { method: '?', url: e.requestId }
  r.failed = `${e.errorText}${e.blockedReason ? ' blocked=' + e.blockedReason : ''}${e.corsErrorStatus ? ' cors=' + JSON.stringify(e.corsErrorStatus) : ''}`
  failedRequests.push(`[chromium] ${r.method} ${r.url} — ${r.failed}` +
    `\n    request headers: ${JSON.stringify(r.reqHeaders)}` +
    (r.status ? `\n    response: ${r.status} ${JSON.stringify(r.resHeaders)}` : '\n    response: none'))
})

// --- helpers ----------------------------------------------------------------
async function stepSeq (step) {
  return page.evaluate((s) => {
    const li = document.getElementById('status-' + s)
    return li ? Number(li.dataset.seq || 0) : 0
  }, step)
}

// Runs action, then waits for each of steps to finish a run that started
// after the action; returns { step: {state, text, detail} }.
async function doSteps (steps, action) {
  const before = {}
  for (const s of steps) before[s] = await stepSeq(s)
  await action()
  const out = {}
  for (const s of steps) {
    try {
      await page.waitForFunction(([s, seq]) => {
        const li = document.getElementById('status-' + s)
        return li && Number(li.dataset.seq || 0) > seq && li.dataset.state !== 'running'
      }, [s, before[s]], { timeout: STEP_TIMEOUT })
    } catch (e) {
      out[s] = { state: 'timeout', text: `no result within ${STEP_TIMEOUT / 1000}s` }
      continue
    }
    out[s] = await page.evaluate((s) => {
      const li = document.getElementById('status-' + s)
      return { state: li.dataset.state, text: li.textContent, detail: li.dataset.detail ? JSON.parse(li.dataset.detail) : undefined }
    }, s)
  }
  return out
}

function okStep (name, r) {
  return check(name, r && r.state === 'ok', r ? `${r.state}: ${r.text}` : 'no result')
}

async function rowKeys () {
  return page.$$eval('#objects tbody tr', (trs) => trs.map((tr) => tr.dataset.key))
}

function sameSet (a, b) {
  return a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n')
}

async function openFolder (key) {
  return (await doSteps(['list'], () => page.click(`#objects tr[data-key="${key}"] a.folder`))).list
}

async function selectRow (key) {
  await page.check(`#objects tr[data-key="${key}"] input[type=checkbox]`)
}

async function screenshot (name) {
  const path = join(opt.out, name)
  await page.screenshot({ path, fullPage: true })
  if (process.env.CI_ARTIFACTS_DIR) {
    mkdirSync(process.env.CI_ARTIFACTS_DIR, { recursive: true })
    copyFileSync(path, join(process.env.CI_ARTIFACTS_DIR, name))
  }
  console.log(`screenshot: ${path}`)
}

// --- the scenario -----------------------------------------------------------
try {
  // 1. Load: minio client from the bucket URL, GET ?location, list root.
  const first = await doSteps(['init', 'list'], () => page.goto(opt.page, { waitUntil: 'load' }))
  okStep('page loads and builds the minio client', first.init)
  if (okStep('list bucket root (listObjectsV2WithMetadata, non-recursive)', first.list)) {
    const names = first.list.detail.names
    check('root shows folders docs/, images/ and readme.txt', sameSet(names, ['docs/', 'images/', 'readme.txt']), JSON.stringify(names))
    check('root table has the folder and object rows', sameSet(await rowKeys(), names), JSON.stringify(await rowKeys()))
  }

  // 2. Folders: open docs/, list it with plain listObjectsV2 too.
  const docs = await openFolder('docs/')
  if (okStep('open folder docs/', docs)) {
    check('docs/ shows docs/api/ and docs/guide.txt', sameSet(docs.detail.names, ['docs/api/', 'docs/guide.txt']), JSON.stringify(docs.detail.names))
  }
  await page.selectOption('#lister', 'listObjectsV2')
  const v2 = (await doSteps(['list'], () => page.click('#refresh'))).list
  if (okStep('refresh docs/ with listObjectsV2 (non-recursive)', v2)) {
    check('listObjectsV2 shows the same entries', sameSet(v2.detail.names, ['docs/api/', 'docs/guide.txt']), JSON.stringify(v2.detail.names))
  }
  await page.fill('#search', 'gu')
  const search = (await doSteps(['list'], () => page.click('#refresh'))).list
  if (okStep('search "gu" in docs/ (prefix docs/gu)', search)) {
    check('search shows only docs/guide.txt', sameSet(search.detail.names, ['docs/guide.txt']), JSON.stringify(search.detail.names))
  }
  await page.fill('#search', '')
  await page.selectOption('#lister', 'extensions.listObjectsV2WithMetadata')
  const root = (await doSteps(['list'], () => page.click('#breadcrumb a[data-path=""]'))).list
  okStep('breadcrumb back to the root', root)
  // The next page of a listing: start-after the last key of the page before.
  await page.fill('#start-after', 'images/logo.txt')
  const after = (await doSteps(['list'], () => page.click('#refresh'))).list
  if (okStep('list the root after images/logo.txt (start-after)', after)) {
    check('start-after images/logo.txt shows only readme.txt', sameSet(after.detail.names, ['readme.txt']), JSON.stringify(after.detail.names))
  }
  await page.fill('#start-after', '')
  // The public link of an object of a Public bucket, anonymous.
  const pub = (await doSteps(['public'], () => page.click('#public-check'))).public
  if (okStep('public links fetched without a signature', pub)) {
    const d = pub.detail
    check('public link of an object in the Public bucket: 200 with its content', d.pub.status === 200 && d.pub.body === 'public object\n', JSON.stringify(d.pub))
    check('public listing of the Public bucket: 200', d.list.status === 200 && d.list.body.includes('<ListBucketResult'), JSON.stringify(d.list))
    check('the same link into the private bucket: 403 AccessDenied, readable cross-origin', d.priv.status === 403 && d.priv.code === 'AccessDenied', JSON.stringify(d.priv))
  }

  // 3. Upload two files into uploads/ through the file input.
  await page.fill('#upload-dir', 'uploads/')
  await page.setInputFiles('#file', files.map((f) => f.path))
  const up = await doSteps(['upload', 'list'], () => page.click('#upload'))
  if (okStep('upload 300 KiB and 4 MiB files (putObject) and an 11 MiB file (multipart)', up.upload)) {
    for (const f of files) {
      const d = up.upload.detail.find((x) => x.name === 'uploads/' + f.name)
      check(`upload ${f.name}: page read the same bytes`, d && d.sha256 === f.sha256 && d.size === f.size, JSON.stringify(d))
      if (f.multipart) {
        check(`upload ${f.name}: multipart ETag of 3 parts`, d && /^[0-9a-f]{32}-3$/.test(d.etag), `got ${d && d.etag}`)
      } else {
        check(`upload ${f.name}: ETag (exposed cross-origin) is the MD5`, d && d.etag === f.md5, `got ${d && d.etag}, want ${f.md5}`)
      }
    }
  }
  // The multipart upload as minio-js 7.0.33 sends it: it looked for an
  // earlier upload of the key, listed its parts, sent only parts 2 and 3
  // and completed the earlier upload.
  const largeKey = encodeURIComponent('uploads/' + large.name)
  const mp = s3Log.filter((e) => e.url.includes('uploads') && (e.url.includes('uploadId') || /[?&]uploads(=|&|$)/.test(e.url)))
  const seen = (method, re) => mp.filter((e) => e.method === method && re.test(e.url) && e.status >= 200 && e.status < 300)
  check('multipart: ListMultipartUploads by the key as prefix', seen('GET', new RegExp(`[?&]uploads(=|&).*prefix=${largeKey.replace(/[.%]/g, '\\$&')}`)).length === 1,
    mp.map((e) => `${e.method} ${e.url} ${e.status}`).join('; '))
  check('multipart: ListParts of the earlier upload', seen('GET', new RegExp(`uploadId=${earlierUpload}`)).length === 1, mp.map((e) => `${e.method} ${e.url} ${e.status}`).join('; '))
  const partsSent = seen('PUT', /partNumber=\d+/).map((e) => Number(new URL(e.url).searchParams.get('partNumber'))).sort()
  check('multipart: only parts 2 and 3 sent from the page (part 1 was there)', partsSent.join() === '2,3', JSON.stringify(partsSent))
  check('multipart: CompleteMultipartUpload of the earlier upload', seen('POST', new RegExp(`uploadId=${earlierUpload}`)).length === 1, mp.map((e) => `${e.method} ${e.url} ${e.status}`).join('; '))
  if (okStep('list after upload', up.list)) {
    check('root now shows uploads/', up.list.detail.names.includes('uploads/'), JSON.stringify(up.list.detail.names))
  }
  const uploads = await openFolder('uploads/')
  if (okStep('open folder uploads/', uploads)) {
    check('uploads/ lists the three files (encoding-type=url keys decoded)', sameSet(uploads.detail.names, files.map((f) => 'uploads/' + f.name)), JSON.stringify(uploads.detail.names))
    const sizes = await page.$$eval('#objects tbody tr', (trs) => trs.map((tr) => tr.querySelector('td.size').textContent))
    check('sizes shown as CloudStack formats them', sizes.includes('300.02 KB') && sizes.includes('4.00 MB') && sizes.includes('11.00 MB'), JSON.stringify(sizes))
    for (const f of files) {
      const m = uploads.detail.metadata['uploads/' + f.name]
      check(`listObjectsV2WithMetadata: UserMetadata of ${f.name}`,
        m && m['X-Amz-Meta-Uploadedby'] === 'bucket-browser' && m['content-type'] === 'application/octet-stream', JSON.stringify(m))
    }
  }

  // 4. Details: presigned GET (24 h), download it in the page, compare.
  for (const f of files) {
    const key = 'uploads/' + f.name
    const det = await doSteps(['presign', 'stat'], () => page.click(`#objects tr[data-key="${key}"] button.details`))
    if (okStep(`presignedGetObject ${f.name} (86400 s)`, det.presign)) {
      const u = new URL(det.presign.detail.url)
      check(`presigned URL of ${f.name} is for the S3 origin, X-Amz-Expires=86400`,
        u.origin === opt.s3 && u.searchParams.get('X-Amz-Expires') === '86400' && !!u.searchParams.get('X-Amz-Signature'), u.href)
    }
    if (okStep(`statObject ${f.name}`, det.stat)) {
      const m = det.stat.detail.metaData || {}
      check(`statObject ${f.name}: size, ETag and upload metadata`,
        det.stat.detail.size === f.size && (f.multipart ? /-3$/.test(det.stat.detail.etag) : det.stat.detail.etag === f.md5) &&
        m.uploadedby === 'bucket-browser',
        JSON.stringify(det.stat.detail))
    }
    const dl = (await doSteps(['download'], () => page.click('#download'))).download
    if (okStep(`download ${f.name} with fetch() of the presigned URL`, dl)) {
      check(`downloaded ${f.name}: same size and sha256 as uploaded`, dl.detail.size === f.size && dl.detail.sha256 === f.sha256,
        `got ${dl.detail.size} bytes ${dl.detail.sha256}, want ${f.size} ${f.sha256}`)
    }
  }

  // 5. Metadata of the small file: copyObject onto itself, REPLACE.
  const small = files[0]
  await doSteps(['presign', 'stat'], () => page.click(`#objects tr[data-key="uploads/${small.name}"] button.details`))
  await page.fill('#meta-key', 'owner')
  await page.fill('#meta-value', 'cloudstack-admin')
  const meta = await doSteps(['metadata', 'stat-after', 'list'], () => page.click('#meta-save'))
  // CloudStack passes MetadataDirective: 'REPLACE' to CopyDestinationOptions,
  // but minio-js 7.0.33 has no such option (dist/main/helpers.js,
  // CopyDestinationOptions.getHeaders sends X-Amz-Meta-* and never
  // x-amz-metadata-directive): on the wire this is a copy of the object onto
  // itself with the default directive COPY, which S3 refuses with 400
  // InvalidRequest. caddys3 answers as S3 does, readable cross-origin, and
  // the object keeps its metadata.
  const copies = s3Log.filter((e) => e.method === 'PUT' && e.reqHeaders && e.reqHeaders['x-amz-copy-source'])
  check('copyObject from minio-js 7.0.33: X-Amz-Meta-* sent, no x-amz-metadata-directive',
    copies.length === 1 && copies[0].reqHeaders['x-amz-meta-owner'] === 'cloudstack-admin' && copies[0].reqHeaders['x-amz-metadata-directive'] === undefined,
    JSON.stringify(copies.map((e) => e.reqHeaders)))
  check('copy onto itself without REPLACE: 400 InvalidRequest, readable cross-origin',
    meta.metadata && meta.metadata.state === 'error' && /\[InvalidRequest\]/.test(meta.metadata.text), meta.metadata && `${meta.metadata.state}: ${meta.metadata.text}`)
  if (okStep('statObject after the refused metadata edit', meta['stat-after'])) {
    const m = meta['stat-after'].detail.metaData || {}
    check('metadata unchanged: uploadedby=bucket-browser, no owner', m.owner === undefined && m.uploadedby === 'bucket-browser', JSON.stringify(m))
    check('object unchanged (size)', meta['stat-after'].detail.size === small.size, JSON.stringify(meta['stat-after'].detail))
  }
  const dl2 = (await doSteps(['download'], () => page.click('#download'))).download
  if (okStep('download again after the metadata edit', dl2)) {
    check('content unchanged by the metadata edit (sha256)', dl2.detail.sha256 === small.sha256, dl2.detail.sha256)
  }
  await screenshot('bucket-browser.png')

  // 6. Delete: the small file by itself, then the uploads/ folder (recursive
  // listObjectsV2 + removeObjects, as CloudStack deletes directories).
  await selectRow(`uploads/${small.name}`)
  const del = await doSteps(['delete', 'list'], () => page.click('#delete'))
  okStep('removeObjects of a selected object', del.delete)
  if (okStep('list after deleting the object', del.list)) {
    check('uploads/ lists only the two other files', sameSet(del.list.detail.names, files.slice(1).map((f) => `uploads/${f.name}`)), JSON.stringify(del.list.detail.names))
  }
  // Errors cross-origin: the details of the deleted object are still open;
  // S3's error responses carry the CORS headers too, so the page sees them.
  const gone = (await doSteps(['download'], () => page.click('#download'))).download
  check('presigned GET of the deleted object: 404 NoSuchKey readable cross-origin',
    gone && gone.state === 'error' && /HTTP 404/.test(gone.text) && /\[NoSuchKey\]/.test(gone.text), gone && `${gone.state}: ${gone.text}`)
  const goneStat = (await doSteps(['stat'], () => page.click('#stat'))).stat
  check('statObject of the deleted object: NotFound',
    goneStat && goneStat.state === 'error' && /\[NotFound\]/.test(goneStat.text), goneStat && `${goneStat.state}: ${goneStat.text}`)
  const back = (await doSteps(['list'], () => page.click('#breadcrumb a[data-path=""]'))).list
  okStep('breadcrumb back to the root', back)
  await selectRow('uploads/')
  const delDir = await doSteps(['delete', 'list'], () => page.click('#delete'))
  if (okStep('delete folder uploads/ (recursive listObjectsV2 + removeObjects)', delDir.delete)) {
    check('folder delete removed the two other files', sameSet(delDir.delete.detail.removed, files.slice(1).map((f) => `uploads/${f.name}`)), JSON.stringify(delDir.delete.detail.removed))
  }
  if (okStep('list after deleting the folder', delDir.list)) {
    check('root is back to docs/, images/, readme.txt', sameSet(delDir.list.detail.names, ['docs/', 'images/', 'readme.txt']), JSON.stringify(delDir.list.detail.names))
  }
  await screenshot('bucket-browser-final.png')

  // The wire: GET ?location before the bucket's first use, removeObjects
  // as POST ?delete in quiet mode.
  check('GET ?location answered (minio-js getBucketRegion)', s3Log.some((e) => e.method === 'GET' && /\?location(=|$)/.test(e.url) && e.status === 200),
    s3Log.filter((e) => e.url.includes('location')).map((e) => `${e.url} ${e.status}`).join('; '))
  // The request body: from Chromium itself (the page's fetch streams it,
  // so playwright does not see it).
  const delIds = [...cdpRequests.values()].filter((r) => r.method === 'POST' && /\?delete(=|$)/.test(r.url))
  const delBodies = []
  for (const r of delIds) {
    try {
      delBodies.push((await cdp.send('Network.getRequestPostData', { requestId: r.id })).postData)
    } catch (e) {
      delBodies.push(`(no body: ${e.message})`)
    }
  }
  check('removeObjects: POST ?delete with <Quiet>true</Quiet>', delBodies.length === 2 && delBodies.every((b) => /<Quiet>true<\/Quiet>/.test(b)),
    delBodies.map((b) => b.slice(0, 160)).join('; '))
  const dels = s3Log.filter((e) => e.method === 'POST' && /\?delete(=|$)/.test(e.url))
  check('removeObjects: 200 with a quiet DeleteResult (no <Deleted>)', dels.length === 2 && dels.every((e) => e.status === 200 && /<DeleteResult/.test(e.body || '') && !/<Deleted>/.test(e.body)),
    dels.map((e) => `${e.status} ${(e.body || '').slice(0, 200)}`).join('; '))
  // Cross-origin for real: Chromium preflighted the signed requests and
  // cors_origins answered every preflight (the bucket has no CORS rules).
  const bad = preflights.filter((p) => !(p.status >= 200 && p.status < 300))
  check(`CORS preflights (OPTIONS) from ${new URL(opt.page).origin} answered`, preflights.length > 0 && bad.length === 0,
    `${preflights.length} preflights, ${bad.length} not 2xx`)
} catch (e) {
  check('scenario ran to the end', false, e.stack || String(e))
  try { await screenshot('bucket-browser.png') } catch {}
}

const errorsOnPage = consoleErrors
if (failed > 0 || process.env.BROWSER_VERBOSE) {
  console.log(`--- chromium ${browserVersion}: console errors/warnings (${errorsOnPage.length})`)
  for (const l of errorsOnPage) console.log('  ' + l)
  console.log(`--- failed requests (${failedRequests.length})`)
  for (const l of failedRequests) console.log('  ' + l)
  console.log(`--- S3 requests (${s3Log.length}), failures with headers`)
  for (const e of s3Log) {
    const u = new URL(e.url)
    console.log(`  ${e.method} ${u.pathname}${u.search.length > 120 ? u.search.slice(0, 120) + '…' : u.search} → ${e.status ?? e.err}`)
    if (e.status >= 400 || e.err) {
      console.log('    request headers: ' + JSON.stringify(e.reqHeaders))
      console.log('    response headers: ' + JSON.stringify(e.resHeaders))
      if (e.body) console.log('    body: ' + e.body)
    }
  }
  console.log(`--- CORS preflights (${preflights.length})`)
  for (const p of preflights) {
    const u = new URL(p.url)
    console.log(`  OPTIONS ${u.pathname}${u.search.slice(0, 60)} (${p.reqHeaders['Access-Control-Request-Method'] || ''}; ${p.reqHeaders['Access-Control-Request-Headers'] || ''}) → ${p.status ?? p.failed}`)
    if (!(p.status >= 200 && p.status < 300)) {
      console.log('    request headers: ' + JSON.stringify(p.reqHeaders))
      console.log('    response headers: ' + JSON.stringify(p.resHeaders))
      // Chromium keeps no preflight bodies: the same OPTIONS again from Node.
      try {
        const h = {}
        for (const k of ['Origin', 'Access-Control-Request-Method', 'Access-Control-Request-Headers']) {
          if (p.reqHeaders[k]) h[k] = p.reqHeaders[k]
        }
        const res = await fetch(p.url, { method: 'OPTIONS', headers: h })
        console.log(`    replayed from Node: ${res.status} body: ${(await res.text()).slice(0, 600)}`)
      } catch (e) {
        console.log(`    replay from Node failed: ${e.message}`)
      }
    }
  }
} else {
  console.log(`chromium ${browserVersion}: ${s3Log.length} S3 requests, ${preflights.length} CORS preflights, ${errorsOnPage.length} console errors (the deleted-object checks log 4)`)
}
await context.close()
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed > 0 ? 1 : 0)
