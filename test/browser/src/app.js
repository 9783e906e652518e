// CloudStack's object storage browser (ui/src/components/view/
// ObjectStoreBrowser.vue) reduced to plain DOM code: the same minio-js calls,
// made the same way, from a page on another origin than the S3 endpoint.
// The driver (../driver.mjs) clicks the buttons and reads the status list.
//
// Every step writes <li id="status-STEP" data-state="running|ok|error"> into
// #status; data-seq grows with each run of any step, data-detail carries
// machine-readable results for the driver.
import * as Minio from 'minio'

/* global __MINIO_VERSION__ */
const $ = (sel) => document.querySelector(sel)

const state = {
  client: null,
  bucket: '',
  browserPath: '',
  records: [],
  selected: new Set(),
  record: null,
  pageStartAfterMap: { 1: '' },
  page: 1,
  seq: 0
}

function status (step, st, text, detail) {
  let li = document.getElementById('status-' + step)
  if (!li) {
    li = document.createElement('li')
    li.id = 'status-' + step
    $('#status').appendChild(li)
  }
  if (st === 'running') {
    li.dataset.seq = String(++state.seq)
    delete li.dataset.detail
  }
  li.className = st
  li.dataset.state = st
  li.textContent = `${step}: ${text}`
  if (detail !== undefined) li.dataset.detail = JSON.stringify(detail)
  if (st === 'error') console.error(`step ${step} failed: ${text}`)
}

// Runs fn as step `step`; an exception becomes an error status with the
// S3 error code minio-js parsed, if any.
async function run (step, fn) {
  status(step, 'running', '…')
  try {
    const r = await fn()
    status(step, 'ok', r.text, r.detail)
  } catch (err) {
    const code = err && err.code ? ` [${err.code}]` : ''
    status(step, 'error', `${err && err.message ? err.message : err}${code}`)
  }
}

function convertBytes (val) {
  // CloudStack's convertBytes
  if (val < 1024 * 1024) return `${(val / 1024).toFixed(2)} KB`
  if (val < 1024 * 1024 * 1024) return `${(val / 1024 / 1024).toFixed(2)} MB`
  return `${(val / 1024 / 1024 / 1024).toFixed(2)} GB`
}

async function sha256Hex (buf) {
  const d = await crypto.subtle.digest('SHA-256', buf)
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, '0')).join('')
}

// A minio-js object stream collected into an array (CloudStack stops at 1000).
function collect (stream, limit = 1000) {
  return new Promise((resolve, reject) => {
    const out = []
    stream.on('data', (obj) => {
      out.push(obj)
      if (out.length >= limit) stream.destroy()
    })
    stream.on('end', () => resolve(out))
    stream.on('close', () => resolve(out))
    stream.on('error', reject)
  })
}

function initMinioClient (cfg) {
  // As CloudStack does: host and port from the bucket URL, https or not, the
  // user's keys; no region (minio-js asks GET ?location first).
  const url = /https?:\/\/([^/]+)\/?/.exec(cfg.url.split(cfg.bucket)[0])[1]
  const isHttps = /^https/.test(cfg.url)
  state.client = new Minio.Client({
    endPoint: url.split(':')[0],
    port: url.split(':').length > 1 ? parseInt(url.split(':')[1]) : isHttps ? 443 : 80,
    useSSL: isHttps,
    accessKey: cfg.accessKey,
    secretKey: cfg.secretKey,
    // CloudStack keeps minio-js's default part size (64 MiB); the test
    // lowers it (config.json) so its multipart upload stays small.
    ...(cfg.partSize ? { partSize: cfg.partSize } : {})
  })
  state.cfg = cfg
  state.bucket = cfg.bucket
}

function renderBreadcrumb () {
  const nav = $('#breadcrumb')
  nav.textContent = ''
  const parts = [['', state.bucket]]
  let p = ''
  for (const seg of state.browserPath.split('/')) {
    if (!seg) continue
    p += seg + '/'
    parts.push([p, seg])
  }
  parts.forEach(([path, label], i) => {
    if (i > 0) nav.append(' / ')
    const a = document.createElement('a')
    a.textContent = label
    a.dataset.path = path
    a.addEventListener('click', () => openDir(path))
    nav.append(a)
  })
}

function renderTable () {
  const tbody = $('#objects tbody')
  tbody.textContent = ''
  for (const rec of state.records) {
    const tr = document.createElement('tr')
    const key = rec.name !== undefined ? rec.name : rec.prefix
    tr.dataset.key = key
    tr.dataset.kind = rec.name !== undefined ? 'object' : 'folder'
    const cb = document.createElement('input')
    cb.type = 'checkbox'
    cb.checked = state.selected.has(key)
    cb.addEventListener('change', () => {
      if (cb.checked) state.selected.add(key)
      else state.selected.delete(key)
    })
    const tdSel = document.createElement('td')
    tdSel.append(cb)
    const tdName = document.createElement('td')
    tdName.className = 'name'
    const tdActions = document.createElement('td')
    if (rec.name === undefined && rec.prefix) {
      const a = document.createElement('a')
      a.className = 'folder'
      a.textContent = rec.prefix.replace(state.browserPath, '').replace('/', '') + '/'
      a.addEventListener('click', () => openDir(rec.prefix))
      tdName.append(a)
    } else {
      tdName.textContent = rec.name.split('/').pop()
      const b = document.createElement('button')
      b.className = 'link details'
      b.textContent = 'Details'
      b.addEventListener('click', () => showObjectDescription(rec))
      tdActions.append(b)
    }
    const tdSize = document.createElement('td')
    tdSize.className = 'size'
    tdSize.textContent = rec.name !== undefined ? convertBytes(rec.size) : ''
    const tdDate = document.createElement('td')
    tdDate.textContent = rec.lastModified ? new Date(rec.lastModified).toISOString().replace('T', ' ').slice(0, 19) : ''
    const tdEtag = document.createElement('td')
    tdEtag.className = 'etag'
    tdEtag.textContent = rec.etag || ''
    tr.append(tdSel, tdName, tdSize, tdDate, tdEtag, tdActions)
    tbody.append(tr)
  }
  const folders = state.records.filter((r) => r.name === undefined).length
  $('#listing-summary').textContent =
    `${state.records.length - folders} object(s), ${folders} folder(s) under "${state.browserPath}" (page ${state.page})`
}

function listObjects () {
  // CloudStack lists with MinIO's metadata extension (ListObjectsV2 plus
  // metadata=true), non-recursive, 1000 per page, from the page's start-after;
  // #lister switches to plain listObjectsV2.
  return run('list', async () => {
    const prefix = state.browserPath + $('#search').value
    const lister = $('#lister').value
    // CloudStack's next page starts after the last key of the page before.
    const startAfter = $('#start-after').value || state.pageStartAfterMap[state.page]
    const stream = lister === 'listObjectsV2'
      ? state.client.listObjectsV2(state.bucket, prefix, false, startAfter)
      : state.client.extensions.listObjectsV2WithMetadata(state.bucket, prefix, false, startAfter)
    state.records = await collect(stream)
    renderBreadcrumb()
    renderTable()
    const names = state.records.map((r) => (r.name !== undefined ? r.name : r.prefix))
    const metadata = {}
    for (const r of state.records) if (r.name !== undefined && r.metadata !== undefined) metadata[r.name] = r.metadata
    return { text: `${lister} "${prefix}"${startAfter ? ' after "' + startAfter + '"' : ''}: ${names.join(', ') || '(empty)'}`, detail: { lister, prefix, startAfter, names, metadata } }
  })
}

function openDir (name) {
  state.browserPath = name === '/' ? '' : name
  $('#upload-dir').value = state.browserPath
  state.page = 1
  state.pageStartAfterMap = { 1: '' }
  state.selected.clear()
  $('#details').hidden = true
  return listObjects()
}

async function uploadFiles () {
  let dir = $('#upload-dir').value
  if (!dir.endsWith('/')) dir += '/'
  if (dir === '/') dir = ''
  const files = Array.from($('#file').files)
  await run('upload', async () => {
    if (files.length === 0) throw new Error('no file chosen')
    const results = await Promise.allSettled(files.map(async (file) => {
      const objectName = dir + file.name
      const buffer = await file.arrayBuffer()
      // CloudStack: putObject(bucket, name, Buffer.from(buffer), file.size, metadata)
      const info = await state.client.putObject(state.bucket, objectName, Buffer.from(buffer), file.size,
        { 'Content-Type': file.type || 'application/octet-stream', uploadedby: 'bucket-browser' })
      return { name: objectName, size: file.size, etag: info.etag, sha256: await sha256Hex(buffer) }
    }))
    const failed = results.filter((r) => r.status === 'rejected')
    if (failed.length) {
      throw new Error(failed.map((r) => `${r.reason.message}${r.reason.code ? ' [' + r.reason.code + ']' : ''}`).join('; '))
    }
    const done = results.map((r) => r.value)
    return {
      text: 'uploaded ' + done.map((d) => `${d.name} (${d.size} bytes, etag ${d.etag})`).join(', '),
      detail: done
    }
  })
  $('#file').value = ''
  await listObjects()
}

async function showObjectDescription (rec) {
  state.record = { ...rec }
  $('#details').hidden = false
  $('#details-name').textContent = rec.name
  $('#details-download').textContent = ''
  $('#details-metadata').textContent = ''
  await run('presign', async () => {
    const url = await state.client.presignedGetObject(state.bucket, rec.name, 24 * 60 * 60)
    state.record.presignedUrl = url
    const a = $('#details-url')
    a.href = url
    a.textContent = url
    return { text: `presigned GET for ${rec.name}`, detail: { url } }
  })
  await statObject('stat')
}

async function download () {
  await run('download', async () => {
    if (!state.record || !state.record.presignedUrl) throw new Error('no presigned URL')
    const res = await fetch(state.record.presignedUrl)
    if (!res.ok) {
      const body = await res.text()
      const code = /<Code>([^<]*)<\/Code>/.exec(body)
      throw Object.assign(new Error(`HTTP ${res.status}: ${body.slice(0, 300)}`), { code: code ? code[1] : undefined })
    }
    const buf = await res.arrayBuffer()
    const sha256 = await sha256Hex(buf)
    $('#details-download').textContent = `${buf.byteLength} bytes, sha256 ${sha256}`
    return {
      text: `downloaded ${state.record.name}: ${buf.byteLength} bytes, sha256 ${sha256}`,
      detail: { name: state.record.name, size: buf.byteLength, sha256, contentType: res.headers.get('content-type') }
    }
  })
}

async function statObject (step) {
  await run(step, async () => {
    const st = await state.client.statObject(state.bucket, state.record.name)
    state.record.metadata = st.metaData
    $('#details-metadata').textContent = JSON.stringify(st.metaData)
    return {
      text: `statObject ${state.record.name}: size ${st.size}, etag ${st.etag}, metadata ${JSON.stringify(st.metaData)}`,
      detail: { size: st.size, etag: st.etag, metaData: st.metaData }
    }
  })
}

async function updateMetadata () {
  // CloudStack's updateMetadata: copy the object onto itself, REPLACE.
  await run('metadata', async () => {
    const meta = { [$('#meta-key').value]: $('#meta-value').value }
    const res = await state.client.copyObject(
      new Minio.CopySourceOptions({ Bucket: state.bucket, Object: state.record.name }),
      new Minio.CopyDestinationOptions({
        Bucket: state.bucket, Object: state.record.name, MetadataDirective: 'REPLACE', UserMetadata: meta
      }))
    return {
      text: `copyObject REPLACE ${JSON.stringify(meta)}: LastModified ${res.LastModified && new Date(res.LastModified).toISOString()}`,
      detail: res
    }
  })
  await statObject('stat-after')
  await listObjects()
}

// The public link CloudStack shows for an object of a Public bucket
// (bucket URL + "/" + key), fetched without any signature; and the same
// for an object of the private bucket, which must be refused.
async function publicLinks () {
  await run('public', async () => {
    const get = async (url) => {
      const res = await fetch(url, { credentials: 'omit' })
      const body = await res.text()
      const code = /<Code>([^<]*)<\/Code>/.exec(body)
      return { url, status: res.status, body: body.slice(0, 200), code: code ? code[1] : undefined }
    }
    const pub = await get(state.cfg.publicUrl + '/' + state.cfg.publicKey)
    const priv = await get(state.cfg.url + '/readme.txt')
    const list = await get(state.cfg.publicUrl + '?list-type=2')
    return { text: `public link ${pub.status}, private ${priv.status} ${priv.code || ''}, public listing ${list.status}`, detail: { pub, priv, list } }
  })
}

async function removeObjects () {
  // CloudStack: selected objects with one removeObjects; each selected folder
  // by a recursive listObjectsV2 and removeObjects of what it found.
  const selected = Array.from(state.selected)
  state.selected.clear()
  await run('delete', async () => {
    const objects = selected.filter((k) => !k.endsWith('/'))
    const dirs = selected.filter((k) => k.endsWith('/'))
    const removed = []
    for (const dir of dirs) {
      const found = await collect(state.client.listObjectsV2(state.bucket, dir, true, ''), Infinity)
      const names = found.map((o) => o.name)
      if (names.length) {
        const errs = await state.client.removeObjects(state.bucket, names)
        checkRemoveErrors(errs)
        removed.push(...names)
      }
    }
    if (objects.length) {
      const errs = await state.client.removeObjects(state.bucket, objects)
      checkRemoveErrors(errs)
      removed.push(...objects)
    }
    if (!removed.length) throw new Error('nothing selected')
    return { text: `removed ${removed.join(', ')}`, detail: { removed } }
  })
  await listObjects()
}

function checkRemoveErrors (errs) {
  // minio v8 resolves with the <Error> entries of the DeleteResult.
  if (errs && errs.length) throw new Error('removeObjects: ' + JSON.stringify(errs))
}

async function main () {
  $('#minio-version').textContent = __MINIO_VERSION__
  $('#page-origin').textContent = location.origin
  await run('init', async () => {
    const cfg = await (await fetch('config.json', { cache: 'no-store' })).json()
    initMinioClient(cfg)
    $('#bucket-name').textContent = cfg.bucket
    $('#s3-origin').textContent = new URL(cfg.url).origin
    return { text: `client for ${cfg.url}`, detail: { url: cfg.url } }
  })
  $('#refresh').addEventListener('click', () => listObjects())
  $('#search').addEventListener('keydown', (e) => { if (e.key === 'Enter') listObjects() })
  $('#upload').addEventListener('click', () => uploadFiles())
  $('#delete').addEventListener('click', () => removeObjects())
  $('#meta-save').addEventListener('click', () => updateMetadata())
  $('#download').addEventListener('click', () => download())
  $('#stat').addEventListener('click', () => statObject('stat'))
  $('#public-check').addEventListener('click', () => publicLinks())
  if (state.client) await openDir('')
  document.body.dataset.ready = '1'
}

main()
