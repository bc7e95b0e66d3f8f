import type { CaptionWord } from '@cutroom/schema'
import type { PlanCaption, PlanPiece, Rate } from './exportPlan'

/** A new caption line starts after a pause this long (seconds) ... */
const PAUSE_SECONDS = 0.8
/** ... or when the line would last longer than this (seconds). */
const MAX_LINE_SECONDS = 5

export interface TranscriptCaptionSource {
  assetId: string
  sampleRate: number
  words: readonly CaptionWord[]
}

/**
 * Caption lines from a transcript's words, on the output's frame grid. A word is shown where a storyline clip
 * playing the transcribed asset includes it (its midpoint inside the clip's source range), at the clip's
 * position, its window clipped to the clip; words in ranges the timeline cut out are dropped. Consecutive words
 * are grouped into lines of at most `maxChars` characters, broken at pauses, sentence ends and long lines.
 */
export function transcriptCaptions(
  source: TranscriptCaptionSource,
  pieces: readonly PlanPiece[],
  fps: Rate,
  maxChars: number,
): PlanCaption[] {
  const toFrames = (sample: number) => (sample * fps.num) / (source.sampleRate * fps.den)
  const words = source.words
    .filter((w) => w.text.trim() && w.end >= w.start)
    .map((w) => ({
      text: w.text.trim(),
      start: toFrames(w.start),
      end: toFrames(w.end),
      mid: toFrames((w.start + w.end) / 2),
    }))
    .sort((a, b) => a.mid - b.mid)
  const placed: { start: number; end: number; text: string }[] = []
  for (const p of pieces) {
    if (p.kind !== 'clip' || p.source !== source.assetId) continue
    const from = p.sourceIn
    const to = p.sourceIn + p.frames
    // the first word whose midpoint is at or after the clip's first frame
    let lo = 0
    let hi = words.length
    while (lo < hi) {
      const m = (lo + hi) >> 1
      if (words[m]!.mid < from) lo = m + 1
      else hi = m
    }
    for (let i = lo; i < words.length && words[i]!.mid < to; i++) {
      const w = words[i]!
      const s = Math.max(from, Math.round(w.start))
      const e = Math.min(to, Math.max(s + 1, Math.round(w.end)))
      placed.push({ text: w.text, start: p.start + (s - from), end: p.start + (e - from) })
    }
  }
  placed.sort((a, b) => a.start - b.start)
  // a word's window ends where the next one starts, so at most one word is ever the active one
  for (let i = 0; i + 1 < placed.length; i++) placed[i]!.end = Math.min(placed[i]!.end, placed[i + 1]!.start)
  const timed = placed.filter((w) => w.end > w.start)

  const perSecond = fps.num / fps.den
  const lines: PlanCaption[] = []
  let line: typeof timed = []
  const flush = () => {
    if (line.length === 0) return
    const start = line[0]!.start
    lines.push({
      start,
      frames: line[line.length - 1]!.end - start,
      text: line.map((w) => w.text).join(' '),
      words: line.map((w) => ({ start: w.start, frames: w.end - w.start, text: w.text })),
    })
    line = []
  }
  for (const w of timed) {
    const last = line[line.length - 1]
    if (last) {
      const chars = line.reduce((n, x) => n + x.text.length + 1, 0) + w.text.length
      const pause = w.start - last.end > PAUSE_SECONDS * perSecond
      const long = w.end - line[0]!.start > MAX_LINE_SECONDS * perSecond
      if (pause || long || chars > maxChars || /[.?!]["')\]]*$/.test(last.text)) flush()
    }
    line.push(w)
  }
  flush()
  return lines
}

/** Characters per caption line: fewer on a portrait picture, where the line is narrower. */
export function captionLineChars(size: { width: number; height: number } | null): number {
  return size && size.height > size.width ? 22 : 36
}
