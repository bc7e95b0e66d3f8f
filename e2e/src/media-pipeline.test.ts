import { readFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createApiClient } from '@cutroom/api'
import { type MediaTestApi, startMediaTestApi } from '@cutroom/api/testing'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { launchChromium } from './chromium'
import { makeClip, spawnWorker, until, type WorkerProcess } from './media-fixtures'

let api: MediaTestApi
let dir: string
const workers: WorkerProcess[] = []
let n = 0

async function studio() {
  const anon = createApiClient({ url: api.url })
  const { token } = await anon.auth.signUp.mutate({ email: `media${++n}@example.com`, password: 'correct horse 42', name: 'Editor' })
  const client = createApiClient({ url: api.url, token })
  const org = await client.orgs.create.mutate({ name: `Studio ${n}` })
  // a paying studio (self-hosted plan change): these tests are about other things than the free plan's limits
  await client.billing.setPlan.mutate({ orgId: org.id, plan: 'team' })
  const project = await client.projects.create.mutate({ orgId: org.id, name: 'Film' })
  return { token, client, org, project }
}

type Client = Awaited<ReturnType<typeof studio>>['client']

/** Uploads like the browser does: presigned PUT straight to S3, then completeUpload. */
async function upload(client: Client, projectId: string, file: string, contentType = 'video/mp4') {
  const bytes = readFileSync(file)
  const started = await client.assets.createUpload.mutate({ projectId, filename: path.basename(file), size: bytes.length, contentType })
  if (started.upload.mode !== 'single') throw new Error('expected a single PUT for a small file')
  const put = await fetch(started.upload.url, { method: 'PUT', headers: started.upload.headers, body: bytes })
  assert.is(put.status, 200)
  const done = await client.assets.completeUpload.mutate({ assetId: started.asset.id })
  return { assetId: started.asset.id, probeJobId: done.probeJobId! }
}

async function startWorker(env: Record<string, string> = {}) {
  const w = await spawnWorker(api, { WORKER_ACK_WAIT_MS: '3000', WORKER_RETRY_BACKOFF_MS: '200', ...env })
  workers.push(w)
  return w
}

test.before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cutroom-media-e2e-'))
  api = await startMediaTestApi({ BILLING_MODE: 'manual' })
})

test.after(async () => {
  await Promise.all(workers.map((w) => w.stop()))
  await api.close()
  rmSync(dir, { recursive: true, force: true })
})

test('upload -> probe -> transcode, thumbnails, waveform: artifacts in S3, rows and usage in Postgres, HLS plays in Chromium', async () => {
  const worker = await startWorker()
  const health = (await (await fetch(worker.healthUrl)).json()) as { capabilities: { videoEncoder: string; nvenc: boolean; cuda: boolean } }
  assert.is(health.capabilities.videoEncoder, health.capabilities.nvenc ? 'h264_nvenc' : 'libx264')
  assert.type(health.capabilities.cuda, 'boolean')

  const { token, client, org, project } = await studio()
  const clip = path.join(dir, 'clip.mp4')
  await makeClip(clip, { seconds: 2, width: 1280, height: 720 })
  const { assetId } = await upload(client, project.id, clip)
  const asset = await until('the asset to be ready', async () => {
    const a = await client.assets.get.query({ id: assetId })
    if (a.status === 'failed' || a.status === 'rejected') throw new Error(`asset ${a.status}: ${a.error}`)
    return a.status === 'ready' ? a : null
  }, 120_000)

  const meta = asset.metadata as { durationSeconds: number; hasAudio: boolean; video: { fps: { num: number; den: number }; width: number; height: number; durationFrames: number } }
  assert.equal(meta.video.fps, { num: 25, den: 1 })
  assert.is(meta.video.durationFrames, 50)
  assert.is(meta.video.height, 720)
  assert.is(meta.hasAudio, true)

  const jobs = await client.jobs.list.query({ projectId: project.id })
  // two transcodes: the fast preview rendition, then the ladder that replaces it
  assert.equal(jobs.map((j) => `${j.kind}:${j.status}`).sort(), ['probe:succeeded', 'thumbnails:succeeded', 'transcode:succeeded', 'transcode:succeeded', 'waveform:succeeded'])
  assert.equal(asset.artifacts.map((a) => a.slot).sort(), ['hls', 'hls', 'thumbnails', 'waveform'])
  const [preview, full] = asset.artifacts.filter((a) => a.slot === 'hls')
  assert.is((preview!.metadata as { preview?: boolean }).preview, true, 'the preview lands first')
  assert.is((full!.metadata as { preview?: boolean }).preview, undefined)
  const previewMaster = await (await fetch(`${api.url}${preview!.url}`, { headers: { authorization: `Bearer ${token}` } })).text()
  assert.match(previewMaster, /RESOLUTION=640x360/)
  assert.not.match(previewMaster, /1280x720/, 'the preview is one rendition')
  const usage = await api.sql`select metric, quantity from usage_events where org_id = ${org.id}`
  assert.is(usage.length, 3, 'the preview rendition is not billed on top of the ladder')
  assert.ok(usage.every((u) => u.metric === 'media_seconds' && Math.abs(u.quantity - 2) < 0.2))

  const auth = { authorization: `Bearer ${token}` }
  // artifacts come oldest first: per slot, the last is the one to use (the ladder, not the preview)
  const byslot = Object.fromEntries(asset.artifacts.map((a) => [a.slot, a]))
  const master = await (await fetch(`${api.url}${byslot.hls!.url}`, { headers: auth })).text()
  assert.match(master, /RESOLUTION=640x360/)
  assert.match(master, /RESOLUTION=1280x720/)
  const sprite = Buffer.from(await (await fetch(`${api.url}${byslot.thumbnails!.url}`, { headers: auth })).arrayBuffer())
  assert.is(sprite.readUInt16BE(0), 0xffd8)
  const peaks = (await (await fetch(`${api.url}${byslot.waveform!.url}`, { headers: auth })).json()) as { sampleRate: number; levels: unknown[] }
  assert.is(peaks.sampleRate, 48000)
  assert.is(peaks.levels.length, 4)

  // hls.js in Chromium plays the proxy through the api's /media route with the session cookie
  const hlsJs = readFileSync(createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js', { paths: [path.resolve(import.meta.dirname, '../../client')] }), 'utf8')
  const browser = await launchChromium()
  try {
    // the test injects hls.js into an api page, which the api's CSP forbids (web-security.test.ts checks that)
    const context = await browser.newContext({ bypassCSP: true })
    await context.addCookies([{ name: 'cutroom_session', value: token, url: api.url }])
    const page = await context.newPage()
    await page.goto(`${api.url}/healthz`)
    await page.addScriptTag({ content: hlsJs })
    const played = await page.evaluate(async (src) => {
      const Hls = (window as unknown as { Hls: any }).Hls
      const video = document.createElement('video')
      video.muted = true
      document.body.append(video)
      const hls = new Hls()
      hls.loadSource(src)
      hls.attachMedia(video)
      await new Promise((resolve, reject) => {
        hls.on(Hls.Events.ERROR, (_e: unknown, d: { fatal: boolean; details: string }) => d.fatal && reject(new Error(d.details)))
        hls.on(Hls.Events.MANIFEST_PARSED, () => resolve(null))
      })
      await video.play()
      const deadline = Date.now() + 15_000
      while (video.currentTime < 0.5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
      return { time: video.currentTime, width: video.videoWidth, levels: hls.levels.length }
    }, byslot.hls!.url)
    assert.ok(played.time >= 0.5, `played ${played.time}s`)
    assert.ok(played.width > 0)
    assert.is(played.levels, 2)
  } finally {
    await browser.close()
  }
})

test('a file that is not media is rejected after probing, with a clear error', async () => {
  const { client, project } = await studio()
  const junk = path.join(dir, 'holiday.mp4')
  writeFileSync(junk, Buffer.from('PK\u0003\u0004 definitely a zip file, not a video '.repeat(200)))
  const { assetId, probeJobId } = await upload(client, project.id, junk)
  const asset = await until('the asset to be rejected', async () => {
    const a = await client.assets.get.query({ id: assetId })
    return a.status === 'rejected' ? a : null
  })
  assert.match(asset.error!, /not playable media/)
  const probe = await client.jobs.get.query({ id: probeJobId })
  assert.is(probe.status, 'failed')
  assert.match(probe.error!, /^UNSUPPORTED_MEDIA/)
  assert.is((await client.jobs.list.query({ projectId: project.id })).length, 1, 'nothing else was dispatched')
})

let longClip: string | null = null
async function long(): Promise<string> {
  if (!longClip) {
    longClip = path.join(dir, 'long.mp4')
    await makeClip(longClip, { seconds: 40, width: 640, height: 360 })
    assert.ok(statSync(longClip).size > 100_000)
  }
  return longClip
}

/** The running ladder transcode of an asset: the one that runs after its preview rendition succeeded. */
async function ladderRunning(client: Client, projectId: string, assetId: string) {
  return until('the ladder transcode to run', async () => {
    const jobs = (await client.jobs.list.query({ projectId, assetId })).filter((j) => j.kind === 'transcode')
    if (!jobs.some((j) => j.status === 'succeeded')) return null
    return jobs.find((j) => j.status === 'running')
  })
}

test('cancelling a running transcode stops its ffmpeg; the rest of the asset still finishes', async () => {
  const { client, project } = await studio()
  const { assetId } = await upload(client, project.id, await long())
  const transcode = await ladderRunning(client, project.id, assetId)
  await new Promise((r) => setTimeout(r, 300))
  const cancelled = await client.jobs.cancel.mutate({ id: transcode.id })
  assert.is(cancelled.status, 'cancelled')
  // the worker that ran it is free again well before the encode could have finished
  await until('the worker to drop the job', async () => {
    for (const w of workers) {
      const h = (await (await fetch(w.healthUrl)).json()) as { running: number }
      if (h.running > 0) return false
    }
    return true
  }, 20_000)
  const asset = await until('the asset to settle', async () => {
    const a = await client.assets.get.query({ id: assetId })
    return a.status === 'ready' || a.status === 'failed' ? a : null
  })
  assert.is(asset.status, 'ready')
  // the preview rendition stays playable
  assert.equal(asset.artifacts.map((a) => a.slot).sort(), ['hls', 'thumbnails', 'waveform'])
  assert.is((await client.jobs.get.query({ id: transcode.id })).status, 'cancelled')
})

test('a worker killed mid-job: the job is redelivered and finished by another worker', async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()))
  const first = await startWorker({ WORKER_KINDS: 'probe,transcode' })
  const { client, project } = await studio()
  const { assetId } = await upload(client, project.id, await long())
  const transcode = await ladderRunning(client, project.id, assetId)
  first.process.kill('SIGKILL')
  await startWorker()
  const done = await until('the transcode to finish', async () => {
    const j = await client.jobs.get.query({ id: transcode.id })
    if (j.status === 'failed') throw new Error(`failed: ${j.error}`)
    return j.status === 'succeeded' ? j : null
  }, 120_000)
  assert.is(done.attempt, 1, 'a redelivery, not a user retry')
  const asset = await until('the asset to be ready', async () => {
    const a = await client.assets.get.query({ id: assetId })
    return a.status === 'ready' ? a : null
  })
  assert.ok(asset.artifacts.some((a) => a.slot === 'hls'))
})

test.run()
