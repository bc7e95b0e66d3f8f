import type { FrameRate } from '@cutroom/schema'
import type { CutAsset, CutLane, TimelineCut } from './timelineCut'

/** OpenTimelineIO's marker colours (`otio.schema.MarkerColor`). */
export const OTIO_MARKER_COLORS = [
  'PINK',
  'RED',
  'ORANGE',
  'YELLOW',
  'GREEN',
  'CYAN',
  'BLUE',
  'PURPLE',
  'MAGENTA',
  'BLACK',
  'WHITE',
] as const

function otioColor(color: string): string {
  const upper = color.trim().toUpperCase()
  return (OTIO_MARKER_COLORS as readonly string[]).includes(upper) ? upper : 'RED'
}

/** The timeline's rate as OTIO writes it: a double (30000/1001 is 29.97002997...). */
function rateOf(fps: FrameRate): number {
  return fps.num / fps.den
}

function rationalTime(frames: number, rate: number) {
  return { OTIO_SCHEMA: 'RationalTime.1', rate, value: frames }
}

function timeRange(start: number, duration: number, rate: number) {
  return { OTIO_SCHEMA: 'TimeRange.1', duration: rationalTime(duration, rate), start_time: rationalTime(start, rate) }
}

function mediaReference(asset: CutAsset, rate: number) {
  return {
    OTIO_SCHEMA: 'ExternalReference.1',
    metadata: { cutroom: { assetId: asset.id } },
    name: asset.filename,
    available_range: asset.durationFrames === null ? null : timeRange(0, asset.durationFrames, rate),
    available_image_bounds: null,
    target_url: asset.filename,
  }
}

function clip(
  item: { id: string; start: number; end: number; asset: CutAsset; sourceIn: number; label: string },
  rate: number,
) {
  return {
    OTIO_SCHEMA: 'Clip.2',
    metadata: { cutroom: { itemId: item.id, assetId: item.asset.id } },
    name: item.label || item.asset.filename,
    source_range: timeRange(item.sourceIn, item.end - item.start, rate),
    effects: [],
    markers: [],
    enabled: true,
    media_references: { DEFAULT_MEDIA: mediaReference(item.asset, rate) },
    active_media_reference_key: 'DEFAULT_MEDIA',
  }
}

function gap(frames: number, rate: number) {
  return {
    OTIO_SCHEMA: 'Gap.1',
    metadata: {},
    name: '',
    source_range: timeRange(0, frames, rate),
    effects: [],
    markers: [],
    enabled: true,
  }
}

function track(name: string, kind: 'Video' | 'Audio', children: unknown[], metadata: Record<string, unknown>) {
  return {
    OTIO_SCHEMA: 'Track.1',
    metadata: { cutroom: metadata },
    name,
    source_range: null,
    effects: [],
    markers: [],
    enabled: true,
    children,
    kind,
  }
}

/** An anchored lane as an OTIO track: its clips at their absolute places, with gaps before and between them. */
function laneTrack(lane: CutLane, rate: number) {
  const children: unknown[] = []
  let at = 0
  for (const c of lane.clips) {
    if (c.start > at) children.push(gap(c.start - at, rate))
    children.push(clip(c, rate))
    at = c.end
  }
  return track(lane.name, lane.kind === 'video' ? 'Video' : 'Audio', children, { trackId: lane.trackId })
}

/**
 * OpenTimelineIO JSON (`.otio`): a Timeline whose Stack holds the storyline as the first video track (gaps as
 * Gap), then one track per lane of anchored clips; the timeline's markers are on the Stack, in timeline time.
 * Every RationalTime is an integer number of frames at the timeline's rate.
 */
export function timelineOtio(cut: TimelineCut, documentId: string): string {
  const rate = rateOf(cut.fps)
  const storyline = cut.storyline.map((item) =>
    item.kind === 'gap' ? gap(item.end - item.start, rate) : clip(item, rate),
  )
  const timelineJson = {
    OTIO_SCHEMA: 'Timeline.1',
    metadata: {
      cutroom: {
        documentId,
        fps: cut.fps,
        width: cut.width,
        height: cut.height,
        sampleRate: cut.sampleRate,
      },
    },
    name: cut.title,
    global_start_time: rationalTime(0, rate),
    tracks: {
      OTIO_SCHEMA: 'Stack.1',
      metadata: {},
      name: 'tracks',
      source_range: null,
      effects: [],
      markers: cut.markers.map((m) => ({
        OTIO_SCHEMA: 'Marker.2',
        metadata: { cutroom: { markerId: m.id } },
        name: m.label,
        color: otioColor(m.color),
        marked_range: timeRange(m.frame, 0, rate),
        comment: '',
      })),
      enabled: true,
      children: [
        track('Storyline', 'Video', storyline, { storyline: true }),
        ...cut.lanes.map((lane) => laneTrack(lane, rate)),
      ],
    },
  }
  return `${JSON.stringify(timelineJson, null, 4)}\n`
}
