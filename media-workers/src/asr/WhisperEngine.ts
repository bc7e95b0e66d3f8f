import { access } from 'node:fs/promises'
import { JobCancelledError } from '../JobErrors'
import { type AsrChunk, AsrConfigError, type AsrEngine, type AsrWord } from './AsrEngine'

interface WhisperSegment {
  text: string
  t0: number
  t1: number
}
interface WhisperContext {
  transcribeFile(
    path: string,
    options: Record<string, unknown>,
  ): { stop(): Promise<void>; promise: Promise<{ segments: WhisperSegment[]; isAborted: boolean }> }
  release(): Promise<void>
}

/**
 * Words from whisper.cpp token segments (`maxLen: 1` with token timestamps: one token per segment, times in
 * 10 ms units). A token that does not start with a space continues the word before it.
 */
export function wordsFromWhisperSegments(segments: readonly WhisperSegment[], sampleRate: number): AsrWord[] {
  const words: AsrWord[] = []
  for (const s of segments) {
    const text = s.text
    if (!text.trim() || /^\s*\[.*\]\s*$/.test(text)) continue
    const start = Math.round((s.t0 / 100) * sampleRate)
    const end = Math.max(start, Math.round((s.t1 / 100) * sampleRate))
    const last = words[words.length - 1]
    if (last && !/^\s/.test(text)) {
      last.text += text.trim()
      last.end = Math.max(last.end, end)
    } else words.push({ text: text.trim(), start, end, confidence: 1 })
  }
  return words.filter((w) => w.text.length > 0)
}

/**
 * whisper.cpp through the `@fugood/whisper.node` binding (prebuilt for linux-x64) with a ggml model file the
 * operator provides (`ASR_WHISPER_MODEL`); nothing is downloaded. The binding reports no per-token probability,
 * so every word has confidence 1.
 */
export class WhisperEngine implements AsrEngine {
  readonly name = 'whisper' as const
  readonly languages = null

  private constructor(
    private readonly context: WhisperContext,
    private readonly threads: number,
  ) {}

  static async create(modelPath: string | undefined, threads = 2): Promise<WhisperEngine> {
    if (!modelPath)
      throw new AsrConfigError('ASR_ENGINE=whisper needs ASR_WHISPER_MODEL: the path of a whisper.cpp ggml model file.')
    await access(modelPath).catch(() => {
      throw new AsrConfigError(
        `ASR_ENGINE=whisper: the model file ASR_WHISPER_MODEL=${modelPath} does not exist; download a ggml model (e.g. ggml-base.en.bin) and point ASR_WHISPER_MODEL at it.`,
      )
    })
    const { initWhisper } = await import('@fugood/whisper.node')
    const context = await initWhisper({ filePath: modelPath, useGpu: false }).catch((err: Error) => {
      throw new AsrConfigError(
        `ASR_ENGINE=whisper could not load ${modelPath} as a whisper.cpp model (${err.message}).`,
      )
    })
    return new WhisperEngine(context as unknown as WhisperContext, threads)
  }

  async transcribe(
    chunk: AsrChunk,
    { language, signal }: { language: string; signal: AbortSignal },
  ): Promise<AsrWord[]> {
    if (signal.aborted) throw new JobCancelledError()
    const run = this.context.transcribeFile(chunk.wavPath, {
      language: language || 'auto',
      tokenTimestamps: true,
      maxLen: 1,
      maxThreads: this.threads,
    })
    const onAbort = () => void run.stop()
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      const result = await run.promise
      if (signal.aborted || result.isAborted) throw new JobCancelledError()
      return wordsFromWhisperSegments(result.segments, 16000).filter((w) => w.start < chunk.samples)
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }

  async close(): Promise<void> {
    await this.context.release()
  }
}
