import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startTestNats, startTestS3, type TestNats, type TestS3 } from '@cutroom/infra'
import {
  type DocPatchReply,
  DocPatchRequestSchema,
  type JobEvent,
  JobEventSchema,
  JobProgressSchema,
  jobMessageId,
  Subjects,
  TranscribeResultSchema,
  transcript,
  WORKER_PATCH_ORIGIN,
  WorkersEnv,
} from '@cutroom/schema'
import { jetstream } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import { connect } from '@nats-io/transport-node'
import pino from 'pino'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as Y from 'yjs'
import { createAsrEngine } from '../asr/createAsrEngine'
import { fliteSpeech, joinWithSilence } from '../asr/speechFixtures'
import { normalizeWords, wordErrorRate } from '../asr/wordErrorRate'
import { detectCapabilities } from '../detectCapabilities'
import { FfmpegAdapter } from '../FfmpegAdapter'
import { generateTestClip } from '../generateTestClip'
import { type MediaWorkers, startMediaWorkers } from '../MediaWorkers'
import { S3Storage } from '../S3Storage'

/**
 * The transcribe job through the real pipeline (nats-server, s3rver, ffmpeg, Silero VAD, pocketsphinx). The
 * transcript document stands on this side of `patches.doc.<id>`: the test answers the worker's segment patches
 * with the transcript model's `addSegment`, the function the collab server applies them with
 * (collab/src/DocPatcher.test.ts covers that side against the real collab server).
 */
const log = pino({ level: 'silent' })
const ffmpeg = new FfmpegAdapter()
let nats: TestNats
let s3: TestS3
let nc: NatsConnection
let storage: S3Storage
let workers: MediaWorkers
let dir: string
const events: JobEvent[] = []
const progress: { jobId: string; progress: number; at: number }[] = []
const orgId = randomUUID()
const projectId = randomUUID()
/** Transcript documents by id, and when each segment patch arrived. */
const docs = new Map<string, Y.Doc>()
const patchTimes = new Map<string, number[]>()

const config = WorkersEnv.parse({
  NATS_URL: 'nats://127.0.0.1:1',
  DATABASE_URL: 'postgres://unused@127.0.0.1/unused',
  WORKER_MAX_ATTEMPTS: '2',
  WORKER_RETRY_BACKOFF_MS: '200',
  WORKER_ACK_WAIT_MS: '10000',
  WORKER_CONCURRENCY: '1',
  WORKER_KINDS: 'transcribe',
})

async function upload(file: string, contentType: string): Promise<{ assetId: string; sourceKey: string }> {
  const assetId = randomUUID()
  const sourceKey = `orgs/${orgId}/projects/${projectId}/assets/${assetId}/source/${path.basename(file)}`
  await storage.uploadFile(sourceKey, file, contentType)
  return { assetId, sourceKey }
}

async function dispatch(input: Record<string, unknown>, jobId = randomUUID()): Promise<string> {
  await jetstream(nc).publish(
    Subjects.job('transcribe'),
    JSON.stringify({ jobId, orgId, projectId, attempt: 1, kind: 'transcribe', input }),
    { msgID: jobMessageId(jobId, 1) },
  )
  return jobId
}

async function finalEvent(jobId: string, timeoutMs = 60_000): Promise<JobEvent> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const found = events.find((e) => e.jobId === jobId && e.final && e.status !== 'running')
    if (found) return found
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`no final event for ${jobId}; saw ${JSON.stringify(events.filter((e) => e.jobId === jobId))}`)
}

function newTranscript(): string {
  const id = randomUUID()
  const doc = new Y.Doc()
  Y.applyUpdate(doc, transcript.genesis())
  docs.set(id, doc)
  patchTimes.set(id, [])
  return id
}

test.before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cutroom-transcribe-'))
  ;[nats, s3] = await Promise.all([startTestNats(), startTestS3()])
  storage = new S3Storage({ ...config, S3_ENDPOINT: s3.endpoint, S3_BUCKET: s3.bucket })
  nc = await connect({ servers: nats.url })
  nc.subscribe(Subjects.allEvents, { callback: (_e, m) => void events.push(JobEventSchema.parse(m.json())) })
  nc.subscribe('progress.*', {
    callback: (_e, m) => {
      const p = JobProgressSchema.parse(m.json())
      progress.push({ jobId: p.jobId, progress: p.progress, at: Date.now() })
    },
  })
  nc.subscribe(Subjects.allDocPatches, {
    callback: (_e, m) => {
      const id = m.subject.slice('patches.doc.'.length)
      const doc = docs.get(id)
      let reply: DocPatchReply
      const request = DocPatchRequestSchema.parse(m.json())
      if (!doc) reply = { ok: false, code: 'NOT_FOUND', message: 'No such document.' }
      else if (request.type !== 'transcript-segment')
        reply = { ok: false, code: 'BAD_INPUT', message: 'unexpected patch' }
      else {
        patchTimes.get(id)!.push(Date.now())
        reply = { ok: true, changed: transcript.addSegment(doc, request.meta, request.segment, WORKER_PATCH_ORIGIN) }
      }
      m.respond(JSON.stringify(reply))
    },
  })
  const capabilities = await detectCapabilities(ffmpeg, false)
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

const SENTENCES = [
  'The harbor was quiet before the storm.',
  'Nobody on the pier said a word.',
  'She opened the door and walked outside.',
]

test('a clip with three spoken sentences fills the transcript in live, one paragraph per segment, with timed words', async () => {
  const parts: string[] = []
  for (const [i, s] of SENTENCES.entries()) {
    parts.push(path.join(dir, `s${i}.wav`))
    await fliteSpeech(s, parts[i]!)
  }
  const wav = path.join(dir, 'three.wav')
  await joinWithSilence(parts, 1.2, wav)
  // an AAC track at 48 kHz, as an upload would have: word times land on the source's own sample grid
  const clip = path.join(dir, 'three.m4a')
  await ffmpeg.run({
    inputs: [{ path: wav }],
    outputs: [{ target: clip, options: ['-ar', '48000', '-c:a', 'aac', '-b:a', '96k'] }],
  })
  const asset = await upload(clip, 'audio/mp4')
  const documentId = newTranscript()
  const jobId = await dispatch({ ...asset, documentId })
  const done = await finalEvent(jobId)
  assert.is(done.status, 'succeeded', done.error)
  const result = TranscribeResultSchema.parse(done.result)
  const doc = docs.get(documentId)!

  const paragraphs = transcript.readParagraphs(doc)
  assert.is(paragraphs.length, 3, JSON.stringify(paragraphs))
  assert.is(result.segments, 3)
  assert.is(result.engine, 'pocketsphinx')
  assert.is(result.sampleRate, 48000)
  assert.equal(transcript.getMeta(doc), {
    assetId: asset.assetId,
    language: 'en',
    source: 'pocketsphinx',
    sampleRate: 48000,
  })
  const words = transcript.readWords(doc)
  assert.is(result.words, words.length)
  const wer = wordErrorRate(
    normalizeWords(SENTENCES.join(' ')),
    words.map((w) => w.text.toLowerCase()),
  )
  console.log(`  job: WER ${(wer * 100).toFixed(1)}%: ${paragraphs.map((p) => p.text).join(' | ')}`)
  assert.ok(wer <= 0.4, `WER ${wer}`)
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!
    const p = paragraphs[w.paragraph]!
    assert.ok(w.start >= p.start && w.end <= p.end && w.end >= w.start, `word ${i} lies in its paragraph`)
    if (i > 0) assert.ok(w.start >= words[i - 1]!.start, 'word times increase')
  }
  // the first sentence starts after 1.2 s of silence (flite adds a little of its own; the VAD pads by 150 ms)
  assert.ok(
    Math.abs(paragraphs[0]!.start / 48000 - 1.2) < 0.4,
    `the first paragraph starts at ${paragraphs[0]!.start / 48000} s`,
  )
  assert.equal(transcript.validate(doc), [])

  // live: the segments arrived one by one while the job ran, not all at the end
  const times = patchTimes.get(documentId)!
  assert.is(times.length, 3)
  const succeededAt = Date.parse(done.at)
  assert.ok(times[0]! < succeededAt, 'the first paragraph was there before the job finished')
  assert.ok(
    progress.some((p) => p.jobId === jobId && p.progress > 0 && p.progress < 1),
    'progress was reported',
  )
  assert.equal(done.usage, [{ metric: 'media_seconds', quantity: result.durationSeconds }])

  // the same job again (a redelivery) writes nothing twice
  const again = await dispatch({ ...asset, documentId })
  assert.is((await finalEvent(again)).status, 'succeeded')
  assert.is(transcript.readParagraphs(doc).length, 3)
})

test('audio without speech gives an empty transcript and says so', async () => {
  const wav = path.join(dir, 'silence.wav')
  await joinWithSilence([], 3, wav)
  const asset = await upload(wav, 'audio/wav')
  const documentId = newTranscript()
  const done = await finalEvent(await dispatch({ ...asset, documentId }))
  assert.is(done.status, 'succeeded', done.error)
  const result = TranscribeResultSchema.parse(done.result)
  assert.is(result.words, 0)
  assert.match(result.note ?? '', /No speech was found/)
  assert.is(transcript.readParagraphs(docs.get(documentId)!).length, 0)
})

test('a file without an audio stream fails at once, and a language the engine lacks is refused with what it has', async () => {
  const video = path.join(dir, 'mute.mp4')
  await generateTestClip(video, { seconds: 1, width: 160, height: 90, fps: '25', audio: false })
  const asset = await upload(video, 'video/mp4')
  const mute = await finalEvent(await dispatch({ ...asset, documentId: newTranscript() }))
  assert.is(mute.status, 'failed')
  assert.ok(mute.final)
  assert.match(mute.error ?? '', /no audio stream to transcribe/)

  const french = await finalEvent(await dispatch({ ...asset, language: 'fr', documentId: newTranscript() }))
  assert.is(french.status, 'failed')
  assert.match(french.error ?? '', /no model for language "fr"; it has: en/)
})

test('cancel stops a running transcription', async () => {
  const parts: string[] = []
  for (let i = 0; i < 6; i++) {
    parts.push(path.join(dir, `long${i}.wav`))
    await fliteSpeech(SENTENCES[i % 3]!, parts[i]!)
  }
  const wav = path.join(dir, 'long.wav')
  await joinWithSilence(parts, 1, wav)
  const asset = await upload(wav, 'audio/wav')
  const documentId = newTranscript()
  const jobId = await dispatch({ ...asset, documentId })
  const deadline = Date.now() + 30_000
  while (patchTimes.get(documentId)!.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
  nc.publish(Subjects.cancel(jobId), '')
  const done = await finalEvent(jobId)
  assert.is(done.status, 'cancelled')
  assert.ok(transcript.readParagraphs(docs.get(documentId)!).length < 6, 'it stopped before the end')
})

test.run()
