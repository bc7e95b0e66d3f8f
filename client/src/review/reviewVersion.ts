import type { ReviewVersion } from './ReviewRoom'

/** A version for the review room from `assets.get` (probe metadata and artifacts); the project's rate if unprobed. */
export function reviewVersion(
  asset: {
    id: string
    filename: string
    version: number
    metadata: unknown
    sourceUrl: string | null
    artifacts: { slot: string; url: string }[]
  },
  projectFps: { num: number; den: number },
): ReviewVersion {
  const metadata = (asset.metadata && typeof asset.metadata === 'object' ? asset.metadata : {}) as {
    video?: { fps?: { num: number; den: number }; durationFrames?: number } | null
  }
  const fps = metadata.video?.fps
  const valid = fps && Number.isInteger(fps.num) && Number.isInteger(fps.den) && fps.num > 0 && fps.den > 0
  const frames = metadata.video?.durationFrames
  const hls = asset.artifacts.findLast((a) => a.slot === 'hls')
  return {
    assetId: asset.id,
    name: asset.filename,
    version: asset.version,
    fps: valid ? { num: fps.num, den: fps.den } : projectFps,
    frames: typeof frames === 'number' && Number.isInteger(frames) && frames > 0 ? frames : null,
    hlsUrl: hls?.url,
    sourceUrl: asset.sourceUrl ?? undefined,
  }
}
