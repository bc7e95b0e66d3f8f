export const TTS_ENGINES = ['flite', 'espeak-ng', 'piper'] as const
export type TtsEngineName = (typeof TTS_ENGINES)[number]

/** The voice a narration block names until someone picks one: the engine's default voice. */
export const DEFAULT_NARRATION_VOICE = 'narrator'

export interface TtsRequest {
  /** The words to say (already normalized: one line, trimmed). */
  text: string
  /** One of the engine's `voices`. */
  voice: string
  /** Where the engine writes a mono WAV file at its own sample rate (the job resamples it to 48 kHz). */
  wavPath: string
  /** Scratch folder of the job, for the engine's own files. */
  workDir: string
  signal: AbortSignal
}

/** A speech synthesizer. The tts job hands it one narration block at a time. */
export interface TtsEngine {
  readonly name: TtsEngineName
  /** The voices it has, by the name a narration block gives; `defaultVoice` is one of them. */
  readonly voices: readonly string[]
  readonly defaultVoice: string
  synthesize(request: TtsRequest): Promise<void>
  close(): Promise<void>
}

/** The engine cannot run as configured; said at worker boot. */
export class TtsConfigError extends Error {
  override readonly name = 'TtsConfigError'
}

/** The voice a block asks for, on this engine: `narrator` is the default; an unknown voice is null. */
export function resolveVoice(engine: TtsEngine, voice: string): string | null {
  if (voice === DEFAULT_NARRATION_VOICE) return engine.defaultVoice
  return engine.voices.includes(voice) ? voice : null
}
