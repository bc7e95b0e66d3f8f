import type { OnnxRuntimeAdapter, OnnxSession } from '../OnnxRuntimeAdapter'
import { buildSsimModel, SSIM_MARGIN } from './ssimModel'

export interface SsimBatch {
  /** Frames in the batch. */
  count: number
  /** Size of each frame's map: the valid region, (height - 10) x (width - 10). */
  mapWidth: number
  mapHeight: number
  /** count * mapHeight * mapWidth SSIM values, frame after frame, row-major. */
  map: Float32Array
  /** Mean SSIM of each frame. */
  means: Float32Array
}

let cachedModel: Uint8Array | null = null

/** SSIM maps of frame pairs, in batches, on ONNX Runtime (the graph of `buildSsimModel`). */
export class SsimSession {
  private constructor(
    private readonly session: OnnxSession,
    readonly width: number,
    readonly height: number,
  ) {}

  get provider(): string {
    return this.session.provider
  }

  static async create(onnx: OnnxRuntimeAdapter, width: number, height: number): Promise<SsimSession> {
    if (width <= 2 * SSIM_MARGIN || height <= 2 * SSIM_MARGIN)
      throw new Error(
        `SSIM needs frames larger than ${2 * SSIM_MARGIN + 1}x${2 * SSIM_MARGIN + 1}; got ${width}x${height}.`,
      )
    cachedModel ??= buildSsimModel()
    // one thread: the job's ffmpeg decodes both versions at the same time and needs the other cores more (one
    // SSIM batch takes a fraction of the time decoding its frames takes); two threads spinning on two cores
    // measured 2.3x the CPU per frame for the same wall time on a busy machine
    return new SsimSession(await onnx.session(cachedModel, { intraOpThreads: 1 }), width, height)
  }

  /** `x` and `y` hold `count` frames of width x height samples (0..255) each. */
  async compare(x: Float32Array, y: Float32Array, count: number): Promise<SsimBatch> {
    const frame = this.width * this.height
    if (x.length < count * frame || y.length < count * frame)
      throw new Error('A batch holds fewer samples than its frames need.')
    const dims = [count, 1, this.height, this.width]
    const out = await this.session.run({
      X: { data: x.subarray(0, count * frame), dims },
      Y: { data: y.subarray(0, count * frame), dims },
    })
    const ssim = out.ssim!
    return { count, mapHeight: ssim.dims[2]!, mapWidth: ssim.dims[3]!, map: ssim.data, means: out.mean!.data }
  }

  release(): Promise<void> {
    return this.session.release()
  }
}
