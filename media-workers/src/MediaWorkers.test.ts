import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3'
import { startTestNats, startTestS3, type TestNats, type TestS3 } from '@cutroom/infra'
import { type JobEvent, JobEventSchema, type JobKind, JobProgressSchema, jobMessageId, Streams, Subjects, WorkersEnv } from '@cutroom/schema'
import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import { connect } from '@nats-io/transport-node'
import pino from 'pino'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { detectCapabilities } from './detectCapabilities'
import { ensureStreams } from './ensureJetStream'
import { FfmpegAdapter } from './FfmpegAdapter'
import { generateTestClip } from './generateTestClip'
import { type MediaWorkers, startMediaWorkers } from './MediaWorkers'
import { S3Storage } from './S3Storage'

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

const config = WorkersEnv.parse({
  NATS_URL: 'nats://127.0.0.1:1',
  DATABASE_URL: 'postgres://unused@127.0.0.1/unused',
  WORKER_MAX_ATTEMPTS: '2',
  WORKER_RETRY_BACKOFF_MS: '200',
  WORKER_ACK_WAIT_MS: '3000',
  WORKER_CONCURRENCY: '2',
})

async function upload(file: string): Promise<{ assetId: string; sourceKey: string }> {
  const assetId = randomUUID()
  const sourceKey = `orgs/${orgId}/projects/${projectId}/assets/${assetId}/source/${path.basename(file)}`
  await storage.uploadFile(sourceKey, file, 'video/mp4')
  return { assetId, sourceKey }
}

async function dispatch(kind: JobKind, input: Record<string, unknown>, jobId = randomUUID()) {
  const js = jetstream(nc)
  const ack = await js.publish(Subjects.job(kind), JSON.stringify({ jobId, orgId, projectId, attempt: 1, kind, input }), {
    msgID: jobMessageId(jobId, 1),
  })
  return { jobId, duplicate: ack.duplicate }
}

async function finalEvent(jobId: string, timeoutMs = 60_000): Promise<JobEvent> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const found = events.find((e) => e.jobId === jobId && e.final && e.status !== 'running')
    if (found) return found
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`no final event for ${jobId} within ${timeoutMs} ms; saw ${JSON.stringify(events.filter((e) => e.jobId === jobId))}`)
}

async function readObject(key: string): Promise<Buffer> {
  const res = await storage.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))
  return Buffer.from(await res.Body!.transformToByteArray())
}

test.before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cutroom-mw-'))
  ;[nats, s3] = await Promise.all([startTestNats(), startTestS3()])
  storage = new S3Storage({ ...config, ...s3Config(s3) })
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

function s3Config(s: TestS3) {
  return { S3_ENDPOINT: s.endpoint, S3_BUCKET: s.bucket }
}

test('probe, transcode, thumbnails and waveform produce their metadata and artifacts in S3', async () => {
  const clip = path.join(dir, 'clip.mp4')
  await generateTestClip(clip, { seconds: 2, width: 1280, height: 720, fps: '30000/1001' })
  const asset = await upload(clip)
  const progress: number[] = []
  const probe = await dispatch('probe', asset)
  const sub = nc.subscribe(Subjects.progress(probe.jobId), { callback: (_e, m) => void progress.push(JobProgressSchema.parse(m.json()).progress) })
  const probed = await finalEvent(probe.jobId)
  sub.unsubscribe()
  assert.is(probed.status, 'succeeded')
  assert.is(probed.assetId, asset.assetId)
  const meta = probed.result!.metadata as { video: { fps: unknown; width: number; height: number; durationFrames: number }; audio: { sampleRate: number; durationSamples: number }; hasAudio: boolean }
  assert.equal(meta.video.fps, { num: 30000, den: 1001 })
  assert.is(meta.video.width, 1280)
  assert.is(meta.video.height, 720)
  assert.ok(Math.abs(meta.video.durationFrames - 60) <= 1, `frames ${meta.video.durationFrames}`)
  assert.is(meta.hasAudio, true)
  assert.is(meta.audio.sampleRate, 48000)
  assert.ok(Math.abs(meta.audio.durationSamples - 96000) < 4800)
  assert.ok(progress.includes(1), 'the last progress tick reaches 1')

  const [transcode, thumbs, wave] = await Promise.all([
    dispatch('transcode', { ...asset, heights: [360, 720, 1080] }),
    dispatch('thumbnails', { ...asset, tileWidth: 160, intervalFrames: 15 }),
    dispatch('waveform', asset),
  ])
  const [t, th, w] = await Promise.all([finalEvent(transcode.jobId), finalEvent(thumbs.jobId), finalEvent(wave.jobId)])

  assert.is(t.status, 'succeeded', t.error)
  const hls = t.artifacts[0]!
  assert.is(hls.slot, 'hls')
  assert.match(hls.key, new RegExp(`^orgs/${orgId}/projects/${projectId}/assets/${asset.assetId}/artifacts/${hls.id}/master\\.m3u8$`))
  const master = (await readObject(hls.key)).toString()
  assert.match(master, /RESOLUTION=640x360/)
  assert.match(master, /RESOLUTION=1280x720/)
  assert.not.match(master, /1920x1080/, 'the ladder stops at the source height')
  const listed = await storage.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: hls.key.replace(/master\.m3u8$/, '') }))
  const keys = (listed.Contents ?? []).map((o) => o.Key!)
  assert.ok(keys.some((k) => k.endsWith('v0/index.m3u8')) && keys.some((k) => k.endsWith('v1/seg_00000.ts')), keys.join(', '))
  assert.equal(t.usage, [{ metric: 'media_seconds', quantity: t.usage[0]!.quantity }])
  assert.ok(Math.abs(t.usage[0]!.quantity - 2) < 0.2)

  assert.is(th.status, 'succeeded', th.error)
  const sprite = th.artifacts[0]!
  assert.is(sprite.contentType, 'image/jpeg')
  const jpeg = await readObject(sprite.key)
  assert.is(jpeg.readUInt16BE(0), 0xffd8, 'a JPEG')
  assert.is(sprite.metadata.framesPerTile, 15)
  assert.is(sprite.metadata.count, 4)
  assert.is(sprite.metadata.tileHeight, 90)
  const index = JSON.parse((await readObject(sprite.key.replace(/sprite\.jpg$/, 'index.json'))).toString())
  assert.is(index.columns, 4)

  assert.is(w.status, 'succeeded', w.error)
  const peaks = JSON.parse((await readObject(w.artifacts[0]!.key)).toString())
  assert.is(peaks.sampleRate, 48000)
  assert.equal(
    peaks.levels.map((l: { samplesPerPeak: number }) => l.samplesPerPeak),
    [256, 1024, 4096, 16384],
  )
  const base = peaks.levels[0]
  assert.is(base.data.length, base.length * 2)
  // lavfi's sine has amplitude 1/8: about 16 on the 8-bit scale
  const top = Math.max(...base.data)
  assert.ok(top >= 12 && top <= 20, `peak ${top}`)
})

test('a file that is not media is refused at probe with UNSUPPORTED_MEDIA and is not retried', async () => {
  const junk = path.join(dir, 'notes.mp4')
  writeFileSync(junk, 'this is a text file pretending to be a video\n'.repeat(100))
  const asset = await upload(junk)
  const { jobId } = await dispatch('probe', asset)
  const ev = await finalEvent(jobId)
  assert.is(ev.status, 'failed')
  assert.match(ev.error!, /^UNSUPPORTED_MEDIA: This file is not playable media/)
  assert.equal(ev.result, { code: 'UNSUPPORTED_MEDIA' })
  await new Promise((r) => setTimeout(r, 500))
  assert.is(events.filter((e) => e.jobId === jobId && e.status === 'running').length, 1, 'a single attempt')
})

test('a job that keeps failing is retried with backoff, then failed for good with its error', async () => {
  const audioOnly = path.join(dir, 'tone.m4a')
  await generateTestClip(audioOnly, { seconds: 1, video: false })
  const asset = await upload(audioOnly)
  const { jobId } = await dispatch('thumbnails', { ...asset, tileWidth: 160 })
  const ev = await finalEvent(jobId)
  assert.is(ev.status, 'failed')
  assert.match(ev.error!, /no video stream/)
  const attempts = events.filter((e) => e.jobId === jobId && e.status === 'failed')
  assert.is(attempts.length, 2, 'one failure per attempt (WORKER_MAX_ATTEMPTS=2)')
  assert.is(attempts[0]!.final, false)
})

test('an ffmpeg failure reaches the caller with ffmpeg’s own message', async () => {
  const err = await ffmpeg
    .run({ inputs: [{ path: path.join(dir, 'missing.mp4') }], outputs: [{ target: path.join(dir, 'x.mp4'), options: ['-t', '1'] }] })
    .then(() => null, (e: Error) => e)
  assert.match(String(err?.message), /No such file or directory/)
})

test('the same job id dispatched twice runs once', async () => {
  const clip = path.join(dir, 'dup.mp4')
  await generateTestClip(clip, { seconds: 1, width: 320, height: 180 })
  const asset = await upload(clip)
  const first = await dispatch('waveform', asset)
  const second = await dispatch('waveform', asset, first.jobId)
  assert.is(first.duplicate, false)
  assert.is(second.duplicate, true)
  await finalEvent(first.jobId)
  await new Promise((r) => setTimeout(r, 1500))
  assert.is(events.filter((e) => e.jobId === first.jobId && e.status === 'running').length, 1)
  assert.is(events.filter((e) => e.jobId === first.jobId && e.status === 'succeeded').length, 1)
})

test('cancel stops ffmpeg mid-job and reports cancelled', async () => {
  const asset = await upload(await longClip())
  const { jobId } = await dispatch('transcode', { ...asset, heights: [360] })
  const started = Date.now()
  await new Promise<void>((resolve) => {
    const sub = nc.subscribe(Subjects.progress(jobId), {
      callback: (_e, m) => {
        const tick = JobProgressSchema.parse(m.json())
        if (tick.stage === 'encoding' && tick.progress > 0) {
          sub.unsubscribe()
          resolve()
        }
      },
    })
  })
  nc.publish(Subjects.cancel(jobId))
  const ev = await finalEvent(jobId)
  assert.is(ev.status, 'cancelled')
  assert.ok(Date.now() - started < 30_000)
  assert.equal(workers.running(), [])
})

test('jobs ended for good (refused, failed, cancelled) leave the work queue and are not delivered again', async () => {
  const jsm = await jetstreamManager(nc)
  // every job so far has its final event; their messages must be gone, none waiting for another delivery
  const deadline = Date.now() + 15_000
  let left = (await jsm.streams.info('JOBS')).state.messages
  while (left !== 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100))
    left = (await jsm.streams.info('JOBS')).state.messages
  }
  assert.is(left, 0, 'messages left in JOBS')
  for (const kind of ['probe', 'transcode', 'thumbnails', 'waveform'])
    assert.is((await jsm.consumers.info('JOBS', `worker-${kind}`)).num_ack_pending, 0, kind)
  const cancelled = events.find((e) => e.status === 'cancelled')!
  await new Promise((r) => setTimeout(r, 3500))
  assert.is(events.filter((e) => e.jobId === cancelled.jobId && e.status === 'running').length, 1, 'the cancelled job did not run again')
})

test('a result published while EVENTS cannot store it (a leader election) is retried: the job succeeds on its first attempt', async () => {
  const clip = path.join(dir, 'election.mp4')
  await generateTestClip(clip, { seconds: 1, width: 320, height: 180 })
  const asset = await upload(clip)
  const jsm = await jetstreamManager(nc)
  await jsm.streams.delete(Streams.EVENTS)
  const { jobId } = await dispatch('waveform', asset)
  // the worker gets the job and finds nowhere to store its events for a while
  await new Promise((r) => setTimeout(r, 1500))
  await ensureStreams(jsm)
  const deadline = Date.now() + 60_000
  let stored: JobEvent | null = null
  while (!stored && Date.now() < deadline) {
    const m = await jsm.streams.getMessage(Streams.EVENTS, { last_by_subj: Subjects.event('waveform', 'succeeded') }).catch(() => null)
    const e = m ? JobEventSchema.parse(m.json()) : null
    if (e?.jobId === jobId) stored = e
    else await new Promise((r) => setTimeout(r, 100))
  }
  assert.ok(stored, 'the result reached EVENTS')
  assert.is(stored!.attempt, 1)
  assert.is(events.filter((e) => e.jobId === jobId && e.status === 'failed').length, 0, 'no attempt was failed for it')
})

test('a worker killed mid-job has its job redelivered and finished by another worker', async () => {
  // stop the in-process workers so the child takes the job first
  await workers.close()
  const asset = await upload(await longClip())
  const child = spawnWorker()
  try {
    const { jobId } = await dispatch('transcode', { ...asset, heights: [360] })
    const deadline = Date.now() + 30_000
    while (!events.some((e) => e.jobId === jobId && e.status === 'running')) {
      if (Date.now() > deadline) throw new Error(`the child worker never started the job:\n${childOutput}`)
      await new Promise((r) => setTimeout(r, 50))
    }
    await new Promise((r) => setTimeout(r, 500))
    child.kill('SIGKILL')
    const capabilities = await detectCapabilities(ffmpeg, true)
    workers = await startMediaWorkers({ config, nc, ffmpeg, storage, capabilities, log, pullExpiresMs: 1000 })
    const ev = await finalEvent(jobId, 90_000)
    assert.is(ev.status, 'succeeded', ev.error)
    assert.is(events.filter((e) => e.jobId === jobId && e.status === 'running').length, 2, 'delivered twice')
    // the worker acks right after publishing the result, so the ack may still be on its way: wait for it
    const jsm = await jetstreamManager(nc)
    const ackDeadline = Date.now() + 5_000
    let pending = (await jsm.consumers.info('JOBS', 'worker-transcode')).num_ack_pending
    while (pending !== 0 && Date.now() < ackDeadline) {
      await new Promise((r) => setTimeout(r, 100))
      pending = (await jsm.consumers.info('JOBS', 'worker-transcode')).num_ack_pending
    }
    assert.is(pending, 0, 'the redelivered job was acked')
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
})

let long: string | null = null
/** Long enough (a few seconds of encoding) to act on a job while ffmpeg runs. */
async function longClip(): Promise<string> {
  if (!long) {
    long = path.join(dir, 'long.mp4')
    await generateTestClip(long, { seconds: 30, width: 640, height: 360 })
  }
  return long
}

let childOutput = ''
function spawnWorker(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'main.ts')], {
    env: {
      ...process.env,
      NATS_URL: nats.url,
      DATABASE_URL: 'postgres://unused@127.0.0.1/unused',
      ...s3.env,
      WORKERS_HEALTH_PORT: '0',
      WORKER_KINDS: 'transcode',
      WORKER_ACK_WAIT_MS: config.WORKER_ACK_WAIT_MS.toString(),
      WORKER_MAX_ATTEMPTS: '2',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.on('data', (d) => (childOutput += d))
  child.stderr!.on('data', (d) => (childOutput += d))
  return child
}

test.run()
