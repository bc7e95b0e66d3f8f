import { InferenceSession, Tensor } from 'onnxruntime-node'
import type { ToolTimer } from './ToolTimer'

export interface OnnxSession {
  /** The execution provider the session runs on (`cuda` or `cpu`). */
  provider: string
  run(
    feeds: Record<string, { data: Float32Array | BigInt64Array; dims: number[] }>,
  ): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>>
  release(): Promise<void>
}

/**
 * The only place ONNX Runtime sessions are made. Tries the worker's providers in order (CUDA first when
 * detectCapabilities found it) and falls back to the next when a provider cannot load, so a GPU node whose
 * driver went away still computes on CPU.
 */
export class OnnxRuntimeAdapter {
  constructor(
    readonly providers: readonly string[] = ['cpu'],
    /** Told the wall time of every inference (for /metrics). */
    private readonly timer: ToolTimer | null = null,
  ) {}

  /**
   * `threads` caps the intra-op threads one inference uses (ONNX Runtime's default is one per core, whose spinning
   * workers cost CPU that a job decoding in ffmpeg at the same time needs more; a tiny recurrent model runs best on
   * one). `intraOpThreads` is the same setting under its ONNX Runtime name.
   */
  async session(model: Uint8Array, options: { threads?: number; intraOpThreads?: number } = {}): Promise<OnnxSession> {
    const threads = options.threads ?? options.intraOpThreads
    let lastError: unknown = null
    for (const provider of this.providers) {
      try {
        const session = await InferenceSession.create(model, {
          executionProviders: [provider],
          graphOptimizationLevel: 'all',
          ...(threads ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}),
        })
        const timer = this.timer
        return {
          provider,
          async run(feeds) {
            const started = performance.now()
            const tensors: Record<string, Tensor> = {}
            for (const [name, f] of Object.entries(feeds))
              tensors[name] =
                f.data instanceof BigInt64Array
                  ? new Tensor('int64', f.data, f.dims)
                  : new Tensor('float32', f.data, f.dims)
            const out = await session.run(tensors)
            timer?.('onnx', (performance.now() - started) / 1000, provider === 'cpu' ? 'cpu' : 'gpu')
            const result: Record<string, { data: Float32Array; dims: readonly number[] }> = {}
            for (const [name, t] of Object.entries(out)) result[name] = { data: t.data as Float32Array, dims: t.dims }
            return result
          },
          release: () => session.release(),
        }
      } catch (err) {
        lastError = err
      }
    }
    throw new Error(
      `ONNX Runtime could not create a session on ${this.providers.join(' or ')}: ${(lastError as Error)?.message ?? lastError}`,
    )
  }
}
