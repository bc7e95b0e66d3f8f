/** How transcript times (integers) convert to seconds: samples at `sampleRate`, or frames at `fps`. */
export interface TranscriptClock {
  unitsPerSecond: number
}

/** Reads the time base from the transcript's `meta` (sampleRate, or fps {num, den}); 48 kHz samples by default. */
export function transcriptClock(meta: Record<string, unknown>): TranscriptClock {
  const sampleRate = meta.sampleRate
  if (typeof sampleRate === 'number' && sampleRate > 0) return { unitsPerSecond: sampleRate }
  const fps = meta.fps as { num?: unknown; den?: unknown } | undefined
  if (fps && typeof fps.num === 'number' && typeof fps.den === 'number' && fps.num > 0 && fps.den > 0)
    return { unitsPerSecond: fps.num / fps.den }
  return { unitsPerSecond: 48000 }
}
