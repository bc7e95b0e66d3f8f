import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { framesAt, OtioError, readOtio } from './readOtio'

const rt = (value: number, rate = 24) => ({ OTIO_SCHEMA: 'RationalTime.1', rate, value })
const range = (start: number, duration: number, rate = 24) => ({
  OTIO_SCHEMA: 'TimeRange.1',
  start_time: rt(start, rate),
  duration: rt(duration, rate),
})

// Shaped like the files OTIO's own adapters write: a legacy Clip.1 with media_reference, a Clip.2 with
// media_references, a gap, a transition between clips, markers on a clip and on the stack.
const sample = {
  OTIO_SCHEMA: 'Timeline.1',
  metadata: {},
  name: 'Sample',
  global_start_time: rt(86400),
  tracks: {
    OTIO_SCHEMA: 'Stack.1',
    name: 'tracks',
    children: [
      {
        OTIO_SCHEMA: 'Track.1',
        name: 'V1',
        kind: 'Video',
        source_range: null,
        children: [
          {
            OTIO_SCHEMA: 'Clip.1',
            name: 'A',
            source_range: range(100, 48),
            media_reference: { OTIO_SCHEMA: 'ExternalReference.1', target_url: 'file:///a.mov', available_range: null },
            markers: [{ OTIO_SCHEMA: 'Marker.2', name: 'm', color: 'RED', marked_range: range(110, 0), comment: '' }],
          },
          { OTIO_SCHEMA: 'Transition.1', in_offset: rt(6), out_offset: rt(6), transition_type: 'SMPTE_Dissolve' },
          { OTIO_SCHEMA: 'Gap.1', source_range: range(0, 12) },
          {
            OTIO_SCHEMA: 'Clip.2',
            name: 'B',
            source_range: range(0, 24),
            media_references: { DEFAULT_MEDIA: { OTIO_SCHEMA: 'MissingReference.1' } },
            active_media_reference_key: 'DEFAULT_MEDIA',
          },
        ],
      },
      { OTIO_SCHEMA: 'Track.1', name: 'A1', kind: 'Audio', children: [] },
    ],
    markers: [{ OTIO_SCHEMA: 'Marker.1', name: 'top', color: 'GREEN', marked_range: range(30, 2) }],
  },
}

test('reads tracks, items at their places, media, markers', () => {
  const t = readOtio(JSON.stringify(sample))
  assert.is(t.name, 'Sample')
  assert.equal(t.globalStartTime, { value: 86400, rate: 24 })
  assert.equal(
    t.tracks.map((k) => [k.name, k.kind, k.items.length]),
    [
      ['V1', 'Video', 3],
      ['A1', 'Audio', 0],
    ],
  )
  const [a, gap, b] = t.tracks[0]!.items
  assert.equal(
    [a!.schema, framesAt(a!.trackStart, 24), framesAt(a!.sourceStart, 24), framesAt(a!.duration, 24)],
    ['Clip', 0, 100, 48],
  )
  assert.is(a!.targetUrl, 'file:///a.mov')
  assert.equal(
    a!.markers.map((m) => [m.name, framesAt(m.start, 24)]),
    [['m', 110]],
  )
  assert.equal([gap!.schema, framesAt(gap!.trackStart, 24)], ['Gap', 48], 'a transition takes no track time')
  assert.equal([b!.schema, framesAt(b!.trackStart, 24), b!.targetUrl], ['Clip', 60, null])
  assert.equal(
    t.markers.map((m) => [m.name, m.color, framesAt(m.start, 24), framesAt(m.duration, 24)]),
    [['top', 'GREEN', 30, 2]],
  )
})

test('times at NTSC rates stay on the frame grid', () => {
  const ntsc = 30000 / 1001
  assert.is(framesAt({ value: 1798, rate: ntsc }, ntsc), 1798)
  assert.is(framesAt({ value: 48, rate: 24 }, 48), 96)
  assert.throws(() => framesAt({ value: 1, rate: 24 }, 25), /not a whole frame/)
})

test('refuses files that break the schema, saying where', () => {
  const broken = (mutate: (s: any) => void, pattern: RegExp) => {
    const copy = structuredClone(sample) as any
    mutate(copy)
    try {
      readOtio(JSON.stringify(copy))
      assert.unreachable('accepted a broken file')
    } catch (err) {
      assert.instance(err, OtioError)
      assert.match((err as Error).message, pattern)
    }
  }
  broken((s) => (s.OTIO_SCHEMA = 'Timeline'), /timeline: OTIO_SCHEMA missing or malformed/)
  broken((s) => (s.tracks.OTIO_SCHEMA = 'Track.1'), /expected Stack.1, got Track.1/)
  broken((s) => delete s.tracks.children[0].kind, /tracks\[0\]: "kind" must be a string/)
  broken((s) => (s.tracks.children[0].children[0].source_range.duration.rate = 0), /rate must be a positive number/)
  broken((s) => (s.tracks.children[0].children[3].active_media_reference_key = 'X'), /"X" is not in media_references/)
  broken((s) => (s.tracks.children[0].children[2].OTIO_SCHEMA = 'Filler.1'), /children\[2\]: expected Clip.1 or Clip.2/)
  broken((s) => (s.tracks.markers[0].marked_range = null), /markers\[0\].marked_range: expected an object/)
  assert.throws(() => readOtio('{"OTIO_SCHEMA": '), /not JSON/)
})

test.run()
