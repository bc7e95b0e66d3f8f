import { SSIM_MARGIN } from '../onnx/ssimModel'

/**
 * Pools an SSIM map onto a coarse grid over the whole frame: each cell holds the largest dissimilarity
 * clamp(1 - ssim, 0, 1) of the frame pixels it covers, as 0..255. Frame pixel (y, x) takes the map value of the
 * window centred on it; pixels within the 5-pixel margin the valid-region map lacks take the nearest window.
 * The grid is both the heatmap tile and the input of the region boxes.
 */
export class DiffGrid {
  readonly cells: Uint8Array
  /** The lowest SSIM seen in each cell while pooling (float64, so 1 - s rounds as it did per pixel). */
  private readonly lowest: Float64Array
  private readonly colCell: Int32Array
  private readonly mapCol: Int32Array
  private readonly rowCell: Int32Array
  private readonly mapRow: Int32Array

  constructor(
    readonly frameWidth: number,
    readonly frameHeight: number,
    readonly cols: number,
    readonly rows: number,
  ) {
    this.cells = new Uint8Array(cols * rows)
    this.lowest = new Float64Array(cols * rows)
    const mapWidth = frameWidth - 2 * SSIM_MARGIN
    const mapHeight = frameHeight - 2 * SSIM_MARGIN
    this.colCell = Int32Array.from({ length: frameWidth }, (_, x) =>
      Math.min(cols - 1, Math.floor((x * cols) / frameWidth)),
    )
    this.mapCol = Int32Array.from({ length: frameWidth }, (_, x) =>
      Math.min(mapWidth - 1, Math.max(0, x - SSIM_MARGIN)),
    )
    this.rowCell = Int32Array.from({ length: frameHeight }, (_, y) =>
      Math.min(rows - 1, Math.floor((y * rows) / frameHeight)),
    )
    this.mapRow = Int32Array.from({ length: frameHeight }, (_, y) =>
      Math.min(mapHeight - 1, Math.max(0, y - SSIM_MARGIN)),
    )
  }

  /** Fills `cells` from one frame's map (`map[offset ...]`, (H-10) x (W-10), row-major) and returns them. */
  pool(map: Float32Array, offset: number): Uint8Array {
    const { cells, frameWidth, frameHeight, colCell, mapCol, rowCell, mapRow, lowest } = this
    const mapWidth = frameWidth - 2 * SSIM_MARGIN
    // the largest dissimilarity of a cell is 1 - its lowest SSIM: one comparison per pixel, one rounding per cell
    lowest.fill(1)
    for (let y = 0; y < frameHeight; y++) {
      const rowBase = offset + mapRow[y]! * mapWidth
      const cellBase = rowCell[y]! * this.cols
      for (let x = 0; x < frameWidth; x++) {
        const s = map[rowBase + mapCol[x]!]!
        const c = cellBase + colCell[x]!
        if (s < lowest[c]!) lowest[c] = s
      }
    }
    for (let c = 0; c < cells.length; c++) {
      const d = 1 - lowest[c]!
      cells[c] = d <= 0 ? 0 : d >= 1 ? 255 : Math.round(d * 255)
    }
    return cells
  }
}
