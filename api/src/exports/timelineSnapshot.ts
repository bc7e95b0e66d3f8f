import { CutroomError, ErrorCode, type ExportTimeline, isUuid, timeline } from '@cutroom/schema'
import type * as Y from 'yjs'

/** A storyline clip of the snapshot, for messages that name it. */
export interface SnapshotClip {
  index: number
  label: string
  assetId: string
  sourceOut: number
}

/**
 * The timeline as the export renders it: storyline items in order, anchored items at their absolute frames,
 * muted tracks left out. Plain data, so later edits of the live document cannot change a running render.
 * A synthesized narration item (an artifact of a tts job, not an asset) plays its artifact: the item's source id is
 * the artifact's id, listed in `narrationArtifactIds` for the caller to resolve, not in `assetIds`.
 */
export function timelineSnapshot(doc: Y.Doc): {
  timeline: ExportTimeline
  clips: SnapshotClip[]
  assetIds: string[]
  narrationArtifactIds: string[]
} {
  const meta = timeline.getMeta(doc)
  let tracks: ReturnType<typeof timeline.getTracks>
  try {
    tracks = timeline.getTracks(doc)
  } catch (err) {
    if (err instanceof CutroomError) throw new CutroomError(ErrorCode.BAD_INPUT, 'This timeline is empty: add a clip to the storyline before exporting.')
    throw err
  }
  const muted = new Set(tracks.filter((t) => t.muted).map((t) => t.id))
  const kindOf = new Map(tracks.map((t) => [t.id, t.kind]))
  const storylineTrack = tracks.find((t) => t.storyline)
  const layout = timeline.storylineLayout(doc)
  const clips: SnapshotClip[] = []
  const storyline: ExportTimeline['storyline'] = layout.map((p) => {
    if (p.kind === 'gap') return { kind: 'gap', id: p.id, duration: p.duration }
    clips.push({ index: p.index, label: p.label || `clip ${p.index + 1}`, assetId: p.assetId, sourceOut: p.sourceOut })
    return {
      kind: 'clip',
      id: p.id,
      assetId: p.assetId,
      sourceIn: p.sourceIn,
      sourceOut: p.sourceOut,
      label: p.label.slice(0, 500),
      ...(p.crop ? { crop: p.crop } : {}),
    }
  })
  if (clips.length === 0)
    throw new CutroomError(ErrorCode.BAD_INPUT, 'This timeline is empty: add a clip to the storyline before exporting.')
  const anchored: ExportTimeline['anchored'] = []
  const narrationArtifactIds = new Set<string>()
  for (const a of timeline.anchoredLayout(doc)) {
    if (muted.has(a.trackId)) continue
    const track = kindOf.get(a.trackId)
    if (!track || (track === 'caption') !== (a.kind === 'caption')) continue
    const voice = track === 'narration' && !a.assetId && a.artifactId && isUuid(a.artifactId) ? a.artifactId : null
    if (voice) narrationArtifactIds.add(voice)
    anchored.push({
      id: a.id,
      track,
      start: a.start,
      duration: a.duration,
      ...(a.assetId ? { assetId: a.assetId } : voice ? { assetId: voice } : {}),
      ...(a.sourceIn !== undefined ? { sourceIn: a.sourceIn } : {}),
      ...(a.text ? { text: a.text.slice(0, 2000) } : {}),
    })
  }
  const assetIds = [
    ...new Set([
      ...clips.map((c) => c.assetId),
      ...anchored.flatMap((a) => (a.assetId && !narrationArtifactIds.has(a.assetId) ? [a.assetId] : [])),
    ]),
  ].sort()
  return {
    timeline: {
      fps: meta.fps,
      width: meta.width,
      height: meta.height,
      sampleRate: meta.sampleRate,
      storylineMuted: storylineTrack?.muted ?? false,
      storyline,
      anchored,
    },
    clips,
    assetIds,
    narrationArtifactIds: [...narrationArtifactIds].sort(),
  }
}
