import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import {
  createTtsEngine,
  FfmpegAdapter,
  measureLoudness,
  narrationResampleSpec,
  TTS_ENGINES,
  type TtsEngine,
  type TtsEngineName,
  wavSamples,
} from '@cutroom/media-workers'
import { TTS_SAMPLE_RATE, TtsEnv } from '@cutroom/schema'

/** A narration paragraph of about 20 seconds, read by every engine. */
export const TTS_BENCH_TEXT =
  'The harbor was quiet before the storm. Nobody on the pier said a word, and the boats pulled at their ropes. ' +
  'She opened the door and walked outside, into a wind that smelled of salt and rain. Far off, a bell rang twice. ' +
  'By morning the water was calm again, and the town went back to work as if nothing had happened.'

export interface TtsRealTimeFactor {
  engine: TtsEngineName
  voice: string
  /** Seconds of speech made per run. */
  audioSeconds: number
  /** Wall seconds of one run (median): synthesis, resampling to 48 kHz and the loudness pass, as the tts job does. */
  wallSeconds: number
  /** wallSeconds / audioSeconds: below 1 is faster than real time. */
  rtf: number
  runs: number
}

/** An engine that could not be measured here, and why. */
export interface TtsUnavailable {
  engine: TtsEngineName
  reason: string
}

/**
 * Real-time factor of each speech synthesis engine that runs on this machine, through the tts job's own steps
 * (engine -> ffmpeg resample to 48 kHz -> EBU R128 measurement), without S3 or NATS. Piper is measured when
 * `TTS_PIPER_VOICE` names a voice. Each engine is timed `runs` times per voice; the median is reported.
 */
export async function measureTtsRealTimeFactors(
  options: { runs?: number; text?: string; env?: Record<string, string | undefined> } = {},
): Promise<{ measured: TtsRealTimeFactor[]; unavailable: TtsUnavailable[] }> {
  const runs = options.runs ?? 3
  const text = options.text ?? TTS_BENCH_TEXT
  const env = options.env ?? process.env
  const ffmpeg = new FfmpegAdapter()
  const dir = mkdtempSync(path.join(tmpdir(), 'cutroom-tts-bench-'))
  const measured: TtsRealTimeFactor[] = []
  const unavailable: TtsUnavailable[] = []
  try {
    for (const name of TTS_ENGINES) {
      let engine: TtsEngine
      try {
        if (name === 'piper' && !env.TTS_PIPER_VOICE) throw new Error('TTS_PIPER_VOICE names no voice on this machine')
        engine = await createTtsEngine(TtsEnv.parse({ ...env, TTS_ENGINE: name }))
      } catch (err) {
        unavailable.push({ engine: name, reason: (err as Error).message })
        continue
      }
      const voices =
        name === 'flite' ? engine.voices.filter((v) => v === 'slt' || v === 'kal16') : [engine.defaultVoice]
      for (const voice of voices) {
        const walls: number[] = []
        let samples = 0
        for (let i = 0; i < runs; i++) {
          const raw = path.join(dir, `${name}-${voice}-${i}.wav`)
          const out = path.join(dir, `${name}-${voice}-${i}-48k.wav`)
          const signal = new AbortController().signal
          const started = performance.now()
          await engine.synthesize({ text, voice, wavPath: raw, workDir: dir, signal })
          await ffmpeg.run(narrationResampleSpec(raw, out), { signal })
          samples = await wavSamples(out)
          await measureLoudness(ffmpeg.ffmpegPath, out, signal)
          walls.push((performance.now() - started) / 1000)
        }
        walls.sort((a, b) => a - b)
        const wallSeconds = walls[Math.floor(walls.length / 2)]!
        const audioSeconds = samples / TTS_SAMPLE_RATE
        measured.push({ engine: name, voice, audioSeconds, wallSeconds, rtf: wallSeconds / audioSeconds, runs })
      }
      await engine.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return { measured, unavailable }
}

/** The results as a markdown table (for docs/benchmarks.md and the speech benchmark). */
export function ttsTable(result: Awaited<ReturnType<typeof measureTtsRealTimeFactors>>): string {
  const rows = result.measured.map(
    (r) =>
      `| ${r.engine} | ${r.voice} | ${r.audioSeconds.toFixed(1)} | ${r.wallSeconds.toFixed(3)} | ${r.rtf.toFixed(3)} | ${r.runs} |`,
  )
  for (const u of result.unavailable)
    rows.push(`| ${u.engine} | — | — | — | not measured: ${u.reason.replace(/\|/g, '/')} | — |`)
  return [
    '| engine | voice | speech (s) | wall per block, median (s) | real-time factor | runs |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n')
}
