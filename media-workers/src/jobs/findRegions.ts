/** A box in normalized frame coordinates (0..1 on both axes). */
export interface Box {
  x: number
  y: number
  w: number
  h: number
}

export interface Region {
  box: Box
  /** Cells above the threshold in the region. */
  cells: number
  /** The largest dissimilarity in the region, 0..255. */
  peak: number
}

/**
 * Connected components (8-neighbour) of the grid cells at or above `minValue`, each as its bounding box;
 * components of fewer than `minCells` cells (compression noise, a stray pixel) are dropped.
 */
export function findRegions(cells: Uint8Array, cols: number, rows: number, minValue: number, minCells = 2): Region[] {
  const seen = new Uint8Array(cells.length)
  const stack: number[] = []
  const regions: Region[] = []
  for (let start = 0; start < cells.length; start++) {
    if (seen[start] || cells[start]! < minValue) continue
    let x0 = cols
    let y0 = rows
    let x1 = -1
    let y1 = -1
    let count = 0
    let peak = 0
    seen[start] = 1
    stack.push(start)
    while (stack.length) {
      const c = stack.pop()!
      const cx = c % cols
      const cy = (c - cx) / cols
      count++
      peak = Math.max(peak, cells[c]!)
      x0 = Math.min(x0, cx)
      x1 = Math.max(x1, cx)
      y0 = Math.min(y0, cy)
      y1 = Math.max(y1, cy)
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const nx = cx + dx
          const ny = cy + dy
          if (nx < 0 || ny < 0 || nx >= cols || ny >= rows) continue
          const n = ny * cols + nx
          if (!seen[n] && cells[n]! >= minValue) {
            seen[n] = 1
            stack.push(n)
          }
        }
    }
    if (count >= minCells)
      regions.push({
        box: { x: x0 / cols, y: y0 / rows, w: (x1 + 1 - x0) / cols, h: (y1 + 1 - y0) / rows },
        cells: count,
        peak,
      })
  }
  return regions
}

export function unionBox(a: Box, b: Box): Box {
  const x = Math.min(a.x, b.x)
  const y = Math.min(a.y, b.y)
  return { x, y, w: Math.max(a.x + a.w, b.x + b.w) - x, h: Math.max(a.y + a.h, b.y + b.h) - y }
}

/** Whether two boxes overlap or lie within `slack` of each other. */
export function boxesTouch(a: Box, b: Box, slack = 0): boolean {
  return a.x <= b.x + b.w + slack && b.x <= a.x + a.w + slack && a.y <= b.y + b.h + slack && b.y <= a.y + a.h + slack
}
