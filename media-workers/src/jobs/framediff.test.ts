import { randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { GetObjectCommand } from '@aws-sdk/client-s3'
import { startTestNats, startTestS3, type TestNats, type TestS3 } from '@cutroom/infra'
import {
  FramediffResultSchema,
  type JobEvent,
  JobEventSchema,
  JobProgressSchema,
  jobMessageId,
  Subjects,
  WorkersEnv,
} from '@cutroom/schema'
import { jetstream } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import { connect } from '@nats-io/transport-node'
import pino from 'pino'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { detectCapabilities } from '../detectCapabilities'
import { FfmpegAdapter } from '../FfmpegAdapter'
import { generateTestClip } from '../generateTestClip'
import { type MediaWorkers, startMediaWorkers } from '../MediaWorkers'
import { S3Storage } from '../S3Storage'
import type { HeatmapLayout } from './HeatmapSheets'
import type { RegionRange } from './RegionTracker'
import type { SuggestedFinding } from './suggestFindings'

const log = pino({ level: 'silent' })
const ffmpeg = new FfmpegAdapter()
let nats: TestNats
let s3: TestS3
let nc: NatsConnection
let storage: S3Storage
let workers: MediaWorkers
let dir: string
const events: JobEvent[] = []
const orgId = randomUUID()
const projectId = randomUUID()
// the rectangle drawn into version B, in pixels of the 640x360 clip, on frames 40-59 only
const RECT = { x: 400, y: 60, w: 160, h: 120 }

const config = WorkersEnv.parse({
  NATS_URL: 'nats://127.0.0.1:1',
  DATABASE_URL: 'postgres://unused@127.0.0.1/unused',
  WORKER_MAX_ATTEMPTS: '2',
  WORKER_RETRY_BACKOFF_MS: '200',
  WORKER_ACK_WAIT_MS: '5000',
  WORKER_CONCURRENCY: '1',
  WORKER_KINDS: 'framediff',
})

async function upload(file: string): Promise<{ assetId: string; sourceKey: string }> {
  const assetId = randomUUID()
  const sourceKey = `orgs/${orgId}/projects/${projectId}/assets/${assetId}/source/${path.basename(file)}`
  await storage.uploadFile(sourceKey, file, 'video/mp4')
  return { assetId, sourceKey }
}

async function dispatch(input: Record<string, unknown>, jobId = randomUUID()): Promise<string> {
  await jetstream(nc).publish(
    Subjects.job('framediff'),
    JSON.stringify({ jobId, orgId, projectId, attempt: 1, kind: 'framediff', input }),
    { msgID: jobMessageId(jobId, 1) },
  )
  return jobId
}

async function finalEvent(jobId: string, timeoutMs = 90_000): Promise<JobEvent> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const found = events.find((e) => e.jobId === jobId && e.final && e.status !== 'running')
    if (found) return found
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`no final event for ${jobId}; saw ${JSON.stringify(events.filter((e) => e.jobId === jobId))}`)
}

async function readObject(key: string): Promise<Buffer> {
  const res = await storage.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))
  return Buffer.from(await res.Body!.transformToByteArray())
}

const readJson = async <T>(key: string): Promise<T> => JSON.parse((await readObject(key)).toString()) as T

test.before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cutroom-framediff-'))
  ;[nats, s3] = await Promise.all([startTestNats(), startTestS3()])
  storage = new S3Storage({ ...config, S3_ENDPOINT: s3.endpoint, S3_BUCKET: s3.bucket })
  nc = await connect({ servers: nats.url })
  nc.subscribe(Subjects.allEvents, { callback: (_e, m) => void events.push(JobEventSchema.parse(m.json())) })
  const capabilities = await detectCapabilities(ffmpeg, false)
  workers = await startMediaWorkers({ config, nc, ffmpeg, storage, capabilities, log, pullExpiresMs: 1000 })
})

test.after(async () => {
  await workers.close()
  await nc.drain()
  storage.close()
  await Promise.all([nats.stop(), s3.stop()])
  rmSync(dir, { recursive: true, force: true })
})

test('a rectangle drawn on frames 40-59 is found: worst frames, region boxes, heatmap and suggested findings', async () => {
  const fileA = path.join(dir, 'a.mp4')
  const fileB = path.join(dir, 'b.mp4')
  await generateTestClip(fileA, { seconds: 4, width: 640, height: 360, fps: '25', audio: false })
  await generateTestClip(fileB, {
    seconds: 4,
    width: 640,
    height: 360,
    fps: '25',
    audio: false,
    videoFilter: `drawbox=x=${RECT.x}:y=${RECT.y}:w=${RECT.w}:h=${RECT.h}:color=red@1:t=fill:enable='between(n,40,59)'`,
  })
  const [a, b] = await Promise.all([upload(fileA), upload(fileB)])
  const documentId = randomUUID()
  const jobId = randomUUID()
  const progress: { progress: number; stage?: string }[] = []
  const sub = nc.subscribe(Subjects.progress(jobId), {
    callback: (_e, m) => void progress.push(JobProgressSchema.parse(m.json())),
  })
  await dispatch({ assetA: a, assetB: b, documentId }, jobId)
  const ev = await finalEvent(jobId)
  sub.unsubscribe()
  assert.is(ev.status, 'succeeded', ev.error)
  const result = ev.result as {
    documentId: string
    compared: { from: number; to: number; frames: number; fps: unknown; width: number; height: number }
    lengthsDiffer: boolean
    resampled: boolean
    notes: string[]
    summary: { minSsim: number; worstFrame: number; framesBelowThreshold: number }
    suggestions: SuggestedFinding[]
  }
  assert.is(result.documentId, documentId)
  // the contract the collab server reads the result with
  const parsed = FramediffResultSchema.parse(ev.result)
  assert.equal(parsed.versionA.assetId, a.assetId)
  assert.equal(parsed.versionB.assetId, b.assetId)
  assert.equal(result.compared, { from: 0, to: 99, frames: 100, fps: { num: 25, den: 1 }, width: 640, height: 360 })
  assert.is(result.lengthsDiffer, false)
  assert.is(result.resampled, false)
  assert.equal(result.notes, [])

  const slots = Object.fromEntries(ev.artifacts.map((x) => [x.slot, x]))
  const scores = await readJson<{ frames: { frame: number; ssim: number }[] }>(slots['framediff-scores']!.key)
  assert.is(scores.frames.length, 100)
  const changed = scores.frames.filter((f) => f.frame >= 40 && f.frame <= 59)
  const unchanged = scores.frames.filter((f) => f.frame < 40 || f.frame > 59)
  const worstUnchanged = Math.min(...unchanged.map((f) => f.ssim))
  const bestChanged = Math.max(...changed.map((f) => f.ssim))
  assert.ok(worstUnchanged > 0.99, `frames outside 40-59 score ~1 (lowest ${worstUnchanged})`)
  assert.ok(bestChanged < 0.975, `frames 40-59 score low (highest ${bestChanged})`)
  const worst20 = [...scores.frames]
    .sort((p, q) => p.ssim - q.ssim)
    .slice(0, 20)
    .map((f) => f.frame)
    .sort((p, q) => p - q)
  assert.equal(
    worst20,
    Array.from({ length: 20 }, (_, i) => 40 + i),
    'the 20 worst frames are exactly 40-59',
  )
  assert.ok(result.summary.worstFrame >= 40 && result.summary.worstFrame <= 59)
  assert.is(result.summary.framesBelowThreshold, 20)

  // the changed-region boxes cover the rectangle over frames 40-59, and little more
  const rect = { x: RECT.x / 640, y: RECT.y / 360, w: RECT.w / 640, h: RECT.h / 360 }
  const { regions } = await readJson<{ regions: RegionRange[] }>(slots['framediff-regions']!.key)
  const big = regions.filter((r) => r.box.w * r.box.h > 0.01)
  assert.is(big.length, 1, JSON.stringify(regions))
  const box = big[0]!
  assert.is(box.frame, 40)
  assert.is(box.frameEnd, 59)
  const covers = (r: { x: number; y: number; w: number; h: number }) =>
    r.x <= rect.x + 0.005 &&
    r.y <= rect.y + 0.005 &&
    r.x + r.w >= rect.x + rect.w - 0.005 &&
    r.y + r.h >= rect.y + rect.h - 0.005
  assert.ok(covers(box.box), `box ${JSON.stringify(box.box)} covers ${JSON.stringify(rect)}`)
  assert.ok(box.box.w * box.box.h < rect.w * rect.h * 1.4, `box ${JSON.stringify(box.box)} is tight`)
  assert.ok(
    regions.every((r) => r.frameEnd >= 40 && r.frame <= 59),
    `no changed region outside frames 40-59: ${JSON.stringify(regions)}`,
  )

  // one suggested finding: frames 40-59 with the worst score and the rectangle's box
  assert.is(result.suggestions.length, 1, JSON.stringify(result.suggestions))
  const s = result.suggestions[0]!
  assert.is(s.frame, 40)
  assert.is(s.frameEnd, 59)
  assert.is(s.worstSsim, result.summary.minSsim)
  assert.ok(s.region && covers(s.region), JSON.stringify(s.region))

  // the heatmap: one 10x10 PNG sheet of 160x90 tiles; tile 50 is bright over the rectangle, tile 10 dark
  const heat = slots['framediff-heatmap']!
  const layout = heat.metadata as unknown as HeatmapLayout
  assert.equal(
    {
      sheets: layout.sheets,
      tileWidth: layout.tileWidth,
      tileHeight: layout.tileHeight,
      columns: layout.columns,
      count: layout.count,
    },
    { sheets: ['heatmap_00000.png'], tileWidth: 160, tileHeight: 90, columns: 10, count: 100 },
  )
  const sheetKey = heat.key.replace(/index\.json$/, layout.sheets[0]!)
  const png = await readObject(sheetKey)
  assert.is(png.subarray(1, 4).toString(), 'PNG')
  const sheetFile = path.join(dir, 'sheet.png')
  writeFileSync(sheetFile, png)
  const rawFile = path.join(dir, 'sheet.gray')
  await ffmpeg.run({
    inputs: [{ path: sheetFile }],
    outputs: [{ target: rawFile, options: ['-f', 'rawvideo', '-pix_fmt', 'gray'] }],
  })
  const pixels = readFileSync(rawFile)
  assert.is(pixels.length, 1600 * 900)
  const tileMean = (tile: number, r: { x: number; y: number; w: number; h: number }) => {
    const ox = (tile % 10) * 160
    const oy = Math.floor(tile / 10) * 90
    let sum = 0
    let n = 0
    for (let ty = Math.ceil(r.y * 90); ty < Math.floor((r.y + r.h) * 90); ty++)
      for (let tx = Math.ceil(r.x * 160); tx < Math.floor((r.x + r.w) * 160); tx++) {
        sum += pixels[(oy + ty) * 1600 + ox + tx]!
        n++
      }
    return sum / n
  }
  assert.ok(tileMean(50, rect) > 50, `inside the rectangle on frame 50: ${tileMean(50, rect)}`)
  assert.ok(tileMean(10, rect) < 5, `the same place on frame 10: ${tileMean(10, rect)}`)
  assert.ok(tileMean(50, { x: 0, y: 0.6, w: 0.5, h: 0.4 }) < 5, 'away from the rectangle on frame 50')

  // progress counts frames compared and ends at 1
  assert.ok(progress.some((p) => p.stage === 'comparing' && p.progress > 0 && p.progress < 1) || progress.length >= 2)
  assert.is(progress.at(-1)?.progress, 1)
  for (let i = 1; i < progress.length; i++)
    assert.ok(progress[i]!.progress >= progress[i - 1]!.progress, 'progress never goes back')
  assert.ok(Math.abs(ev.usage[0]!.quantity - 4) < 1e-9, 'usage: the compared seconds')
})

test('versions of different length, rate and size are compared on the common range, and the result says so', async () => {
  const fileA = path.join(dir, 'long25.mp4')
  const fileB = path.join(dir, 'short30.mp4')
  await generateTestClip(fileA, { seconds: 4, width: 640, height: 360, fps: '25', audio: false })
  await generateTestClip(fileB, { seconds: 3, width: 480, height: 270, fps: '30', audio: false })
  const [a, b] = await Promise.all([upload(fileA), upload(fileB)])
  const ev = await finalEvent(await dispatch({ assetA: a, assetB: b }))
  assert.is(ev.status, 'succeeded', ev.error)
  const result = ev.result as {
    compared: { from: number; to: number; frames: number; fps: unknown }
    versionA: { frames: number; fps: unknown }
    versionB: { frames: number; fps: unknown; width: number }
    lengthsDiffer: boolean
    resampled: boolean
    rescaled: boolean
    notes: string[]
  }
  assert.is(result.compared.from, 0)
  assert.is(result.compared.frames, 75, 'B lasts 3 s: 75 frames on A’s 25 fps grid')
  assert.is(result.compared.to, 74)
  assert.equal(result.compared.fps, { num: 25, den: 1 })
  assert.equal([result.versionA.frames, result.versionA.fps], [100, { num: 25, den: 1 }])
  assert.equal([result.versionB.frames, result.versionB.fps, result.versionB.width], [90, { num: 30, den: 1 }, 480])
  assert.ok(result.lengthsDiffer && result.resampled && result.rescaled)
  assert.match(result.notes.join(' '), /Version B runs at 30 fps and version A at 25 fps/)
  assert.match(result.notes.join(' '), /frames 0-74 of A were compared/)
  const scores = await readJson<{ frames: unknown[]; compared: { frames: number } }>(
    ev.artifacts.find((x) => x.slot === 'framediff-scores')!.key,
  )
  assert.is(scores.frames.length, 75)
  assert.is(scores.compared.frames, 75)
})

test('a corrupt version fails the job with a clear message that names it, once, without a URL', async () => {
  const fileA = path.join(dir, 'good.mp4')
  await generateTestClip(fileA, { seconds: 1, width: 320, height: 180, audio: false })
  const corrupt = path.join(dir, 'corrupt.mp4')
  const bytes = readFileSync(fileA)
  // keep the first bytes (an MP4 signature) and scramble the rest
  for (let i = 64; i < bytes.length; i++) bytes[i] = (bytes[i]! * 31 + i) & 0xff
  writeFileSync(corrupt, bytes)
  const [a, b] = await Promise.all([upload(fileA), upload(corrupt)])
  const jobId = await dispatch({ assetA: a, assetB: b })
  const ev = await finalEvent(jobId)
  assert.is(ev.status, 'failed')
  assert.match(
    ev.error!,
    /^UNSUPPORTED_MEDIA: Version B cannot be compared: This file (is not playable media|has no video or audio stream)/,
    ev.error,
  )
  assert.not.match(ev.error!, /https?:|X-Amz|127\.0\.0\.1/)
  await new Promise((r) => setTimeout(r, 300))
  assert.is(events.filter((e) => e.jobId === jobId && e.status === 'running').length, 1, 'not retried')
})

test('a cancel stops a running comparison', async () => {
  const file = path.join(dir, 'long.mp4')
  await generateTestClip(file, { seconds: 60, width: 640, height: 360, audio: false })
  const a = await upload(file)
  const jobId = randomUUID()
  let ticks = 0
  const sub = nc.subscribe(Subjects.progress(jobId), {
    callback: (_e, m) => {
      const p = JobProgressSchema.parse(m.json())
      if (p.stage === 'comparing' && p.progress > 0 && ticks++ === 0) nc.publish(Subjects.cancel(jobId))
    },
  })
  await dispatch({ assetA: a, assetB: a }, jobId)
  const ev = await finalEvent(jobId)
  sub.unsubscribe()
  assert.is(ev.status, 'cancelled')
  assert.ok(ticks >= 1)
})

test.run()
