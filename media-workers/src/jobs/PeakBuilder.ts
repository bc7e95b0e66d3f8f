import { Writable } from 'node:stream'

/** Zoom levels in samples per peak; each level folds the previous one, so all come from one decode. */
export const PEAK_LEVELS = [256, 1024, 4096, 16384] as const

export interface PeakLevel {
  samplesPerPeak: number
  /** Number of peaks; `data` holds min,max pairs (8-bit, -128..127). */
  length: number
  data: number[]
}

export interface Peaks {
  version: 1
  sampleRate: number
  channels: 1
  bits: 8
  /** Total samples decoded (mono, at sampleRate). */
  samples: number
  levels: PeakLevel[]
}

/**
 * A sink for mono signed 16-bit little-endian PCM that keeps min/max per PEAK_LEVELS[0] samples, then
 * derives the coarser levels. Memory is two bytes per 256 samples.
 */
export class PeakBuilder extends Writable {
  private base: Int8Array = new Int8Array(4096)
  private length = 0
  private samples = 0
  private min = 127
  private max = -128
  private inBucket = 0
  private carry: Buffer | null = null

  constructor(readonly sampleRate: number) {
    super()
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    let buf = chunk
    if (this.carry) {
      buf = Buffer.concat([this.carry, chunk])
      this.carry = null
    }
    const usable = buf.length - (buf.length % 2)
    if (usable < buf.length) this.carry = Buffer.from(buf.subarray(usable))
    const spp = PEAK_LEVELS[0]
    for (let i = 0; i < usable; i += 2) {
      const v = buf.readInt16LE(i) >> 8
      if (v < this.min) this.min = v
      if (v > this.max) this.max = v
      if (++this.inBucket === spp) this.flushBucket()
    }
    this.samples += usable / 2
    done()
  }

  private flushBucket(): void {
    if (this.length * 2 + 2 > this.base.length) {
      const grown = new Int8Array(this.base.length * 2)
      grown.set(this.base)
      this.base = grown
    }
    this.base[this.length * 2] = this.min
    this.base[this.length * 2 + 1] = this.max
    this.length++
    this.min = 127
    this.max = -128
    this.inBucket = 0
  }

  result(): Peaks {
    if (this.inBucket > 0) this.flushBucket()
    const levels: PeakLevel[] = []
    let prev = { samplesPerPeak: PEAK_LEVELS[0] as number, length: this.length, data: this.base.subarray(0, this.length * 2) }
    levels.push({ samplesPerPeak: prev.samplesPerPeak, length: prev.length, data: Array.from(prev.data) })
    for (const spp of PEAK_LEVELS.slice(1)) {
      const factor = spp / prev.samplesPerPeak
      const length = Math.ceil(prev.length / factor)
      const data = new Int8Array(length * 2)
      for (let p = 0; p < length; p++) {
        let lo = 127
        let hi = -128
        for (let j = p * factor; j < Math.min(prev.length, (p + 1) * factor); j++) {
          lo = Math.min(lo, prev.data[j * 2]!)
          hi = Math.max(hi, prev.data[j * 2 + 1]!)
        }
        data[p * 2] = lo
        data[p * 2 + 1] = hi
      }
      prev = { samplesPerPeak: spp, length, data }
      levels.push({ samplesPerPeak: spp, length, data: Array.from(data) })
    }
    return { version: 1, sampleRate: this.sampleRate, channels: 1, bits: 8, samples: this.samples, levels }
  }
}
