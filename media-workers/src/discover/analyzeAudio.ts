import { ASR_SAMPLE_RATE } from '../asr/AsrEngine'
import type { FfmpegAdapter } from '../FfmpegAdapter'
import { VAD_WINDOW } from '../vad/SileroVad'
import { streamSpeech } from '../vad/streamSpeech'

/** 16 VAD windows of 32 ms: loudness is kept per half second. */
export const AUDIO_BIN_WINDOWS = 16
export const AUDIO_BIN_SECONDS = (AUDIO_BIN_WINDOWS * VAD_WINDOW) / ASR_SAMPLE_RATE
/** The floor of the loudness scale (digital silence would be -Infinity). */
const FLOOR_DB = -90

export interface AudioSignals {
  binSeconds: number
  /** RMS loudness of each bin in dBFS, from the start. */
  db: Float32Array
  /** Speech segments of the Silero VAD, in seconds, in order. */
  speech: { start: number; end: number }[]
  durationSeconds: number
}

/**
 * One decode of the audio for two signals: the speech segments of the same Silero VAD and segmenter the
 * transcribe job uses, and the RMS loudness of every half second, read from the windows as the VAD sees them.
 */
export async function analyzeAudio(
  ffmpeg: FfmpegAdapter,
  source: string,
  o: { signal: AbortSignal; onnxProviders?: readonly string[]; onDecoded?: (seconds: number) => void },
): Promise<AudioSignals> {
  const db: number[] = []
  let sum = 0
  let windows = 0
  const closeBin = () => {
    const rms = Math.sqrt(sum / (windows * VAD_WINDOW))
    db.push(rms > 0 ? Math.max(FLOOR_DB, 20 * Math.log10(rms)) : FLOOR_DB)
    sum = 0
    windows = 0
  }
  const speech: { start: number; end: number }[] = []
  let decoded = 0
  for await (const { segment } of streamSpeech(ffmpeg, source, {
    signal: o.signal,
    onnxProviders: o.onnxProviders,
    // short segments are fine here: density, not recognition
    segmenter: { minSilenceMs: 300 },
    onDecoded: (n) => {
      decoded = n
      o.onDecoded?.(n / ASR_SAMPLE_RATE)
    },
    onWindow: (pcm) => {
      for (let i = 0; i < pcm.length; i++) {
        const v = pcm[i]! / 32768
        sum += v * v
      }
      windows++
      if (windows === AUDIO_BIN_WINDOWS) closeBin()
    },
  }))
    speech.push({ start: segment.start / ASR_SAMPLE_RATE, end: segment.end / ASR_SAMPLE_RATE })
  if (windows > 0) closeBin()
  return { binSeconds: AUDIO_BIN_SECONDS, db: Float32Array.from(db), speech, durationSeconds: decoded / ASR_SAMPLE_RATE }
}
