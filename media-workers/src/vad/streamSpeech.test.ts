import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { durationOf, fliteSpeech, joinWithSilence } from '../asr/speechFixtures'
import { FfmpegAdapter } from '../FfmpegAdapter'
import { JobCancelledError } from '../JobErrors'
import { streamSpeech } from './streamSpeech'

const ffmpeg = new FfmpegAdapter()
let dir: string

test.before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cutroom-vad-'))
})
test.after(() => rmSync(dir, { recursive: true, force: true }))

const SENTENCES = [
  'The harbour was quiet before the storm arrived.',
  'Three boats came back late that evening.',
  'Nobody on the pier said a word.',
]
const GAP = 1.5

test('Silero VAD finds the three spoken sentences of a clip with silences between them', async () => {
  const parts: string[] = []
  for (const [i, s] of SENTENCES.entries()) {
    parts.push(path.join(dir, `s${i}.wav`))
    await fliteSpeech(s, parts[i]!)
  }
  const clip = path.join(dir, 'clip.wav')
  await joinWithSilence(parts, GAP, clip)
  // where each sentence really is, in seconds
  const truth: { start: number; end: number }[] = []
  let t = GAP
  for (const p of parts) {
    const d = await durationOf(p)
    truth.push({ start: t, end: t + d })
    t += d + GAP
  }
  const found: { start: number; end: number; samples: number }[] = []
  let decoded = 0
  const started = performance.now()
  for await (const { segment, pcm } of streamSpeech(ffmpeg, clip, {
    signal: new AbortController().signal,
    onDecoded: (n) => (decoded = n),
  }))
    found.push({ start: segment.start / 16000, end: segment.end / 16000, samples: pcm.length })
  const seconds = (performance.now() - started) / 1000
  console.log(
    `  VAD: ${found.length} segments in ${t.toFixed(1)} s of audio, ${seconds.toFixed(2)} s (RTF ${(seconds / t).toFixed(4)})`,
  )
  assert.equal(found.length, 3, `segments: ${JSON.stringify(found)}`)
  found.forEach((f, i) => {
    const want = truth[i]!
    // flite leaves a little silence at both ends of its audio; the VAD pads by 150 ms
    assert.ok(Math.abs(f.start - want.start) < 0.4, `segment ${i} starts at ${f.start}, speech at ${want.start}`)
    assert.ok(Math.abs(f.end - want.end) < 0.5, `segment ${i} ends at ${f.end}, speech at ${want.end}`)
    assert.is(f.samples, Math.round((f.end - f.start) * 16000), 'each segment comes with its own audio')
  })
  assert.ok(Math.abs(decoded / 16000 - t) < 0.1, 'the whole clip was decoded')
})

test('a clip of silence has no speech segments', async () => {
  const clip = path.join(dir, 'silence.wav')
  await joinWithSilence([], 3, clip)
  const found = []
  for await (const c of streamSpeech(ffmpeg, clip, { signal: new AbortController().signal })) found.push(c)
  assert.equal(found, [])
})

test('cancelling stops decoding with JobCancelledError', async () => {
  const clip = path.join(dir, 'long.wav')
  await joinWithSilence([], 60, clip)
  const abort = new AbortController()
  const run = (async () => {
    for await (const _ of streamSpeech(ffmpeg, clip, {
      signal: abort.signal,
      onDecoded: (n) => n > 16000 && abort.abort(),
    })) {
    }
  })()
  await run.then(
    () => assert.unreachable('it should have been cancelled'),
    (err) => assert.instance(err, JobCancelledError),
  )
})

test.run()
