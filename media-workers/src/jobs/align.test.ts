import { randomUUID } from 'node:crypto'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { startTestNats, startTestS3, type TestNats, type TestS3 } from '@cutroom/infra'
import {
  AlignResultSchema,
  type DocPatchReply,
  DocPatchRequestSchema,
  type JobEvent,
  JobEventSchema,
  jobMessageId,
  Subjects,
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
import { batchSegmentation, librivoxUtterances } from '../align/batchSegmentation'
import { durationOf, joinWithSilence, LIBRIVOX_DIR } from '../asr/speechFixtures'
import { detectCapabilities } from '../detectCapabilities'
import { FfmpegAdapter } from '../FfmpegAdapter'
import { type MediaWorkers, startMediaWorkers } from '../MediaWorkers'
import { S3Storage } from '../S3Storage'

/**
 * The align job through the real pipeline (nats-server, s3rver, ffmpeg, pocketsphinx_batch) on real recorded speech
 * (the librivox utterances of Debian's pocketsphinx-testdata, joined with pauses and resampled to 44.1 kHz). The
 * reference is pocketsphinx_batch's own segmentation of each original utterance file. The test answers the
 * worker's word-time patches with the transcript model's `setWordTimes`, which the collab server applies them with.
 */
const run = promisify(execFile)
const log = pino({ level: 'silent' })
const ffmpeg = new FfmpegAdapter()
const RATE = 44100
// not a whole number of 10 ms frames, so the utterances do not start on the decoder's frame grid
const GAP = 1.003
let nats: TestNats
let s3: TestS3
let nc: NatsConnection
let storage: S3Storage
let workers: MediaWorkers
let dir: string
let asset: { assetId: string; sourceKey: string }
/** Reference word starts (samples at RATE in the joined file) and words, per utterance. */
let utterances: { words: string[]; starts: number[]; offset: number; duration: number }[] = []
const events: JobEvent[] = []
const docs = new Map<string, Y.Doc>()
const orgId = randomUUID()
const projectId = randomUUID()

const config = WorkersEnv.parse({
  NATS_URL: 'nats://127.0.0.1:1',
  DATABASE_URL: 'postgres://unused@127.0.0.1/unused',
  WORKER_MAX_ATTEMPTS: '1',
  WORKER_ACK_WAIT_MS: '10000',
  WORKER_CONCURRENCY: '1',
  WORKER_KINDS: 'align',
})

async function dispatch(input: Record<string, unknown>): Promise<string> {
  const jobId = randomUUID()
  await jetstream(nc).publish(
    Subjects.job('align'),
    JSON.stringify({ jobId, orgId, projectId, attempt: 1, kind: 'align', input }),
    { msgID: jobMessageId(jobId, 1) },
  )
  return jobId
}

async function finalEvent(jobId: string, timeoutMs = 120_000): Promise<JobEvent> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const found = events.find((e) => e.jobId === jobId && e.final && e.status !== 'running')
    if (found) return found
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`no final event for ${jobId}`)
}

function newTranscript(segments: transcript.SegmentInput[]): { id: string; doc: Y.Doc } {
  const id = randomUUID()
  const doc = new Y.Doc()
  Y.applyUpdate(doc, transcript.genesis())
  transcript.buildTranscript(doc, { sampleRate: RATE, source: 'subtitles', segments })
  docs.set(id, doc)
  return { id, doc }
}

/** Words spread evenly over a cue, untimed (what importSubtitles writes before the align job). */
function cue(words: readonly string[], start: number, end: number): transcript.SegmentInput {
  const span = (end - start) / words.length
  return {
    speaker: '',
    start,
    end,
    words: words.map((text, i) => ({
      text,
      start: Math.round(start + i * span),
      end: Math.round(start + (i + 1) * span),
      confidence: 0,
    })),
  }
}

test.before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cutroom-align-'))
  ;[nats, s3] = await Promise.all([startTestNats(), startTestS3()])
  storage = new S3Storage({ ...config, S3_ENDPOINT: s3.endpoint, S3_BUCKET: s3.bucket })
  nc = await connect({ servers: nats.url })
  nc.subscribe(Subjects.allEvents, { callback: (_e, m) => void events.push(JobEventSchema.parse(m.json())) })
  nc.subscribe(Subjects.allDocPatches, {
    callback: (_e, m) => {
      const doc = docs.get(m.subject.slice('patches.doc.'.length))
      const request = DocPatchRequestSchema.parse(m.json())
      let reply: DocPatchReply
      if (!doc) reply = { ok: false, code: 'NOT_FOUND', message: 'No such document.' }
      else if (request.type !== 'transcript-word-times') reply = { ok: false, code: 'BAD_INPUT', message: 'unexpected' }
      else
        reply = {
          ok: true,
          changed: transcript.setWordTimes(doc, request.paragraphStart, request.words, WORKER_PATCH_ORIGIN) > 0,
        }
      m.respond(JSON.stringify(reply))
    },
  })
  const utts = await librivoxUtterances(LIBRIVOX_DIR)
  const joined16k = path.join(dir, 'librivox.wav')
  await joinWithSilence(
    utts.map((u) => u.file),
    GAP,
    joined16k,
  )
  const flac = path.join(dir, 'librivox.flac')
  await run('ffmpeg', ['-loglevel', 'error', '-y', '-i', joined16k, '-ar', String(RATE), flac])
  let offset = GAP
  for (const u of utts) {
    const duration = await durationOf(u.file)
    const ref = await batchSegmentation(u.file, u.words)
    assert.is(ref.length, u.words.length, `the reference segments every word of ${u.id}`)
    utterances.push({ words: u.words, starts: ref.map((r) => Math.round((offset + r.start) * RATE)), offset, duration })
    offset += duration + GAP
  }
  const assetId = randomUUID()
  const sourceKey = `orgs/${orgId}/projects/${projectId}/assets/${assetId}/source/librivox.flac`
  await storage.uploadFile(sourceKey, flac, 'audio/flac')
  asset = { assetId, sourceKey }
  const capabilities = await detectCapabilities(ffmpeg, false)
  workers = await startMediaWorkers({ config, nc, ffmpeg, storage, capabilities, log, pullExpiresMs: 1000 })
})

test.after(async () => {
  await workers?.close()
  await nc?.drain()
  storage?.close()
  await Promise.all([nats?.stop(), s3?.stop()])
  rmSync(dir, { recursive: true, force: true })
})

test('imported cues: every word gets its start within 50 ms of pocketsphinx_batch segmentation; misfits are flagged', async () => {
  // cues as a subtitle file would have them: a little early and late, to the nearest 100 ms
  const segments = utterances.map((u) =>
    cue(
      u.words,
      Math.round(Math.max(0, u.offset - 0.2) * 10) * (RATE / 10),
      Math.round((u.offset + u.duration + 0.1) * 10) * (RATE / 10),
    ),
  )
  // a cue in a pause with more words than could be spoken in it, and a cue with nothing to pronounce
  const misfit = cue(
    ['internationalization', 'responsibilities', 'extraordinarily', 'unconstitutional'],
    0,
    Math.round(0.25 * RATE),
  )
  segments.unshift(misfit)
  const { id, doc } = newTranscript(segments)
  const before = transcript.readWords(doc)
  const jobId = await dispatch({
    ...asset,
    documentId: id,
    reason: 'import',
    sampleRate: RATE,
    chunks: transcript.alignSpansForAll(doc),
  })
  const event = await finalEvent(jobId)
  assert.is(event.status, 'succeeded', event.error)
  const result = AlignResultSchema.parse(event.result)
  const total = utterances.reduce((n, u) => n + u.words.length, 0)
  assert.is(result.aligned, total)
  assert.is(result.unaligned, 4)
  const words = transcript.readWords(doc)
  // the misfit cue's words keep their range and stay flagged
  assert.equal(words.slice(0, 4), before.slice(0, 4))
  assert.ok(words.slice(0, 4).every((w) => w.confidence === 0))
  const errors: number[] = []
  let k = 4
  for (const u of utterances)
    for (const [i, ref] of u.starts.entries()) {
      const w = words[k++]!
      assert.is(w.text, u.words[i])
      assert.is(w.confidence, 1)
      errors.push(Math.abs(w.start - ref) / RATE)
    }
  const worst = Math.max(...errors)
  assert.ok(worst <= 0.05, `worst word-start error ${(worst * 1000).toFixed(0)} ms`)
  for (let i = 1; i < words.length; i++)
    assert.ok(words[i]!.start >= words[i - 1]!.start || words[i]!.paragraph !== words[i - 1]!.paragraph)
})

test('realign re-times the word a person corrected and leaves every untouched word as it was', async () => {
  // a recognised transcript: word times near the truth, ends short of the next start; one word misheard and
  // placed late
  const u = utterances[0]!
  const misheard = u.words.indexOf('prudently')
  const words = u.words.map((text, i) => {
    const start = u.starts[i]!
    const next = u.starts[i + 1] ?? Math.round((u.offset + u.duration) * RATE)
    const shift = i === misheard ? Math.round(0.12 * RATE) : 0
    return {
      text: i === misheard ? 'crudely' : text,
      start: start + shift,
      end: Math.min(next, start + shift + Math.round((next - start) * 0.8)),
      confidence: 0.8,
    }
  })
  const { id, doc } = newTranscript([{ speaker: 'Speaker 1', words }])
  transcript.correctWord(doc, misheard, 'prudently')
  const before = transcript.readWords(doc)
  const chunks = transcript.alignSpansForCorrected(doc)
  assert.is(chunks.length, 1)
  assert.equal(
    chunks[0]!.words.map((w) => w[0]),
    ['prudently'],
  )
  const jobId = await dispatch({ ...asset, documentId: id, reason: 'realign', sampleRate: RATE, chunks })
  const event = await finalEvent(jobId)
  assert.is(event.status, 'succeeded', event.error)
  const after = transcript.readWords(doc)
  after.forEach((w, i) => {
    if (i !== misheard) assert.equal(w, before[i], `word ${i} (${w.text}) untouched`)
  })
  const fixed = after[misheard]!
  assert.is(fixed.text, 'prudently')
  assert.is(fixed.confidence, 1)
  const error = Math.abs(fixed.start - u.starts[misheard]!) / RATE
  assert.ok(error <= 0.05, `corrected word start ${(error * 1000).toFixed(0)} ms from the reference`)
  assert.is(transcript.alignSpansForCorrected(doc).length, 0, 'nothing left to realign')
})

test('a file without audio fails the job with a reason', async () => {
  const video = path.join(dir, 'silent.mp4')
  await run('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=64x64:rate=10', '-t', '1', video])
  const assetId = randomUUID()
  const sourceKey = `orgs/${orgId}/projects/${projectId}/assets/${assetId}/source/silent.mp4`
  await storage.uploadFile(sourceKey, video, 'video/mp4')
  const { id, doc } = newTranscript([cue(['hello'], 0, RATE)])
  const jobId = await dispatch({
    assetId,
    sourceKey,
    documentId: id,
    reason: 'import',
    sampleRate: RATE,
    chunks: transcript.alignSpansForAll(doc),
  })
  const event = await finalEvent(jobId)
  assert.is(event.status, 'failed')
  assert.match(event.error ?? '', /no audio stream/)
})

test.run()
