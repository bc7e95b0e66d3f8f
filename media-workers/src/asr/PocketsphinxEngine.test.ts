import { readFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { AsrEnv } from '@cutroom/schema'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { FfmpegAdapter } from '../FfmpegAdapter'
import { placeWords } from '../jobs/transcribe'
import { streamSpeech } from '../vad/streamSpeech'
import type { AsrEngine } from './AsrEngine'
import { AsrConfigError, openAsrSession } from './AsrEngine'
import { createAsrEngine } from './createAsrEngine'
import { parsePocketsphinxTimes } from './PocketsphinxEngine'
import { fliteSpeech, joinWithSilence, LIBRIVOX_DIR } from './speechFixtures'
import { normalizeWords, wordErrorRate } from './wordErrorRate'
import { writeWav } from './writeWav'

const ffmpeg = new FfmpegAdapter()
let dir: string
let engine: AsrEngine

test.before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cutroom-asr-'))
  engine = await createAsrEngine(AsrEnv.parse({}))
})
test.after(() => rmSync(dir, { recursive: true, force: true }))

/** VAD then the engine, the way the transcribe job runs them; words placed on a 16 kHz grid. */
async function recognise(file: string) {
  const words: { text: string; start: number; end: number; confidence: number }[] = []
  const segments: { start: number; end: number }[] = []
  let i = 0
  const started = performance.now()
  const signal = new AbortController().signal
  const session = await openAsrSession(engine, { language: 'en', signal, workDir: dir })
  for await (const { segment, pcm } of streamSpeech(ffmpeg, file, { signal })) {
    const wavPath = path.join(dir, `chunk-${i++}.wav`)
    await writeWav(wavPath, pcm, 16000)
    const found = await session.transcribe({ wavPath, samples: pcm.length })
    segments.push(segment)
    words.push(...placeWords(found, segment, 16000))
  }
  await session.close()
  return { words, segments, seconds: (performance.now() - started) / 1000 }
}

function checkTimes(words: { start: number; end: number }[], segments: { start: number; end: number }[]) {
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!
    assert.ok(w.end >= w.start, `word ${i} ends before it starts`)
    if (i > 0) assert.ok(w.start >= words[i - 1]!.start, `word ${i} starts before word ${i - 1}`)
    assert.ok(
      segments.some((s) => w.start >= s.start && w.end <= s.end),
      `word ${i} (${w.start}-${w.end}) lies inside a speech segment`,
    )
  }
}

test('pocketsphinx transcribes a flite sentence clip with a low word error rate and increasing word times', async () => {
  const text = 'The harbor was quiet before the storm. Nobody on the pier said a word.'
  const parts = [path.join(dir, 'a.wav'), path.join(dir, 'b.wav')]
  await fliteSpeech('The harbor was quiet before the storm.', parts[0]!)
  await fliteSpeech('Nobody on the pier said a word.', parts[1]!)
  const clip = path.join(dir, 'flite.wav')
  await joinWithSilence(parts, 1, clip)
  const { words, segments, seconds } = await recognise(clip)
  const wer = wordErrorRate(
    normalizeWords(text),
    words.map((w) => w.text.toLowerCase()),
  )
  console.log(
    `  flite: WER ${(wer * 100).toFixed(1)}% (${words.map((w) => w.text).join(' ')}), ${seconds.toFixed(2)} s`,
  )
  assert.is(segments.length, 2)
  assert.ok(wer <= 0.4, `WER ${wer} is above 40%`)
  checkTimes(words, segments)
  for (const w of words) assert.ok(w.confidence >= 0 && w.confidence <= 1)
})

test('pocketsphinx transcribes real read speech (librivox) within a word error rate bound', async () => {
  const references = new Map<string, string>()
  for (const line of readFileSync(path.join(LIBRIVOX_DIR, 'transcription'), 'utf8').split('\n')) {
    const m = /^<s> (.*) <\/s> \((.*)\)$/.exec(line.trim())
    if (m) references.set(m[2]!, m[1]!)
  }
  let errors = 0
  let refWords = 0
  let audio = 0
  let spent = 0
  for (const id of [
    'sense_and_sensibility_01_austen_64kb-0870',
    'sense_and_sensibility_01_austen_64kb-0880',
    'sense_and_sensibility_01_austen_64kb-0890',
  ]) {
    const file = path.join(LIBRIVOX_DIR, `${id}.wav`)
    const { words, segments, seconds } = await recognise(file)
    const ref = normalizeWords(references.get(id)!)
    errors +=
      wordErrorRate(
        ref,
        words.map((w) => w.text.toLowerCase()),
      ) * ref.length
    refWords += ref.length
    audio += readFileSync(file).length / 32000
    spent += seconds
    checkTimes(words, segments)
  }
  const wer = errors / refWords
  console.log(
    `  librivox: WER ${(wer * 100).toFixed(1)}% over ${refWords} words, RTF ${(spent / audio).toFixed(3)} (VAD + ASR)`,
  )
  assert.ok(wer <= 0.45, `WER ${wer} is above 45%`)
})

test('the -time output parser keeps words, drops silences and fillers, and reads alternative pronunciations', () => {
  const words = parsePocketsphinxTimes(
    'and mr john\n<s> 0.000 0.140 0.999400\nand(2) 0.150 0.360 0.260057\n<sil> 0.37 0.40 0.5\n[NOISE] 0.41 0.5 0.9\nmr 0.510 0.620 0.988762\n</s> 0.63 0.7 1\n',
  )
  assert.equal(words, [
    { text: 'and', start: 2400, end: 5920, confidence: 0.260057 },
    { text: 'mr', start: 8160, end: 10080, confidence: 0.988762 },
  ])
})

test('engines refuse to start when what they need is missing, with the reason', async () => {
  const fail = async (env: Record<string, string>): Promise<string> => {
    try {
      await createAsrEngine(AsrEnv.parse(env))
    } catch (err) {
      assert.instance(err, AsrConfigError)
      return (err as Error).message
    }
    assert.unreachable('the engine should have refused')
    return ''
  }
  assert.match(await fail({ POCKETSPHINX_MODEL_DIR: path.join(dir, 'nothing') }), /pocketsphinx-en-us/)
  assert.match(
    await fail({ ASR_ENGINE: 'whisper', ASR_WHISPER_MODEL: path.join(dir, 'ggml-base.en.bin') }),
    /does not exist/,
  )
  assert.match(await fail({ ASR_ENGINE: 'whisper' }), /ASR_WHISPER_MODEL/)
  const notAModel = path.join(dir, 'not-a-model.bin')
  await writeWav(notAModel, new Int16Array(10), 16000)
  assert.match(await fail({ ASR_ENGINE: 'whisper', ASR_WHISPER_MODEL: notAModel }), /could not load/)
})

test.run()
