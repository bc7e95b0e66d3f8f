import { VAD_WINDOW } from './SileroVad'

export interface SpeechSegment {
  /** Samples at 16 kHz, end exclusive. */
  start: number
  end: number
}

export interface SpeechSegmenterOptions {
  /** Speech starts when a window's probability reaches this. */
  threshold: number
  /** ...and ends after `minSilenceMs` below this (hysteresis). */
  negThreshold: number
  minSpeechMs: number
  /** A pause this long ends a segment (and so a paragraph). */
  minSilenceMs: number
  /** Added before and after each segment, within the silence around it. */
  padMs: number
  /** A segment is cut at its quietest window once it runs this long, so no ASR chunk grows without bound. */
  maxSpeechMs: number
}

export const DEFAULT_SEGMENTER: SpeechSegmenterOptions = {
  threshold: 0.5,
  negThreshold: 0.35,
  minSpeechMs: 250,
  minSilenceMs: 500,
  padMs: 150,
  maxSpeechMs: 30_000,
}

const RATE = 16000
const ms = (n: number) => Math.round((n * RATE) / 1000)

/**
 * Turns window probabilities into speech segments as they stream in, the way Silero's get_speech_timestamps
 * does: a segment opens at a window above `threshold`, closes once the probability stays below `negThreshold`
 * for `minSilenceMs`, is dropped when shorter than `minSpeechMs`, and is padded. Each closed segment is returned
 * as soon as it is known, so the job transcribes it while decoding goes on.
 */
export class SpeechSegmenter {
  private readonly o: SpeechSegmenterOptions
  private window = 0
  private start: number | null = null
  private silenceSince: number | null = null
  private lastEnd = 0
  /** Quietest window of the open segment after its first half of maxSpeech, for a forced cut. */
  private quietest: { at: number; p: number } | null = null

  constructor(options: Partial<SpeechSegmenterOptions> = {}) {
    this.o = { ...DEFAULT_SEGMENTER, ...options }
  }

  /** The probability of the next window; returns the segments that closed with it. */
  push(p: number): SpeechSegment[] {
    const at = this.window * VAD_WINDOW
    this.window++
    const out: SpeechSegment[] = []
    if (this.start === null) {
      if (p >= this.o.threshold) {
        this.start = at
        this.silenceSince = null
        this.quietest = null
      }
      return out
    }
    if (at - this.start >= ms(this.o.maxSpeechMs / 2) && (!this.quietest || p < this.quietest.p))
      this.quietest = { at, p }
    if (p >= this.o.threshold) this.silenceSince = null
    else if (p < this.o.negThreshold) this.silenceSince ??= at
    if (this.silenceSince !== null && at + VAD_WINDOW - this.silenceSince >= ms(this.o.minSilenceMs)) {
      this.close(this.silenceSince, out)
      this.start = null
    } else if (at + VAD_WINDOW - this.start >= ms(this.o.maxSpeechMs)) {
      const cut = this.quietest?.at ?? at
      this.close(cut, out, true)
      this.start = cut
      this.silenceSince = null
      this.quietest = null
    }
    return out
  }

  /** At the end of the audio (`total` samples): the segment still open, if any. */
  finish(total: number): SpeechSegment[] {
    const out: SpeechSegment[] = []
    if (this.start !== null) this.close(this.silenceSince ?? total, out, false, total)
    this.start = null
    return out
  }

  /** Samples before this are in no segment to come: the caller may drop them. */
  keepFrom(): number {
    const pad = ms(this.o.padMs)
    return Math.max(0, Math.min(this.start ?? this.window * VAD_WINDOW, this.window * VAD_WINDOW) - pad)
  }

  private close(speechEnd: number, out: SpeechSegment[], forced = false, total = Number.POSITIVE_INFINITY): void {
    const start = this.start!
    if (speechEnd - start < ms(this.o.minSpeechMs) && !forced) return
    const pad = ms(this.o.padMs)
    const segStart = Math.max(this.lastEnd, start - (forced && start === this.lastEnd ? 0 : pad))
    const segEnd = forced ? speechEnd : Math.min(total, speechEnd + pad)
    this.lastEnd = segEnd
    out.push({ start: segStart, end: segEnd })
  }
}
