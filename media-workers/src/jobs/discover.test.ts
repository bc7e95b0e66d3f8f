import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { type DiscoverResult, DiscoverResultSchema, type JobPayloadOf, JobPayloadSchema } from '@cutroom/schema'
import pino from 'pino'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { durationOf, fliteSpeech } from '../asr/speechFixtures'
import { composeFixture, cutFrames, type FixtureSpec } from '../discover/composeFixture'
import { FfmpegAdapter } from '../FfmpegAdapter'
import type { JobContext } from '../JobContext'
import { discover } from './discover'
import { mediaInfoFrom } from './mediaInfo'

/**
 * A 40 s recording of known structure: eight shots with hard cuts at known frames (fast cutting from 24 s to
 * 32 s), a quiet spoken sentence early on, a loud noise burst alone at 15 s, and the planted highlight from 24 s:
 * a spoken question and its answer (flite), with two loud bursts (laughter, applause) inside it.
 */
const FPS = 25
const HIGHLIGHT = { start: 24, end: 32 }
const QUESTION = 'What is the secret of a safe harbor?'
const ANSWER = 'The secret is patience, and a very strong wall.'
const CALM = 'The weather was mild and the day passed slowly.'
const ffmpeg = new FfmpegAdapter()
let dir: string
let clip: string
let silentFilm: string
let spec: FixtureSpec
let sentences: { startMs: number; endMs: number; text: string }[]

test.before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cutroom-discover-'))
  const wav = (name: string) => path.join(dir, `${name}.wav`)
  await Promise.all([fliteSpeech(QUESTION, wav('q')), fliteSpeech(ANSWER, wav('a')), fliteSpeech(CALM, wav('calm'))])
  const [dq, da, dc] = await Promise.all([durationOf(wav('q')), durationOf(wav('a')), durationOf(wav('calm'))])
  const qAt = HIGHLIGHT.start + 0.3
  const aAt = qAt + dq + 0.3
  spec = {
    fps: FPS,
    shots: [
      { source: 'testsrc2', seconds: 10 },
      { source: 'color=c=0x203060', seconds: 10 },
      { source: 'smptebars', seconds: 4 },
      { source: 'color=c=white', seconds: 2 },
      { source: 'rgbtestsrc', seconds: 2 },
      { source: 'color=c=red', seconds: 2 },
      { source: 'color=c=0x102010', seconds: 2 },
      { source: 'testsrc2', seconds: 8 },
    ],
    sounds: [
      { kind: 'file', file: wav('calm'), at: 3, gain: 0.5 },
      { kind: 'noise', at: 15, seconds: 0.5, amplitude: 0.9 },
      { kind: 'file', file: wav('q'), at: qAt, gain: 1.5 },
      { kind: 'file', file: wav('a'), at: aAt, gain: 1.5 },
      { kind: 'noise', at: aAt + 1, seconds: 0.4, amplitude: 0.6, color: 'pink' },
      { kind: 'noise', at: aAt + da + 0.1, seconds: 0.6, amplitude: 0.7, color: 'pink' },
    ],
  }
  sentences = [
    { startMs: 3000, endMs: Math.round((3 + dc) * 1000), text: CALM },
    { startMs: Math.round(qAt * 1000), endMs: Math.round((qAt + dq) * 1000), text: QUESTION },
    { startMs: Math.round(aAt * 1000), endMs: Math.round((aAt + da) * 1000), text: ANSWER },
  ]
  clip = path.join(dir, 'fixture.mp4')
  silentFilm = path.join(dir, 'silent.mp4')
  await Promise.all([composeFixture(clip, spec), composeFixture(silentFilm, { ...spec, noAudio: true, sounds: [] })])
})
test.after(() => rmSync(dir, { recursive: true, force: true }))

/** The job module as a worker runs it, on a local file. */
async function runDiscover(file: string, input: Record<string, unknown>): Promise<DiscoverResult> {
  const payload = JobPayloadSchema.parse({
    kind: 'discover',
    jobId: '00000000-0000-4000-8000-000000000001',
    orgId: '00000000-0000-4000-8000-000000000002',
    projectId: '00000000-0000-4000-8000-000000000003',
    input: { assetId: '00000000-0000-4000-8000-000000000004', sourceKey: 'k', ...input },
  }) as JobPayloadOf<'discover'>
  const workDir = mkdtempSync(path.join(dir, 'job-'))
  const ctx: JobContext<'discover'> = {
    payload,
    signal: new AbortController().signal,
    workDir,
    ffmpeg,
    storage: null as never,
    capabilities: { onnxProviders: ['cpu'] } as never,
    log: pino({ level: 'silent' }),
    progress: () => {},
    source: async () => file,
    mediaInfo: async () => mediaInfoFrom(await ffmpeg.probe(file)),
    sourceAt: async () => file,
    mediaInfoAt: async () => mediaInfoFrom(await ffmpeg.probe(file)),
    asr: null,
    llm: null,
    tts: null,
    aligner: { binary: 'pocketsphinx_batch', modelDir: '/usr/share/pocketsphinx/model/en-us' },
    patchDocument: async () => {
      throw new Error('discover writes no document')
    },
  }
  const outcome = await discover(ctx)
  return DiscoverResultSchema.parse(outcome.result)
}

const overlaps = (a: { startMs: number; endMs: number }, b: { startMs: number; endMs: number }) =>
  a.startMs < b.endMs && b.startMs < a.endMs

test('scdet finds every hard cut of the fixture within one frame, and no others', async () => {
  const result = await runDiscover(clip, { minSeconds: 6, maxSeconds: 12, count: 5 })
  const want = cutFrames(spec)
  assert.equal(result.fps, { num: FPS, den: 1 })
  assert.is(result.sceneCuts.length, want.length, `found ${result.sceneCuts} for ${want}`)
  for (const [i, f] of want.entries())
    assert.ok(Math.abs(result.sceneCuts[i]! - f) <= 1, `cut ${i}: ${result.sceneCuts[i]} vs ${f}`)
})

test('the top suggestion covers the planted highlight; all respect min/max and none overlap', async () => {
  const result = await runDiscover(clip, {
    minSeconds: 6,
    maxSeconds: 12,
    count: 5,
    transcript: { documentId: '00000000-0000-4000-8000-000000000005', sentences },
  })
  assert.equal(result.signals, { scenes: true, audio: true, speech: true, transcript: true })
  assert.equal(result.missing, [])
  const [top, ...rest] = result.suggestions
  assert.ok(top, 'there are suggestions')
  for (const s of result.suggestions)
    console.log(`  #${s.rank} ${s.startMs}-${s.endMs} ms score ${s.score}: ${s.reasons.join('; ')}`)
  assert.ok(
    top!.startMs <= HIGHLIGHT.start * 1000 + 500 && top!.endMs >= HIGHLIGHT.end * 1000 - 500,
    `top ${top!.startMs}..${top!.endMs} covers ${HIGHLIGHT.start}..${HIGHLIGHT.end} s`,
  )
  assert.ok(top!.reasons.some((r) => /question/.test(r)), `reasons: ${top!.reasons}`)
  assert.ok(top!.subScores.hook! >= 0.7 && top!.subScores.sentences! > 0.9, JSON.stringify(top!.subScores))
  // its edges sit on a sentence start and a boundary (a sentence end or a cut), not in the middle of a word
  const starts = [...sentences.map((s) => s.startMs), ...cutFrames(spec).map((f) => (f * 1000) / FPS)]
  assert.ok(starts.some((t) => Math.abs(t - top!.startMs) <= 40), `start ${top!.startMs} snapped to ${starts}`)
  assert.ok(rest.length >= 1)
  for (const s of result.suggestions) {
    const seconds = (s.endMs - s.startMs) / 1000
    assert.ok(seconds >= 6 - 0.001 && seconds <= 12 + 0.001, `${seconds} s within 6..12`)
    assert.ok(s.endMs <= result.durationSeconds * 1000 + 1)
  }
  for (const [i, a] of result.suggestions.entries())
    for (const b of result.suggestions.slice(i + 1)) assert.not.ok(overlaps(a, b), `${a.rank} and ${b.rank} overlap`)
  assert.equal(
    result.suggestions.map((s) => s.rank),
    result.suggestions.map((_, i) => i + 1),
  )
  const scores = result.suggestions.map((s) => s.score)
  assert.equal(scores, [...scores].sort((a, b) => b - a), 'ranked by score')
})

test('keywords the person typed lift the window that says them', async () => {
  const base = { minSeconds: 6, maxSeconds: 8, count: 5, transcript: { documentId: '00000000-0000-4000-8000-000000000005', sentences } }
  const result = await runDiscover(clip, { ...base, keywords: ['weather'] })
  const calm = result.suggestions.find((s) => s.startMs <= 3000 && s.endMs >= 5000)
  assert.ok(calm, 'a suggestion holds the sentence with the keyword')
  assert.is(calm!.subScores.keywords, 0.5)
  assert.ok(calm!.reasons.some((r) => r.includes('"weather"')), `reasons: ${calm!.reasons}`)
  const plain = await runDiscover(clip, base)
  const before = plain.suggestions.find((s) => s.startMs <= 3000 && s.endMs >= 5000)
  assert.is(before?.subScores.keywords ?? null, null, 'without keywords the signal is absent')
  assert.ok(
    result.suggestions.findIndex((s) => s === calm) <= plain.suggestions.findIndex((s) => s === before) ||
      !before ||
      calm!.rank <= before.rank,
    'the keyword window ranks no lower than without the keyword',
  )
})

test('a silent film without a transcript still gets visual-only suggestions and says what was missing', async () => {
  const result = await runDiscover(silentFilm, { minSeconds: 6, maxSeconds: 12, count: 3, keywords: ['harbor'] })
  assert.equal(result.signals, { scenes: true, audio: false, speech: false, transcript: false })
  assert.ok(result.missing.some((m) => /audio/i.test(m)))
  assert.ok(result.missing.some((m) => /transcript/i.test(m) && /keywords/.test(m)))
  assert.ok(result.suggestions.length >= 1)
  const top = result.suggestions[0]!
  assert.is(top.subScores.energy, null)
  assert.is(top.subScores.speech, null)
  assert.ok(top.subScores.scene! > 0, 'the fast-cut part scores on scene cuts')
  assert.ok(overlaps(top, { startMs: 24_000, endMs: 32_000 }), `the fast cutting ${top.startMs}..${top.endMs}`)
})

test('a recording shorter than the shortest clip gives no suggestions and says so', async () => {
  const result = await runDiscover(clip, { minSeconds: 60, maxSeconds: 90, count: 3 })
  assert.equal(result.suggestions, [])
  assert.match(result.note ?? '', /shorter than the shortest clip/)
})

test.run()
