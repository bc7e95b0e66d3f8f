import type { FrameRate } from '../workspace/timecode'

/**
 * Where a video element must be put to show `frame`: the middle of the frame, so float error in the media
 * timeline and decoders that round either way still land on exactly this frame.
 */
export function seekTimeOf(frame: number, rate: FrameRate): number {
  return ((frame + 0.5) * rate.den) / rate.num
}

/** The frame a media time falls in (the inverse of `seekTimeOf` and of a frame's start time). */
export function frameOfTime(seconds: number, rate: FrameRate): number {
  // exact integer arithmetic where it matters: seconds * num / den, floored with a small tolerance for the float
  // error of a start time that was itself computed as frame * den / num
  return Math.max(0, Math.floor((seconds * rate.num) / rate.den + 1e-6))
}
