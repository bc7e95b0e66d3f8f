export interface FrameScore {
  frame: number
  ssim: number
}

/**
 * The frames N steps through, worst first: one frame per dip (the lowest frame of each run of consecutive frames
 * below `threshold`), so a 20-frame change is one stop, not twenty. Without any frame below the threshold, every
 * frame ranks by its score. Ties go to the earlier frame.
 */
export function worstFrameOrder(frames: readonly FrameScore[], threshold: number): number[] {
  const sorted = [...frames].sort((a, b) => a.frame - b.frame)
  const stops: FrameScore[] = []
  let run: FrameScore | null = null
  let last = Number.NaN
  for (const f of sorted) {
    if (f.ssim < threshold) {
      if (run && f.frame === last + 1) {
        if (f.ssim < run.ssim) run = f
      } else {
        if (run) stops.push(run)
        run = f
      }
      last = f.frame
    } else if (run) {
      stops.push(run)
      run = null
    }
  }
  if (run) stops.push(run)
  const ranked = stops.length ? stops : sorted
  return ranked.sort((a, b) => a.ssim - b.ssim || a.frame - b.frame).map((f) => f.frame)
}

/**
 * The next stop after `current` in that order (N), or the previous one (Shift+N). From a frame that is not a
 * stop, N goes to the worst and Shift+N to the least bad; the ends wrap around.
 */
export function stepWorstFrame(order: readonly number[], current: number, direction: 1 | -1): number | null {
  if (order.length === 0) return null
  const at = order.indexOf(current)
  if (at < 0) return direction === 1 ? order[0]! : order[order.length - 1]!
  return order[(at + direction + order.length) % order.length]!
}
