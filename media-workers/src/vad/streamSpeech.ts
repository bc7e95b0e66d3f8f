import { ASR_SAMPLE_RATE } from '../asr/AsrEngine'
import type { FfmpegAdapter } from '../FfmpegAdapter'
import { OnnxRuntimeAdapter } from '../OnnxRuntimeAdapter'
import { SileroVad, VAD_WINDOW } from './SileroVad'
import { type SpeechSegment, SpeechSegmenter, type SpeechSegmenterOptions } from './SpeechSegmenter'

/** Decoder output for speech: the first audio stream as 16 kHz mono signed 16-bit PCM on stdout. */
export const SPEECH_PCM_OPTIONS = [
  '-map',
  '0:a:0',
  '-vn',
  '-ac',
  '1',
  '-ar',
  String(ASR_SAMPLE_RATE),
  '-f',
  's16le',
  '-acodec',
  'pcm_s16le',
]

export interface SpeechChunk {
  segment: SpeechSegment
  /** The segment's samples (16 kHz mono). */
  pcm: Int16Array
}

export interface StreamSpeechOptions {
  signal: AbortSignal
  onnxProviders?: readonly string[]
  segmenter?: Partial<SpeechSegmenterOptions>
  /** Samples decoded so far (16 kHz), after each window. */
  onDecoded?: (samples: number) => void
  /** Every 512-sample window as it is decoded, with its speech probability (clip discovery reads its loudness). */
  onWindow?: (pcm: Int16Array, probability: number) => void
}

/**
 * Streams the speech of `source`: ffmpeg decodes 16 kHz PCM through the adapter (backpressured), Silero VAD
 * scores each 512-sample window, and every speech segment is yielded with its audio as soon as it closes. Memory
 * holds the open segment and a little padding, never the file. While the reader works on a chunk, decoding waits.
 */
export async function* streamSpeech(
  ffmpeg: FfmpegAdapter,
  source: string,
  options: StreamSpeechOptions,
): AsyncGenerator<SpeechChunk> {
  const vad = await SileroVad.load(new OnnxRuntimeAdapter(options.onnxProviders ?? ['cpu']))
  const segmenter = new SpeechSegmenter(options.segmenter)
  const windows: Int16Array[] = []
  let kept = 0
  let decoded = 0
  const float = new Float32Array(VAD_WINDOW)
  const cut = (segment: SpeechSegment): SpeechChunk => {
    const pcm = new Int16Array(segment.end - segment.start)
    for (let i = 0; i < windows.length; i++) {
      const at = kept + i * VAD_WINDOW
      const from = Math.max(at, segment.start)
      const to = Math.min(at + VAD_WINDOW, segment.end)
      if (to > from) pcm.set(windows[i]!.subarray(from - at, to - at), from - segment.start)
    }
    return { segment, pcm }
  }
  try {
    for await (const frame of ffmpeg.rawFrames(
      { inputs: [{ path: source }], outputOptions: SPEECH_PCM_OPTIONS },
      VAD_WINDOW * 2,
      {
        signal: options.signal,
        bufferFrames: 64,
      },
    )) {
      const pcm = new Int16Array(frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.byteLength))
      windows.push(pcm)
      for (let i = 0; i < VAD_WINDOW; i++) float[i] = pcm[i]! / 32768
      decoded += VAD_WINDOW
      const probability = await vad.probability(float)
      options.onWindow?.(pcm, probability)
      for (const segment of segmenter.push(probability)) yield cut(segment)
      const keepFrom = Math.floor(segmenter.keepFrom() / VAD_WINDOW) * VAD_WINDOW
      if (keepFrom > kept) {
        windows.splice(0, (keepFrom - kept) / VAD_WINDOW)
        kept = keepFrom
      }
      options.onDecoded?.(decoded)
    }
    for (const segment of segmenter.finish(decoded)) yield cut(segment)
  } finally {
    await vad.release()
  }
}
