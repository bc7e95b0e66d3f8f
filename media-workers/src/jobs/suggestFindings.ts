import { type Box, unionBox } from './findRegions'
import type { RegionRange } from './RegionTracker'

/** A proposed finding: consecutive frames whose mean SSIM is below the threshold. */
export interface SuggestedFinding {
  frame: number
  frameEnd: number
  worstFrame: number
  /** The lowest mean SSIM in the range. */
  worstSsim: number
  /** The changed regions of those frames, as one box; null when the change is spread over the whole frame. */
  region: Box | null
}

/**
 * Ranges of consecutive frames scoring below `threshold`, each with its worst frame and the union of the changed
 * regions that overlap it. At most `max` are kept (the worst ones), returned in frame order.
 */
export function suggestFindings(
  scores: ArrayLike<number>,
  threshold: number,
  regions: RegionRange[],
  max = 50,
): SuggestedFinding[] {
  const found: SuggestedFinding[] = []
  let current: SuggestedFinding | null = null
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!
    if (s < threshold) {
      if (current) {
        current.frameEnd = i
        if (s < current.worstSsim) {
          current.worstSsim = s
          current.worstFrame = i
        }
      } else current = { frame: i, frameEnd: i, worstFrame: i, worstSsim: s, region: null }
    } else if (current) {
      found.push(current)
      current = null
    }
  }
  if (current) found.push(current)
  for (const f of found)
    for (const r of regions)
      if (r.frame <= f.frameEnd && r.frameEnd >= f.frame) f.region = f.region ? unionBox(f.region, r.box) : { ...r.box }
  return found
    .sort((a, b) => a.worstSsim - b.worstSsim)
    .slice(0, max)
    .sort((a, b) => a.frame - b.frame)
}
