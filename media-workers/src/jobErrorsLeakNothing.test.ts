import { randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startTestNats, startTestS3, type TestNats, type TestS3 } from '@cutroom/infra'
import { type JobEvent, JobEventSchema, type JobKind, jobMessageId, Subjects, WorkersEnv } from '@cutroom/schema'
import { jetstream } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import { connect } from '@nats-io/transport-node'
import pino from 'pino'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { detectCapabilities } from './detectCapabilities'
import { FfmpegAdapter } from './FfmpegAdapter'
import { generateTestClip } from './generateTestClip'
import { createAsrEngine } from './asr/createAsrEngine'
import { JOB_HANDLERS } from './jobs/handlers'
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
// every kind that reads one media file: tts reads text (its refusals are in jobs/tts.test.ts), retell reads a
// transcript's sentences (jobs/retell.test.ts), export renders a timeline snapshot (jobs/export.test.ts)
const kinds = (Object.keys(JOB_HANDLERS) as JobKind[]).filter((k) => k !== 'tts' && k !== 'export' && k !== 'retell')

const config = WorkersEnv.parse({
  NATS_URL: 'nats://127.0.0.1:1',
  DATABASE_URL: 'postgres://unused@127.0.0.1/unused',
  WORKER_MAX_ATTEMPTS: '2',
  WORKER_RETRY_BACKOFF_MS: '200',
  WORKER_ACK_WAIT_MS: '5000',
  WORKER_CONCURRENCY: '4',
})

interface Upload {
  assetId: string
  sourceKey: string
}

async function upload(file: string, name: string): Promise<Upload> {
  const assetId = randomUUID()
  const sourceKey = `orgs/${orgId}/projects/${projectId}/assets/${assetId}/source/${name}`
  await storage.uploadFile(sourceKey, file, 'video/mp4')
  return { assetId, sourceKey }
}

function inputFor(kind: JobKind, asset: Upload): Record<string, unknown> {
  if (kind === 'transcode') return { ...asset, heights: [360] }
  if (kind === 'thumbnails') return { ...asset, tileWidth: 160 }
  if (kind === 'framediff') return { assetA: asset, assetB: asset }
  if (kind === 'discover') return { ...asset, minSeconds: 5, maxSeconds: 10, count: 3 }
  if (kind === 'align')
    return {
      ...asset,
      documentId: randomUUID(),
      reason: 'import',
      sampleRate: 16_000,
      chunks: [{ paragraphStart: 0, start: 0, end: 32_000, words: [['hello', 0, 16_000], ['world', 16_000, 32_000]] }],
    }
  return { ...asset }
}

async function run(kind: JobKind, asset: Upload): Promise<JobEvent[]> {
  const jobId = randomUUID()
  await jetstream(nc).publish(
    Subjects.job(kind),
    JSON.stringify({ jobId, orgId, projectId, attempt: 1, kind, input: inputFor(kind, asset) }),
    { msgID: jobMessageId(jobId, 1) },
  )
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (events.some((e) => e.jobId === jobId && e.final && e.status !== 'running'))
      return events.filter((e) => e.jobId === jobId)
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`no final event for the ${kind} job; saw ${JSON.stringify(events.filter((e) => e.jobId === jobId))}`)
}

/** What must never reach a person: URLs, the bucket, the key, credentials, presigned parameters, local paths. */
function assertClean(message: string, asset: Upload, what: string) {
  assert.not.match(message, /https?:|s3:\/\//i, `${what}: no URL in ${message}`)
  assert.not.ok(message.includes(s3.bucket), `${what}: no bucket name in ${message}`)
  assert.not.ok(message.includes(asset.sourceKey), `${what}: no storage key in ${message}`)
  for (const id of [orgId, projectId, asset.assetId])
    assert.not.ok(message.includes(id), `${what}: no key segment in ${message}`)
  assert.not.match(message, /S3RVER|AKIA|X-Amz-|Signature=|Credential=/i, `${what}: no credentials in ${message}`)
  assert.not.ok(message.includes('/tmp/') || message.includes(tmpdir()), `${what}: no local path in ${message}`)
  assert.not.match(message, /\n\s+at\s/, `${what}: no stack trace in ${message}`)
  assert.not.match(message, /@ 0x[0-9a-f]+/, `${what}: no ffmpeg context addresses in ${message}`)
}

/** How ffmpeg words a failure on damaged media (which one depends on where the damage hits). */
const FFMPEG_REASON =
  /Invalid data found when processing input|nothing was encoded|Error while (?:decoding|filtering)|Error configuring filter graph/

test.before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cutroom-mw-errors-'))
  ;[nats, s3] = await Promise.all([startTestNats(), startTestS3()])
  storage = new S3Storage({
    ...config,
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: s3.bucket,
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
  })
  nc = await connect({ servers: nats.url })
  nc.subscribe(Subjects.allEvents, { callback: (_e, m) => void events.push(JobEventSchema.parse(m.json())) })
  const capabilities = await detectCapabilities(ffmpeg, true)
  const asr = await createAsrEngine(config)
  workers = await startMediaWorkers({ config, nc, ffmpeg, storage, capabilities, log, asr, pullExpiresMs: 1000 })
})

test.after(async () => {
  await workers.close()
  await nc.drain()
  storage.close()
  await Promise.all([nats.stop(), s3.stop()])
  rmSync(dir, { recursive: true, force: true })
})

test('every job kind fed a file that is not media fails with ffprobe’s reason and nothing of the storage', async () => {
  const junk = path.join(dir, 'junk.bin')
  writeFileSync(junk, 'this is a text file pretending to be a video\n'.repeat(100))
  assert.ok(kinds.length >= 4, `kinds: ${kinds.join(', ')}`)
  for (const kind of kinds) {
    const asset = await upload(junk, 'x.mp4')
    const seen = await run(kind, asset)
    const final = seen.find((e) => e.final && e.status === 'failed')
    assert.ok(final, `${kind}: failed for good (${JSON.stringify(seen)})`)
    assert.equal(final!.result, { code: 'UNSUPPORTED_MEDIA' }, `${kind}: refused as unsupported media`)
    // a comparison says which of its two versions it could not read
    const which = kind === 'framediff' ? 'Version A cannot be compared: ' : ''
    assert.is(
      final!.error,
      `UNSUPPORTED_MEDIA: ${which}This file is not playable media (x.mp4: Invalid data found when processing input); upload a video or audio file.`,
      kind,
    )
    for (const e of seen) if (e.error) assertClean(e.error, asset, kind)
  }
})

test('jobs whose ffmpeg run fails on damaged media keep ffmpeg’s reason and leak nothing, on every attempt', async () => {
  const clip = path.join(dir, 'good.mp4')
  await generateTestClip(clip, { seconds: 2, width: 320, height: 180 })
  // keep the header (so probing works) and overwrite the media data with noise
  const bytes = readFileSync(clip)
  const mdat = bytes.indexOf('mdat')
  assert.ok(mdat > 0, 'the clip has its moov atom first')
  let seed = 7
  for (let i = mdat + 8; i < bytes.length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
    bytes[i] = seed >>> 24
  }
  const damaged = path.join(dir, 'damaged.mp4')
  writeFileSync(damaged, bytes)

  for (const kind of kinds.filter((k) => k !== 'probe')) {
    const asset = await upload(damaged, 'interview take 2.mp4')
    const seen = await run(kind, asset)
    const failures = seen.filter((e) => e.status === 'failed')
    assert.is(failures.length, 2, `${kind}: one failure per attempt (${JSON.stringify(seen)})`)
    for (const e of failures) {
      assertClean(e.error!, asset, kind)
      assert.match(e.error!, /^(Decoding the versions failed: )?ffmpeg exited with code \d+: /, `${kind}: ${e.error}`)
      assert.match(e.error!, FFMPEG_REASON, `${kind}: ${e.error}`)
    }
  }
})

test.run()
