/**
 * The QA annotation trail.
 *
 * Root keys:
 * - `meta` (Y.Map): schemaVersion.
 * - `findings` (Y.Map): finding id -> Y.Map with `id`, `title`, `severity`, `versionA`, `versionB` (the two
 *   versions compared, e.g. document version or asset ids), `frame`, `frameEnd` (integer frames), `region`
 *   (normalized `{x, y, w, h}` or null), `author`, `createdAt` (ISO time), `annotations` (Y.Array of shapes)
 *   `thread` (Y.Array of comments) and `resolved` (`{by, at}` once a person marked the finding and its thread
 *   resolved, null or absent otherwise). A comment's `mentions` lists the user ids it @mentions (the text carries
 *   `@Name` for people to read; the ids are what collab checks against the organization's members). A finding proposed by a frame diff also has `suggestion`
 *   `{status, source, jobId, score}`: `suggested` until a person accepts (it becomes an ordinary finding, the
 *   record kept) or dismisses it (kept, so a redelivered result never brings it back). Others have none.
 * - `overlays` (Y.Map): `${versionA}:${versionB}` -> frame-diff artifact reference, written by workers.
 *
 * Shape coordinates are normalized to the frame: 0..1 on both axes, so they survive any display size. Writes
 * clamp them into range; `validate` flags values that arrive out of range from elsewhere. Shapes and comments
 * are immutable plain objects: editing one replaces it, so concurrent edits never produce half-merged shapes.
 * Workflow state (status, assignee, approvals) lives in the separate qa-workflow document.
 */
import * as Y from 'yjs'
import { CutroomError, ErrorCode } from '../errors'
import { deepEqual } from './deepEqual'
import { buildGenesis, type DocModel, type Migration, SCHEMA_VERSION_KEY } from './docModel'
import { newId } from './newId'
import { LOCAL_ORIGIN, WORKER_PATCH_ORIGIN } from './origins'
import { isInt, type Problem, ProblemCode, problem } from './problem'

export const KIND = 'qa' as const
export const VERSION = 1
export const ROOTS = { meta: 'map', findings: 'map', overlays: 'map' } as const
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const
export type Severity = (typeof SEVERITIES)[number]
export const SHAPE_TYPES = ['rect', 'ellipse', 'arrow', 'line', 'freehand', 'text'] as const
export type ShapeType = (typeof SHAPE_TYPES)[number]
export const MAX_FREEHAND_POINTS = 5000
export const MAX_SHAPES_PER_FINDING = 500
export const MAX_COMMENT_LENGTH = 10_000
export const MAX_COMMENTS_PER_FINDING = 1000
export const MAX_MENTIONS_PER_COMMENT = 20
export const MAX_TITLE_LENGTH = 500
export const SUGGESTION_STATUSES = ['suggested', 'accepted', 'dismissed'] as const
export type SuggestionStatus = (typeof SUGGESTION_STATUSES)[number]

export interface Point {
  x: number
  y: number
}
export interface Region {
  x: number
  y: number
  w: number
  h: number
}
interface ShapeBase {
  id: string
  author: string
  color: string
  strokeWidth: number
}
/** The geometry of a shape, by type; all coordinates normalized to 0..1. */
export type ShapeGeometry =
  | ({ type: 'rect' } & Region)
  | ({ type: 'ellipse' } & Region)
  | { type: 'arrow'; from: Point; to: Point }
  | { type: 'line'; from: Point; to: Point }
  | { type: 'freehand'; points: Point[] }
  | { type: 'text'; x: number; y: number; text: string }
export type Shape = ShapeBase & ShapeGeometry
/** A shape as passed to `addShape`: the id, color and stroke width may be left to defaults. */
export type ShapeInput = ShapeGeometry & { author: string; id?: string; color?: string; strokeWidth?: number }

export interface Comment {
  id: string
  author: string
  text: string
  at: string
  /** User ids of the people the comment @mentions (absent when none). */
  mentions?: string[]
}
/** Who marked a finding (and its thread) resolved, and when. */
export interface Resolution {
  by: string
  at: string
}
/** Where a machine-proposed finding came from and whether a person has decided on it. */
export interface Suggestion {
  status: SuggestionStatus
  source: 'framediff'
  /** The job that proposed it. */
  jobId: string
  /** The worst mean SSIM over the finding's frames (-1..1). */
  score: number
}
export interface Finding {
  id: string
  title: string
  severity: Severity
  versionA: string
  versionB: string
  frame: number
  frameEnd: number
  region: Region | null
  author: string
  createdAt: string
  annotations: Shape[]
  thread: Comment[]
  suggestion: Suggestion | null
  resolved: Resolution | null
}
export interface OverlayRef {
  versionA: string
  versionB: string
  artifactId: string
  key: string
  contentType: string
  metadata: Record<string, unknown>
}

export function metaOf(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap('meta')
}
export function findingsOf(doc: Y.Doc): Y.Map<Y.Map<unknown>> {
  return doc.getMap<Y.Map<unknown>>('findings')
}
export function overlaysOf(doc: Y.Doc): Y.Map<OverlayRef> {
  return doc.getMap<OverlayRef>('overlays')
}

let genesisCache: Uint8Array | null = null
export function genesis(): Uint8Array {
  genesisCache ??= buildGenesis((doc) => metaOf(doc).set(SCHEMA_VERSION_KEY, 1))
  return genesisCache
}
export const migrations: readonly Migration[] = []
export const model: DocModel = { kind: KIND, version: VERSION, genesis, migrations, validate }

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v))

function requireNumber(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new CutroomError(ErrorCode.BAD_INPUT, `${name} must be a finite number.`)
  return v
}
function requireText(v: unknown, name: string, max: number, min = 0): string {
  if (typeof v !== 'string' || v.length > max || v.length < min)
    throw new CutroomError(ErrorCode.BAD_INPUT, `${name} must be a string of ${min}-${max} characters.`)
  return v
}
function point(p: Point, name: string): Point {
  return { x: clamp01(requireNumber(p?.x, `${name}.x`)), y: clamp01(requireNumber(p?.y, `${name}.y`)) }
}
function region(r: Region, name: string): Region {
  const x = clamp01(requireNumber(r?.x, `${name}.x`))
  const y = clamp01(requireNumber(r?.y, `${name}.y`))
  return {
    x,
    y,
    w: Math.min(1 - x, Math.max(0, requireNumber(r.w, `${name}.w`))),
    h: Math.min(1 - y, Math.max(0, requireNumber(r.h, `${name}.h`))),
  }
}

/** A shape with coordinates clamped into 0..1 and only the fields of its type. */
export function normalizeShape(input: ShapeInput): Shape {
  const base: ShapeBase = {
    id: input.id ?? newId(),
    author: requireText(input.author, 'author', 200),
    color: requireText(input.color ?? '#ff3b30', 'color', 32),
    strokeWidth: Math.min(64, Math.max(0.5, requireNumber(input.strokeWidth ?? 2, 'strokeWidth'))),
  }
  switch (input.type) {
    case 'rect':
    case 'ellipse':
      return { ...base, type: input.type, ...region(input, input.type) }
    case 'arrow':
    case 'line':
      return { ...base, type: input.type, from: point(input.from, 'from'), to: point(input.to, 'to') }
    case 'freehand': {
      if (!Array.isArray(input.points) || input.points.length === 0 || input.points.length > MAX_FREEHAND_POINTS)
        throw new CutroomError(ErrorCode.BAD_INPUT, `A freehand stroke has 1-${MAX_FREEHAND_POINTS} points.`)
      return { ...base, type: 'freehand', points: input.points.map((p, i) => point(p, `points[${i}]`)) }
    }
    case 'text':
      return {
        ...base,
        type: 'text',
        x: clamp01(requireNumber(input.x, 'x')),
        y: clamp01(requireNumber(input.y, 'y')),
        text: requireText(input.text, 'text', 2000, 1),
      }
    default:
      throw new CutroomError(ErrorCode.BAD_INPUT, `Unknown shape type ${String((input as { type?: unknown }).type)}.`)
  }
}

function findingMap(doc: Y.Doc, id: string): Y.Map<unknown> {
  const m = findingsOf(doc).get(id)
  if (!m) throw new CutroomError(ErrorCode.NOT_FOUND, `No finding ${id}.`)
  return m
}

/** Creates a finding (with its first shapes, if any) in one transaction and returns its id. */
export function addFinding(
  doc: Y.Doc,
  input: {
    title: string
    severity?: Severity
    versionA: string
    versionB: string
    frame: number
    frameEnd?: number
    region?: Region | null
    author: string
    createdAt?: string
    shapes?: ShapeInput[]
    id?: string
  },
  origin: unknown = LOCAL_ORIGIN,
): string {
  requireText(input.title, 'title', MAX_TITLE_LENGTH, 1)
  const severity = input.severity ?? 'medium'
  if (!SEVERITIES.includes(severity))
    throw new CutroomError(ErrorCode.BAD_INPUT, `Severity is one of ${SEVERITIES.join(', ')}.`)
  requireText(input.versionA, 'versionA', 200)
  requireText(input.versionB, 'versionB', 200)
  const frameEnd = input.frameEnd ?? input.frame
  if (!isInt(input.frame) || input.frame < 0 || !isInt(frameEnd) || frameEnd < input.frame)
    throw new CutroomError(ErrorCode.BAD_INPUT, 'frame and frameEnd are integer frames with 0 <= frame <= frameEnd.')
  const shapes = (input.shapes ?? []).map(normalizeShape)
  if (shapes.length > MAX_SHAPES_PER_FINDING)
    throw new CutroomError(ErrorCode.PAYLOAD_TOO_LARGE, `At most ${MAX_SHAPES_PER_FINDING} shapes.`)
  const id = input.id ?? newId()
  if (findingsOf(doc).has(id)) throw new CutroomError(ErrorCode.CONFLICT, `Finding ${id} already exists.`)
  const m = new Y.Map<unknown>()
  m.set('id', id)
  m.set('title', input.title)
  m.set('severity', severity)
  m.set('versionA', input.versionA)
  m.set('versionB', input.versionB)
  m.set('frame', input.frame)
  m.set('frameEnd', frameEnd)
  m.set('region', input.region ? region(input.region, 'region') : null)
  m.set('author', requireText(input.author, 'author', 200))
  m.set('createdAt', input.createdAt ?? new Date().toISOString())
  m.set('annotations', Y.Array.from(shapes))
  m.set('thread', new Y.Array<Comment>())
  doc.transact(() => findingsOf(doc).set(id, m), origin)
  return id
}

export function updateFinding(
  doc: Y.Doc,
  id: string,
  patch: { title?: string; severity?: Severity; frame?: number; frameEnd?: number; region?: Region | null },
  origin: unknown = LOCAL_ORIGIN,
): void {
  const m = findingMap(doc, id)
  if (patch.title !== undefined) requireText(patch.title, 'title', MAX_TITLE_LENGTH, 1)
  if (patch.severity !== undefined && !SEVERITIES.includes(patch.severity))
    throw new CutroomError(ErrorCode.BAD_INPUT, `Severity is one of ${SEVERITIES.join(', ')}.`)
  const frame = patch.frame ?? (m.get('frame') as number)
  const frameEnd = patch.frameEnd ?? Math.max(frame, m.get('frameEnd') as number)
  if (!isInt(frame) || frame < 0 || !isInt(frameEnd) || frameEnd < frame)
    throw new CutroomError(ErrorCode.BAD_INPUT, 'frame and frameEnd are integer frames with 0 <= frame <= frameEnd.')
  const r = patch.region === undefined ? undefined : patch.region ? region(patch.region, 'region') : null
  doc.transact(() => {
    if (patch.title !== undefined) m.set('title', patch.title)
    if (patch.severity !== undefined) m.set('severity', patch.severity)
    if (patch.frame !== undefined || patch.frameEnd !== undefined) {
      m.set('frame', frame)
      m.set('frameEnd', frameEnd)
    }
    if (r !== undefined) m.set('region', r)
  }, origin)
}

export function removeFinding(doc: Y.Doc, id: string, origin: unknown = LOCAL_ORIGIN): void {
  findingMap(doc, id)
  doc.transact(() => findingsOf(doc).delete(id), origin)
}

/**
 * Adds a finding proposed by a frame diff, with status `suggested`. Idempotent: a finding with this id already
 * there (suggested, accepted or dismissed) is left alone and false is returned, so the same job result applied
 * twice writes nothing.
 */
export function addSuggestedFinding(
  doc: Y.Doc,
  input: {
    id: string
    title: string
    severity?: Severity
    versionA: string
    versionB: string
    frame: number
    frameEnd: number
    region: Region | null
    jobId: string
    score: number
    createdAt?: string
  },
  origin: unknown = WORKER_PATCH_ORIGIN,
): boolean {
  if (findingsOf(doc).has(input.id)) return false
  requireText(input.jobId, 'jobId', 200, 1)
  const score = requireNumber(input.score, 'score')
  if (score < -1 || score > 1) throw new CutroomError(ErrorCode.BAD_INPUT, 'score is an SSIM between -1 and 1.')
  const suggestion: Suggestion = { status: 'suggested', source: 'framediff', jobId: input.jobId, score }
  doc.transact(() => {
    addFinding(doc, { ...input, author: 'framediff', shapes: [] }, origin)
    findingsOf(doc).get(input.id)!.set('suggestion', suggestion)
  }, origin)
  return true
}

/**
 * Whether a finding map is a finding people work on: one drawn by a person, or a frame-diff suggestion a person
 * accepted. A suggestion still pending or dismissed is not (yet) one.
 */
export function isConfirmedFinding(m: Y.Map<unknown>): boolean {
  const suggestion = m.get('suggestion') as Suggestion | null | undefined
  return !suggestion || suggestion.status === 'accepted'
}

/** A person accepts or dismisses a suggested finding; anything but a pending suggestion is INVALID_STATE. */
export function resolveSuggestion(
  doc: Y.Doc,
  id: string,
  status: Exclude<SuggestionStatus, 'suggested'>,
  origin: unknown = LOCAL_ORIGIN,
): void {
  const m = findingMap(doc, id)
  const current = m.get('suggestion') as Suggestion | undefined
  if (!current)
    throw new CutroomError(
      ErrorCode.INVALID_STATE,
      `Finding ${id} was not suggested; there is nothing to ${status === 'accepted' ? 'accept' : 'dismiss'}.`,
    )
  if (current.status !== 'suggested')
    throw new CutroomError(ErrorCode.INVALID_STATE, `The suggestion ${id} is already ${current.status}.`)
  if (status !== 'accepted' && status !== 'dismissed')
    throw new CutroomError(ErrorCode.BAD_INPUT, 'A suggestion is accepted or dismissed.')
  doc.transact(() => m.set('suggestion', { ...current, status }), origin)
}

/** Adds a shape to a finding (coordinates clamped to 0..1) and returns its id. */
export function addShape(doc: Y.Doc, findingId: string, input: ShapeInput, origin: unknown = LOCAL_ORIGIN): string {
  const annotations = findingMap(doc, findingId).get('annotations') as Y.Array<Shape>
  if (annotations.length >= MAX_SHAPES_PER_FINDING)
    throw new CutroomError(ErrorCode.PAYLOAD_TOO_LARGE, `A finding holds at most ${MAX_SHAPES_PER_FINDING} shapes.`)
  const shape = normalizeShape(input)
  doc.transact(() => annotations.push([shape]), origin)
  return shape.id
}

/** Replaces a shape (same id) with an edited one, or removes it when `next` is null. */
export function replaceShape(
  doc: Y.Doc,
  findingId: string,
  shapeId: string,
  next: ShapeInput | null,
  origin: unknown = LOCAL_ORIGIN,
): void {
  const annotations = findingMap(doc, findingId).get('annotations') as Y.Array<Shape>
  const index = annotations.toArray().findIndex((s) => s.id === shapeId)
  if (index < 0) throw new CutroomError(ErrorCode.NOT_FOUND, `No shape ${shapeId} on finding ${findingId}.`)
  const shape = next ? normalizeShape({ ...next, id: shapeId }) : null
  doc.transact(() => {
    annotations.delete(index, 1)
    if (shape) annotations.insert(index, [shape])
  }, origin)
}

/** Appends a comment to a finding's thread and returns its id. `mentions` are user ids, named in the text as @Name. */
export function addComment(
  doc: Y.Doc,
  findingId: string,
  input: { author: string; text: string; at?: string; id?: string; mentions?: string[] },
  origin: unknown = LOCAL_ORIGIN,
): string {
  const thread = findingMap(doc, findingId).get('thread') as Y.Array<Comment>
  if (thread.length >= MAX_COMMENTS_PER_FINDING)
    throw new CutroomError(ErrorCode.PAYLOAD_TOO_LARGE, `A thread holds at most ${MAX_COMMENTS_PER_FINDING} comments.`)
  const mentions = [...new Set(input.mentions ?? [])]
  if (mentions.length > MAX_MENTIONS_PER_COMMENT)
    throw new CutroomError(ErrorCode.BAD_INPUT, `A comment mentions at most ${MAX_MENTIONS_PER_COMMENT} people.`)
  for (const m of mentions) requireText(m, 'mention', 200, 1)
  const comment: Comment = {
    id: input.id ?? newId(),
    author: requireText(input.author, 'author', 200),
    text: requireText(typeof input.text === 'string' ? input.text.trim() : input.text, 'text', MAX_COMMENT_LENGTH, 1),
    at: input.at ?? new Date().toISOString(),
    ...(mentions.length ? { mentions } : {}),
  }
  doc.transact(() => thread.push([comment]), origin)
  return comment.id
}

/** Marks a finding and its thread resolved by `by`, or open again with null. Idempotent. */
export function setResolved(
  doc: Y.Doc,
  findingId: string,
  by: string | null,
  origin: unknown = LOCAL_ORIGIN,
  at: string = new Date().toISOString(),
): void {
  const m = findingMap(doc, findingId)
  const current = (m.get('resolved') as Resolution | null | undefined) ?? null
  if (by === null) {
    if (current !== null) doc.transact(() => m.set('resolved', null), origin)
    return
  }
  requireText(by, 'by', 200, 1)
  if (current) return
  doc.transact(() => m.set('resolved', { by, at } satisfies Resolution), origin)
}

export function overlayKey(versionA: string, versionB: string): string {
  return `${versionA}:${versionB}`
}

/** Records the frame-diff overlay of a version pair. Idempotent: an equal reference emits no update. */
export function setOverlay(doc: Y.Doc, ref: OverlayRef, origin: unknown = WORKER_PATCH_ORIGIN): boolean {
  for (const key of ['versionA', 'versionB', 'artifactId', 'key', 'contentType'] as const)
    requireText(ref[key], key, 1024)
  const value: OverlayRef = { ...ref, metadata: ref.metadata ?? {} }
  const k = overlayKey(ref.versionA, ref.versionB)
  if (deepEqual(overlaysOf(doc).get(k), value)) return false
  doc.transact(() => overlaysOf(doc).set(k, value), origin)
  return true
}

export function getOverlay(doc: Y.Doc, versionA: string, versionB: string): OverlayRef | null {
  return overlaysOf(doc).get(overlayKey(versionA, versionB)) ?? null
}

function readFinding(m: Y.Map<unknown>): Finding {
  return {
    id: String(m.get('id')),
    title: String(m.get('title') ?? ''),
    severity: m.get('severity') as Severity,
    versionA: String(m.get('versionA') ?? ''),
    versionB: String(m.get('versionB') ?? ''),
    frame: m.get('frame') as number,
    frameEnd: m.get('frameEnd') as number,
    region: (m.get('region') as Region | null) ?? null,
    author: String(m.get('author') ?? ''),
    createdAt: String(m.get('createdAt') ?? ''),
    annotations: (m.get('annotations') as Y.Array<Shape> | undefined)?.toArray() ?? [],
    thread: (m.get('thread') as Y.Array<Comment> | undefined)?.toArray() ?? [],
    suggestion: (m.get('suggestion') as Suggestion | undefined) ?? null,
    resolved: (m.get('resolved') as Resolution | null | undefined) ?? null,
  }
}

export function getFinding(doc: Y.Doc, id: string): Finding | null {
  const m = findingsOf(doc).get(id)
  return m ? readFinding(m) : null
}

/** All findings, ordered by frame then creation time. */
export function listFindings(doc: Y.Doc): Finding[] {
  return [...findingsOf(doc).values()]
    .map(readFinding)
    .sort((a, b) => a.frame - b.frame || a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
}

const in01 = (v: unknown): boolean => typeof v === 'number' && v >= 0 && v <= 1

function shapeCoordinates(s: Shape): unknown[] {
  switch (s.type) {
    case 'rect':
    case 'ellipse':
      return [s.x, s.y, s.w, s.h, s.x + s.w, s.y + s.h]
    case 'arrow':
    case 'line':
      return [s.from?.x, s.from?.y, s.to?.x, s.to?.y]
    case 'freehand':
      return (s.points ?? []).flatMap((p) => [p.x, p.y])
    case 'text':
      return [s.x, s.y]
    default:
      return [Number.NaN]
  }
}

function commentProblems(c: Comment, path: string): Problem[] {
  if (typeof c !== 'object' || c === null) return [problem(ProblemCode.BAD_VALUE, path, 'A comment is an object.')]
  const out: Problem[] = []
  if (typeof c.id !== 'string' || c.id.length < 1 || c.id.length > 200)
    out.push(problem(ProblemCode.BAD_VALUE, `${path}.id`, 'A comment has an id.'))
  if (typeof c.author !== 'string' || c.author.length > 200)
    out.push(problem(ProblemCode.BAD_VALUE, `${path}.author`, 'A comment has an author.'))
  if (typeof c.text !== 'string' || c.text.length < 1 || c.text.length > MAX_COMMENT_LENGTH)
    out.push(problem(ProblemCode.OUT_OF_RANGE, `${path}.text`, `A comment is 1-${MAX_COMMENT_LENGTH} characters long.`))
  if (typeof c.at !== 'string' || c.at.length > 40)
    out.push(problem(ProblemCode.BAD_VALUE, `${path}.at`, 'A comment has a time.'))
  if (
    c.mentions !== undefined &&
    !(
      Array.isArray(c.mentions) &&
      c.mentions.length <= MAX_MENTIONS_PER_COMMENT &&
      c.mentions.every((u) => typeof u === 'string' && u.length >= 1 && u.length <= 200)
    )
  )
    out.push(
      problem(
        ProblemCode.BAD_VALUE,
        `${path}.mentions`,
        `mentions is a list of at most ${MAX_MENTIONS_PER_COMMENT} user ids.`,
      ),
    )
  return out
}

/** Every comment of every finding, with the finding it belongs to (for checks on what a change added). */
export function listComments(doc: Y.Doc): { findingId: string; comment: Comment }[] {
  const out: { findingId: string; comment: Comment }[] = []
  for (const [findingId, m] of findingsOf(doc).entries()) {
    const thread = m instanceof Y.Map ? m.get('thread') : null
    if (thread instanceof Y.Array) for (const comment of thread.toArray() as Comment[]) out.push({ findingId, comment })
  }
  return out
}

export function validate(doc: Y.Doc): Problem[] {
  const problems: Problem[] = []
  if (metaOf(doc).get(SCHEMA_VERSION_KEY) !== VERSION)
    problems.push(
      problem(
        ProblemCode.VERSION,
        'meta.schemaVersion',
        `Expected ${VERSION}, found ${String(metaOf(doc).get(SCHEMA_VERSION_KEY))}.`,
      ),
    )
  for (const [id, m] of findingsOf(doc).entries()) {
    const path = `findings.${id}`
    if (!(m instanceof Y.Map)) {
      problems.push(problem(ProblemCode.BAD_VALUE, path, 'A finding is a map.'))
      continue
    }
    if (m.get('id') !== id)
      problems.push(problem(ProblemCode.BAD_VALUE, `${path}.id`, 'The finding id does not match its key.'))
    const title = m.get('title')
    if (typeof title !== 'string' || title.length < 1 || title.length > MAX_TITLE_LENGTH)
      problems.push(
        problem(ProblemCode.BAD_VALUE, `${path}.title`, `A title is a string of 1-${MAX_TITLE_LENGTH} characters.`),
      )
    if (!SEVERITIES.includes(m.get('severity') as Severity))
      problems.push(
        problem(ProblemCode.BAD_VALUE, `${path}.severity`, `Unknown severity ${String(m.get('severity'))}.`),
      )
    const frame = m.get('frame')
    const frameEnd = m.get('frameEnd')
    if (!isInt(frame) || !isInt(frameEnd))
      problems.push(problem(ProblemCode.NOT_INTEGER, path, 'frame and frameEnd are integer frames.'))
    else if (frameEnd < frame) problems.push(problem(ProblemCode.EMPTY_RANGE, path, 'frameEnd is before frame.'))
    const r = m.get('region') as Region | null
    if (r && ![r.x, r.y, r.w, r.h, r.x + r.w, r.y + r.h].every(in01))
      problems.push(problem(ProblemCode.OUT_OF_RANGE, `${path}.region`, 'Region coordinates are outside 0..1.'))
    const annotations = m.get('annotations')
    if (!(annotations instanceof Y.Array))
      problems.push(problem(ProblemCode.MISSING_ROOT, `${path}.annotations`, 'Missing annotations.'))
    else if (annotations.length > MAX_SHAPES_PER_FINDING)
      problems.push(
        problem(
          ProblemCode.OUT_OF_RANGE,
          `${path}.annotations`,
          `A finding holds at most ${MAX_SHAPES_PER_FINDING} shapes.`,
        ),
      )
    else
      (annotations.toArray() as Shape[]).forEach((s, i) => {
        if (!SHAPE_TYPES.includes(s?.type))
          problems.push(problem(ProblemCode.BAD_VALUE, `${path}.annotations[${i}]`, 'Unknown shape type.'))
        else if (!shapeCoordinates(s).every(in01))
          problems.push(
            problem(
              ProblemCode.OUT_OF_RANGE,
              `${path}.annotations[${i}]`,
              `Shape ${s.id} has coordinates outside 0..1.`,
            ),
          )
        else if (s.type === 'freehand' && (s.points.length < 1 || s.points.length > MAX_FREEHAND_POINTS))
          problems.push(
            problem(
              ProblemCode.OUT_OF_RANGE,
              `${path}.annotations[${i}]`,
              `A freehand stroke has 1-${MAX_FREEHAND_POINTS} points.`,
            ),
          )
        else if (s.type === 'text' && (typeof s.text !== 'string' || s.text.length < 1 || s.text.length > 2000))
          problems.push(
            problem(ProblemCode.BAD_VALUE, `${path}.annotations[${i}]`, 'A text shape holds 1-2000 characters.'),
          )
      })
    const thread = m.get('thread')
    if (!(thread instanceof Y.Array))
      problems.push(problem(ProblemCode.MISSING_ROOT, `${path}.thread`, 'Missing thread.'))
    else if (thread.length > MAX_COMMENTS_PER_FINDING)
      problems.push(
        problem(
          ProblemCode.OUT_OF_RANGE,
          `${path}.thread`,
          `A thread holds at most ${MAX_COMMENTS_PER_FINDING} comments.`,
        ),
      )
    else
      for (const [i, c] of (thread.toArray() as Comment[]).entries())
        problems.push(...commentProblems(c, `${path}.thread[${i}]`))
    const resolved = m.get('resolved') as Resolution | null | undefined
    if (
      resolved !== undefined &&
      resolved !== null &&
      !(
        typeof resolved?.by === 'string' &&
        resolved.by.length <= 200 &&
        typeof resolved.at === 'string' &&
        resolved.at.length <= 40
      )
    )
      problems.push(problem(ProblemCode.BAD_VALUE, `${path}.resolved`, 'resolved is null or {by, at}.'))
    const suggestion = m.get('suggestion') as Suggestion | undefined
    if (suggestion !== undefined) {
      if (!SUGGESTION_STATUSES.includes(suggestion?.status))
        problems.push(
          problem(
            ProblemCode.BAD_VALUE,
            `${path}.suggestion`,
            `Unknown suggestion status ${String(suggestion?.status)}.`,
          ),
        )
      else if (typeof suggestion.score !== 'number' || !(suggestion.score >= -1 && suggestion.score <= 1))
        problems.push(
          problem(ProblemCode.OUT_OF_RANGE, `${path}.suggestion.score`, 'A suggestion score is an SSIM in -1..1.'),
        )
    }
  }
  for (const [key, ref] of overlaysOf(doc).entries())
    if (!ref || key !== overlayKey(ref.versionA, ref.versionB))
      problems.push(problem(ProblemCode.BAD_VALUE, `overlays.${key}`, 'Overlay key must be `${versionA}:${versionB}`.'))
  return problems
}
