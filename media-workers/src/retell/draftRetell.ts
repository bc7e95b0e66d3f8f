import type { DraftBlock, RetellJobInput } from '@cutroom/schema'

/** Words a narrator speaks per minute: how much narration a target length holds. */
export const NARRATION_WPM = 150

const STOPWORDS = new Set(
  `a an and are as at be been but by for from had has have he her him his i if in into is it its me my no not of on
  or our she so than that the their them then there these they this to too up us was we were what when which who
  will with would you your do did does just like very can could should about over also more most some such only own
  same out off all any both each few other much many again once here why how where um uh yeah okay oh well really`
    .split(/\s+/)
    .filter(Boolean),
)

const terms = (text: string) =>
  (text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [])
    .map((w) => w.replace(/'s$/, ''))
    .filter((w) => w.length > 2 && !STOPWORDS.has(w))
    .map((w) => (w.length > 4 && w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w))

function cosine(a: Map<string, number>, b: Map<string, number>): number {
  let dot = 0
  let na = 0
  let nb = 0
  for (const [k, v] of a) {
    na += v * v
    const w = b.get(k)
    if (w) dot += v * w
  }
  for (const v of b.values()) nb += v * v
  return na && nb ? dot / Math.sqrt(na * nb) : 0
}

function bag(sentences: readonly string[][]): Map<string, number> {
  const m = new Map<string, number>()
  for (const s of sentences) for (const t of s) m.set(t, (m.get(t) ?? 0) + 1)
  return m
}

export interface DraftChapter {
  title: string
  /** Sentence indexes, first and last inclusive. */
  first: number
  last: number
  startMs: number
  endMs: number
  /** Sentences picked for the narration and the shots, in time order. */
  picked: number[]
  narration: string
}

/**
 * Topic segmentation of a transcript (TextTiling-style): the lexical similarity of the sentences before and after
 * every gap, lowered by a long pause, and the gaps of greatest depth (the similarity falls and rises again around
 * them) become chapter boundaries: those deeper than the mean depth by half a standard deviation (TextTiling's
 * cutoff), at least two sentences per chapter, at most twelve chapters and fewer for a short retell. Chapters are
 * contiguous and in order, so together they cover the transcript. Each chapter's title is its most distinctive
 * terms; its narration is its most central sentences, as many as the target length allows.
 */
export function draftRetell(input: Pick<RetellJobInput, 'sentences' | 'targetMinutes'>): DraftChapter[] {
  const { sentences } = input
  const n = sentences.length
  const tokens = sentences.map((s) => terms(s.text))
  const totalWords = sentences.reduce((k, s) => k + s.text.split(/\s+/).filter(Boolean).length, 0)
  // at most twelve chapters, fewer for a short retell; how many is the text's to say (the depth cutoff below)
  const wanted = Math.max(1, Math.min(12, Math.floor(n / 2), Math.max(2, Math.round(input.targetMinutes * 4))))
  // the similarity across each gap g (between sentence g-1 and g)
  const W = 3
  const gaps: { at: number; value: number }[] = []
  for (let g = 1; g < n; g++) {
    const before = bag(tokens.slice(Math.max(0, g - W), g))
    const after = bag(tokens.slice(g, Math.min(n, g + W)))
    const pause = Math.max(0, sentences[g]!.startMs - sentences[g - 1]!.endMs) / 1000
    gaps.push({ at: g, value: cosine(before, after) - 0.15 * Math.min(1, pause / 3) })
  }
  // TextTiling's depth: how far the similarity climbs back up on both sides of a gap
  const depth = gaps.map((g, k) => {
    let left = g.value
    for (let j = k - 1; j >= 0 && gaps[j]!.value >= left; j--) left = gaps[j]!.value
    let right = g.value
    for (let j = k + 1; j < gaps.length && gaps[j]!.value >= right; j++) right = gaps[j]!.value
    return { at: g.at, value: left - g.value + (right - g.value) }
  })
  // TextTiling's cutoff: a boundary is a gap deeper than the mean depth by half a standard deviation
  const mean = depth.reduce((k, d) => k + d.value, 0) / Math.max(1, depth.length)
  const sd = Math.sqrt(depth.reduce((k, d) => k + (d.value - mean) ** 2, 0) / Math.max(1, depth.length))
  const cutoff = Math.max(0.05, mean + sd / 2)
  const cuts: number[] = []
  for (const gap of [...depth].sort((a, b) => b.value - a.value || a.at - b.at)) {
    if (cuts.length >= wanted - 1 || gap.value < cutoff) break
    if (gap.at < 2 || n - gap.at < 2) continue
    if (cuts.some((c) => Math.abs(c - gap.at) < 2)) continue
    cuts.push(gap.at)
  }
  cuts.sort((a, b) => a - b)
  const bounds = [0, ...cuts, n]
  // document frequency for distinctive titles
  const df = new Map<string, number>()
  for (const t of tokens) for (const w of new Set(t)) df.set(w, (df.get(w) ?? 0) + 1)
  const budget = Math.max(20, Math.round(input.targetMinutes * NARRATION_WPM))
  const chapters: DraftChapter[] = []
  for (let c = 0; c + 1 < bounds.length; c++) {
    const first = bounds[c]!
    const last = bounds[c + 1]! - 1
    const idx = Array.from({ length: last - first + 1 }, (_, k) => first + k)
    const centroid = bag(idx.map((i) => tokens[i]!))
    const weight = new Map([...centroid].map(([w, f]) => [w, f * Math.log(1 + n / (df.get(w) ?? 1))]))
    const top = [...weight]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, 3)
      .map(([w]) => w)
    const title = top.length
      ? `${top[0]![0]!.toUpperCase()}${top[0]!.slice(1)}${top.length > 1 ? `, ${top.slice(1).join(' and ')}` : ''}`
      : `Part ${c + 1}`
    const words = idx.reduce((k, i) => k + sentences[i]!.text.split(/\s+/).filter(Boolean).length, 0)
    const share = Math.max(8, Math.round((budget * words) / Math.max(1, totalWords)))
    const ranked = [...idx].sort((a, b) => {
      const score = (i: number) => cosine(bag([tokens[i]!]), weight) + (i === first ? 0.05 : 0)
      return score(b) - score(a) || a - b
    })
    const picked: number[] = []
    let used = 0
    for (const i of ranked) {
      const w = sentences[i]!.text.split(/\s+/).filter(Boolean).length
      if (picked.length > 0 && used + w > share) continue
      picked.push(i)
      used += w
      if (used >= share) break
    }
    picked.sort((a, b) => a - b)
    chapters.push({
      title,
      first,
      last,
      startMs: sentences[first]!.startMs,
      endMs: sentences[last]!.endMs,
      picked,
      narration: picked.map((i) => sentences[i]!.text).join(' '),
    })
  }
  return chapters
}

/** Source frames of a millisecond range on the grid `fps`, at least one frame long. */
export function frameRange(startMs: number, endMs: number, fps: { num: number; den: number }) {
  const sourceIn = Math.floor((startMs * fps.num) / (1000 * fps.den))
  const sourceOut = Math.max(sourceIn + 1, Math.ceil((endMs * fps.num) / (1000 * fps.den)))
  return { sourceIn, sourceOut }
}

/** The draft as script blocks: the outline first, then per chapter its heading, its narration and its shots. */
export function draftBlocks(
  chapters: readonly DraftChapter[],
  input: Pick<RetellJobInput, 'sentences' | 'assetId' | 'fps'>,
): DraftBlock[] {
  const blocks: DraftBlock[] = [
    { type: 'paragraph', text: `Draft outline: ${chapters.map((c, i) => `${i + 1}. ${c.title}`).join('  ')}` },
  ]
  for (const c of chapters) {
    blocks.push({
      type: 'chapter',
      title: c.title,
      sources: [{ assetId: input.assetId, ...frameRange(c.startMs, c.endMs, input.fps) }],
    })
    blocks.push({ type: 'narration', text: c.narration })
    for (const i of c.picked) {
      const s = input.sentences[i]!
      blocks.push({
        type: 'shot',
        assetId: input.assetId,
        ...frameRange(s.startMs, s.endMs, input.fps),
        label: s.text.slice(0, 120),
      })
    }
  }
  return blocks
}
