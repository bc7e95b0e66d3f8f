/** A frame rate as a rational number, e.g. 30000/1001. */
export interface FrameRate {
  num: number
  den: number
}

/** Frames per second rounded up to the nominal rate used for timecode labels (29.97 -> 30). */
export function nominalFps(rate: FrameRate): number {
  return Math.max(1, Math.round(rate.num / rate.den))
}

/** The frame as HH:MM:SS:FF (non-drop-frame, counted at the nominal rate). */
export function formatTimecode(frame: number, rate: FrameRate): string {
  const fps = nominalFps(rate)
  const f = Math.max(0, Math.floor(frame))
  const ff = f % fps
  const totalSeconds = Math.floor(f / fps)
  const ss = totalSeconds % 60
  const mm = Math.floor(totalSeconds / 60) % 60
  const hh = Math.floor(totalSeconds / 3600)
  return [hh, mm, ss, ff].map((n) => String(n).padStart(2, '0')).join(':')
}

/** Seconds of media time for a frame (for the video element, which speaks seconds). */
export function frameToSeconds(frame: number, rate: FrameRate): number {
  return (frame * rate.den) / rate.num
}

/** The frame shown at a media time in seconds. A small epsilon absorbs float error at frame boundaries. */
export function secondsToFrame(seconds: number, rate: FrameRate): number {
  return Math.floor((seconds * rate.num) / rate.den + 1e-4)
}
