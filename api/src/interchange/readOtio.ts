/**
 * A reader of OpenTimelineIO JSON written from the serialized schema (`otio-serialized-schema.md`): Timeline.1
 * with a Stack.1 of Track.1 children holding Clip.1 / Clip.2, Gap.1 and Transition.1, Marker.1 / Marker.2 on any
 * item, RationalTime.1 and TimeRange.1 times, ExternalReference.1 / MissingReference.1 media. It checks that
 * every object has the fields its schema names, and gives each track's items their place on the track (items of
 * a track play one after another; a transition takes no time of its own). No npm package reads OTIO.
 */
export interface OtioTime {
  value: number
  rate: number
}

export interface OtioMarker {
  name: string
  color: string
  start: OtioTime
  duration: OtioTime
}

export interface OtioItem {
  schema: 'Clip' | 'Gap'
  name: string
  /** Where the item starts on its track, in the rate of its source range. */
  trackStart: OtioTime
  sourceStart: OtioTime
  duration: OtioTime
  /** The active media reference's `target_url`, null for a gap or missing media. */
  targetUrl: string | null
  markers: OtioMarker[]
  metadata: Record<string, unknown>
}

export interface OtioTrack {
  name: string
  kind: string
  items: OtioItem[]
}

export interface OtioTimeline {
  name: string
  globalStartTime: OtioTime | null
  tracks: OtioTrack[]
  /** Markers on the Stack (timeline time). */
  markers: OtioMarker[]
  metadata: Record<string, unknown>
}

export class OtioError extends Error {}

type Json = Record<string, unknown>

function obj(v: unknown, where: string): Json {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new OtioError(`${where}: expected an object`)
  return v as Json
}

/** The schema name and version of an object (`Clip.2` -> ['Clip', 2]). */
function schemaOf(o: Json, where: string): [string, number] {
  const s = o.OTIO_SCHEMA
  const m = typeof s === 'string' ? /^([A-Za-z]+)\.(\d+)$/.exec(s) : null
  if (!m) throw new OtioError(`${where}: OTIO_SCHEMA missing or malformed (${String(s)})`)
  return [m[1]!, Number(m[2])]
}

function expectSchema(o: Json, where: string, names: string[]): [string, number] {
  const [name, version] = schemaOf(o, where)
  if (!names.includes(`${name}.${version}`))
    throw new OtioError(`${where}: expected ${names.join(' or ')}, got ${name}.${version}`)
  return [name, version]
}

function str(o: Json, key: string, where: string): string {
  const v = o[key]
  if (typeof v !== 'string') throw new OtioError(`${where}: "${key}" must be a string`)
  return v
}

function arr(o: Json, key: string, where: string): unknown[] {
  const v = o[key]
  if (!Array.isArray(v)) throw new OtioError(`${where}: "${key}" must be a list`)
  return v
}

function metadataOf(o: Json, where: string): Json {
  return o.metadata === undefined ? {} : obj(o.metadata, `${where}.metadata`)
}

function rationalTime(v: unknown, where: string): OtioTime {
  const o = obj(v, where)
  expectSchema(o, where, ['RationalTime.1'])
  const { value, rate } = o
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new OtioError(`${where}: value must be a number`)
  if (typeof rate !== 'number' || !(rate > 0)) throw new OtioError(`${where}: rate must be a positive number`)
  return { value, rate }
}

function timeRange(v: unknown, where: string): { start: OtioTime; duration: OtioTime } {
  const o = obj(v, where)
  expectSchema(o, where, ['TimeRange.1'])
  const start = rationalTime(o.start_time, `${where}.start_time`)
  const duration = rationalTime(o.duration, `${where}.duration`)
  if (duration.value < 0) throw new OtioError(`${where}: negative duration`)
  return { start, duration }
}

function markers(o: Json, where: string): OtioMarker[] {
  if (o.markers === undefined) return []
  return arr(o, 'markers', where).map((v, i) => {
    const w = `${where}.markers[${i}]`
    const m = obj(v, w)
    expectSchema(m, w, ['Marker.1', 'Marker.2'])
    const range = timeRange(m.marked_range, `${w}.marked_range`)
    return { name: str(m, 'name', w), color: str(m, 'color', w), start: range.start, duration: range.duration }
  })
}

function mediaUrl(clip: Json, version: number, where: string): string | null {
  let ref: unknown
  if (version >= 2) {
    const refs = obj(clip.media_references, `${where}.media_references`)
    const key = str(clip, 'active_media_reference_key', where)
    if (!(key in refs)) throw new OtioError(`${where}: active_media_reference_key "${key}" is not in media_references`)
    ref = refs[key]
  } else ref = clip.media_reference
  if (ref === null || ref === undefined) return null
  const r = obj(ref, `${where}.media_reference`)
  const [name] = expectSchema(r, `${where}.media_reference`, [
    'ExternalReference.1',
    'MissingReference.1',
    'GeneratorReference.1',
    'ImageSequenceReference.1',
  ])
  if (r.available_range !== null && r.available_range !== undefined)
    timeRange(r.available_range, `${where}.media_reference.available_range`)
  return name === 'ExternalReference' ? str(r, 'target_url', `${where}.media_reference`) : null
}

/** `a + b` as a time at `a`'s rate (values of a track at one rate stay exact). */
function add(a: OtioTime, b: OtioTime): OtioTime {
  return { value: a.value + (b.value * a.rate) / b.rate, rate: a.rate }
}

export function readOtio(text: string): OtioTimeline {
  let root: unknown
  try {
    root = JSON.parse(text)
  } catch (err) {
    throw new OtioError(`not JSON: ${(err as Error).message}`)
  }
  const t = obj(root, 'timeline')
  expectSchema(t, 'timeline', ['Timeline.1'])
  const stack = obj(t.tracks, 'timeline.tracks')
  expectSchema(stack, 'timeline.tracks', ['Stack.1'])
  const tracks = arr(stack, 'children', 'timeline.tracks').map((v, ti): OtioTrack => {
    const w = `tracks[${ti}]`
    const track = obj(v, w)
    expectSchema(track, w, ['Track.1'])
    let at: OtioTime | null = null
    const items: OtioItem[] = []
    arr(track, 'children', w).forEach((c, ci) => {
      const iw = `${w}.children[${ci}]`
      const item = obj(c, iw)
      const [name, version] = expectSchema(item, iw, ['Clip.1', 'Clip.2', 'Gap.1', 'Transition.1'])
      if (name === 'Transition') {
        rationalTime(item.in_offset, `${iw}.in_offset`)
        rationalTime(item.out_offset, `${iw}.out_offset`)
        return
      }
      if (item.source_range === null || item.source_range === undefined)
        throw new OtioError(`${iw}: no source_range (a reader would need the media's available range)`)
      const range = timeRange(item.source_range, `${iw}.source_range`)
      const trackStart: OtioTime = at ?? { value: 0, rate: range.duration.rate }
      items.push({
        schema: name as 'Clip' | 'Gap',
        name: typeof item.name === 'string' ? item.name : '',
        trackStart,
        sourceStart: range.start,
        duration: range.duration,
        targetUrl: name === 'Clip' ? mediaUrl(item, version, iw) : null,
        markers: markers(item, iw),
        metadata: metadataOf(item, iw),
      })
      at = add(trackStart, range.duration)
    })
    return { name: typeof track.name === 'string' ? track.name : '', kind: str(track, 'kind', w), items }
  })
  return {
    name: str(t, 'name', 'timeline'),
    globalStartTime:
      t.global_start_time === null || t.global_start_time === undefined
        ? null
        : rationalTime(t.global_start_time, 'timeline.global_start_time'),
    tracks,
    markers: markers(stack, 'timeline.tracks'),
    metadata: metadataOf(t, 'timeline'),
  }
}

/** A time as whole frames at `rate`; throws when it is not on that frame grid. */
export function framesAt(time: OtioTime, rate: number): number {
  const frames = (time.value * rate) / time.rate
  const whole = Math.round(frames)
  if (Math.abs(frames - whole) > 1e-6) throw new OtioError(`${time.value}@${time.rate} is not a whole frame at ${rate}`)
  return whole
}
