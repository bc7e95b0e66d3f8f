import { timeline } from '@cutroom/schema'
import type * as Y from 'yjs'
import type { TimelineView, ViewItem, ViewTrack } from './timelineView'

/** Resolves the timeline document into what the canvas draws (positions from the model's layout accessors). */
export function readTimelineView(doc: Y.Doc): TimelineView {
  const meta = timeline.getMeta(doc)
  const tracks = timeline.tracksOf(doc).length ? timeline.getTracks(doc) : []
  if (tracks.length === 0) return { rate: meta.fps, tracks: [], markers: [], duration: 0 }
  const storyline = timeline.storylineLayout(doc)
  const anchored = timeline.anchoredLayout(doc)
  const byTrack = new Map<string, ViewItem[]>()
  for (const a of anchored) {
    const list = byTrack.get(a.trackId) ?? []
    list.push({
      id: a.id,
      kind: a.kind === 'clip' ? 'clip' : 'text',
      start: a.start,
      duration: a.duration,
      label: a.label ?? a.text ?? '',
      assetId: a.assetId,
      sourceIn: a.sourceIn,
      sourceOut: a.sourceIn === undefined ? undefined : a.sourceIn + a.duration,
      anchorId: a.anchorId,
    })
    byTrack.set(a.trackId, list)
  }
  const viewTracks: ViewTrack[] = tracks.map((t) => ({
    id: t.id,
    kind: t.kind,
    name: t.name,
    muted: t.muted,
    locked: t.locked,
    storyline: t.storyline,
    items: t.storyline
      ? storyline.map((p) =>
          p.kind === 'gap'
            ? { id: p.id, kind: 'gap', start: p.start, duration: p.duration, label: '', index: p.index }
            : {
                id: p.id,
                kind: 'clip',
                start: p.start,
                duration: p.duration,
                label: p.label,
                assetId: p.assetId,
                sourceIn: p.sourceIn,
                sourceOut: p.sourceOut,
                index: p.index,
                ...(p.crop ? { crop: p.crop } : {}),
              },
        )
      : (byTrack.get(t.id) ?? []).sort((a, b) => a.start - b.start),
  }))
  const end = storyline.length ? storyline[storyline.length - 1]!.end : 0
  const duration = anchored.reduce((max, a) => Math.max(max, a.end), end)
  return { rate: meta.fps, tracks: viewTracks, markers: timeline.getMarkers(doc), duration }
}
