import type { FfmpegSpec } from '../FfmpegAdapter'
import type { MediaInfo } from './mediaInfo'

export interface Rational {
  num: number
  den: number
}

/** How two versions are put on one frame grid: version A's rate and aspect, at proxy height. */
export interface FramediffPlan {
  /** Proxy size both versions are decoded at (B is scaled to it whatever its own size). */
  width: number
  height: number
  /** The compared grid's rate: version A's. Frame i of the comparison is A's frame i. */
  fps: Rational
  versionA: { frames: number; fps: Rational; width: number; height: number }
  versionB: { frames: number; fps: Rational; width: number; height: number }
  /** Frames of the comparison when both decode fully: B's length expressed on A's grid, capped by A's. */
  expectedFrames: number
  /** B's frames are picked by time on A's grid (dropped or repeated) because the rates differ. */
  resampled: boolean
  /** B is scaled to A's proxy size from a different size or aspect. */
  rescaled: boolean
}

export const DEFAULT_PROXY_HEIGHT = 360

const even = (v: number) => Math.max(2, Math.round(v / 2) * 2)
const sameRate = (a: Rational, b: Rational) => a.num * b.den === b.num * a.den

export function framediffPlan(a: MediaInfo, b: MediaInfo, targetHeight = DEFAULT_PROXY_HEIGHT): FramediffPlan {
  const va = a.video
  const vb = b.video
  if (!va) throw new Error('Version A has no video stream to compare.')
  if (!vb) throw new Error('Version B has no video stream to compare.')
  const height = even(Math.min(targetHeight, va.height))
  const width = even((va.width * height) / va.height)
  const bOnA = Math.floor((vb.durationFrames * vb.fps.den * va.fps.num) / (vb.fps.num * va.fps.den) + 1e-9)
  return {
    width,
    height,
    fps: va.fps,
    versionA: { frames: va.durationFrames, fps: va.fps, width: va.width, height: va.height },
    versionB: { frames: vb.durationFrames, fps: vb.fps, width: vb.width, height: vb.height },
    expectedFrames: Math.max(1, Math.min(va.durationFrames, bOnA)),
    resampled: !sameRate(va.fps, vb.fps),
    rescaled: va.width * vb.height !== vb.width * va.height || vb.height !== va.height,
  }
}

/**
 * One ffmpeg decoding both versions onto the plan's grid: each from its first frame (timestamps reset), at A's
 * rate, scaled to the proxy size, as 8-bit luma; stacked A over B in one raw frame (width x 2*height) so the
 * pair always arrives together. `shortest` ends the stream with the shorter version.
 */
export function framediffSpec(
  sourceA: string,
  sourceB: string,
  plan: FramediffPlan,
): Omit<FfmpegSpec, 'outputs'> & { outputOptions: string[] } {
  const grid = `setpts=PTS-STARTPTS,fps=${plan.fps.num}/${plan.fps.den},scale=${plan.width}:${plan.height}:flags=area,format=gray`
  return {
    inputs: [{ path: sourceA }, { path: sourceB }],
    complexFilter: `[0:v:0]${grid}[a];[1:v:0]${grid}[b];[a][b]vstack=inputs=2:shortest=1[pair]`,
    outputOptions: ['-map', '[pair]', '-an', '-sn', '-f', 'rawvideo', '-pix_fmt', 'gray'],
  }
}
