import { runProgram } from './runProgram'

export interface Loudness {
  /** Integrated loudness (EBU R128), LUFS; -70 (the absolute gate) for silence. */
  integratedLufs: number
  /** True peak, dBTP; -99 for silence. */
  truePeakDb: number
  /** Loudness range, LU. */
  rangeLu: number
}

/** Reads the measurement block ffmpeg's `loudnorm=print_format=json` prints last on stderr. */
export function parseLoudnormJson(stderr: string): Loudness {
  const start = stderr.lastIndexOf('{')
  const end = stderr.lastIndexOf('}')
  if (start < 0 || end < start) throw new Error('ffmpeg printed no loudness measurement.')
  const json = JSON.parse(stderr.slice(start, end + 1)) as Record<string, string>
  const num = (key: string, floor: number) => {
    const v = Number(json[key])
    return Number.isFinite(v) ? Math.max(floor, v) : floor
  }
  return { integratedLufs: num('input_i', -70), truePeakDb: num('input_tp', -99), rangeLu: num('input_lra', 0) }
}

/** EBU R128 loudness of an audio file, measured by ffmpeg's loudnorm filter (one analysis pass, no output). */
export async function measureLoudness(ffmpegPath: string, file: string, signal: AbortSignal): Promise<Loudness> {
  const stderr = await runProgram(
    ffmpegPath,
    ['-hide_banner', '-nostats', '-nostdin', '-i', file, '-af', 'loudnorm=print_format=json', '-f', 'null', '-'],
    signal,
    { capture: 'stderr' },
  )
  return parseLoudnormJson(stderr)
}
