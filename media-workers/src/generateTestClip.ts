import { FfmpegAdapter } from './FfmpegAdapter'

export interface TestClipOptions {
  seconds: number
  width?: number
  height?: number
  /** Frame rate as `num/den`, e.g. `30000/1001`. */
  fps?: string
  audio?: boolean
  video?: boolean
  /** x264 preset; `ultrafast` keeps generation quick for tests. */
  preset?: string
  /** A video filter applied to the pattern, e.g. a `drawbox` on some frames to make a second version. */
  videoFilter?: string
}

/** Writes an H.264/AAC MP4 of a moving test pattern and a sine tone (lavfi testsrc2 + sine). */
export async function generateTestClip(file: string, opts: TestClipOptions, ffmpeg = new FfmpegAdapter()): Promise<void> {
  const { seconds, width = 640, height = 360, fps = '25', audio = true, video = true, preset = 'ultrafast', videoFilter } = opts
  const inputs: { path: string; options: string[] }[] = []
  const options: string[] = []
  if (video) {
    inputs.push({ path: `testsrc2=size=${width}x${height}:rate=${fps}:duration=${seconds}`, options: ['-f', 'lavfi'] })
    if (videoFilter) options.push('-vf', videoFilter)
    options.push('-c:v', 'libx264', '-preset', preset, '-pix_fmt', 'yuv420p')
  }
  if (audio) {
    inputs.push({ path: `sine=frequency=440:sample_rate=48000:duration=${seconds}`, options: ['-f', 'lavfi'] })
    options.push('-c:a', 'aac', '-b:a', '96k')
  }
  options.push('-t', String(seconds), '-movflags', '+faststart')
  await ffmpeg.run({ inputs, outputs: [{ target: file, options }] })
}
