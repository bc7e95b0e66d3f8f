import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** One shot of a synthetic recording: a lavfi source (`testsrc2`, `color=c=navy`, `smptebars`...) for some seconds. */
export interface FixtureShot {
  source: string
  seconds: number
}

/** A sound placed at a time: a WAV file, or a burst of noise; `gain` is linear. */
export type FixtureSound =
  | { kind: 'file'; file: string; at: number; gain?: number }
  | { kind: 'noise'; at: number; seconds: number; amplitude: number; color?: 'white' | 'pink' | 'brown' }

export interface FixtureSpec {
  width?: number
  height?: number
  /** Integer frames per second, so cut frames are exact. */
  fps?: number
  shots: FixtureShot[]
  /** Quiet room tone under everything (noise amplitude), 0 for none. */
  roomTone?: number
  sounds: FixtureSound[]
  /** Leave the audio out (a silent film). */
  noAudio?: boolean
}

/** The first frame of every shot after the first: where the hard cuts are. */
export function cutFrames(spec: Pick<FixtureSpec, 'shots' | 'fps'>): number[] {
  const fps = spec.fps ?? 25
  const out: number[] = []
  let frame = 0
  for (const shot of spec.shots.slice(0, -1)) {
    frame += Math.round(shot.seconds * fps)
    out.push(frame)
  }
  return out
}

/**
 * Writes an H.264/AAC MP4 of known structure: shots joined by hard cuts at known frames, and sounds mixed at known
 * times over room tone. For tests and the discovery benchmark; ffmpeg only, nothing downloaded.
 */
export async function composeFixture(file: string, spec: FixtureSpec): Promise<void> {
  const w = spec.width ?? 160
  const h = spec.height ?? 90
  const fps = spec.fps ?? 25
  const total = spec.shots.reduce((n, s) => n + Math.round(s.seconds * fps), 0) / fps
  const args: string[] = ['-loglevel', 'error', '-y']
  const filters: string[] = []
  let n = 0
  const shotLabels: string[] = []
  for (const shot of spec.shots) {
    const frames = Math.round(shot.seconds * fps)
    args.push('-f', 'lavfi', '-i', `${shot.source}${shot.source.includes('=') ? ':' : '='}s=${w}x${h}:r=${fps}`)
    filters.push(`[${n}:v]trim=end_frame=${frames},setpts=PTS-STARTPTS,format=yuv420p,setsar=1[v${n}]`)
    shotLabels.push(`[v${n}]`)
    n++
  }
  filters.push(`${shotLabels.join('')}concat=n=${shotLabels.length}:v=1:a=0[vout]`)
  const maps = ['-map', '[vout]']
  if (!spec.noAudio) {
    const mix: string[] = []
    args.push('-f', 'lavfi', '-i', `anoisesrc=color=pink:amplitude=${spec.roomTone ?? 0.003}:sample_rate=48000:duration=${total}`)
    filters.push(`[${n}:a]aformat=sample_rates=48000:channel_layouts=mono[bed]`)
    mix.push('[bed]')
    n++
    spec.sounds.forEach((s, i) => {
      const delay = Math.round(s.at * 1000)
      if (s.kind === 'file') {
        args.push('-i', s.file)
        filters.push(
          `[${n}:a]aresample=48000,aformat=sample_rates=48000:channel_layouts=mono,volume=${s.gain ?? 1},adelay=${delay}[s${i}]`,
        )
      } else {
        args.push(
          '-f',
          'lavfi',
          '-i',
          `anoisesrc=color=${s.color ?? 'white'}:amplitude=${s.amplitude}:sample_rate=48000:duration=${s.seconds}`,
        )
        filters.push(`[${n}:a]aformat=sample_rates=48000:channel_layouts=mono,adelay=${delay}[s${i}]`)
      }
      mix.push(`[s${i}]`)
      n++
    })
    filters.push(`${mix.join('')}amix=inputs=${mix.length}:duration=first:normalize=0,atrim=end=${total}[aout]`)
    maps.push('-map', '[aout]', '-c:a', 'aac', '-b:a', '64k')
  }
  args.push(
    '-filter_complex',
    filters.join(';'),
    ...maps,
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-g',
    String(fps * 2),
    '-t',
    String(total),
    '-movflags',
    '+faststart',
    file,
  )
  await run('ffmpeg', args, { maxBuffer: 16 * 1024 * 1024 })
}
