import type { FrameRate } from '@cutroom/schema'

/**
 * SMPTE timecodes of integer frames. 30000/1001 and 60000/1001 use drop-frame counting (`;` before the frames):
 * frame numbers 0 and 1 (0-3 at 59.94) are skipped at the start of every minute except each tenth, so the
 * timecode keeps to the wall clock. Other rates count frames at their nominal (rounded) rate, non-drop.
 */
export interface TimecodeBase {
  nominal: number
  /** Frame numbers dropped per minute (0 for non-drop). */
  drop: number
}

export function timecodeBase(fps: FrameRate): TimecodeBase {
  const nominal = Math.round(fps.num / fps.den)
  const isDrop = fps.den === 1001 && (fps.num === 30000 || fps.num === 60000)
  return { nominal: Math.max(1, nominal), drop: isDrop ? nominal / 15 : 0 }
}

export function isDropFrame(fps: FrameRate): boolean {
  return timecodeBase(fps).drop > 0
}

const pad = (n: number) => String(n).padStart(2, '0')

/** `HH:MM:SS:FF` (or `HH:MM:SS;FF` in drop-frame) of frame `frame` counted from 00:00:00:00. */
export function framesToTimecode(frame: number, fps: FrameRate): string {
  const { nominal, drop } = timecodeBase(fps)
  let n = frame
  if (drop > 0) {
    const per10 = nominal * 600 - drop * 9
    const perMinute = nominal * 60 - drop
    const tens = Math.floor(n / per10)
    const rest = n % per10
    n += drop * 9 * tens + (rest > drop ? drop * Math.floor((rest - drop) / perMinute) : 0)
  }
  const ff = n % nominal
  const totalSeconds = Math.floor(n / nominal)
  const tc = `${pad(Math.floor(totalSeconds / 3600))}:${pad(Math.floor(totalSeconds / 60) % 60)}:${pad(totalSeconds % 60)}`
  return `${tc}${drop > 0 ? ';' : ':'}${pad(ff)}`
}

/** The frame of a timecode written by `framesToTimecode` (either separator is accepted). */
export function timecodeToFrames(timecode: string, fps: FrameRate): number {
  const m = /^(\d{2}):(\d{2}):(\d{2})[:;.](\d{2})$/.exec(timecode)
  if (!m) throw new Error(`not a timecode: ${timecode}`)
  const [hh, mm, ss, ff] = m.slice(1).map(Number) as [number, number, number, number]
  const { nominal, drop } = timecodeBase(fps)
  const minutes = hh * 60 + mm
  return (hh * 3600 + mm * 60 + ss) * nominal + ff - drop * (minutes - Math.floor(minutes / 10))
}
