/**
 * The transcript document: a Tiptap document kept in the Y.XmlFragment `body`, in the mapping
 * @tiptap/y-tiptap (y-prosemirror) uses, so the editor reads it directly.
 *
 * - `body`: one `Y.XmlElement('paragraph')` per segment with attributes `speaker` (string), `start`, `end`
 *   (integer samples at `meta.sampleRate`). Its `Y.XmlText` child holds the words; each word's characters carry
 *   the formatting attribute `word: {start, end, confidence}` (a ProseMirror mark `word` with those attrs —
 *   y-tiptap stores a non-overlapping mark as the attribute named after the mark, valued with its attrs). The
 *   spaces between words carry no `word` attribute.
 * - `meta` (Y.Map): schemaVersion, assetId, language, source (e.g. `whisper`, `manual`), sampleRate.
 * - `timed` (Y.Map): for each word timed from the audio, `"<start>:<end>"` -> the text that timing was measured
 *   for. A word whose text differs from it was corrected by a person, and `transcripts.realign` re-times it. Kept
 *   out of the word mark so the editor's marks stay as they are.
 *
 * Times are audio samples of the transcribed asset, integers. Correcting a word rewrites only its characters
 * and keeps its attribute, so the timings of every other word are untouched. Deleting words removes their
 * characters; `cutRangesForDeletedWords` turns the difference against the original word list into sample
 * ranges the editor applies to the timeline as ripple cuts (`timeline.rippleCutSource`).
 */
import * as Y from 'yjs'
import { CutroomError, ErrorCode } from '../errors'
import { buildGenesis, type DocModel, type Migration, SCHEMA_VERSION_KEY } from './docModel'
import { LOCAL_ORIGIN } from './origins'
import { isInt, type Problem, ProblemCode, problem } from './problem'

export const KIND = 'transcript' as const
export const VERSION = 1
export const ROOTS = { meta: 'map', body: 'xml', timed: 'map' } as const
/** Name of the mark (and Y.XmlText formatting attribute) that carries a word's timing. */
export const WORD_MARK = 'word'
export const PARAGRAPH = 'paragraph'

export interface TranscriptMeta {
  assetId: string
  language: string
  source: string
  sampleRate: number
}
export interface WordTiming {
  start: number
  end: number
  confidence: number
}
export interface WordInput extends WordTiming {
  text: string
}
export interface SegmentInput {
  speaker: string
  /** Defaults to the first word's start / last word's end. */
  start?: number
  end?: number
  words: readonly WordInput[]
}
/** A word as read back: its text, timing, paragraph and character offset in that paragraph. */
export interface TimedWord extends WordTiming {
  text: string
  paragraph: number
  offset: number
}
type ParagraphAttrs = { speaker: string; start: number; end: number }

export interface Paragraph {
  speaker: string
  start: number
  end: number
  text: string
}

export const MAX_WORDS = 200_000

export function metaOf(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap('meta')
}
export function bodyOf(doc: Y.Doc): Y.XmlFragment {
  return doc.getXmlFragment('body')
}
export function timedOf(doc: Y.Doc): Y.Map<string> {
  return doc.getMap('timed')
}
const timingKey = (w: { start: number; end: number }) => `${w.start}:${w.end}`

let genesisCache: Uint8Array | null = null
export function genesis(): Uint8Array {
  genesisCache ??= buildGenesis((doc) => {
    const meta = metaOf(doc)
    meta.set(SCHEMA_VERSION_KEY, 1)
    meta.set('sampleRate', 48000)
  })
  return genesisCache
}
export const migrations: readonly Migration[] = []
export const model: DocModel = { kind: KIND, version: VERSION, genesis, migrations, validate }

export function getMeta(doc: Y.Doc): TranscriptMeta {
  const meta = metaOf(doc)
  return {
    assetId: String(meta.get('assetId') ?? ''),
    language: String(meta.get('language') ?? ''),
    source: String(meta.get('source') ?? ''),
    sampleRate: (meta.get('sampleRate') as number | undefined) ?? 48000,
  }
}

function requireTiming(w: WordTiming, where: string): void {
  if (!isInt(w.start) || !isInt(w.end) || w.start < 0 || w.end < w.start)
    throw new CutroomError(
      ErrorCode.BAD_INPUT,
      `${where}: start and end must be integer samples with 0 <= start <= end.`,
    )
  if (typeof w.confidence !== 'number' || !(w.confidence >= 0 && w.confidence <= 1))
    throw new CutroomError(ErrorCode.BAD_INPUT, `${where}: confidence must be between 0 and 1.`)
}

function wordAttrs(w: WordTiming): WordTiming {
  return { start: w.start, end: w.end, confidence: w.confidence }
}

/**
 * Replaces the whole transcript (meta and body) with the given segments, in one transaction. Used when a
 * transcription job finishes, by tests and by the benchmark.
 */
export function buildTranscript(
  doc: Y.Doc,
  input: Partial<TranscriptMeta> & { segments: readonly SegmentInput[] },
  origin: unknown = LOCAL_ORIGIN,
): void {
  const total = input.segments.reduce((n, s) => n + s.words.length, 0)
  if (total > MAX_WORDS)
    throw new CutroomError(ErrorCode.PAYLOAD_TOO_LARGE, `A transcript holds at most ${MAX_WORDS} words.`)
  if (input.sampleRate !== undefined && (!isInt(input.sampleRate) || input.sampleRate < 1))
    throw new CutroomError(ErrorCode.BAD_INPUT, 'sampleRate must be a positive integer.')
  input.segments.forEach((s, i) => {
    s.words.forEach((w, j) => {
      requireTiming(w, `segment ${i} word ${j}`)
      if (typeof w.text !== 'string' || w.text.length === 0 || /\s/.test(w.text))
        throw new CutroomError(ErrorCode.BAD_INPUT, `segment ${i} word ${j}: text must be one word without spaces.`)
    })
    for (const v of [s.start, s.end])
      if (v !== undefined && (!isInt(v) || v < 0))
        throw new CutroomError(ErrorCode.BAD_INPUT, `segment ${i}: start/end must be integer samples.`)
  })
  doc.transact(() => {
    const meta = metaOf(doc)
    for (const key of ['assetId', 'language', 'source', 'sampleRate'] as const)
      if (input[key] !== undefined) meta.set(key, input[key])
    const body = bodyOf(doc)
    if (body.length) body.delete(0, body.length)
    const timed = timedOf(doc)
    for (const key of [...timed.keys()]) timed.delete(key)
    for (const s of input.segments) for (const w of s.words) if (w.confidence > 0) timed.set(timingKey(w), w.text)
    const paragraphs = input.segments.map((s) => {
      const p = new Y.XmlElement<ParagraphAttrs>(PARAGRAPH)
      p.setAttribute('speaker', s.speaker)
      p.setAttribute('start', s.start ?? s.words[0]?.start ?? 0)
      p.setAttribute('end', s.end ?? s.words[s.words.length - 1]?.end ?? 0)
      p.insert(0, [new Y.XmlText()])
      return p
    })
    body.insert(0, paragraphs as unknown as Y.XmlElement[])
    paragraphs.forEach((p, i) => {
      const delta: { insert: string; attributes?: Record<string, unknown> }[] = []
      input.segments[i]!.words.forEach((w, j) => {
        if (j > 0) delta.push({ insert: ' ' })
        delta.push({ insert: w.text, attributes: { [WORD_MARK]: wordAttrs(w) } })
      })
      ;(p.get(0) as Y.XmlText).applyDelta(delta)
    })
  }, origin)
}

/**
 * Adds one recognised segment as a paragraph, in time order, and sets the meta it came with (live transcription:
 * a job sends each segment as it finishes). A paragraph that already starts at `segment.start` means the segment
 * is there: nothing changes, so repeating a segment (a redelivered job) is a no-op. Returns whether it changed.
 */
export function addSegment(
  doc: Y.Doc,
  meta: Partial<TranscriptMeta>,
  segment: SegmentInput & { start: number; end: number },
  origin: unknown = LOCAL_ORIGIN,
): boolean {
  if (!isInt(segment.start) || !isInt(segment.end) || segment.start < 0 || segment.end < segment.start)
    throw new CutroomError(ErrorCode.BAD_INPUT, 'A segment needs integer samples with 0 <= start <= end.')
  segment.words.forEach((w, j) => {
    requireTiming(w, `word ${j}`)
    if (typeof w.text !== 'string' || w.text.length === 0 || /\s/.test(w.text))
      throw new CutroomError(ErrorCode.BAD_INPUT, `word ${j}: text must be one word without spaces.`)
  })
  const existing = paragraphs(doc)
  if (existing.some((p) => p.getAttribute('start') === (segment.start as unknown))) return false
  if (readWords(doc).length + segment.words.length > MAX_WORDS)
    throw new CutroomError(ErrorCode.PAYLOAD_TOO_LARGE, `A transcript holds at most ${MAX_WORDS} words.`)
  doc.transact(() => {
    const m = metaOf(doc)
    for (const key of ['assetId', 'language', 'source', 'sampleRate'] as const)
      if (meta[key] !== undefined && m.get(key) !== meta[key]) m.set(key, meta[key])
    const body = bodyOf(doc)
    // After every paragraph that starts earlier (a person may have added untimed paragraphs: they keep their place).
    const nodes = body.toArray()
    let at = nodes.length
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]
      if (n instanceof Y.XmlElement && n.nodeName === PARAGRAPH && Number(n.getAttribute('start')) > segment.start) {
        at = i
        break
      }
    }
    const p = new Y.XmlElement<ParagraphAttrs>(PARAGRAPH)
    p.setAttribute('speaker', segment.speaker)
    p.setAttribute('start', segment.start)
    p.setAttribute('end', segment.end)
    p.insert(0, [new Y.XmlText()])
    body.insert(at, [p as unknown as Y.XmlElement])
    const timed = timedOf(doc)
    for (const w of segment.words) timed.set(timingKey(w), w.text)
    const delta: { insert: string; attributes?: Record<string, unknown> }[] = []
    segment.words.forEach((w, j) => {
      if (j > 0) delta.push({ insert: ' ' })
      delta.push({ insert: w.text, attributes: { [WORD_MARK]: wordAttrs(w) } })
    })
    ;(p.get(0) as Y.XmlText).applyDelta(delta)
  }, origin)
  return true
}

function paragraphText(p: Y.XmlElement): Y.XmlText | null {
  const first = p.get(0)
  return first instanceof Y.XmlText ? first : null
}

/** The characters of a paragraph (Y.XmlText.toString would render the formatting as XML). */
function plainText(text: Y.XmlText): string {
  return (text.toDelta() as DeltaOp[]).map((op) => (typeof op.insert === 'string' ? op.insert : '\ufffc')).join('')
}

function paragraphs(doc: Y.Doc): Y.XmlElement[] {
  return bodyOf(doc)
    .toArray()
    .filter((n): n is Y.XmlElement => n instanceof Y.XmlElement && n.nodeName === PARAGRAPH)
}

export function readParagraphs(doc: Y.Doc): Paragraph[] {
  return paragraphs(doc).map((p) => ({
    speaker: String(p.getAttribute('speaker') ?? ''),
    start: Number(p.getAttribute('start') ?? 0),
    end: Number(p.getAttribute('end') ?? 0),
    text: ((t) => (t ? plainText(t) : ''))(paragraphText(p)),
  }))
}

interface DeltaOp {
  insert?: unknown
  attributes?: Record<string, unknown>
}

/** Every timed word in reading order. Characters typed without a `word` attribute are not words. */
export function readWords(doc: Y.Doc): TimedWord[] {
  const out: TimedWord[] = []
  paragraphs(doc).forEach((p, paragraph) => {
    for (const w of readParagraphWords(p)) out.push({ ...w, paragraph })
  })
  return out
}

/** The body's paragraphs in order (the Y.XmlElements one segment each). */
export function paragraphElements(doc: Y.Doc): Y.XmlElement[] {
  return paragraphs(doc)
}

/** The timed words of one paragraph element, with their offsets in its text: lets a reader re-read only what changed. */
export function readParagraphWords(p: Y.XmlElement): Omit<TimedWord, 'paragraph'>[] {
  const out: Omit<TimedWord, 'paragraph'>[] = []
  const text = paragraphText(p)
  if (!text) return out
  let offset = 0
  for (const op of text.toDelta() as DeltaOp[]) {
    if (typeof op.insert !== 'string') {
      offset += 1
      continue
    }
    const w = op.attributes?.[WORD_MARK] as WordTiming | undefined
    if (w) out.push({ text: op.insert, start: w.start, end: w.end, confidence: w.confidence, offset })
    offset += op.insert.length
  }
  return out
}

/** Whether any paragraph has text other than whitespace; stops at the first that does. */
export function hasText(doc: Y.Doc): boolean {
  return paragraphs(doc).some((p) => {
    const text = paragraphText(p)
    return text !== null && plainText(text).trim() !== ''
  })
}

/** The word spoken at `sample` (start <= sample < end), or null in a pause. Words are in time order. */
export function wordAtTime(words: readonly TimedWord[], sample: number): TimedWord | null {
  let lo = 0
  let hi = words.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const w = words[mid]!
    if (sample < w.start) hi = mid - 1
    else if (sample >= w.end) lo = mid + 1
    else return w
  }
  return null
}

function wordAt(doc: Y.Doc, index: number): { word: TimedWord; text: Y.XmlText } {
  const word = readWords(doc)[index]
  if (!word) throw new CutroomError(ErrorCode.NOT_FOUND, `No word ${index} in this transcript.`)
  return { word, text: paragraphText(paragraphs(doc)[word.paragraph]!)! }
}

/** Replaces the text of word `index`, keeping its timing (a spelling correction). */
export function correctWord(doc: Y.Doc, index: number, text: string, origin: unknown = LOCAL_ORIGIN): void {
  if (typeof text !== 'string' || text.length === 0 || text.length > 200 || /\s/.test(text))
    throw new CutroomError(ErrorCode.BAD_INPUT, 'A corrected word is 1-200 characters without spaces.')
  const { word, text: ytext } = wordAt(doc, index)
  doc.transact(() => {
    ytext.insert(word.offset + word.text.length, text, { [WORD_MARK]: wordAttrs(word) })
    ytext.delete(word.offset, word.text.length)
  }, origin)
}

/** Deletes `count` words starting at word `index`, with the space after each (or before the last of a line). */
export function deleteWords(doc: Y.Doc, index: number, count: number, origin: unknown = LOCAL_ORIGIN): void {
  if (!isInt(count) || count < 1) throw new CutroomError(ErrorCode.BAD_INPUT, 'count must be a positive integer.')
  const words = readWords(doc)
  const chosen = words.slice(index, index + count)
  if (!isInt(index) || index < 0 || chosen.length !== count)
    throw new CutroomError(ErrorCode.NOT_FOUND, `Words ${index}..${index + count - 1} are not in this transcript.`)
  const paras = paragraphs(doc)
  doc.transact(() => {
    // From the last word backwards so earlier offsets stay valid.
    for (const w of [...chosen].reverse()) {
      const ytext = paragraphText(paras[w.paragraph]!)!
      const s = plainText(ytext)
      let from = w.offset
      let to = w.offset + w.text.length
      if (s[to] === ' ') to++
      else if (from > 0 && s[from - 1] === ' ') from--
      ytext.delete(from, to - from)
    }
  }, origin)
}

/**
 * The sample ranges to cut from the source when words of `original` are missing from `current` (matched by
 * timing). A run of consecutive deleted words becomes one range from its first word's start to the next kept
 * word's start (so the pause after the run goes too), or to its last word's end at the end of the transcript.
 */
export function cutRangesForDeletedWords(
  original: readonly WordTiming[],
  current: readonly WordTiming[],
): { start: number; end: number }[] {
  const kept = new Set(current.map((w) => `${w.start}:${w.end}`))
  const ranges: { start: number; end: number }[] = []
  let runStart: number | null = null
  let runEnd = 0
  for (const w of original) {
    if (!kept.has(`${w.start}:${w.end}`)) {
      runStart ??= w.start
      runEnd = w.end
      continue
    }
    if (runStart !== null) {
      ranges.push({ start: runStart, end: Math.max(runEnd, w.start) })
      runStart = null
    }
  }
  if (runStart !== null) ranges.push({ start: runStart, end: runEnd })
  return ranges.filter((r) => r.end > r.start)
}

/** A stretch of a paragraph's audio and the words spoken in it, each `[text, start, end]` as the document has it. */
export interface AlignSpan {
  paragraphStart: number
  start: number
  end: number
  words: [string, number, number][]
}

/** Every word of every paragraph, one span per paragraph over its range: what imported subtitles align. */
export function alignSpansForAll(doc: Y.Doc): AlignSpan[] {
  const paras = readParagraphs(doc)
  const spans: AlignSpan[] = paras.map((p) => ({ paragraphStart: p.start, start: p.start, end: p.end, words: [] }))
  for (const w of readWords(doc)) spans[w.paragraph]!.words.push([w.text, w.start, w.end])
  return spans.filter((s) => s.words.length > 0 && s.end > s.start)
}

/**
 * The words a person corrected (their text is not the text their timing was measured for) and words never timed
 * from the audio (confidence 0), grouped into runs of
 * neighbours; each run spans from the end of the untouched word before it to the start of the untouched word
 * after it (or the paragraph's edge), so re-timing it leaves every untouched word where it is.
 */
export function alignSpansForCorrected(doc: Y.Doc): AlignSpan[] {
  const timed = timedOf(doc)
  const paras = readParagraphs(doc)
  const byParagraph: TimedWord[][] = paras.map(() => [])
  for (const w of readWords(doc)) byParagraph[w.paragraph]!.push(w)
  const spans: AlignSpan[] = []
  byParagraph.forEach((words, i) => {
    const p = paras[i]!
    const corrected = (w: TimedWord) => {
      const was = timed.get(timingKey(w))
      // also words never timed from the audio (imported, or flagged when they could not be aligned)
      return (was !== undefined && was !== w.text) || (was === undefined && w.confidence === 0)
    }
    let j = 0
    while (j < words.length) {
      if (!corrected(words[j]!)) {
        j++
        continue
      }
      let k = j
      while (k < words.length && corrected(words[k]!)) k++
      const start = j > 0 ? words[j - 1]!.end : Math.min(p.start, words[j]!.start)
      const end = k < words.length ? words[k]!.start : Math.max(p.end, words[k - 1]!.end)
      spans.push({
        paragraphStart: p.start,
        start: Math.min(start, words[j]!.start),
        end: Math.max(end, words[k - 1]!.end),
        words: words.slice(j, k).map((w) => [w.text, w.start, w.end]),
      })
      j = k
    }
  })
  return spans
}

/** A word's new times, found by its current text and times (`from`). */
export interface WordRetiming extends WordTiming {
  text: string
  from: { start: number; end: number }
}

/**
 * Gives words of the paragraph that starts at `paragraphStart` new times, each found by its text and current times;
 * a word that is not there any more (someone changed it meanwhile) is skipped. Records the text each new timing was
 * measured for. Returns how many words changed; applying the same retimings again changes nothing.
 */
export function setWordTimes(
  doc: Y.Doc,
  paragraphStart: number,
  words: readonly WordRetiming[],
  origin: unknown = LOCAL_ORIGIN,
): number {
  for (const [j, w] of words.entries()) requireTiming(w, `word ${j}`)
  const index = paragraphs(doc).findIndex((p) => p.getAttribute('start') === (paragraphStart as unknown))
  if (index < 0) return 0
  const ytext = paragraphText(paragraphs(doc)[index]!)
  if (!ytext) return 0
  const current = readWords(doc).filter((w) => w.paragraph === index)
  const used = new Set<number>()
  let changed = 0
  doc.transact(() => {
    const timed = timedOf(doc)
    for (const r of words) {
      const at = current.findIndex(
        (w, i) => !used.has(i) && w.text === r.text && w.start === r.from.start && w.end === r.from.end,
      )
      if (at < 0) continue
      used.add(at)
      const w = current[at]!
      if (w.start !== r.start || w.end !== r.end || w.confidence !== r.confidence) {
        ytext.format(w.offset, w.text.length, { [WORD_MARK]: wordAttrs(r) })
        changed++
      }
      if (r.confidence > 0) {
        if (timed.get(timingKey(r)) !== r.text) timed.set(timingKey(r), r.text)
      }
    }
  }, origin)
  return changed
}

/** Every invariant of a transcript; an empty list means valid. */
export function validate(doc: Y.Doc): Problem[] {
  const problems: Problem[] = []
  const meta = metaOf(doc)
  if (meta.get(SCHEMA_VERSION_KEY) !== VERSION)
    problems.push(
      problem(
        ProblemCode.VERSION,
        'meta.schemaVersion',
        `Expected ${VERSION}, found ${String(meta.get(SCHEMA_VERSION_KEY))}.`,
      ),
    )
  if (!isInt(meta.get('sampleRate')) || (meta.get('sampleRate') as number) < 1)
    problems.push(problem(ProblemCode.BAD_VALUE, 'meta.sampleRate', 'sampleRate must be a positive integer.'))
  bodyOf(doc)
    .toArray()
    .forEach((node, i) => {
      const path = `body[${i}]`
      if (!(node instanceof Y.XmlElement) || node.nodeName !== PARAGRAPH) {
        problems.push(problem(ProblemCode.BAD_VALUE, path, 'The transcript body holds only paragraphs.'))
        return
      }
      const start = node.getAttribute('start') as unknown
      const end = node.getAttribute('end') as unknown
      if (!isInt(start) || !isInt(end))
        problems.push(problem(ProblemCode.NOT_INTEGER, path, 'Paragraph start/end must be integer samples.'))
      else if (end < start) problems.push(problem(ProblemCode.EMPTY_RANGE, path, 'Paragraph ends before it starts.'))
      const text = paragraphText(node)
      if (!text) return
      for (const op of text.toDelta() as DeltaOp[]) {
        const w = op.attributes?.[WORD_MARK] as WordTiming | undefined
        if (!w) continue
        if (!isInt(w.start) || !isInt(w.end) || w.end < w.start)
          problems.push(
            problem(ProblemCode.NOT_INTEGER, `${path}.word`, `Word "${String(op.insert)}" needs integer start <= end.`),
          )
        if (typeof w.confidence !== 'number' || w.confidence < 0 || w.confidence > 1)
          problems.push(
            problem(
              ProblemCode.OUT_OF_RANGE,
              `${path}.word`,
              `Word "${String(op.insert)}" confidence is outside 0..1.`,
            ),
          )
      }
    })
  return problems
}
