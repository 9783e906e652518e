// Bundles src/app.js with minio-js for the browser into the directory given
// as the first argument (default out/site): app.js plus the static files of
// src/. esbuild with esbuild-plugin-polyfill-node (@jspm/core's browser
// builds of buffer, stream, events, crypto, http/https (fetch), url, util,
// path, querystring; fs as a stub; src/shims/url.js for 'url') stands in for the webpack polyfills
// CloudStack's UI build relies on.
import { build } from 'esbuild'
import { polyfillNode } from 'esbuild-plugin-polyfill-node'
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const outdir = resolve(process.argv[2] || join(here, 'out', 'site'))
const minioVersion = JSON.parse(readFileSync(join(here, 'node_modules', 'minio', 'package.json'), 'utf8')).version

mkdirSync(outdir, { recursive: true })
const result = await build({
  entryPoints: [join(here, 'src', 'app.js')],
  outfile: join(outdir, 'app.js'),
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'chrome110',
  sourcemap: true,
  minify: false,
  logLevel: 'warning',
  metafile: true,
  // minio-js 7 reads Node's `global` (webpack, which CloudStack's UI uses, maps it).
  define: { __MINIO_VERSION__: JSON.stringify(minioVersion), global: 'globalThis' },
  alias: { url: join(here, 'src', 'shims', 'url.js'), 'node:url': join(here, 'src', 'shims', 'url.js') },
  plugins: [polyfillNode({
    globals: { buffer: true, process: true },
    polyfills: { crypto: true, fs: true, 'fs/promises': true, http: true, https: true, url: false }
  })]
})
for (const f of ['index.html', 'style.css']) copyFileSync(join(here, 'src', f), join(outdir, f))
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0)
console.log(`build: ${outdir}/app.js (minio ${minioVersion}, ${(bytes / 1024).toFixed(0)} KiB with source map)`)
