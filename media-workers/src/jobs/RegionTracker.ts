import { type Box, boxesTouch, type Region, unionBox } from './findRegions'

/** A changed region over a range of consecutive frames (frames on the compared grid, inclusive). */
export interface RegionRange {
  frame: number
  frameEnd: number
  box: Box
  /** The lowest local SSIM seen in the region, and where. */
  minSsim: number
  worstFrame: number
}

/**
 * Merges per-frame regions across consecutive frames: a region continues a range that ended on the previous
 * frame (or this one) when their boxes touch, and the range's box grows to cover it. A range with no region on
 * the next frame is closed. Bounded: past `maxRanges` closed ranges the smallest-change ones are dropped.
 */
export class RegionTracker {
  private open: RegionRange[] = []
  private closed: RegionRange[] = []

  constructor(
    private readonly slack = 0.02,
    private readonly maxRanges = 5000,
  ) {}

  add(frame: number, regions: Region[]): void {
    const stillOpen: RegionRange[] = []
    for (const r of this.open) (r.frameEnd >= frame - 1 ? stillOpen : this.closed).push(r)
    this.open = stillOpen
    for (const region of regions) {
      const minSsim = 1 - region.peak / 255
      const track = this.open.find((r) => boxesTouch(r.box, region.box, this.slack))
      if (track) {
        track.box = unionBox(track.box, region.box)
        track.frameEnd = frame
        if (minSsim < track.minSsim) {
          track.minSsim = minSsim
          track.worstFrame = frame
        }
      } else this.open.push({ frame, frameEnd: frame, box: { ...region.box }, minSsim, worstFrame: frame })
    }
    if (this.closed.length > this.maxRanges * 2) this.trim()
  }

  /** Every range, ordered by first frame. */
  finish(): RegionRange[] {
    this.closed.push(...this.open)
    this.open = []
    this.trim()
    return this.closed.sort((a, b) => a.frame - b.frame || a.box.y - b.box.y || a.box.x - b.box.x)
  }

  private trim(): void {
    if (this.closed.length <= this.maxRanges) return
    this.closed.sort((a, b) => a.minSsim - b.minSsim)
    this.closed.length = this.maxRanges
  }
}
