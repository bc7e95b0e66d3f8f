/** Sample rate every engine is given: ffmpeg decodes the source to 16 kHz mono signed 16-bit PCM. */
export const ASR_SAMPLE_RATE = 16000

/** One recognised word; times are samples at `ASR_SAMPLE_RATE` from the start of the chunk. */
export interface AsrWord {
  text: string
  start: number
  end: number
  /** 0..1 */
  confidence: number
}

export interface AsrChunk {
  /** A 16 kHz mono 16-bit WAV file of one speech segment. */
  wavPath: string
  samples: number
}

export const ASR_ENGINES = ['pocketsphinx', 'whisper', 'openai'] as const
export type AsrEngineName = (typeof ASR_ENGINES)[number]

export interface AsrSessionOptions {
  language: string
  signal: AbortSignal
  /** The job's scratch folder. */
  workDir: string
}

/** One job's recognition: segments given in order, each answered as soon as it is decoded. */
export interface AsrSession {
  transcribe(chunk: AsrChunk): Promise<AsrWord[]>
  close(): Promise<void>
}

/** A speech recogniser. The transcribe job hands it one speech segment at a time. */
export interface AsrEngine {
  readonly name: AsrEngineName
  /** The languages it has models for (ISO 639-1), or null when it takes any language. */
  readonly languages: readonly string[] | null
  transcribe(chunk: AsrChunk, options: { language: string; signal: AbortSignal }): Promise<AsrWord[]>
  /** A session that keeps its model loaded for the whole job; engines without one are called per segment. */
  session?(options: AsrSessionOptions): Promise<AsrSession>
  close(): Promise<void>
}

/** The engine's own session, or one that calls `transcribe` for each segment. */
export async function openAsrSession(engine: AsrEngine, options: AsrSessionOptions): Promise<AsrSession> {
  if (engine.session) return engine.session(options)
  return { transcribe: (chunk) => engine.transcribe(chunk, options), close: async () => {} }
}

/** The engine cannot run as configured; said at worker boot. */
export class AsrConfigError extends Error {
  override readonly name = 'AsrConfigError'
}
