import type { DiscoverSignal, SubScores } from '@cutroom/schema'
import type { AudioSignals } from './analyzeAudio'

/** What a recording gave: each signal is null when it has none (no video, no audio, no transcript). */
export interface MediaSignals {
  durationSeconds: number
  /** Scene cuts in seconds (the first frame of each new shot). */
  cuts: number[] | null
  audio: AudioSignals | null
  /** Transcript sentences in seconds, in time order. */
  sentences: { start: number; end: number; text: string }[] | null
  keywords: readonly string[]
}

export interface RankOptions {
  minSeconds: number
  maxSeconds: number
  count: number
  /** Weight of each signal in the combined score; signals a recording lacks drop out and the rest are renormalized. */
  weights?: Partial<Record<DiscoverSignal, number>>
  /** Move window edges onto sentence, scene and speech boundaries (default true). */
  snap?: boolean
}

export interface RankedWindow {
  start: number
  end: number
  score: number
  subScores: SubScores
  reasons: string[]
  text: string
}

export const DEFAULT_WEIGHTS: Record<DiscoverSignal, number> = {
  scene: 0.15,
  energy: 0.15,
  peaks: 0.15,
  speech: 0.2,
  sentences: 0.1,
  hook: 0.1,
  keywords: 0.3,
  fluency: 0.05,
}

const FILLERS = new Set(['um', 'umm', 'uh', 'uhh', 'er', 'erm', 'ah', 'hmm', 'mm', 'like', 'basically', 'actually', 'literally'])
const FILLER_PHRASES = ['you know', 'i mean', 'sort of', 'kind of']
const QUESTION_START =
  /^(what|why|how|who|whom|whose|when|where|which|do|does|did|is|are|was|were|can|could|would|should|will|have|has|ever)\b/i

const clamp01 = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0)
const round3 = (x: number) => Math.round(x * 1000) / 1000
const wordsOf = (text: string) => text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? []

export function isQuestion(text: string): boolean {
  const t = text.trim()
  return t.endsWith('?') || QUESTION_START.test(t)
}

/** Fillers per word of a text ("um", "you know", ...). */
export function fillerCount(text: string): { fillers: number; words: number } {
  const words = wordsOf(text)
  let fillers = words.filter((w) => FILLERS.has(w)).length
  const joined = ` ${words.join(' ')} `
  for (const p of FILLER_PHRASES) fillers += joined.split(` ${p} `).length - 1
  return { fillers, words: words.length }
}

function percentile(values: Float32Array, p: number): number {
  if (values.length === 0) return 0
  const sorted = Float32Array.from(values).sort()
  return sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))]!
}

/** Prefix sums for O(1) means over bin ranges. */
function prefix(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length + 1)
  for (let i = 0; i < values.length; i++) out[i + 1] = out[i]! + values[i]!
  return out
}

/** Index of the first element of a sorted array >= x. */
function lowerBound(sorted: readonly number[], x: number): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (sorted[mid]! < x) lo = mid + 1
    else hi = mid
  }
  return lo
}

function nearestWithin(sorted: readonly number[], t: number, tolerance: number): number | null {
  const i = lowerBound(sorted, t)
  let best: number | null = null
  for (const j of [i - 1, i]) {
    const v = sorted[j]
    if (v === undefined || Math.abs(v - t) > tolerance) continue
    if (best === null || Math.abs(v - t) < Math.abs(best - t)) best = v
  }
  return best
}

/** The audio features, once per recording: normalized loudness, peak onsets and speech coverage per bin. */
function audioFeatures(audio: AudioSignals) {
  const { db, binSeconds } = audio
  const lo = percentile(db, 0.1)
  const hi = percentile(db, 0.99)
  const median = percentile(db, 0.5)
  const span = Math.max(3, hi - lo)
  const loud = new Float32Array(db.length)
  for (let i = 0; i < db.length; i++) loud[i] = clamp01((db[i]! - lo) / span)
  // a peak: a bin well above the recording's usual level; consecutive peak bins are one event
  const peakLevel = Math.max(percentile(db, 0.95), median + 6)
  const onsets = new Float32Array(db.length)
  for (let i = 0; i < db.length; i++) if (db[i]! >= peakLevel && !(i > 0 && db[i - 1]! >= peakLevel)) onsets[i] = 1
  const speech = new Float32Array(db.length)
  for (const s of audio.speech) {
    const first = Math.floor(s.start / binSeconds)
    const last = Math.min(db.length - 1, Math.floor(s.end / binSeconds))
    for (let b = Math.max(0, first); b <= last; b++) {
      const from = Math.max(s.start, b * binSeconds)
      const to = Math.min(s.end, (b + 1) * binSeconds)
      if (to > from) speech[b] = Math.min(1, speech[b]! + (to - from) / binSeconds)
    }
  }
  return { binSeconds, loud: prefix(loud), onsets: prefix(onsets), speech: prefix(speech), bins: db.length }
}

/**
 * Scores candidate windows of every length from min to max, snaps their edges to sentence, scene and speech
 * boundaries, and keeps the best ones that do not overlap (greedy suppression in score order). Every score is a
 * weighted mean of sub-scores in 0..1 over the signals the recording has, and says in words what made it.
 */
export function rankWindows(s: MediaSignals, o: RankOptions): { windows: RankedWindow[]; scored: number } {
  const duration = s.durationSeconds
  if (!(duration >= o.minSeconds)) return { windows: [], scored: 0 }
  const weights = { ...DEFAULT_WEIGHTS, ...o.weights }
  const audio = s.audio ? audioFeatures(s.audio) : null
  const cuts = s.cuts ? [...s.cuts].sort((a, b) => a - b) : null
  const cutRate = cuts && duration > 0 ? cuts.length / duration : 0
  const sentences = s.sentences && s.sentences.length > 0 ? s.sentences : null
  const sentenceStarts = sentences?.map((x) => x.start) ?? []
  const keywords = s.keywords.map((k) => k.trim().toLowerCase()).filter(Boolean)

  // candidate windows
  const maxLen = Math.min(o.maxSeconds, duration)
  const lengths =
    maxLen - o.minSeconds < 0.5
      ? [Math.min(maxLen, Math.max(o.minSeconds, maxLen))]
      : [0, 1, 2, 3].map((i) => o.minSeconds + ((maxLen - o.minSeconds) * i) / 3)
  const step = Math.min(5, Math.max(0.5, o.minSeconds / 4))
  const snap = o.snap ?? true
  const tolerance = Math.min(3, Math.max(0.5, o.minSeconds * 0.2))
  const startBounds = [sentenceStarts, cuts ?? [], s.audio?.speech.map((x) => x.start) ?? []]
  const endBounds = [sentences?.map((x) => x.end) ?? [], cuts ?? [], s.audio?.speech.map((x) => x.end) ?? []]
  for (const b of [...startBounds, ...endBounds]) b.sort((x, y) => x - y)
  const snapTo = (t: number, bounds: number[][]) => {
    for (const b of bounds) {
      const v = nearestWithin(b, t, tolerance)
      if (v !== null) return v
    }
    return t
  }
  const fits = (a: number, b: number) => b - a >= o.minSeconds - 1e-6 && b - a <= o.maxSeconds + 1e-6 && a >= 0 && b <= duration + 1e-6
  const seen = new Set<string>()
  const candidates: [number, number][] = []
  for (const len of lengths)
    for (let a = 0; a + len <= duration + 1e-6; a += step) {
      let w: [number, number] = [a, a + len]
      if (snap) {
        const sa = snapTo(a, startBounds)
        const sb = Math.min(duration, snapTo(a + len, endBounds))
        if (fits(sa, sb)) w = [sa, sb]
        else if (fits(sa, a + len)) w = [sa, a + len]
        else if (fits(a, sb)) w = [a, sb]
      }
      const key = `${Math.round(w[0] * 100)}:${Math.round(w[1] * 100)}`
      if (seen.has(key)) continue
      seen.add(key)
      candidates.push(w)
    }

  const score = (a: number, b: number): RankedWindow => {
    const len = b - a
    const sub: SubScores = {
      scene: null,
      energy: null,
      peaks: null,
      speech: null,
      sentences: null,
      hook: null,
      keywords: null,
      fluency: null,
    }
    const reasons: { weight: number; text: string }[] = []
    if (cuts) {
      const c = lowerBound(cuts, b) - lowerBound(cuts, a + 1e-6)
      const expected = cutRate * len
      sub.scene = clamp01(c / (c + expected + 1))
      if (c > 0) reasons.push({ weight: sub.scene * weights.scene, text: `${c} scene cut${c === 1 ? '' : 's'}` })
    }
    if (audio) {
      const i = Math.max(0, Math.min(audio.bins, Math.floor(a / audio.binSeconds)))
      const j = Math.max(i + 1, Math.min(audio.bins, Math.ceil(b / audio.binSeconds)))
      const n = j - i
      sub.energy = clamp01((audio.loud[j]! - audio.loud[i]!) / n)
      const peaks = audio.onsets[j]! - audio.onsets[i]!
      sub.peaks = clamp01(peaks / 3)
      sub.speech = clamp01((audio.speech[j]! - audio.speech[i]!) / n)
      if (peaks > 0)
        reasons.push({ weight: sub.peaks * weights.peaks, text: `${peaks} loud moment${peaks === 1 ? '' : 's'}` })
      reasons.push({ weight: sub.energy * weights.energy * 0.5, text: `energy ${Math.round(sub.energy * 100)}%` })
      if (sub.speech > 0.05)
        reasons.push({ weight: sub.speech * weights.speech, text: `speech in ${Math.round(sub.speech * 100)}% of it` })
    }
    let text = ''
    if (sentences) {
      const eps = 0.35
      let inside = 0
      let cutOff = 0
      const within: { start: number; end: number; text: string }[] = []
      const partial: string[] = []
      for (let k = Math.max(0, lowerBound(sentenceStarts, a - 60)); k < sentences.length; k++) {
        const x = sentences[k]!
        if (x.start >= b) break
        if (x.end <= a) continue
        if (x.start >= a - eps && x.end <= b + eps) {
          inside += x.end - x.start
          within.push(x)
        } else {
          cutOff += Math.min(b, x.end) - Math.max(a, x.start)
          partial.push(x.text)
        }
      }
      sub.sentences = inside + cutOff > 0 ? clamp01(inside / (inside + cutOff)) : 0
      if (within.length && sub.sentences > 0.9)
        reasons.push({ weight: sub.sentences * weights.sentences, text: `${within.length} complete sentence${within.length === 1 ? '' : 's'}` })
      // a hook: a question early in the clip that the clip goes on to answer
      let hook = 0
      within.forEach((x, k) => {
        if (!isQuestion(x.text)) return
        const answered = within.slice(k + 1).some((y) => !isQuestion(y.text))
        const early = x.start - a <= 0.4 * len
        hook = Math.max(hook, answered ? (early ? 1 : 0.7) : 0.3)
      })
      sub.hook = hook
      if (hook >= 0.7) reasons.push({ weight: hook * weights.hook, text: 'asks a question and answers it' })
      const all = [...within.map((x) => x.text), ...partial].join(' ')
      text = within
        .map((x) => x.text)
        .join(' ')
        .slice(0, 1000)
      if (keywords.length) {
        const lower = ` ${wordsOf(all).join(' ')} `
        const found = keywords.filter((k) => lower.includes(` ${wordsOf(k).join(' ')}`))
        let hits = 0
        for (const k of found) hits += lower.split(` ${wordsOf(k).join(' ')}`).length - 1
        sub.keywords = clamp01(hits / 2)
        if (found.length) reasons.push({ weight: sub.keywords * weights.keywords, text: `says ${found.map((k) => `"${k}"`).join(', ')}` })
      }
      const f = fillerCount(all)
      if (f.words > 0) {
        sub.fluency = clamp01(1 - (f.fillers / f.words) * 8)
        if (f.fillers > 0) reasons.push({ weight: 0.01, text: `${f.fillers} filler${f.fillers === 1 ? '' : 's'}` })
      }
    }
    let total = 0
    let weightSum = 0
    for (const [k, v] of Object.entries(sub) as [DiscoverSignal, number | null][]) {
      if (v === null || !(weights[k] > 0)) continue
      total += weights[k] * v
      weightSum += weights[k]
    }
    const rounded = Object.fromEntries(Object.entries(sub).map(([k, v]) => [k, v === null ? null : round3(v)])) as SubScores
    return {
      start: a,
      end: b,
      score: weightSum > 0 ? round3(total / weightSum) : 0,
      subScores: rounded,
      reasons: reasons
        .sort((x, y) => y.weight - x.weight)
        .slice(0, 4)
        .map((r) => r.text),
      text,
    }
  }

  const scored = candidates.map(([a, b]) => score(a, b)).sort((x, y) => y.score - x.score || x.start - y.start)
  const kept: RankedWindow[] = []
  for (const w of scored) {
    if (kept.length >= o.count) break
    if (kept.some((k) => w.start < k.end && k.start < w.end)) continue
    kept.push(w)
  }
  return { windows: kept, scored: candidates.length }
}
