import { encodeOnnxModel, type OnnxNode, TensorType } from './encodeOnnxModel'

/** The window and constants of the standard SSIM (Wang et al. 2004) for 8-bit samples (0..255). */
export const SSIM_WINDOW = 11
export const SSIM_SIGMA = 1.5
export const SSIM_C1 = (0.01 * 255) ** 2
export const SSIM_C2 = (0.03 * 255) ** 2
/** The map covers the valid region: window centres from `SSIM_MARGIN` to size - 1 - `SSIM_MARGIN`. */
export const SSIM_MARGIN = (SSIM_WINDOW - 1) / 2

/** The normalized 1-D Gaussian; the 2-D window is its outer product, applied as two separable passes. */
export function gaussianWindow(size = SSIM_WINDOW, sigma = SSIM_SIGMA): Float64Array {
  const g = new Float64Array(size)
  const c = (size - 1) / 2
  for (let i = 0; i < size; i++) g[i] = Math.exp(-((i - c) ** 2) / (2 * sigma * sigma))
  const sum = g.reduce((a, b) => a + b, 0)
  return g.map((v) => v / sum)
}

/** The five local statistics filtered at once: x, y, x^2, y^2, xy (of the centred samples). */
const STATS = 5
/**
 * Samples are centred on 128 before the squares and products: the variances come from E[x^2] - E[x]^2, and
 * centring keeps those terms 4x smaller, so float32 cancellation stays well under 1e-4 of SSIM.
 */
const CENTRE = 128

/**
 * The SSIM graph: inputs `X`, `Y` float32 [N,1,H,W] with samples 0..255; outputs `ssim` [N,1,H-10,W-10] (the
 * valid region, no padding: element (i, j) is the window centred on pixel (i+5, j+5)) and `mean` [N], the mean
 * of each frame's map. N, H and W are symbolic, so one session serves any batch and frame size. The Gaussian is
 * a 1x11 then an 11x1 grouped Conv over the five statistics stacked as channels, with fixed weight initializers.
 * Opset 13, IR version 7.
 */
export function buildSsimModel(): Uint8Array {
  const g = Float32Array.from(gaussianWindow())
  const rows = new Float32Array(STATS * SSIM_WINDOW)
  for (let c = 0; c < STATS; c++) rows.set(g, c * SSIM_WINDOW)
  const scalar = (name: string, v: number) => ({ name, type: TensorType.FLOAT, dims: [], values: [v] })
  const nodes: OnnxNode[] = [
    { op: 'Sub', inputs: ['X', 'centre'], outputs: ['xc'] },
    { op: 'Sub', inputs: ['Y', 'centre'], outputs: ['yc'] },
    { op: 'Mul', inputs: ['xc', 'xc'], outputs: ['xx'] },
    { op: 'Mul', inputs: ['yc', 'yc'], outputs: ['yy'] },
    { op: 'Mul', inputs: ['xc', 'yc'], outputs: ['xy'] },
    {
      op: 'Concat',
      inputs: ['xc', 'yc', 'xx', 'yy', 'xy'],
      outputs: ['stats'],
      attributes: [{ name: 'axis', type: 'int', value: 1 }],
    },
    {
      op: 'Conv',
      inputs: ['stats', 'gaussRow'],
      outputs: ['blurRow'],
      attributes: [{ name: 'group', type: 'int', value: STATS }],
    },
    {
      op: 'Conv',
      inputs: ['blurRow', 'gaussCol'],
      outputs: ['blur'],
      attributes: [{ name: 'group', type: 'int', value: STATS }],
    },
    {
      op: 'Split',
      inputs: ['blur'],
      outputs: ['mxc', 'myc', 'exx', 'eyy', 'exy'],
      attributes: [{ name: 'axis', type: 'int', value: 1 }],
    },
    { op: 'Mul', inputs: ['mxc', 'mxc'], outputs: ['mxc2'] },
    { op: 'Mul', inputs: ['myc', 'myc'], outputs: ['myc2'] },
    { op: 'Mul', inputs: ['mxc', 'myc'], outputs: ['mxcyc'] },
    { op: 'Sub', inputs: ['exx', 'mxc2'], outputs: ['sx2'] },
    { op: 'Sub', inputs: ['eyy', 'myc2'], outputs: ['sy2'] },
    { op: 'Sub', inputs: ['exy', 'mxcyc'], outputs: ['sxy'] },
    { op: 'Add', inputs: ['mxc', 'centre'], outputs: ['mx'] },
    { op: 'Add', inputs: ['myc', 'centre'], outputs: ['my'] },
    // luminance: (2 mx my + C1) / (mx^2 + my^2 + C1)
    { op: 'Mul', inputs: ['mx', 'my'], outputs: ['mxmy'] },
    { op: 'Mul', inputs: ['mxmy', 'two'], outputs: ['mxmy2'] },
    { op: 'Add', inputs: ['mxmy2', 'c1'], outputs: ['lumNum'] },
    { op: 'Mul', inputs: ['mx', 'mx'], outputs: ['mx2'] },
    { op: 'Mul', inputs: ['my', 'my'], outputs: ['my2'] },
    { op: 'Add', inputs: ['mx2', 'my2'], outputs: ['m2'] },
    { op: 'Add', inputs: ['m2', 'c1'], outputs: ['lumDen'] },
    // contrast-structure: (2 sxy + C2) / (sx2 + sy2 + C2)
    { op: 'Mul', inputs: ['sxy', 'two'], outputs: ['sxy2'] },
    { op: 'Add', inputs: ['sxy2', 'c2'], outputs: ['csNum'] },
    { op: 'Add', inputs: ['sx2', 'sy2'], outputs: ['s2'] },
    { op: 'Add', inputs: ['s2', 'c2'], outputs: ['csDen'] },
    { op: 'Mul', inputs: ['lumNum', 'csNum'], outputs: ['num'] },
    { op: 'Mul', inputs: ['lumDen', 'csDen'], outputs: ['den'] },
    { op: 'Div', inputs: ['num', 'den'], outputs: ['ssim'] },
    {
      op: 'ReduceMean',
      inputs: ['ssim'],
      outputs: ['mean'],
      attributes: [
        { name: 'axes', type: 'ints', value: [1, 2, 3] },
        { name: 'keepdims', type: 'int', value: 0 },
      ],
    },
  ]
  return encodeOnnxModel({
    irVersion: 7,
    opset: 13,
    producer: 'cutroom',
    graphName: 'ssim',
    nodes,
    initializers: [
      { name: 'gaussRow', type: TensorType.FLOAT, dims: [STATS, 1, 1, SSIM_WINDOW], values: rows },
      { name: 'gaussCol', type: TensorType.FLOAT, dims: [STATS, 1, SSIM_WINDOW, 1], values: rows },
      scalar('centre', CENTRE),
      scalar('two', 2),
      scalar('c1', SSIM_C1),
      scalar('c2', SSIM_C2),
    ],
    inputs: [
      { name: 'X', type: TensorType.FLOAT, shape: ['N', 1, 'H', 'W'] },
      { name: 'Y', type: TensorType.FLOAT, shape: ['N', 1, 'H', 'W'] },
    ],
    outputs: [
      { name: 'ssim', type: TensorType.FLOAT, shape: ['N', 1, 'Hm', 'Wm'] },
      { name: 'mean', type: TensorType.FLOAT, shape: ['N'] },
    ],
  })
}
