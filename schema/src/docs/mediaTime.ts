/**
 * Conversions between the two integer time bases of documents: frames at a rational frame rate and audio
 * samples at a sample rate. Integer arithmetic on exact rationals; results round to the nearest unit.
 */
export interface FrameRate {
  num: number
  den: number
}

/** The frame that contains sample `samples` (nearest frame boundary). */
export function samplesToFrames(samples: number, sampleRate: number, fps: FrameRate): number {
  // frames = samples * num / (sampleRate * den); the product stays below 2^53 for hours of 192 kHz audio.
  return Math.round((samples * fps.num) / (sampleRate * fps.den))
}

export function framesToSamples(frames: number, sampleRate: number, fps: FrameRate): number {
  return Math.round((frames * sampleRate * fps.den) / fps.num)
}

/** `[start, end)` sample ranges to frame ranges, dropping ranges that round to nothing. */
export function sampleRangesToFrames(
  ranges: readonly { start: number; end: number }[],
  sampleRate: number,
  fps: FrameRate,
): { start: number; end: number }[] {
  return ranges
    .map((r) => ({ start: samplesToFrames(r.start, sampleRate, fps), end: samplesToFrames(r.end, sampleRate, fps) }))
    .filter((r) => r.end > r.start)
}
