import { gaussianWindow, SSIM_C1, SSIM_C2, SSIM_MARGIN, SSIM_WINDOW } from './ssimModel'

/**
 * SSIM in plain float64 TypeScript, straight from the definition (a full 11x11 Gaussian window at every valid
 * position), as the reference the ONNX graph is tested against. Returns the valid-region map, row-major.
 */
export function ssimReference(x: ArrayLike<number>, y: ArrayLike<number>, width: number, height: number): Float64Array {
  const g = gaussianWindow()
  const mw = width - 2 * SSIM_MARGIN
  const mh = height - 2 * SSIM_MARGIN
  const map = new Float64Array(mw * mh)
  for (let i = 0; i < mh; i++)
    for (let j = 0; j < mw; j++) {
      let mx = 0
      let my = 0
      let xx = 0
      let yy = 0
      let xy = 0
      for (let u = 0; u < SSIM_WINDOW; u++)
        for (let v = 0; v < SSIM_WINDOW; v++) {
          const w = g[u]! * g[v]!
          const at = (i + u) * width + (j + v)
          const a = x[at]!
          const b = y[at]!
          mx += w * a
          my += w * b
          xx += w * a * a
          yy += w * b * b
          xy += w * a * b
        }
      const sx = xx - mx * mx
      const sy = yy - my * my
      const sxy = xy - mx * my
      map[i * mw + j] =
        ((2 * mx * my + SSIM_C1) * (2 * sxy + SSIM_C2)) / ((mx * mx + my * my + SSIM_C1) * (sx + sy + SSIM_C2))
    }
  return map
}
