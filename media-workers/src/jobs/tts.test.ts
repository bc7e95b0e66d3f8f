import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { startTestNats, startTestS3, type TestNats, type TestS3 } from '@cutroom/infra'
import {
  type JobEvent,
  JobEventSchema,
  jobMessageId,
  retell,
  Subjects,
  TTS_SAMPLE_RATE,
  TtsEnv,
  TtsResultSchema,
  WorkersEnv,
} from '@cutroom/schema'
import { jetstream } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import { connect } from '@nats-io/transport-node'
import pino from 'pino'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ASR_SAMPLE_RATE } from '../asr/AsrEngine'
import { createAsrEngine } from '../asr/createAsrEngine'
import { normalizeWords, wordErrorRate } from '../asr/wordErrorRate'
import { detectCapabilities, type WorkerCapabilities } from '../detectCapabilities'
import { FfmpegAdapter } from '../FfmpegAdapter'
import { type MediaWorkers, startMediaWorkers } from '../MediaWorkers'
import { S3Storage } from '../S3Storage'
import { encodeOnnxModel, type OnnxNode, TensorType } from '../onnx/encodeOnnxModel'
import { createTtsEngine } from '../tts/createTtsEngine'
import { piperPhonemeIds } from '../tts/PiperEngine'
import { wavSamples } from './tts'
import { TtsConfigError, type TtsEngine } from '../tts/TtsEngine'

/**
 * The tts job through the real pipeline (nats-server, s3rver, flite / espeak-ng, ffmpeg). The audio is read back
 * from S3 and checked by what a listener relies on: it is 48 kHz, about as long as the words take to say, its
 * loudness is measured and stored, and flite's speech is understood again by pocketsphinx.
 */
const run = promisify(execFile)
const log = pino({ level: 'silent' })
const ffmpeg = new FfmpegAdapter()
let nats: TestNats
let s3: TestS3
let nc: NatsConnection
let storage: S3Storage
let capabilities: WorkerCapabilities
let workers: MediaWorkers | null = null
let engine: TtsEngine | null = null
let dir: string
const events: JobEvent[] = []
const orgId = randomUUID()
const projectId = randomUUID()

const config = WorkersEnv.parse({
  NATS_URL: 'nats://127.0.0.1:1',
  DATABASE_URL: 'postgres://unused@127.0.0.1/unused',
  WORKER_MAX_ATTEMPTS: '2',
  WORKER_RETRY_BACKOFF_MS: '200',
  WORKER_ACK_WAIT_MS: '10000',
  WORKER_CONCURRENCY: '1',
  WORKER_KINDS: 'tts',
})

async function startWorkers(env: Record<string, string>): Promise<TtsEngine> {
  await workers?.close()
  await engine?.close()
  engine = await createTtsEngine(TtsEnv.parse(env))
  workers = await startMediaWorkers({
    config,
    nc,
    ffmpeg,
    storage,
    capabilities,
    log,
    tts: engine,
    pullExpiresMs: 1000,
  })
  return engine
}

async function synthesize(text: string, voice = 'narrator') {
  const jobId = randomUUID()
  const documentId = randomUUID()
  await jetstream(nc).publish(
    Subjects.job('tts'),
    JSON.stringify({
      jobId,
      orgId,
      projectId,
      attempt: 1,
      kind: 'tts',
      input: { text, voice, documentId, blockId: 'b1', fingerprint: retell.narrationFingerprint(text, voice) },
    }),
    { msgID: jobMessageId(jobId, 1) },
  )
  const deadline = Date.now() + 120_000
  while (Date.now() < deadline) {
    const found = events.find((e) => e.jobId === jobId && e.final && e.status !== 'running')
    if (found) return { event: found, documentId }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`no final event for ${jobId}`)
}

/** The artifact read back from S3, as a local file. */
async function download(key: string, name: string): Promise<string> {
  const res = await fetch(await storage.readUrl(key))
  assert.is(res.status, 200)
  const file = path.join(dir, name)
  writeFileSync(file, Buffer.from(await res.arrayBuffer()))
  return file
}

async function probe(file: string): Promise<{ sampleRate: number; channels: number; duration: number; codec: string }> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'stream=sample_rate,channels,codec_name,duration',
    '-of',
    'json',
    file,
  ])
  const s = (JSON.parse(stdout) as { streams: Record<string, string | number>[] }).streams[0]!
  return {
    sampleRate: Number(s.sample_rate),
    channels: Number(s.channels),
    duration: Number(s.duration),
    codec: String(s.codec_name),
  }
}

/** Samples per phoneme id of the small test voice, at its 22.05 kHz. */
const TONE_SAMPLES = 2205
const TONE_RATE = 22_050

/**
 * A Piper-shaped voice small enough to build here (no voice ships with Debian or npm): the inputs of a real Piper
 * VITS model (`input` int64 [1,N] phoneme ids, `input_lengths` int64 [1], `scales` float32 [3]) and its output
 * (`output` float32 [1,1,T]), where each id becomes 0.1 s of a tone at id * 20 Hz, scaled by the mean of `scales`.
 * So the audio's length says how many ids the engine fed it, and a silent or empty result shows at once.
 */
function toneVoice(): Uint8Array {
  const ramp = Float32Array.from({ length: TONE_SAMPLES }, (_, k) => (2 * Math.PI * 20 * k) / TONE_RATE)
  const nodes: OnnxNode[] = [
    {
      op: 'Cast',
      inputs: ['input'],
      outputs: ['ids'],
      attributes: [{ name: 'to', type: 'int', value: TensorType.FLOAT }],
    },
    { op: 'Reshape', inputs: ['ids', 'column'], outputs: ['ids3'] },
    { op: 'Mul', inputs: ['ids3', 'ramp'], outputs: ['phase'] },
    { op: 'Sin', inputs: ['phase'], outputs: ['tone'] },
    {
      op: 'ReduceMean',
      inputs: ['scales'],
      outputs: ['gain'],
      attributes: [{ name: 'keepdims', type: 'int', value: 0 }],
    },
    { op: 'Mul', inputs: ['tone', 'gain'], outputs: ['scaled'] },
    { op: 'Mul', inputs: ['scaled', 'level'], outputs: ['quiet'] },
    { op: 'Reshape', inputs: ['quiet', 'waveform'], outputs: ['output'] },
  ]
  return encodeOnnxModel({
    irVersion: 7,
    opset: 13,
    producer: 'cutroom-test',
    graphName: 'tone-voice',
    nodes,
    initializers: [
      { name: 'column', type: TensorType.INT64, dims: [3], values: [1, -1, 1] },
      { name: 'waveform', type: TensorType.INT64, dims: [3], values: [1, 1, -1] },
      { name: 'ramp', type: TensorType.FLOAT, dims: [TONE_SAMPLES], values: ramp },
      { name: 'level', type: TensorType.FLOAT, dims: [], values: Float32Array.from([0.6]) },
    ],
    inputs: [
      { name: 'input', type: TensorType.INT64, shape: [1, 'N'] },
      { name: 'input_lengths', type: TensorType.INT64, shape: [1] },
      { name: 'scales', type: TensorType.FLOAT, shape: [3] },
    ],
    outputs: [{ name: 'output', type: TensorType.FLOAT, shape: [1, 1, 'T'] }],
  })
}

test.before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cutroom-tts-'))
  ;[nats, s3] = await Promise.all([startTestNats(), startTestS3()])
  storage = new S3Storage({ ...config, S3_ENDPOINT: s3.endpoint, S3_BUCKET: s3.bucket })
  nc = await connect({ servers: nats.url })
  nc.subscribe(Subjects.allEvents, { callback: (_e, m) => void events.push(JobEventSchema.parse(m.json())) })
  capabilities = await detectCapabilities(ffmpeg, false)
})

test.after(async () => {
  await workers?.close()
  await engine?.close()
  await nc.drain()
  storage.close()
  await Promise.all([nats.stop(), s3.stop()])
  rmSync(dir, { recursive: true, force: true })
})

const LINE = 'The harbor was quiet before the storm, and nobody on the pier said a word.'

test('flite (the default) speaks a narration block as a 48 kHz WAV in S3 with its length and loudness', async () => {
  const flite = await startWorkers({})
  assert.is(flite.name, 'flite')
  assert.ok(flite.voices.includes('kal16') && flite.voices.includes('slt'), flite.voices.join(','))
  const { event, documentId } = await synthesize(LINE)
  assert.is(event.status, 'succeeded', event.error)
  const result = TtsResultSchema.parse(event.result)
  assert.is(result.engine, 'flite')
  assert.is(result.voice, flite.defaultVoice)
  assert.is(result.documentId, documentId)
  assert.is(result.blockId, 'b1')
  assert.is(result.fingerprint, retell.narrationFingerprint(LINE, 'narrator'))
  assert.is(result.sampleRate, TTS_SAMPLE_RATE)
  const [artifact] = event.artifacts
  assert.ok(artifact, 'one artifact')
  assert.is(artifact!.slot, 'narration')
  assert.is(artifact!.id, result.artifactId)
  assert.is(artifact!.contentType, 'audio/wav')
  assert.ok(artifact!.key.startsWith(`orgs/${orgId}/projects/${projectId}/narration/${documentId}/`), artifact!.key)
  const file = await download(artifact!.key, 'flite.wav')
  const info = await probe(file)
  assert.equal(
    { sampleRate: info.sampleRate, channels: info.channels, codec: info.codec },
    { sampleRate: 48_000, channels: 1, codec: 'pcm_s16le' },
  )
  // 15 words take a few seconds to say, never a fraction of one or half a minute
  assert.ok(result.durationSeconds > 2 && result.durationSeconds < 12, `duration ${result.durationSeconds}`)
  assert.ok(Math.abs(info.duration - result.durationSeconds) < 0.05, `${info.duration} vs ${result.durationSeconds}`)
  assert.is(result.samples, Math.round(result.durationSeconds * TTS_SAMPLE_RATE))
  // speech, measured: well above silence's -70 LUFS gate and below full scale
  assert.ok(
    result.loudness.integratedLufs > -40 && result.loudness.integratedLufs < -5,
    JSON.stringify(result.loudness),
  )
  assert.ok(result.loudness.truePeakDb > -30 && result.loudness.truePeakDb <= 1, JSON.stringify(result.loudness))
  assert.equal(artifact!.metadata.loudness, result.loudness)
  assert.equal(event.usage, [{ metric: 'media_seconds', quantity: result.durationSeconds }])
})

test('the synthesized speech is understood again: pocketsphinx reads flite kal16 back within a word error bound', async () => {
  const { event } = await synthesize(LINE, 'kal16')
  assert.is(event.status, 'succeeded', event.error)
  const file = await download(event.artifacts[0]!.key, 'kal16.wav')
  const wav16k = path.join(dir, 'kal16-16k.wav')
  await run('ffmpeg', [
    '-loglevel',
    'error',
    '-y',
    '-i',
    file,
    '-ac',
    '1',
    '-ar',
    String(ASR_SAMPLE_RATE),
    '-c:a',
    'pcm_s16le',
    wav16k,
  ])
  const asr = await createAsrEngine(config)
  const words = await asr.transcribe(
    { wavPath: wav16k, samples: await wavSamples(wav16k) },
    { language: 'en', signal: new AbortController().signal },
  )
  await asr.close()
  const wer = wordErrorRate(normalizeWords(LINE), normalizeWords(words.map((w) => w.text).join(' ')))
  // flite speech is recognised at about 13-30% WER; broken audio (silence, noise, wrong rate) is near 100%
  assert.ok(wer <= 0.45, `WER ${(wer * 100).toFixed(0)}%: ${words.map((w) => w.text).join(' ')}`)
})

test('a voice the engine lacks fails the job at once with the voices it has', async () => {
  const { event } = await synthesize(LINE, 'no-such-voice')
  assert.is(event.status, 'failed')
  assert.is(event.final, true)
  assert.match(event.error ?? '', /no voice "no-such-voice"; it has: .*kal16/)
  assert.equal(event.artifacts, [])
})

test('espeak-ng speaks too (TTS_ENGINE=espeak-ng), resampled from its 22.05 kHz to 48 kHz', async () => {
  const espeak = await startWorkers({ TTS_ENGINE: 'espeak-ng' })
  assert.is(espeak.name, 'espeak-ng')
  assert.is(espeak.defaultVoice, 'en-us')
  const { event } = await synthesize(LINE, 'en-gb')
  assert.is(event.status, 'succeeded', event.error)
  const result = TtsResultSchema.parse(event.result)
  assert.is(result.engine, 'espeak-ng')
  assert.is(result.voice, 'en-gb')
  const info = await probe(await download(event.artifacts[0]!.key, 'espeak.wav'))
  assert.is(info.sampleRate, 48_000)
  assert.ok(result.durationSeconds > 2 && result.durationSeconds < 12, `duration ${result.durationSeconds}`)
  assert.ok(Math.abs(info.duration - result.durationSeconds) < 0.05)
  assert.ok(
    result.loudness.integratedLufs > -40 && result.loudness.integratedLufs < -5,
    JSON.stringify(result.loudness),
  )
})

test("a Piper voice (TTS_PIPER_VOICE) runs on ONNX Runtime: espeak-ng phonemes, the voice's ids, its waveform at 48 kHz", async () => {
  const voicePath = path.join(dir, 'en_US-tone-low.onnx')
  writeFileSync(voicePath, toneVoice())
  // the voice's phoneme map: every character espeak-ng gives for this line, plus Piper's pad, start and end
  const { stdout } = await run('espeak-ng', ['-q', '--ipa', '-v', 'en-us', LINE])
  const phonemes = stdout.replace(/\s*\n\s*/g, ' ').trim()
  const map: Record<string, number[]> = { _: [0], '^': [1], $: [2] }
  for (const ch of Array.from(phonemes.normalize('NFD'))) map[ch] ??= [Object.keys(map).length]
  writeFileSync(
    `${voicePath}.json`,
    JSON.stringify({
      audio: { sample_rate: TONE_RATE },
      espeak: { voice: 'en-us' },
      inference: { noise_scale: 0.667, length_scale: 1, noise_w: 0.8 },
      phoneme_id_map: map,
    }),
  )
  const piper = await startWorkers({ TTS_PIPER_VOICE: voicePath })
  assert.is(piper.name, 'piper')
  assert.equal(piper.voices, ['en_US-tone-low'])
  const { event } = await synthesize(LINE)
  assert.is(event.status, 'succeeded', event.error)
  const result = TtsResultSchema.parse(event.result)
  assert.is(result.engine, 'piper')
  assert.is(result.voice, 'en_US-tone-low')
  const ids = piperPhonemeIds(phonemes, map)
  // start, end and a pad after each phoneme: about two ids per phoneme character
  assert.ok(ids.length > 2 * (phonemes.length - 5), `${ids.length} ids for ${phonemes.length} phonemes`)
  const expected = (ids.length * TONE_SAMPLES) / TONE_RATE
  assert.ok(Math.abs(result.durationSeconds - expected) < 0.01, `${result.durationSeconds} s, expected ${expected} s`)
  const info = await probe(await download(event.artifacts[0]!.key, 'piper.wav'))
  assert.is(info.sampleRate, 48_000)
  assert.ok(result.loudness.integratedLufs > -40, JSON.stringify(result.loudness))
})

test('a Piper voice that is missing, unreadable or not a model stops the worker at boot with the reason', async () => {
  const env = (voice: string) => TtsEnv.parse({ TTS_PIPER_VOICE: voice })
  const missing = await createTtsEngine(env(path.join(dir, 'nope', 'en_US-voice.onnx'))).catch((e: Error) => e)
  assert.instance(missing, TtsConfigError)
  assert.match(
    (missing as Error).message,
    /TTS_PIPER_VOICE names a voice file that cannot be read \(ENOENT: en_US-voice\.onnx\)/,
  )
  assert.not.match((missing as Error).message, dir, 'no internal path in the message')
  const folder = path.join(dir, 'folder.onnx')
  mkdirSync(folder)
  const unreadable = await createTtsEngine(env(folder)).catch((e: Error) => e)
  assert.match((unreadable as Error).message, /cannot be read \(EISDIR/)
  const noConfig = path.join(dir, 'bare.onnx')
  writeFileSync(noConfig, 'not a model')
  const bare = await createTtsEngine(env(noConfig)).catch((e: Error) => e)
  assert.match((bare as Error).message, /needs its config bare\.onnx\.json beside it/)
  writeFileSync(`${noConfig}.json`, JSON.stringify({ audio: { sample_rate: 22050 }, phoneme_id_map: { _: [0] } }))
  const garbage = await createTtsEngine(env(noConfig)).catch((e: Error) => e)
  assert.instance(garbage, TtsConfigError)
  assert.match((garbage as Error).message, /not a model ONNX Runtime can load/)
  assert.throws(
    () =>
      WorkersEnv.parse({
        NATS_URL: 'nats://127.0.0.1:1',
        DATABASE_URL: 'postgres://u@127.0.0.1/u',
        TTS_ENGINE: 'piper',
      }),
    /TTS_PIPER_VOICE/,
  )
})

test.run()
