/**
 * The retell (narration script) document: a Tiptap document in the Y.XmlFragment `body`, in the y-tiptap
 * mapping (node attributes are Y.XmlElement attributes, text is a Y.XmlText child).
 *
 * Blocks (Tiptap node names and attributes; the client's extensions declare the same attributes, or y-tiptap
 * drops the undeclared ones on the next edit):
 * - `chapter`: text content is the title; `sources`: `[{assetId, sourceIn, sourceOut}]` in source frames.
 * - `narration`: text content is the script; `id`, `voice`, `audioArtifactId` (the synthesized audio, set by the
 *   tts job through the server), `duration` (integer samples at `meta.sampleRate`, null until synthesized),
 *   `audioFingerprint` (`narrationFingerprint` of the text and voice that were synthesized: when the block's
 *   current text or voice gives another one, its audio is stale).
 * - `shot`: an atom; `assetId`, `sourceIn`, `sourceOut` (source frames), `label`.
 * - `paragraph`: free notes.
 * `meta` (Y.Map): schemaVersion, sampleRate, and optionally the `timelineId` of the linked timeline: the one the
 * shots come from, whose narration track follows the synthesized blocks (`setLinkedTimeline`).
 */
import * as Y from 'yjs'
import { CutroomError, ErrorCode } from '../errors'
import { buildGenesis, type DocModel, type Migration, SCHEMA_VERSION_KEY } from './docModel'
import { newId } from './newId'
import { LOCAL_ORIGIN, WORKER_PATCH_ORIGIN } from './origins'
import { isInt, type Problem, ProblemCode, problem } from './problem'

export const KIND = 'retell' as const
export const VERSION = 1
export const ROOTS = { meta: 'map', body: 'xml' } as const
export const BLOCK_TYPES = ['chapter', 'narration', 'shot', 'paragraph'] as const
export type BlockType = (typeof BLOCK_TYPES)[number]

export interface SourceRange {
  assetId: string
  sourceIn: number
  sourceOut: number
}
export type RetellBlock =
  | { type: 'chapter'; title: string; sources: SourceRange[] }
  | {
      type: 'narration'
      id: string
      text: string
      voice: string
      audioArtifactId: string | null
      duration: number | null
      audioFingerprint: string | null
    }
  | { type: 'shot'; assetId: string; sourceIn: number; sourceOut: number; label: string }
  | { type: 'paragraph'; text: string }

export function metaOf(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap('meta')
}
export function bodyOf(doc: Y.Doc): Y.XmlFragment {
  return doc.getXmlFragment('body')
}

let genesisCache: Uint8Array | null = null
export function genesis(): Uint8Array {
  genesisCache ??= buildGenesis((doc) => {
    metaOf(doc).set(SCHEMA_VERSION_KEY, 1)
    metaOf(doc).set('sampleRate', 48000)
  })
  return genesisCache
}
export const migrations: readonly Migration[] = []
export const model: DocModel = { kind: KIND, version: VERSION, genesis, migrations, validate }

// biome-ignore lint/suspicious/noExplicitAny: node attributes hold JSON values of several types
type Attrs = Record<string, any>

function element(type: BlockType, attrs: Attrs, text?: string): Y.XmlElement<Attrs> {
  const el = new Y.XmlElement<Attrs>(type)
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v)
  if (text !== undefined) el.insert(0, [new Y.XmlText(text)])
  return el
}

function insertBlock(doc: Y.Doc, el: Y.XmlElement<Attrs>, index: number | undefined, origin: unknown): void {
  const body = bodyOf(doc)
  const at = index ?? body.length
  if (!isInt(at) || at < 0 || at > body.length)
    throw new CutroomError(ErrorCode.BAD_INPUT, `Index ${at} is outside the script (0..${body.length}).`)
  doc.transact(() => body.insert(at, [el as unknown as Y.XmlElement]), origin)
}

function requireText(value: unknown, name: string, max: number): void {
  if (typeof value !== 'string' || value.length > max)
    throw new CutroomError(ErrorCode.BAD_INPUT, `${name} must be a string of at most ${max} characters.`)
}

function checkRange(r: SourceRange, name: string): void {
  if (typeof r.assetId !== 'string' || !r.assetId)
    throw new CutroomError(ErrorCode.BAD_INPUT, `${name} needs an assetId.`)
  if (!isInt(r.sourceIn) || !isInt(r.sourceOut) || r.sourceIn < 0 || r.sourceOut <= r.sourceIn)
    throw new CutroomError(
      ErrorCode.BAD_INPUT,
      `${name}: sourceIn/sourceOut must be integer frames with sourceIn < sourceOut.`,
    )
}

export function addChapter(
  doc: Y.Doc,
  input: { title: string; sources?: SourceRange[]; index?: number },
  origin: unknown = LOCAL_ORIGIN,
): void {
  requireText(input.title, 'title', 500)
  const sources = (input.sources ?? []).map((r) => ({
    assetId: r.assetId,
    sourceIn: r.sourceIn,
    sourceOut: r.sourceOut,
  }))
  sources.forEach((r, i) => {
    checkRange(r, `source ${i}`)
  })
  insertBlock(doc, element('chapter', { sources }, input.title), input.index, origin)
}

/** Adds a narration block (no audio yet) and returns its id, used to attach the synthesized audio. */
export function addNarration(
  doc: Y.Doc,
  input: { text: string; voice?: string; index?: number; id?: string },
  origin: unknown = LOCAL_ORIGIN,
): string {
  requireText(input.text, 'text', 20_000)
  requireText(input.voice ?? 'narrator', 'voice', 64)
  const id = input.id ?? newId()
  insertBlock(
    doc,
    element(
      'narration',
      { id, voice: input.voice ?? 'narrator', audioArtifactId: null, duration: null, audioFingerprint: null },
      input.text,
    ),
    input.index,
    origin,
  )
  return id
}

export function addShot(
  doc: Y.Doc,
  input: SourceRange & { label?: string; index?: number },
  origin: unknown = LOCAL_ORIGIN,
): void {
  checkRange(input, 'shot')
  requireText(input.label ?? '', 'label', 500)
  insertBlock(
    doc,
    element('shot', {
      assetId: input.assetId,
      sourceIn: input.sourceIn,
      sourceOut: input.sourceOut,
      label: input.label ?? '',
    }),
    input.index,
    origin,
  )
}

function narrationElement(doc: Y.Doc, id: string): Y.XmlElement<Attrs> | null {
  for (const node of bodyOf(doc).toArray())
    if (node instanceof Y.XmlElement && node.nodeName === 'narration' && node.getAttribute('id') === id)
      return node as Y.XmlElement<Attrs>
  return null
}

/** The words of a narration as they are synthesized: trimmed, runs of whitespace as one space. */
export function normalizeNarrationText(text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}

/**
 * A short, stable digest of what a narration's audio says (its normalized text and voice): FNV-1a, 64 bits as
 * hex. Client and server compute it the same way; a block whose fingerprint differs from `audioFingerprint`
 * was edited after it was synthesized.
 */
export function narrationFingerprint(text: string, voice: string): string {
  const input = `${voice}\u0000${normalizeNarrationText(text)}`
  let h = 0xcbf29ce484222325n
  for (const byte of new TextEncoder().encode(input)) {
    h ^= BigInt(byte)
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn
  }
  return h.toString(16).padStart(16, '0')
}

/** Whether a narration block has audio that no longer says what the block says. */
export function isNarrationStale(block: Extract<RetellBlock, { type: 'narration' }>): boolean {
  return block.audioArtifactId !== null && block.audioFingerprint !== narrationFingerprint(block.text, block.voice)
}

/**
 * Attaches synthesized audio to a narration block (from the tts job's result). Idempotent: the same artifact,
 * duration and fingerprint again change nothing and emit no update. Returns whether the document changed.
 */
export function setNarrationAudio(
  doc: Y.Doc,
  narrationId: string,
  audio: { artifactId: string; duration: number; fingerprint?: string | null },
  origin: unknown = WORKER_PATCH_ORIGIN,
): boolean {
  if (typeof audio.artifactId !== 'string' || !audio.artifactId)
    throw new CutroomError(ErrorCode.BAD_INPUT, 'artifactId is required.')
  if (!isInt(audio.duration) || audio.duration < 0)
    throw new CutroomError(ErrorCode.BAD_INPUT, 'duration must be integer samples.')
  const el = narrationElement(doc, narrationId)
  if (!el) throw new CutroomError(ErrorCode.NOT_FOUND, `No narration block ${narrationId}.`)
  const fingerprint = audio.fingerprint ?? null
  if (
    el.getAttribute('audioArtifactId') === audio.artifactId &&
    el.getAttribute('duration') === audio.duration &&
    (el.getAttribute('audioFingerprint') ?? null) === fingerprint
  )
    return false
  doc.transact(() => {
    el.setAttribute('audioArtifactId', audio.artifactId)
    el.setAttribute('duration', audio.duration)
    el.setAttribute('audioFingerprint', fingerprint)
  }, origin)
  return true
}

/** The timeline linked to this script (`meta.timelineId`), or null. */
export function linkedTimelineId(doc: Y.Doc): string | null {
  const id = metaOf(doc).get('timelineId')
  return typeof id === 'string' && id ? id : null
}

/** Links the script to a timeline of the same project (or unlinks it with null). */
export function setLinkedTimeline(doc: Y.Doc, timelineId: string | null, origin: unknown = LOCAL_ORIGIN): void {
  if (timelineId !== null && (typeof timelineId !== 'string' || !/^[0-9a-f-]{36}$/i.test(timelineId)))
    throw new CutroomError(ErrorCode.BAD_INPUT, 'timelineId must be a document id.')
  if (linkedTimelineId(doc) === timelineId) return
  doc.transact(() => {
    if (timelineId === null) metaOf(doc).delete('timelineId')
    else metaOf(doc).set('timelineId', timelineId)
  }, origin)
}

/** Replaces a block's text (a chapter title, a narration script, a note). */
export function setBlockText(doc: Y.Doc, index: number, text: string, origin: unknown = LOCAL_ORIGIN): void {
  requireText(text, 'text', 20_000)
  const node = bodyOf(doc).get(index)
  if (!(node instanceof Y.XmlElement) || node.nodeName === 'shot')
    throw new CutroomError(ErrorCode.NOT_FOUND, `Block ${index} has no text to set.`)
  doc.transact(() => {
    let t = node.get(0)
    if (!(t instanceof Y.XmlText)) {
      t = new Y.XmlText()
      node.insert(0, [t])
    }
    const yt = t as Y.XmlText
    yt.delete(0, yt.length)
    yt.insert(0, text)
  }, origin)
}

export function removeBlock(doc: Y.Doc, index: number, origin: unknown = LOCAL_ORIGIN): void {
  const body = bodyOf(doc)
  if (!isInt(index) || index < 0 || index >= body.length)
    throw new CutroomError(ErrorCode.NOT_FOUND, `No block ${index}.`)
  doc.transact(() => body.delete(index, 1), origin)
}

function textOf(el: Y.XmlElement): string {
  return el
    .toArray()
    .filter((c): c is Y.XmlText => c instanceof Y.XmlText)
    .map((t) =>
      (t.toDelta() as { insert?: unknown }[]).map((op) => (typeof op.insert === 'string' ? op.insert : '')).join(''),
    )
    .join('')
}

/** The script as plain blocks in order; unknown nodes are skipped. */
export function readBlocks(doc: Y.Doc): RetellBlock[] {
  const out: RetellBlock[] = []
  for (const node of bodyOf(doc).toArray()) {
    const block = node instanceof Y.XmlElement ? readBlock(node) : null
    if (block) out.push(block)
  }
  return out
}

/** One block of the body as a plain block, or null for an unknown node: lets a reader re-read only what changed. */
export function readBlock(node: Y.XmlElement): RetellBlock | null {
  const a = node.getAttributes() as Attrs
  switch (node.nodeName) {
    case 'chapter':
      return { type: 'chapter', title: textOf(node), sources: Array.isArray(a.sources) ? a.sources : [] }
    case 'narration':
      return {
        type: 'narration',
        id: String(a.id ?? ''),
        text: textOf(node),
        voice: String(a.voice ?? 'narrator'),
        audioArtifactId: typeof a.audioArtifactId === 'string' ? a.audioArtifactId : null,
        duration: isInt(a.duration) ? a.duration : null,
        audioFingerprint: typeof a.audioFingerprint === 'string' ? a.audioFingerprint : null,
      }
    case 'shot':
      return {
        type: 'shot',
        assetId: String(a.assetId ?? ''),
        sourceIn: a.sourceIn,
        sourceOut: a.sourceOut,
        label: String(a.label ?? ''),
      }
    case 'paragraph':
      return { type: 'paragraph', text: textOf(node) }
    default:
      return null
  }
}

/** Total narration length in samples (blocks without audio count as zero). */
export function narrationDuration(doc: Y.Doc): number {
  return readBlocks(doc).reduce((n, b) => n + (b.type === 'narration' && b.duration ? b.duration : 0), 0)
}

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
  if (!isInt(meta.get('sampleRate')))
    problems.push(problem(ProblemCode.BAD_VALUE, 'meta.sampleRate', 'sampleRate must be an integer.'))
  const narrationIds = new Set<string>()
  bodyOf(doc)
    .toArray()
    .forEach((node, i) => {
      const path = `body[${i}]`
      if (!(node instanceof Y.XmlElement) || !BLOCK_TYPES.includes(node.nodeName as BlockType)) {
        problems.push(problem(ProblemCode.BAD_VALUE, path, 'Unknown block in the retell script.'))
        return
      }
      const a = node.getAttributes() as Attrs
      if (node.nodeName === 'shot' || node.nodeName === 'chapter') {
        const ranges: SourceRange[] =
          node.nodeName === 'shot' ? [a as SourceRange] : Array.isArray(a.sources) ? a.sources : []
        for (const r of ranges)
          if (!isInt(r.sourceIn) || !isInt(r.sourceOut) || r.sourceOut <= r.sourceIn)
            problems.push(
              problem(ProblemCode.NOT_INTEGER, path, 'Source ranges are integer frames with sourceIn < sourceOut.'),
            )
      }
      if (node.nodeName === 'narration') {
        if (a.duration !== null && a.duration !== undefined && !isInt(a.duration))
          problems.push(problem(ProblemCode.NOT_INTEGER, `${path}.duration`, 'Narration duration is integer samples.'))
        const id = String(a.id ?? '')
        if (id && narrationIds.has(id))
          problems.push(problem(ProblemCode.DUPLICATE_ID, `${path}.id`, `Narration id ${id} is repeated.`))
        narrationIds.add(id)
      }
    })
  return problems
}

/**
 * A generated draft: blocks a `retell` job appends to the script, each carrying the draft's id in a `draftId`
 * attribute, so the draft can be discarded as a whole later without touching what people wrote. Only the job's
 * own blocks are ever added or removed; nothing people typed is overwritten.
 */
export type DraftBlock =
  | { type: 'chapter'; title: string; sources: SourceRange[] }
  | { type: 'narration'; text: string; id?: string }
  | ({ type: 'shot'; label: string } & SourceRange)
  | { type: 'paragraph'; text: string }

function draftElements(doc: Y.Doc, draftId: string): Y.XmlElement[] {
  return bodyOf(doc)
    .toArray()
    .filter((n): n is Y.XmlElement => n instanceof Y.XmlElement && n.getAttribute('draftId') === draftId)
}

/** The ids of the drafts still in the script, in the order their first block appears. */
export function draftIds(doc: Y.Doc): string[] {
  const ids: string[] = []
  for (const n of bodyOf(doc).toArray())
    if (n instanceof Y.XmlElement) {
      const id = n.getAttribute('draftId')
      if (typeof id === 'string' && id && !ids.includes(id)) ids.push(id)
    }
  return ids
}

/**
 * Appends a draft's blocks at the end of the script in one change. Idempotent: a draft already there (a
 * redelivered job) is not added twice. Returns whether the document changed.
 */
export function addDraft(
  doc: Y.Doc,
  draftId: string,
  blocks: readonly DraftBlock[],
  origin: unknown = WORKER_PATCH_ORIGIN,
): boolean {
  requireText(draftId, 'draftId', 100)
  if (!draftId) throw new CutroomError(ErrorCode.BAD_INPUT, 'draftId is required.')
  if (draftElements(doc, draftId).length > 0) return false
  const elements = blocks.map((b): Y.XmlElement<Attrs> => {
    switch (b.type) {
      case 'chapter':
        requireText(b.title, 'title', 500)
        b.sources.forEach((r, i) => {
          checkRange(r, `source ${i}`)
        })
        return element(
          'chapter',
          {
            sources: b.sources.map((r) => ({ assetId: r.assetId, sourceIn: r.sourceIn, sourceOut: r.sourceOut })),
            draftId,
          },
          b.title,
        )
      case 'narration':
        requireText(b.text, 'text', 20_000)
        return element(
          'narration',
          { id: b.id ?? newId(), voice: 'narrator', audioArtifactId: null, duration: null, draftId },
          b.text,
        )
      case 'shot':
        checkRange(b, 'shot')
        requireText(b.label, 'label', 500)
        return element('shot', {
          assetId: b.assetId,
          sourceIn: b.sourceIn,
          sourceOut: b.sourceOut,
          label: b.label,
          draftId,
        })
      default:
        requireText(b.text, 'text', 20_000)
        return element('paragraph', { draftId }, b.text)
    }
  })
  if (elements.length === 0) return false
  const body = bodyOf(doc)
  doc.transact(() => body.insert(body.length, elements as unknown as Y.XmlElement[]), origin)
  return true
}

/** Removes the draft's blocks (and only those) in one change. Returns how many blocks went. */
export function discardDraft(doc: Y.Doc, draftId: string, origin: unknown = WORKER_PATCH_ORIGIN): number {
  const body = bodyOf(doc)
  let removed = 0
  doc.transact(() => {
    for (let i = body.length - 1; i >= 0; i--) {
      const n = body.get(i)
      if (n instanceof Y.XmlElement && n.getAttribute('draftId') === draftId) {
        body.delete(i, 1)
        removed++
      }
    }
  }, origin)
  return removed
}
