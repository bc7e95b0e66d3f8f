/**
 * The timeline document.
 *
 * Root keys:
 * - `meta` (Y.Map): schemaVersion, fps `{num, den}`, width, height, sampleRate.
 * - `tracks` (Y.Array of Y.Map): id, kind (video|audio|caption|narration), name, muted, locked, `items`
 *   (Y.Array of Y.Map). The first video track is the storyline (created by the genesis with id `storyline`;
 *   `addTrack` only appends, so it stays first).
 * - `markers` (Y.Map): marker id -> `{frame, label, color}`.
 * - `artifacts` (Y.Map): `${assetId}:${slot}` -> `ArtifactRef`, written by workers through the server.
 *
 * The storyline holds clips and explicit gaps in sequence; an item's start is the sum of the durations before
 * it. Concurrent inserts, deletes, moves, trims and splits therefore merge into a sequence that cannot
 * overlap. Items on other tracks are anchored to a storyline item (`anchorId`, `offset` frames from its start)
 * and move with it.
 *
 * Deleting a storyline item deletes the items anchored to it in the same transaction (as connected clips in
 * an NLE). When a merge leaves an anchored item whose anchor is gone (one person anchors to a clip another
 * deletes at the same time), `repair` deletes it too, so the rule is the same whichever happened first.
 * A move is a delete plus a re-insert of a copy with the same id; two concurrent moves of one item leave two
 * copies, and `repair` keeps the first in sequence order. A trim made concurrently with a move of the same
 * item is lost with the moved-away copy.
 *
 * All positions and durations are integer frames at `meta.fps`.
 */
import * as Y from 'yjs'
import { CutroomError, ErrorCode } from '../errors'
import { deepEqual } from './deepEqual'
import { buildGenesis, type DocModel, type Migration, SCHEMA_VERSION_KEY } from './docModel'
import { newId } from './newId'
import { LOCAL_ORIGIN, REPAIR_ORIGIN, WORKER_PATCH_ORIGIN } from './origins'
import { isInt, type Problem, ProblemCode, problem } from './problem'

export const KIND = 'timeline' as const
export const VERSION = 1
export const STORYLINE_TRACK_ID = 'storyline'

export interface Fps {
  num: number
  den: number
}
export interface TimelineMeta {
  fps: Fps
  width: number
  height: number
  sampleRate: number
}
export const DEFAULT_META: TimelineMeta = {
  fps: { num: 30000, den: 1001 },
  width: 1920,
  height: 1080,
  sampleRate: 48000,
}

export const TRACK_KINDS = ['video', 'audio', 'caption', 'narration'] as const
export type TrackKind = (typeof TRACK_KINDS)[number]

export interface TrackInfo {
  id: string
  kind: TrackKind
  name: string
  muted: boolean
  locked: boolean
  storyline: boolean
}

export interface ClipItem {
  id: string
  kind: 'clip'
  assetId: string
  sourceIn: number
  sourceOut: number
  label: string
  /**
   * Inserted before the asset's length was known (a provisional length); the probe's result sets the real one
   * (`settleClipLengths`) unless a person has trimmed, split or cut the clip first.
   */
  lengthPending?: boolean
  /** Crop box on the source picture (0..1), used by the vertical export instead of the centre crop. */
  crop?: ClipCrop
}
export interface ClipCrop {
  x: number
  y: number
  w: number
  h: number
}
export interface GapItem {
  id: string
  kind: 'gap'
  duration: number
}
export type StorylineItem = ClipItem | GapItem
/** A storyline item with its derived position: `[start, end)` in timeline frames. */
export type PlacedItem = StorylineItem & { index: number; start: number; end: number; duration: number }

/**
 * An item on a non-storyline track. `clip` (video/audio tracks) plays `assetId` from `sourceIn` for
 * `duration` frames (its `sourceOut` is `sourceIn + duration`); `caption` shows `text`; `narration` plays a
 * narration audio asset (`assetId`, optional until synthesized) and keeps its script `text`.
 */
export interface AnchoredItem {
  id: string
  kind: 'clip' | 'caption' | 'narration'
  anchorId: string
  offset: number
  duration: number
  assetId?: string
  sourceIn?: number
  text?: string
  label?: string
  /** narration: the synthesized audio (an artifact of a tts job) and the retell script it comes from. */
  artifactId?: string
  scriptId?: string
}
export type PlacedAnchoredItem = AnchoredItem & { trackId: string; start: number; end: number }

export interface Marker {
  frame: number
  label: string
  color: string
}

/** A reference to an S3 object a job made, as stored in `artifacts`. Plain JSON. */
export interface ArtifactRef {
  artifactId: string
  slot: string
  assetId: string
  key: string
  contentType: string
  metadata: Record<string, unknown>
}

type YItem = Y.Map<unknown>
type YTrack = Y.Map<unknown>

/** The root types of a timeline and their kinds. */
export const ROOTS = { meta: 'map', tracks: 'array', markers: 'map', artifacts: 'map' } as const

// --- roots -------------------------------------------------------------------------------------------

export function metaOf(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap('meta')
}
export function tracksOf(doc: Y.Doc): Y.Array<YTrack> {
  return doc.getArray<YTrack>('tracks')
}
export function markersOf(doc: Y.Doc): Y.Map<Marker> {
  return doc.getMap<Marker>('markers')
}
export function artifactsOf(doc: Y.Doc): Y.Map<ArtifactRef> {
  return doc.getMap<ArtifactRef>('artifacts')
}

function trackItems(track: YTrack): Y.Array<YItem> {
  return track.get('items') as Y.Array<YItem>
}

function storylineTrack(doc: Y.Doc): YTrack {
  for (const track of tracksOf(doc)) if (track.get('kind') === 'video') return track
  throw new CutroomError(
    ErrorCode.INVALID_STATE,
    'This timeline has no storyline yet; load it through the collab server.',
  )
}

function storylineItems(doc: Y.Doc): Y.Array<YItem> {
  return trackItems(storylineTrack(doc))
}

/** The non-storyline tracks with their Y types. */
function otherTracks(doc: Y.Doc): YTrack[] {
  const story = storylineTrack(doc)
  return tracksOf(doc)
    .toArray()
    .filter((t) => t !== story)
}

function findTrack(doc: Y.Doc, trackId: string): YTrack {
  const track = tracksOf(doc)
    .toArray()
    .find((t) => t.get('id') === trackId)
  if (!track) throw new CutroomError(ErrorCode.NOT_FOUND, `No track ${trackId} in this timeline.`)
  return track
}

function assertUnlocked(track: YTrack): void {
  if (track.get('locked') === true)
    throw new CutroomError(
      ErrorCode.INVALID_STATE,
      `Track "${String(track.get('name'))}" is locked; unlock it to edit.`,
    )
}

// --- genesis and model ---------------------------------------------------------------------------------

function makeTrack(id: string, kind: TrackKind, name: string): YTrack {
  const track = new Y.Map<unknown>()
  track.set('id', id)
  track.set('kind', kind)
  track.set('name', name)
  track.set('muted', false)
  track.set('locked', false)
  track.set('items', new Y.Array<YItem>())
  return track
}

let genesisCache: Uint8Array | null = null
/** The frozen initial state: version 1, default meta and the storyline track. Never change it. */
export function genesis(): Uint8Array {
  genesisCache ??= buildGenesis((doc) => {
    const meta = metaOf(doc)
    meta.set(SCHEMA_VERSION_KEY, 1)
    meta.set('fps', { num: 30000, den: 1001 })
    meta.set('width', 1920)
    meta.set('height', 1080)
    meta.set('sampleRate', 48000)
    tracksOf(doc).push([makeTrack(STORYLINE_TRACK_ID, 'video', 'Storyline')])
  })
  return genesisCache
}

export const migrations: readonly Migration[] = []

export const model: DocModel = { kind: KIND, version: VERSION, genesis, migrations, validate }

// --- reading --------------------------------------------------------------------------------------------

export function getMeta(doc: Y.Doc): TimelineMeta {
  const meta = metaOf(doc)
  return {
    fps: (meta.get('fps') as Fps | undefined) ?? DEFAULT_META.fps,
    width: (meta.get('width') as number | undefined) ?? DEFAULT_META.width,
    height: (meta.get('height') as number | undefined) ?? DEFAULT_META.height,
    sampleRate: (meta.get('sampleRate') as number | undefined) ?? DEFAULT_META.sampleRate,
  }
}

function readStorylineItem(m: YItem): StorylineItem {
  const id = String(m.get('id'))
  if (m.get('kind') === 'gap') return { id, kind: 'gap', duration: m.get('duration') as number }
  const clip: ClipItem = {
    id,
    kind: 'clip',
    assetId: String(m.get('assetId')),
    sourceIn: m.get('sourceIn') as number,
    sourceOut: m.get('sourceOut') as number,
    label: String(m.get('label') ?? ''),
    ...(m.get('lengthPending') === true ? { lengthPending: true } : {}),
  }
  const crop = m.get('crop') as ClipCrop | undefined
  if (crop && typeof crop === 'object') clip.crop = crop
  return clip
}

function itemDuration(m: YItem): number {
  return m.get('kind') === 'gap'
    ? (m.get('duration') as number)
    : (m.get('sourceOut') as number) - (m.get('sourceIn') as number)
}

function readAnchoredItem(m: YItem): AnchoredItem {
  const item: AnchoredItem = {
    id: String(m.get('id')),
    kind: m.get('kind') as AnchoredItem['kind'],
    anchorId: String(m.get('anchorId')),
    offset: m.get('offset') as number,
    duration: m.get('duration') as number,
  }
  for (const key of ['assetId', 'text', 'label', 'artifactId', 'scriptId'] as const) {
    const v = m.get(key)
    if (typeof v === 'string') item[key] = v
  }
  const sourceIn = m.get('sourceIn')
  if (typeof sourceIn === 'number') item.sourceIn = sourceIn
  return item
}

export function getTracks(doc: Y.Doc): TrackInfo[] {
  const story = storylineTrack(doc)
  return tracksOf(doc)
    .toArray()
    .map((t) => ({
      id: String(t.get('id')),
      kind: t.get('kind') as TrackKind,
      name: String(t.get('name') ?? ''),
      muted: t.get('muted') === true,
      locked: t.get('locked') === true,
      storyline: t === story,
    }))
}

/** The storyline items with their derived positions (a prefix sum of durations). */
export function storylineLayout(doc: Y.Doc): PlacedItem[] {
  let start = 0
  return storylineItems(doc)
    .toArray()
    .map((m, index) => {
      const item = readStorylineItem(m)
      const duration = itemDuration(m)
      const placed = { ...item, index, start, end: start + duration, duration }
      start += duration
      return placed
    })
}

/** Length of the timeline in frames: the end of the storyline or of the last anchored item. */
export function duration(doc: Y.Doc): number {
  let end = storylineItems(doc)
    .toArray()
    .reduce((sum, m) => sum + itemDuration(m), 0)
  for (const item of anchoredLayout(doc)) end = Math.max(end, item.end)
  return end
}

/** The storyline item under `frame` (`start <= frame < end`), or null past the end. */
export function itemAtFrame(doc: Y.Doc, frame: number): PlacedItem | null {
  return storylineLayout(doc).find((p) => p.start <= frame && frame < p.end) ?? null
}

/** Every anchored item with its absolute position; items whose anchor is missing are left out. */
export function anchoredLayout(doc: Y.Doc): PlacedAnchoredItem[] {
  const starts = new Map<string, number>()
  for (const p of storylineLayout(doc)) if (!starts.has(p.id)) starts.set(p.id, p.start)
  const out: PlacedAnchoredItem[] = []
  for (const track of otherTracks(doc)) {
    const trackId = String(track.get('id'))
    for (const m of trackItems(track)) {
      const item = readAnchoredItem(m)
      const base = starts.get(item.anchorId)
      if (base === undefined) continue
      out.push({ ...item, trackId, start: base + item.offset, end: base + item.offset + item.duration })
    }
  }
  return out
}

/** The ids of every asset the timeline plays (storyline and anchored items). */
export function assetIdsUsed(doc: Y.Doc): string[] {
  const ids = new Set<string>()
  for (const track of tracksOf(doc))
    for (const m of trackItems(track)) {
      const assetId = m.get('assetId')
      if (typeof assetId === 'string') ids.add(assetId)
    }
  return [...ids].sort()
}

export function getMarkers(doc: Y.Doc): (Marker & { id: string })[] {
  return [...markersOf(doc).entries()]
    .map(([id, m]) => ({ id, ...m }))
    .sort((a, b) => a.frame - b.frame || (a.id < b.id ? -1 : 1))
}

export function artifactKey(assetId: string, slot: string): string {
  return `${assetId}:${slot}`
}

export function getArtifact(doc: Y.Doc, assetId: string, slot: string): ArtifactRef | null {
  return artifactsOf(doc).get(artifactKey(assetId, slot)) ?? null
}

// --- validation helpers for input -------------------------------------------------------------------------

function requireInt(value: number, name: string, min: number): void {
  if (!Number.isSafeInteger(value) || value < min)
    throw new CutroomError(ErrorCode.BAD_INPUT, `${name} must be an integer >= ${min} (frames), got ${value}.`)
}

function requireText(value: string, name: string, max: number): void {
  if (typeof value !== 'string' || value.length > max)
    throw new CutroomError(ErrorCode.BAD_INPUT, `${name} must be a string of at most ${max} characters.`)
}

function indexOfId(items: Y.Array<YItem>, id: string): number {
  let i = 0
  for (const m of items) {
    if (m.get('id') === id) return i
    i++
  }
  return -1
}

/** Storyline index where `frame` falls on a boundary, splitting the item under it first when needed. */
function boundaryAt(doc: Y.Doc, frame: number): number {
  const items = storylineItems(doc)
  let start = 0
  let index = 0
  for (const m of items) {
    const d = itemDuration(m)
    if (frame === start) return index
    if (frame < start + d) {
      splitItem(doc, items, index, frame - start, newId())
      return index + 1
    }
    start += d
    index++
  }
  // Past the end: an explicit gap fills the space up to `frame`.
  if (frame > start) {
    items.push([makeGap(newId(), frame - start)])
    index++
  }
  return index
}

function makeGap(id: string, frames: number): YItem {
  const m = new Y.Map<unknown>()
  m.set('id', id)
  m.set('kind', 'gap')
  m.set('duration', frames)
  return m
}

function copyItem(m: YItem): YItem {
  const copy = new Y.Map<unknown>()
  for (const [k, v] of m.entries()) copy.set(k, v)
  return copy
}

/** Items anchored to `anchorId`, with their track's item array and index. */
function anchoredTo(doc: Y.Doc, anchorIds: Set<string>): { items: Y.Array<YItem>; index: number; m: YItem }[] {
  const out: { items: Y.Array<YItem>; index: number; m: YItem }[] = []
  for (const track of otherTracks(doc)) {
    const items = trackItems(track)
    items.forEach((m, index) => {
      if (anchorIds.has(String(m.get('anchorId')))) out.push({ items, index, m })
    })
  }
  return out
}

function splitItem(doc: Y.Doc, items: Y.Array<YItem>, index: number, at: number, rightId: string): void {
  const left = items.get(index)
  const right = copyItem(left)
  right.set('id', rightId)
  if (left.get('kind') === 'gap') {
    right.set('duration', (left.get('duration') as number) - at)
    left.set('duration', at)
  } else {
    const cut = (left.get('sourceIn') as number) + at
    right.set('sourceIn', cut)
    left.set('sourceOut', cut)
    // a person has decided where the clip ends: the probe no longer changes it
    left.delete('lengthPending')
    right.delete('lengthPending')
  }
  items.insert(index + 1, [right])
  // Anchored items that start in the right part follow it.
  for (const { m } of anchoredTo(doc, new Set([String(left.get('id'))]))) {
    const offset = m.get('offset') as number
    if (offset >= at) {
      m.set('anchorId', rightId)
      m.set('offset', offset - at)
    }
  }
}

// --- editing (each accessor is one transaction) -------------------------------------------------------------

export type InsertAt = { index: number } | { frame: number }

export function setMeta(doc: Y.Doc, patch: Partial<TimelineMeta>, origin: unknown = LOCAL_ORIGIN): void {
  if (patch.fps) {
    requireInt(patch.fps.num, 'fps.num', 1)
    requireInt(patch.fps.den, 'fps.den', 1)
  }
  if (patch.width !== undefined) requireInt(patch.width, 'width', 1)
  if (patch.height !== undefined) requireInt(patch.height, 'height', 1)
  if (patch.sampleRate !== undefined) requireInt(patch.sampleRate, 'sampleRate', 1)
  doc.transact(() => {
    const meta = metaOf(doc)
    if (patch.fps) meta.set('fps', { num: patch.fps.num, den: patch.fps.den })
    for (const key of ['width', 'height', 'sampleRate'] as const)
      if (patch[key] !== undefined) meta.set(key, patch[key])
  }, origin)
}

/** Appends a track (the storyline stays first) and returns its id. */
export function addTrack(
  doc: Y.Doc,
  input: { kind: TrackKind; name: string; id?: string },
  origin: unknown = LOCAL_ORIGIN,
): string {
  if (!TRACK_KINDS.includes(input.kind))
    throw new CutroomError(ErrorCode.BAD_INPUT, `Unknown track kind ${input.kind}.`)
  requireText(input.name, 'name', 200)
  const id = input.id ?? newId()
  doc.transact(() => tracksOf(doc).push([makeTrack(id, input.kind, input.name)]), origin)
  return id
}

export function setTrack(
  doc: Y.Doc,
  trackId: string,
  patch: { name?: string; muted?: boolean; locked?: boolean },
  origin: unknown = LOCAL_ORIGIN,
): void {
  const track = findTrack(doc, trackId)
  if (patch.name !== undefined) requireText(patch.name, 'name', 200)
  doc.transact(() => {
    if (patch.name !== undefined) track.set('name', patch.name)
    if (patch.muted !== undefined) track.set('muted', patch.muted)
    if (patch.locked !== undefined) track.set('locked', patch.locked)
  }, origin)
}

/** Removes a track and its items; the storyline cannot be removed. */
export function removeTrack(doc: Y.Doc, trackId: string, origin: unknown = LOCAL_ORIGIN): void {
  const track = findTrack(doc, trackId)
  if (track === storylineTrack(doc))
    throw new CutroomError(ErrorCode.INVALID_STATE, 'The storyline track cannot be removed.')
  assertUnlocked(track)
  doc.transact(() => {
    const tracks = tracksOf(doc)
    tracks.delete(tracks.toArray().indexOf(track), 1)
  }, origin)
}

/**
 * Inserts a clip into the storyline at an index or at a frame (splitting the item under that frame, or
 * padding with a gap past the end); everything after it ripples right. Returns the clip id.
 */
export function insertClip(
  doc: Y.Doc,
  input: {
    at: InsertAt
    assetId: string
    sourceIn: number
    sourceOut: number
    label?: string
    id?: string
    /** The length is provisional (the asset is not probed yet); see `ClipItem.lengthPending`. */
    lengthPending?: boolean
  },
  origin: unknown = LOCAL_ORIGIN,
): string {
  requireText(input.assetId, 'assetId', 200)
  if (!input.assetId) throw new CutroomError(ErrorCode.BAD_INPUT, 'assetId is required.')
  requireInt(input.sourceIn, 'sourceIn', 0)
  requireInt(input.sourceOut, 'sourceOut', input.sourceIn + 1)
  requireText(input.label ?? '', 'label', 500)
  const m = new Y.Map<unknown>()
  const id = input.id ?? newId()
  m.set('id', id)
  m.set('kind', 'clip')
  m.set('assetId', input.assetId)
  m.set('sourceIn', input.sourceIn)
  m.set('sourceOut', input.sourceOut)
  m.set('label', input.label ?? '')
  if (input.lengthPending) m.set('lengthPending', true)
  insertStorylineItem(doc, input.at, m, origin)
  return id
}

/** Inserts an explicit gap of `duration` frames into the storyline. Returns its id. */
export function insertGap(
  doc: Y.Doc,
  input: { at: InsertAt; duration: number; id?: string },
  origin: unknown = LOCAL_ORIGIN,
): string {
  requireInt(input.duration, 'duration', 1)
  const id = input.id ?? newId()
  insertStorylineItem(doc, input.at, makeGap(id, input.duration), origin)
  return id
}

function insertStorylineItem(doc: Y.Doc, at: InsertAt, m: YItem, origin: unknown): void {
  const track = storylineTrack(doc)
  assertUnlocked(track)
  const items = trackItems(track)
  if ('index' in at) {
    if (!Number.isSafeInteger(at.index) || at.index < 0 || at.index > items.length)
      throw new CutroomError(ErrorCode.BAD_INPUT, `Index ${at.index} is outside the storyline (0..${items.length}).`)
  } else requireInt(at.frame, 'frame', 0)
  doc.transact(() => {
    const index = 'index' in at ? at.index : boundaryAt(doc, at.frame)
    items.insert(index, [m])
  }, origin)
}

/**
 * Splits the storyline item under `frame` into two at that frame; the right part gets a new id and the
 * anchored items that start in it. Returns both ids, or null when `frame` is on a boundary or past the end.
 */
export function splitAt(
  doc: Y.Doc,
  frame: number,
  options: { rightId?: string } = {},
  origin: unknown = LOCAL_ORIGIN,
): { leftId: string; rightId: string } | null {
  requireInt(frame, 'frame', 0)
  const track = storylineTrack(doc)
  const placed = itemAtFrame(doc, frame)
  if (!placed || placed.start === frame) return null
  assertUnlocked(track)
  const rightId = options.rightId ?? newId()
  doc.transact(() => splitItem(doc, trackItems(track), placed.index, frame - placed.start, rightId), origin)
  return { leftId: placed.id, rightId }
}

/**
 * Moves one edge of a storyline item by `delta` frames (positive = rightwards in source time) and ripples
 * everything after it. `start` with a positive delta shortens a clip from its head; `end` with a positive
 * delta lengthens it. Items anchored to it keep their sync with its content. A clip keeps sourceIn >= 0 and
 * at least one frame.
 */
export function trim(
  doc: Y.Doc,
  itemId: string,
  edge: 'start' | 'end',
  delta: number,
  origin: unknown = LOCAL_ORIGIN,
): void {
  if (!Number.isSafeInteger(delta))
    throw new CutroomError(ErrorCode.BAD_INPUT, `delta must be an integer, got ${delta}.`)
  const track = storylineTrack(doc)
  const items = trackItems(track)
  const index = indexOfId(items, itemId)
  if (index < 0) throw new CutroomError(ErrorCode.NOT_FOUND, `No storyline item ${itemId}.`)
  assertUnlocked(track)
  const m = items.get(index)
  const length = itemDuration(m)
  const newLength = edge === 'start' ? length - delta : length + delta
  if (newLength < 1)
    throw new CutroomError(
      ErrorCode.BAD_INPUT,
      `Trimming ${delta} frames would leave less than one frame; delete the item instead.`,
    )
  if (m.get('kind') === 'clip' && edge === 'start' && (m.get('sourceIn') as number) + delta < 0)
    throw new CutroomError(ErrorCode.BAD_INPUT, 'Cannot trim before the first frame of the source.')
  if (delta === 0) return
  doc.transact(() => {
    if (m.get('kind') === 'gap') m.set('duration', newLength)
    else if (edge === 'start') m.set('sourceIn', (m.get('sourceIn') as number) + delta)
    else m.set('sourceOut', (m.get('sourceOut') as number) + delta)
    if (m.get('kind') === 'clip') m.delete('lengthPending')
    if (edge === 'start')
      for (const { m: a } of anchoredTo(doc, new Set([itemId]))) a.set('offset', (a.get('offset') as number) - delta)
  }, origin)
}

/**
 * Deletes items: storyline items close their space (ripple) and take their anchored items with them;
 * anchored items are simply removed. Unknown ids are refused and nothing changes.
 */
export function rippleDelete(doc: Y.Doc, itemIds: readonly string[], origin: unknown = LOCAL_ORIGIN): void {
  const ids = new Set(itemIds)
  const story = storylineTrack(doc)
  const storyIds = new Set<string>()
  for (const m of trackItems(story)) if (ids.has(String(m.get('id')))) storyIds.add(String(m.get('id')))
  const found = new Set(storyIds)
  const others = otherTracks(doc)
  for (const track of others)
    for (const m of trackItems(track)) if (ids.has(String(m.get('id')))) found.add(String(m.get('id')))
  const missing = [...ids].filter((id) => !found.has(id))
  if (missing.length) throw new CutroomError(ErrorCode.NOT_FOUND, `No timeline items ${missing.join(', ')}.`)
  if (storyIds.size) assertUnlocked(story)
  for (const track of others)
    for (const m of trackItems(track))
      if (ids.has(String(m.get('id'))) && !storyIds.has(String(m.get('anchorId')))) assertUnlocked(track)
  doc.transact(() => {
    deleteWhere(trackItems(story), (m) => storyIds.has(String(m.get('id'))))
    for (const track of others)
      deleteWhere(trackItems(track), (m) => ids.has(String(m.get('id'))) || storyIds.has(String(m.get('anchorId'))))
  }, origin)
}

function deleteWhere(items: Y.Array<YItem>, pred: (m: YItem) => boolean): number {
  let removed = 0
  for (let i = items.length - 1; i >= 0; i--)
    if (pred(items.get(i))) {
      items.delete(i, 1)
      removed++
    }
  return removed
}

/** Moves a storyline item so that it ends up at `toIndex`; items between ripple. */
export function move(doc: Y.Doc, itemId: string, toIndex: number, origin: unknown = LOCAL_ORIGIN): void {
  const track = storylineTrack(doc)
  const items = trackItems(track)
  const from = indexOfId(items, itemId)
  if (from < 0) throw new CutroomError(ErrorCode.NOT_FOUND, `No storyline item ${itemId}.`)
  if (!Number.isSafeInteger(toIndex) || toIndex < 0 || toIndex >= items.length)
    throw new CutroomError(ErrorCode.BAD_INPUT, `Index ${toIndex} is outside the storyline (0..${items.length - 1}).`)
  assertUnlocked(track)
  if (from === toIndex) return
  doc.transact(() => {
    // Yjs arrays have no move: re-insert a copy with the same id, so anchored items follow it.
    const copy = copyItem(items.get(from))
    items.delete(from, 1)
    items.insert(toIndex, [copy])
  }, origin)
}

/**
 * Removes source ranges (frames of `assetId`, e.g. the words deleted from a transcript) from every storyline clip
 * of that asset, as ripple cuts in one transaction: a clip loses the cut part and splits around an interior
 * cut; a clip cut entirely is deleted with its anchored items. Anchored items stay on the piece that holds their
 * source frame (or the next piece). Returns the number of timeline frames removed.
 */
export function rippleCutSource(
  doc: Y.Doc,
  assetId: string,
  ranges: readonly { start: number; end: number }[],
  origin: unknown = LOCAL_ORIGIN,
): number {
  for (const r of ranges) {
    requireInt(r.start, 'range start', 0)
    requireInt(r.end, 'range end', r.start + 1)
  }
  const sorted = [...ranges].sort((a, b) => a.start - b.start)
  const track = storylineTrack(doc)
  const items = trackItems(track)
  let removed = 0
  const touched = items.toArray().some((m) => m.get('kind') === 'clip' && m.get('assetId') === assetId)
  if (!touched || sorted.length === 0) return 0
  assertUnlocked(track)
  doc.transact(() => {
    for (let index = items.length - 1; index >= 0; index--) {
      const m = items.get(index)
      if (m.get('kind') !== 'clip' || m.get('assetId') !== assetId) continue
      const sourceIn = m.get('sourceIn') as number
      const sourceOut = m.get('sourceOut') as number
      const pieces: { start: number; end: number }[] = []
      let cursor = sourceIn
      for (const r of sorted) {
        if (r.end <= cursor || r.start >= sourceOut) continue
        if (r.start > cursor) pieces.push({ start: cursor, end: r.start })
        cursor = Math.max(cursor, r.end)
      }
      if (cursor < sourceOut) pieces.push({ start: cursor, end: sourceOut })
      const kept = pieces.reduce((n, p) => n + p.end - p.start, 0)
      if (kept === sourceOut - sourceIn) continue
      removed += sourceOut - sourceIn - kept
      const id = String(m.get('id'))
      const anchored = anchoredTo(doc, new Set([id]))
      if (pieces.length === 0) {
        items.delete(index, 1)
        for (const a of anchored.sort((x, y) => y.index - x.index)) a.items.delete(a.index, 1)
        continue
      }
      const ids = pieces.map((_, i) => (i === 0 ? id : newId()))
      m.set('sourceIn', pieces[0]!.start)
      m.set('sourceOut', pieces[0]!.end)
      m.delete('lengthPending')
      items.insert(
        index + 1,
        pieces.slice(1).map((p, i) => {
          const copy = copyItem(m)
          copy.set('id', ids[i + 1]!)
          copy.set('sourceIn', p.start)
          copy.set('sourceOut', p.end)
          return copy
        }),
      )
      for (const { m: a } of anchored) {
        const at = sourceIn + (a.get('offset') as number)
        let k = pieces.findIndex((p) => at < p.end)
        if (k < 0) k = pieces.length - 1
        const piece = pieces[k]!
        a.set('anchorId', ids[k]!)
        // Before the first piece keeps its lead (offsets may be negative); inside a cut it moves to the next piece.
        a.set('offset', k === 0 ? at - piece.start : Math.max(0, at - piece.start))
      }
    }
  }, origin)
  return removed
}

/** Adds an item to a non-storyline track, anchored to a storyline item. Returns its id. */
export function addAnchoredItem(
  doc: Y.Doc,
  input: {
    trackId: string
    anchorId: string
    offset: number
    duration: number
    assetId?: string
    sourceIn?: number
    text?: string
    label?: string
    id?: string
    /** narration: the synthesized audio and the retell script it comes from (see `AnchoredItem`). */
    artifactId?: string
    scriptId?: string
  },
  origin: unknown = LOCAL_ORIGIN,
): string {
  const track = findTrack(doc, input.trackId)
  if (track === storylineTrack(doc))
    throw new CutroomError(ErrorCode.BAD_INPUT, 'Storyline items are inserted with insertClip, not anchored.')
  assertUnlocked(track)
  if (indexOfId(storylineItems(doc), input.anchorId) < 0)
    throw new CutroomError(ErrorCode.NOT_FOUND, `No storyline item ${input.anchorId} to anchor to.`)
  if (!Number.isSafeInteger(input.offset))
    throw new CutroomError(ErrorCode.BAD_INPUT, 'offset must be an integer (frames).')
  requireInt(input.duration, 'duration', 1)
  const trackKind = track.get('kind') as TrackKind
  const kind: AnchoredItem['kind'] =
    trackKind === 'caption' ? 'caption' : trackKind === 'narration' ? 'narration' : 'clip'
  if (kind === 'clip') {
    if (!input.assetId) throw new CutroomError(ErrorCode.BAD_INPUT, 'A clip needs an assetId.')
    requireInt(input.sourceIn ?? -1, 'sourceIn', 0)
  }
  if (kind === 'caption' && !input.text) throw new CutroomError(ErrorCode.BAD_INPUT, 'A caption needs text.')
  if (input.text !== undefined) requireText(input.text, 'text', 10_000)
  if (input.label !== undefined) requireText(input.label, 'label', 500)
  if (input.artifactId !== undefined) requireText(input.artifactId, 'artifactId', 100)
  if (input.scriptId !== undefined) requireText(input.scriptId, 'scriptId', 100)
  const id = input.id ?? newId()
  const m = new Y.Map<unknown>()
  m.set('id', id)
  m.set('kind', kind)
  m.set('anchorId', input.anchorId)
  m.set('offset', input.offset)
  m.set('duration', input.duration)
  if (input.assetId !== undefined) m.set('assetId', input.assetId)
  if (input.sourceIn !== undefined) m.set('sourceIn', input.sourceIn)
  if (input.text !== undefined) m.set('text', input.text)
  if (input.label !== undefined) m.set('label', input.label)
  if (input.artifactId !== undefined) m.set('artifactId', input.artifactId)
  if (input.scriptId !== undefined) m.set('scriptId', input.scriptId)
  doc.transact(() => trackItems(track).push([m]), origin)
  return id
}

/** Changes an anchored item: re-anchor, shift, resize, or edit its text/label. */
export function updateAnchoredItem(
  doc: Y.Doc,
  itemId: string,
  patch: { anchorId?: string; offset?: number; duration?: number; sourceIn?: number; text?: string; label?: string },
  origin: unknown = LOCAL_ORIGIN,
): void {
  let found: { track: YTrack; m: YItem } | null = null
  for (const track of otherTracks(doc))
    for (const m of trackItems(track)) if (!found && m.get('id') === itemId) found = { track, m }
  if (!found) throw new CutroomError(ErrorCode.NOT_FOUND, `No anchored item ${itemId}.`)
  assertUnlocked(found.track)
  if (patch.anchorId !== undefined && indexOfId(storylineItems(doc), patch.anchorId) < 0)
    throw new CutroomError(ErrorCode.NOT_FOUND, `No storyline item ${patch.anchorId} to anchor to.`)
  if (patch.offset !== undefined && !Number.isSafeInteger(patch.offset))
    throw new CutroomError(ErrorCode.BAD_INPUT, 'offset must be an integer (frames).')
  if (patch.duration !== undefined) requireInt(patch.duration, 'duration', 1)
  if (patch.sourceIn !== undefined) requireInt(patch.sourceIn, 'sourceIn', 0)
  if (patch.text !== undefined) requireText(patch.text, 'text', 10_000)
  if (patch.label !== undefined) requireText(patch.label, 'label', 500)
  const m = found.m
  doc.transact(() => {
    for (const [k, v] of Object.entries(patch)) if (v !== undefined) m.set(k, v)
  }, origin)
}

/** Sets (or with null clears) the crop box a vertical export uses for a storyline clip; values are 0..1 of the source. */
export function setClipCrop(doc: Y.Doc, itemId: string, crop: ClipCrop | null, origin: unknown = LOCAL_ORIGIN): void {
  const items = storylineItems(doc)
  const index = indexOfId(items, itemId)
  if (index < 0) throw new CutroomError(ErrorCode.NOT_FOUND, `No storyline item ${itemId}.`)
  const m = items.get(index)
  if (m.get('kind') !== 'clip') throw new CutroomError(ErrorCode.BAD_INPUT, 'Only clips have a crop box.')
  assertUnlocked(storylineTrack(doc))
  if (crop) {
    const ok = [crop.x, crop.y, crop.w, crop.h].every((v) => Number.isFinite(v) && v >= 0 && v <= 1)
    if (!ok || crop.w <= 0 || crop.h <= 0 || crop.x + crop.w > 1 || crop.y + crop.h > 1)
      throw new CutroomError(ErrorCode.BAD_INPUT, 'A crop box is x, y, w, h between 0 and 1 that lies inside the picture.')
  }
  doc.transact(() => {
    if (crop) m.set('crop', { x: crop.x, y: crop.y, w: crop.w, h: crop.h })
    else m.delete('crop')
  }, origin)
}

export function addMarker(
  doc: Y.Doc,
  input: { frame: number; label?: string; color?: string; id?: string },
  origin: unknown = LOCAL_ORIGIN,
): string {
  requireInt(input.frame, 'frame', 0)
  requireText(input.label ?? '', 'label', 500)
  requireText(input.color ?? '', 'color', 32)
  const id = input.id ?? newId()
  doc.transact(
    () => markersOf(doc).set(id, { frame: input.frame, label: input.label ?? '', color: input.color ?? 'blue' }),
    origin,
  )
  return id
}

export function updateMarker(doc: Y.Doc, id: string, patch: Partial<Marker>, origin: unknown = LOCAL_ORIGIN): void {
  const current = markersOf(doc).get(id)
  if (!current) throw new CutroomError(ErrorCode.NOT_FOUND, `No marker ${id}.`)
  if (patch.frame !== undefined) requireInt(patch.frame, 'frame', 0)
  if (patch.label !== undefined) requireText(patch.label, 'label', 500)
  if (patch.color !== undefined) requireText(patch.color, 'color', 32)
  const next = { ...current, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) }
  doc.transact(() => markersOf(doc).set(id, next), origin)
}

export function removeMarker(doc: Y.Doc, id: string, origin: unknown = LOCAL_ORIGIN): void {
  if (!markersOf(doc).has(id)) throw new CutroomError(ErrorCode.NOT_FOUND, `No marker ${id}.`)
  doc.transact(() => markersOf(doc).delete(id), origin)
}

/**
 * Gives the storyline clips of `assetId` that were inserted with a provisional length (`lengthPending`) the
 * asset's real length, `durationSeconds` on the timeline's frame grid, and clears the flag; everything after
 * them ripples. Clips a person trimmed, split or cut keep their length. Returns how many clips changed.
 */
export function settleClipLengths(
  doc: Y.Doc,
  assetId: string,
  durationSeconds: number,
  origin: unknown = WORKER_PATCH_ORIGIN,
): number {
  if (!Number.isFinite(durationSeconds) || durationSeconds <= 0)
    throw new CutroomError(ErrorCode.BAD_INPUT, `durationSeconds must be a positive number, got ${durationSeconds}.`)
  const { fps } = getMeta(doc)
  const frames = Math.max(1, Math.floor((durationSeconds * fps.num) / fps.den))
  const pending: YItem[] = []
  trackItems(storylineTrack(doc)).forEach((m) => {
    if (m.get('kind') === 'clip' && m.get('assetId') === assetId && m.get('lengthPending') === true) pending.push(m)
  })
  if (pending.length === 0) return 0
  doc.transact(() => {
    for (const m of pending) {
      const sourceIn = m.get('sourceIn') as number
      m.set('sourceOut', Math.max(sourceIn + 1, frames))
      m.delete('lengthPending')
    }
  }, origin)
  return pending.length
}

/**
 * Records an artifact reference under `${assetId}:${slot}`. Idempotent: setting an equal reference again makes
 * no transaction and emits no update. A preview reference (`metadata.preview: true`) does not replace a full one.
 * Returns whether the document changed.
 */
export function setArtifact(doc: Y.Doc, ref: ArtifactRef, origin: unknown = WORKER_PATCH_ORIGIN): boolean {
  for (const key of ['artifactId', 'slot', 'assetId', 'key', 'contentType'] as const)
    if (typeof ref[key] !== 'string' || (key !== 'contentType' && !ref[key]))
      throw new CutroomError(ErrorCode.BAD_INPUT, `Artifact reference needs a string ${key}.`)
  const value: ArtifactRef = {
    artifactId: ref.artifactId,
    slot: ref.slot,
    assetId: ref.assetId,
    key: ref.key,
    contentType: ref.contentType,
    metadata: ref.metadata ?? {},
  }
  const k = artifactKey(ref.assetId, ref.slot)
  const existing = artifactsOf(doc).get(k)
  if (deepEqual(existing, value)) return false
  // a fast preview rendition (`metadata.preview`) never replaces the full one, whichever arrives last
  if (value.metadata.preview === true && existing && existing.metadata?.preview !== true) return false
  doc.transact(() => artifactsOf(doc).set(k, value), origin)
  return true
}

/** One synthesized narration block of a retell script, for `syncNarration`. */
export interface NarrationPiece {
  /** The narration block's id; the item on the narration track has the same id. */
  id: string
  text: string
  artifactId: string
  /** Length in samples at `sampleRate`. */
  samples: number
  sampleRate: number
}

/** Frames at `fps` that `samples` of audio at `sampleRate` cover (rounded up: the item never cuts the voice off). */
export function narrationFrames(samples: number, sampleRate: number, fps: Fps): number {
  return Math.max(1, Math.ceil((samples * fps.num) / (sampleRate * fps.den)))
}

/**
 * Makes the timeline's narration track follow a retell script: each synthesized block, in script order, is an
 * item anchored to the first storyline clip, one after the other (offset = the frames of the blocks before it),
 * carrying the block's artifact and text; items of this script whose block is gone or no longer synthesized are
 * removed. The track is made when missing ("Narration"). Items of other scripts and hand-placed items are left
 * alone. Nothing is written when the track already matches, when the storyline is empty (nothing to anchor to) or
 * when the track is locked. Returns whether the timeline changed.
 */
export function syncNarration(
  doc: Y.Doc,
  scriptId: string,
  pieces: readonly NarrationPiece[],
  origin: unknown = WORKER_PATCH_ORIGIN,
): boolean {
  const story = storylineItems(doc)
  if (story.length === 0) return false
  const anchorId = String(story.get(0).get('id'))
  const fps = getMeta(doc).fps
  let track = otherTracks(doc).find((t) => t.get('kind') === 'narration') ?? null
  if (track?.get('locked') === true) return false
  let offset = 0
  const wanted = pieces
    .filter((p) => p.samples > 0)
    .map((p) => {
      const duration = narrationFrames(p.samples, p.sampleRate, fps)
      const item = { id: p.id, anchorId, offset, duration, text: p.text.slice(0, 10_000), artifactId: p.artifactId }
      offset += duration
      return item
    })
  const wantedIds = new Set(wanted.map((w) => w.id))
  let changed = false
  const mark = () => {
    changed = true
  }
  doc.on('update', mark)
  try {
    doc.transact(() => {
      if (!track) {
        if (wanted.length === 0) return
        track = makeTrack(newId(), 'narration', 'Narration')
        tracksOf(doc).push([track])
      }
      const items = trackItems(track)
      for (let i = items.length - 1; i >= 0; i--) {
        const m = items.get(i)
        if (m.get('scriptId') === scriptId && !wantedIds.has(String(m.get('id')))) items.delete(i, 1)
      }
      const byId = new Map(items.toArray().map((m) => [String(m.get('id')), m]))
      for (const w of wanted) {
        let m = byId.get(w.id)
        if (!m) {
          m = new Y.Map<unknown>()
          m.set('id', w.id)
          m.set('kind', 'narration')
          m.set('scriptId', scriptId)
          items.push([m])
        }
        for (const [k, v] of Object.entries(w)) if (k !== 'id' && m.get(k) !== v) m.set(k, v)
      }
    }, origin)
  } finally {
    doc.off('update', mark)
  }
  return changed
}

// --- validation and repair -------------------------------------------------------------------------------

/** Every invariant the timeline must hold; an empty list means valid. */
export function validate(doc: Y.Doc): Problem[] {
  const problems: Problem[] = []
  const meta = metaOf(doc)
  const version = meta.get(SCHEMA_VERSION_KEY)
  if (version !== VERSION)
    problems.push(problem(ProblemCode.VERSION, 'meta.schemaVersion', `Expected ${VERSION}, found ${String(version)}.`))
  const fps = meta.get('fps') as Fps | undefined
  if (!fps || !isInt(fps.num) || !isInt(fps.den) || fps.num < 1 || fps.den < 1)
    problems.push(problem(ProblemCode.BAD_VALUE, 'meta.fps', 'fps must be {num, den} positive integers.'))
  for (const key of ['width', 'height', 'sampleRate'])
    if (!isInt(meta.get(key)) || (meta.get(key) as number) < 1)
      problems.push(problem(ProblemCode.BAD_VALUE, `meta.${key}`, `${key} must be a positive integer.`))

  const tracks = tracksOf(doc).toArray()
  const storyIndex = tracks.findIndex((t) => t.get('kind') === 'video')
  if (storyIndex < 0) {
    problems.push(problem(ProblemCode.MISSING_ROOT, 'tracks', 'There is no video track to serve as the storyline.'))
    return problems
  }
  const trackIds = new Set<string>()
  const itemIds = new Set<string>()
  const storyIds = new Set<string>()
  tracks.forEach((track, t) => {
    const path = `tracks[${t}]`
    const id = track.get('id')
    if (typeof id !== 'string' || trackIds.has(id))
      problems.push(problem(ProblemCode.DUPLICATE_ID, `${path}.id`, `Track id ${String(id)} is missing or repeated.`))
    else trackIds.add(id)
    if (!TRACK_KINDS.includes(track.get('kind') as TrackKind))
      problems.push(problem(ProblemCode.BAD_VALUE, `${path}.kind`, `Unknown track kind ${String(track.get('kind'))}.`))
    const items = track.get('items')
    if (!(items instanceof Y.Array)) {
      problems.push(problem(ProblemCode.MISSING_ROOT, `${path}.items`, 'Track has no items array.'))
      return
    }
    ;(items as Y.Array<YItem>).forEach((m, i) => {
      const ipath = `${path}.items[${i}]`
      const itemId = m.get('id')
      if (typeof itemId !== 'string' || itemIds.has(itemId))
        problems.push(
          problem(ProblemCode.DUPLICATE_ID, `${ipath}.id`, `Item id ${String(itemId)} is missing or repeated.`),
        )
      else itemIds.add(itemId)
      if (t === storyIndex) {
        if (typeof itemId === 'string') storyIds.add(itemId)
        const kind = m.get('kind')
        if (kind === 'gap') {
          if (!isInt(m.get('duration')))
            problems.push(problem(ProblemCode.NOT_INTEGER, `${ipath}.duration`, 'Gap duration must be integer frames.'))
        } else if (kind === 'clip') {
          if (!isInt(m.get('sourceIn')) || !isInt(m.get('sourceOut')))
            problems.push(problem(ProblemCode.NOT_INTEGER, ipath, 'sourceIn and sourceOut must be integer frames.'))
          else if ((m.get('sourceIn') as number) < 0)
            problems.push(problem(ProblemCode.OUT_OF_RANGE, `${ipath}.sourceIn`, 'sourceIn is negative.'))
          if (typeof m.get('assetId') !== 'string')
            problems.push(problem(ProblemCode.BAD_VALUE, `${ipath}.assetId`, 'Clip has no assetId.'))
        } else
          problems.push(
            problem(ProblemCode.BAD_VALUE, `${ipath}.kind`, `Storyline items are clips or gaps, not ${String(kind)}.`),
          )
        if (isInt(itemDuration(m)) && itemDuration(m) < 1)
          problems.push(problem(ProblemCode.EMPTY_RANGE, ipath, 'Storyline item is shorter than one frame.'))
      } else {
        if (!isInt(m.get('offset')) || !isInt(m.get('duration')))
          problems.push(problem(ProblemCode.NOT_INTEGER, ipath, 'offset and duration must be integer frames.'))
        else if ((m.get('duration') as number) < 1)
          problems.push(problem(ProblemCode.EMPTY_RANGE, ipath, 'Anchored item is shorter than one frame.'))
      }
    })
  })
  tracks.forEach((track, t) => {
    if (t === storyIndex) return
    ;(track.get('items') as Y.Array<YItem>).forEach((m, i) => {
      if (!storyIds.has(String(m.get('anchorId'))))
        problems.push(
          problem(
            ProblemCode.DANGLING_ANCHOR,
            `tracks[${t}].items[${i}].anchorId`,
            `Anchor ${String(m.get('anchorId'))} is not on the storyline.`,
          ),
        )
    })
  })
  for (const [id, marker] of markersOf(doc).entries())
    if (!isInt(marker?.frame) || marker.frame < 0)
      problems.push(
        problem(ProblemCode.NOT_INTEGER, `markers.${id}.frame`, 'Marker frame must be a non-negative integer.'),
      )
  for (const [key, ref] of artifactsOf(doc).entries())
    if (!ref || key !== artifactKey(ref.assetId, ref.slot))
      problems.push(
        problem(
          ProblemCode.BAD_VALUE,
          `artifacts.${key}`,
          'Artifact key must be `${assetId}:${slot}` of its reference.',
        ),
      )
  return problems
}

/**
 * Restores the invariants concurrent merges can break, in one transaction (none when nothing is wrong):
 * repeated ids (concurrent moves) keep their first copy; ranges shorter than one frame (concurrent trims of both
 * edges) become one frame; anchored items whose anchor is gone are deleted. Every replica computes the same fix
 * from the same state, so replicas (or the server) may run it concurrently. Returns what it fixed.
 */
export function repair(doc: Y.Doc, origin: unknown = REPAIR_ORIGIN): string[] {
  const fixes: string[] = []
  const tracks = tracksOf(doc).toArray()
  const story = tracks.find((t) => t.get('kind') === 'video')
  if (!story) return fixes
  doc.transact(() => {
    const seen = new Set<string>()
    const storyItems = trackItems(story)
    for (let i = 0; i < storyItems.length; i++) {
      const m = storyItems.get(i)
      const id = String(m.get('id'))
      if (seen.has(id)) {
        storyItems.delete(i--, 1)
        fixes.push(`removed a second copy of storyline item ${id}`)
        continue
      }
      seen.add(id)
      if (m.get('kind') === 'gap') {
        if ((m.get('duration') as number) < 1) {
          m.set('duration', 1)
          fixes.push(`gap ${id} set to one frame`)
        }
      } else if ((m.get('sourceOut') as number) <= (m.get('sourceIn') as number)) {
        m.set('sourceOut', (m.get('sourceIn') as number) + 1)
        fixes.push(`clip ${id} set to one frame`)
      }
    }
    const storyIds = seen
    const anchoredSeen = new Set<string>()
    for (const track of tracks) {
      if (track === story) continue
      const items = trackItems(track)
      for (let i = 0; i < items.length; i++) {
        const m = items.get(i)
        const id = String(m.get('id'))
        if (anchoredSeen.has(id) || storyIds.has(id)) {
          items.delete(i--, 1)
          fixes.push(`removed a second copy of anchored item ${id}`)
        } else if (!storyIds.has(String(m.get('anchorId')))) {
          items.delete(i--, 1)
          fixes.push(`removed item ${id}: its anchor ${String(m.get('anchorId'))} was deleted`)
        } else {
          anchoredSeen.add(id)
          if ((m.get('duration') as number) < 1) {
            m.set('duration', 1)
            fixes.push(`anchored item ${id} set to one frame`)
          }
        }
      }
    }
  }, origin)
  return fixes
}
