import { type FrameRate, timeline } from '@cutroom/schema'
import type * as Y from 'yjs'

/** A media file a cut plays, as the interchange files name it. */
export interface CutAsset {
  id: string
  /** The uploaded file name (what another NLE relinks to). */
  filename: string
  /** Length in frames at the timeline's rate when probed, else null. */
  durationFrames: number | null
  /** From the probe; both true while unknown. */
  hasVideo: boolean
  hasAudio: boolean
}

/** A storyline item at its place: `[start, end)` in timeline frames. */
export type CutStorylineItem =
  | { kind: 'clip'; id: string; start: number; end: number; asset: CutAsset; sourceIn: number; label: string }
  | { kind: 'gap'; id: string; start: number; end: number }

/** A clip anchored to a storyline item, at its absolute place; `anchor` is that item's index in the storyline. */
export interface CutAnchoredClip {
  id: string
  anchor: number
  start: number
  end: number
  asset: CutAsset
  sourceIn: number
  label: string
}

/** One lane of a non-storyline track: its clips in order and never overlapping (a track whose clips overlap gives several lanes). */
export interface CutLane {
  trackId: string
  name: string
  kind: 'video' | 'audio'
  clips: CutAnchoredClip[]
}

export interface CutMarker {
  id: string
  frame: number
  label: string
  color: string
}

/** What the interchange formats write: the storyline, the anchored media lanes and the markers, all in timeline frames. */
export interface TimelineCut {
  title: string
  fps: FrameRate
  width: number
  height: number
  sampleRate: number
  storyline: CutStorylineItem[]
  lanes: CutLane[]
  markers: CutMarker[]
  /** Frames of the storyline (interchange formats place everything on it). */
  duration: number
}

/** A clip that refers to an asset that is not in the timeline's project. */
export class MissingAssetError extends Error {
  constructor(
    readonly itemId: string,
    readonly label: string,
    readonly assetId: string,
  ) {
    super(
      `The clip ${label ? `"${label}"` : itemId} refers to an asset that is not in this project (${assetId}); remove or replace it, then download again.`,
    )
  }
}

/**
 * Reads a timeline document into a cut. Caption items and narration not yet synthesized carry no media and are
 * left out; markers past the end of the storyline are left out (no format can place them on an item).
 */
export function readTimelineCut(doc: Y.Doc, title: string, assets: ReadonlyMap<string, CutAsset>): TimelineCut {
  const meta = timeline.getMeta(doc)
  const assetOf = (itemId: string, label: string, assetId: string) => {
    const asset = assets.get(assetId)
    if (!asset) throw new MissingAssetError(itemId, label, assetId)
    return asset
  }
  const placed = timeline.storylineLayout(doc)
  const storyline: CutStorylineItem[] = placed.map((p) =>
    p.kind === 'gap'
      ? { kind: 'gap', id: p.id, start: p.start, end: p.end }
      : {
          kind: 'clip',
          id: p.id,
          start: p.start,
          end: p.end,
          asset: assetOf(p.id, p.label, p.assetId),
          sourceIn: p.sourceIn,
          label: p.label,
        },
  )
  const duration = placed.length ? placed[placed.length - 1]!.end : 0
  const indexOf = new Map<string, number>()
  for (const p of placed) if (!indexOf.has(p.id)) indexOf.set(p.id, p.index)
  const tracks = new Map(timeline.getTracks(doc).map((t) => [t.id, t]))
  const byTrack = new Map<string, CutAnchoredClip[]>()
  for (const a of timeline.anchoredLayout(doc)) {
    if (a.kind === 'caption' || !a.assetId || a.duration <= 0) continue
    const clip: CutAnchoredClip = {
      id: a.id,
      anchor: indexOf.get(a.anchorId)!,
      start: a.start,
      end: a.end,
      asset: assetOf(a.id, a.label ?? a.text ?? '', a.assetId),
      sourceIn: a.sourceIn ?? 0,
      label: a.label ?? (a.kind === 'narration' ? (a.text ?? '').slice(0, 80) : ''),
    }
    const list = byTrack.get(a.trackId) ?? []
    list.push(clip)
    byTrack.set(a.trackId, list)
  }
  const lanes: CutLane[] = []
  for (const [trackId, clips] of byTrack) {
    const track = tracks.get(trackId)
    if (!track) continue
    const kind = track.kind === 'video' ? 'video' : 'audio'
    const own: CutLane[] = []
    for (const clip of [...clips].sort((x, y) => x.start - y.start || x.end - y.end || (x.id < y.id ? -1 : 1))) {
      let lane = own.find((l) => l.clips[l.clips.length - 1]!.end <= clip.start)
      if (!lane) {
        lane = { trackId, name: track.name || trackId, kind, clips: [] }
        own.push(lane)
      }
      lane.clips.push(clip)
    }
    lanes.push(...own)
  }
  const markers = timeline
    .getMarkers(doc)
    .filter((m) => m.frame >= 0 && m.frame < duration)
    .map((m) => ({ id: m.id, frame: m.frame, label: m.label, color: m.color }))
  return {
    title,
    fps: meta.fps,
    width: meta.width,
    height: meta.height,
    sampleRate: meta.sampleRate,
    storyline,
    lanes,
    markers,
    duration,
  }
}

/** The storyline item a frame falls in (`start <= frame < end`); `frame` must be inside the storyline. */
export function storylineItemAt(cut: TimelineCut, frame: number): CutStorylineItem {
  let lo = 0
  let hi = cut.storyline.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (cut.storyline[mid]!.start <= frame) lo = mid
    else hi = mid - 1
  }
  return cut.storyline[lo]!
}
