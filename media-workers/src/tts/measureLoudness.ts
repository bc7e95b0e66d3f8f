import { runProgram } from './runProgram'

export interface Loudness {
  /** Integrated loudness (EBU R128), LUFS; -70 (the absolute gate) for silence. */
  integratedLufs: number
  /** True peak, dBTP; -99 for silence. */
  truePeakDb: number
  /** Loudness range, LU. */
  rangeLu: number
}

/**
 * Reads the summary ffmpeg's `ebur128=peak=true` filter prints at the end on stderr (Integrated loudness `I`,
 * Loudness range `LRA`, True peak `Peak`).
 */
export function parseEbur128Summary(stderr: string): Loudness {
  const at = stderr.lastIndexOf('Summary:')
  if (at < 0) throw new Error('ffmpeg printed no loudness summary.')
  const summary = stderr.slice(at)
  const read = (pattern: RegExp, floor: number) => {
    const m = pattern.exec(summary)
    if (!m) throw new Error('ffmpeg printed an incomplete loudness summary.')
    const v = Number(m[1])
    return Number.isFinite(v) ? Math.max(floor, v) : floor
  }
  return {
    integratedLufs: read(/\bI:\s+(-?[\d.]+|-inf)\s+LUFS/, -70),
    rangeLu: read(/\bLRA:\s+(-?[\d.]+|-inf)\s+LU\b/, 0),
    truePeakDb: read(/\bPeak:\s+(-?[\d.]+|-inf)\s+dBFS/, -99),
  }
}

/** EBU R128 loudness of an audio file, measured by ffmpeg's ebur128 filter with true peak (one pass, no output; the per-frame log is kept at verbose level, so only the summary is printed). */
export async function measureLoudness(ffmpegPath: string, file: string, signal: AbortSignal): Promise<Loudness> {
  const stderr = await runProgram(
    ffmpegPath,
    [
      '-hide_banner',
      '-nostats',
      '-nostdin',
      '-i',
      file,
      '-af',
      'ebur128=peak=true:framelog=verbose',
      '-f',
      'null',
      '-',
    ],
    signal,
    { capture: 'stderr' },
  )
  return parseEbur128Summary(stderr)
}
