import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { createApiClient } from '@cutroom/api'
import { type MediaTestApi, startMediaTestApi } from '@cutroom/api/testing'
import type { Browser } from 'playwright-core'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { launchChromium } from './chromium'
import { watchCspViolations } from './cspViolations'
import { makeClip, spawnWorker, type WorkerProcess } from './media-fixtures'

/**
 * The client's upload drop zone and job list in Chromium, served by the api (same origin as /trpc and /media),
 * built with the client's own Vite and Solid plugin around a two-component page.
 */
const ROOT = path.resolve(import.meta.dirname, '../..')
const MiB = 1024 * 1024
let api: MediaTestApi
let worker: WorkerProcess
let browser: Browser
let dir: string
let harnessSrc: string | null = null

async function buildHarness(outDir: string): Promise<void> {
  // inside the client's node_modules so bare imports (solid-js) resolve to the client's own packages
  const src = path.join(ROOT, 'client/node_modules/.cache', `cutroom-media-harness-${process.pid}`)
  harnessSrc = src
  mkdirSync(src, { recursive: true })
  const media = path.join(ROOT, 'client/src/media/index.ts')
  writeFileSync(
    path.join(src, 'index.html'),
    '<!doctype html><html><head><title>media harness</title></head><body><div id="root"></div><script type="module" src="./main.tsx"></script></body></html>',
  )
  writeFileSync(
    path.join(src, 'main.tsx'),
    `import { render } from 'solid-js/web'
import { JobList, UploadDropZone } from ${JSON.stringify(media)}
const projectId = new URLSearchParams(location.search).get('project')
render(() => (
  <div>
    <UploadDropZone projectId={projectId} onUploaded={(id) => document.body.setAttribute('data-uploaded', id)} />
    <JobList projectId={projectId} canDispatch={true} />
  </div>
), document.getElementById('root'))
`,
  )
  const require = createRequire(path.join(ROOT, 'client/package.json'))
  const vite = await import(pathToFileURL(require.resolve('vite')).href)
  const solid = (await import(pathToFileURL(require.resolve('vite-plugin-solid')).href)).default
  await vite.build({
    root: src,
    configFile: false,
    logLevel: 'error',
    plugins: [solid()],
    resolve: { dedupe: ['solid-js'] },
    build: { outDir, emptyOutDir: true, target: 'es2022' },
  })
}

async function studio() {
  const { token } = await createApiClient({ url: api.url }).auth.signUp.mutate({
    email: `browser${Date.now()}${Math.random()}@example.com`,
    password: 'correct horse 42',
    name: 'Editor',
  })
  const client = createApiClient({ url: api.url, token })
  const org = await client.orgs.create.mutate({ name: 'Studio' })
  const project = await client.projects.create.mutate({ orgId: org.id, name: 'Film' })
  const context = await browser.newContext()
  await context.addCookies([{ name: 'cutroom_session', value: token, url: api.url }])
  // the page runs under the api's CSP: uploads go straight to s3rver, which connect-src must allow
  const cspViolations = await watchCspViolations(context)
  return { client, project, context, cspViolations }
}

test.before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cutroom-media-browser-'))
  const dist = path.join(dir, 'dist')
  await buildHarness(dist)
  api = await startMediaTestApi({
    CLIENT_DIST: dist,
    UPLOAD_MULTIPART_THRESHOLD_BYTES: String(5 * MiB),
    UPLOAD_PART_SIZE_BYTES: String(5 * MiB),
  })
  worker = await spawnWorker(api)
  browser = await launchChromium()
})

test.after(async () => {
  await browser?.close()
  await worker?.stop()
  await api?.close()
  rmSync(dir, { recursive: true, force: true })
  if (harnessSrc) rmSync(harnessSrc, { recursive: true, force: true })
})

test('uploading shows a progress bar, then the jobs appear with live progress and finish', async () => {
  const { client, project, context, cspViolations } = await studio()
  const clip = path.join(dir, 'clip.mp4')
  // long enough that the ladder encode (after the fast preview rendition) reports progress before it ends
  await makeClip(clip, { seconds: 20, width: 1280, height: 720 })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto(`${api.url}/?project=${project.id}`)
  await page.setInputFiles('[data-testid=upload-input]', clip)
  await page.waitForSelector('[data-testid=upload-item] [role=progressbar]')
  await page.waitForFunction(() => document.body.hasAttribute('data-uploaded'), null, { timeout: 30_000 })
  // the job list fills from the subscription's status events, and a running job shows a moving bar
  const sawProgress = await page
    .waitForFunction(
      () => Array.from(document.querySelectorAll('[data-testid=job] [role=progressbar]')).some((b) => Number(b.getAttribute('aria-valuenow')) > 0),
      null,
      { timeout: 60_000, polling: 50 },
    )
    .then(() => true, () => false)
  await page.waitForFunction(
    () => {
      const jobs = Array.from(document.querySelectorAll('[data-testid=job]'))
      return jobs.length === 5 && jobs.every((j) => j.getAttribute('data-status') === 'succeeded')
    },
    null,
    { timeout: 120_000 },
  )
  assert.ok(sawProgress, 'a progress bar moved while a job ran')
  const assets = await client.assets.list.query({ projectId: project.id })
  assert.equal(assets.map((a) => a.status), ['ready'])
  assert.equal(errors, [])
  assert.equal(cspViolations, [], 'nothing the page did broke its Content-Security-Policy')
  await context.close()
})

test('a multipart upload paused and reloaded resumes with the parts it still needs', async () => {
  const { client, project, context, cspViolations } = await studio()
  // three parts of 5 MiB; the bytes do not matter for resuming (the probe afterwards refuses them)
  const clip = path.join(dir, 'big.mp4')
  writeFileSync(clip, randomBytes(12 * MiB))
  const page = await context.newPage()
  const partPuts: string[] = []
  page.on('request', (r) => {
    if (r.method() === 'PUT' && r.url().includes('partNumber=')) partPuts.push(new URL(r.url()).searchParams.get('partNumber')!)
  })
  // slow the upload down so it can be paused half way
  await page.route('**/*partNumber=*', async (route) => {
    await new Promise((r) => setTimeout(r, 700))
    // the request may have been aborted by Pause or the reload meanwhile
    await route.continue().catch(() => {})
  })
  await page.goto(`${api.url}/?project=${project.id}`)
  await page.setInputFiles('[data-testid=upload-input]', clip)
  await page.waitForFunction(() => {
    const bar = document.querySelector('[data-testid=upload-item] [role=progressbar]')
    return Number(bar?.getAttribute('aria-valuenow')) > 0
  })
  const started = (await client.assets.list.query({ projectId: project.id }))[0]!
  assert.is(started.status, 'uploading')
  await page.click('[data-testid=upload-item] button:has-text("Pause")')
  await page.waitForSelector('[data-testid=upload-item] button:has-text("Resume")')
  const before = await page.evaluate(() =>
    Object.keys(localStorage)
      .filter((k) => k.startsWith('cutroom:upload:'))
      .map((k) => JSON.parse(localStorage.getItem(k)!) as { parts: Record<string, string> }),
  )
  assert.is(before.length, 1, 'the unfinished upload is remembered')
  const doneBefore = Object.keys(before[0]!.parts)

  // drop the slowing handler before the reload; handlers still sleeping on a request that Pause aborted must
  // not fail the test when they wake up ("Route is already handled!")
  await page.unrouteAll({ behavior: 'ignoreErrors' })
  await page.reload()
  await page.waitForSelector('text=is unfinished')
  partPuts.length = 0
  await page.setInputFiles('[data-testid=upload-input]', clip)
  await page.waitForFunction(() => document.body.hasAttribute('data-uploaded'), null, { timeout: 30_000 })
  for (const n of doneBefore) assert.not.ok(partPuts.includes(n), `part ${n} was not sent again`)
  const asset = await client.assets.get.query({ id: started.id })
  assert.is.not(asset.status, 'uploading')
  assert.is(asset.size, 12 * MiB)
  assert.is(asset.id, started.id, 'the same asset, resumed')
  assert.is((await client.assets.list.query({ projectId: project.id })).length, 1)
  assert.equal(cspViolations, [], 'nothing the page did broke its Content-Security-Policy')
  await context.close()
})

test.run()
