import { type FrameRate, timeline } from '@cutroom/schema'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as Y from 'yjs'
import { parseCmx3600 } from './parseCmx3600'
import { framesAt, readOtio } from './readOtio'
import { type CutAsset, MissingAssetError, readTimelineCut } from './timelineCut'
import { timelineEdl } from './timelineEdl'
import { timelineFcpxml } from './timelineFcpxml'
import { timelineOtio } from './timelineOtio'
import { timecodeToFrames } from './timecode'

/** The cuts as every format must give them back: the storyline, the anchored media, the markers (timeline frames). */
interface Cuts {
  storyline: { kind: 'clip' | 'gap'; start: number; end: number; sourceIn: number; file: string | null }[]
  anchored: { start: number; end: number; sourceIn: number; file: string }[]
  markers: { frame: number; label: string }[]
}

const ASSETS: CutAsset[] = [
  { id: 'a1', filename: 'A001 interview.mov', durationFrames: 200_000, hasVideo: true, hasAudio: true },
  { id: 'a2', filename: 'B-roll & wide.mp4', durationFrames: 5000, hasVideo: true, hasAudio: false },
  { id: 'a3', filename: 'music.wav', durationFrames: null, hasVideo: false, hasAudio: true },
]
const assetMap = new Map(ASSETS.map((a) => [a.id, a]))
const fileOf = (id: string) => assetMap.get(id)!.filename

/** A deterministic pseudo-random timeline: clips and gaps, anchored music and b-roll, markers. */
function makeTimeline(fps: FrameRate, seed: number, clips = 40) {
  let s = seed
  const rand = (n: number) => {
    s = (s * 1103515245 + 12345) % 2 ** 31
    return s % n
  }
  const doc = new Y.Doc()
  Y.applyUpdate(doc, timeline.genesis())
  timeline.setMeta(doc, { fps })
  const ids: string[] = []
  for (let i = 0; i < clips; i++) {
    if (rand(5) === 0) ids.push(timeline.insertGap(doc, { at: { index: ids.length }, duration: 1 + rand(90) }))
    const sourceIn = rand(2) ? rand(150_000) : rand(3000)
    const assetId = rand(3) ? 'a1' : 'a2'
    const max = assetId === 'a2' ? 5000 : 200_000
    const sIn = Math.min(sourceIn, max - 400)
    ids.push(
      timeline.insertClip(doc, {
        at: { index: ids.length },
        assetId,
        sourceIn: sIn,
        sourceOut: sIn + 1 + rand(300),
        label: rand(2) ? `Shot ${i} "take" <${i}>` : '',
      }),
    )
  }
  const music = timeline.addTrack(doc, { kind: 'audio', name: 'Music' })
  const broll = timeline.addTrack(doc, { kind: 'video', name: 'B-roll' })
  timeline.addTrack(doc, { kind: 'caption', name: 'Captions' })
  for (let i = 0; i < 12; i++) {
    const anchorId = ids[rand(ids.length)]!
    timeline.addAnchoredItem(doc, {
      trackId: music,
      anchorId,
      offset: rand(20),
      duration: 1 + rand(400),
      assetId: 'a3',
      sourceIn: rand(10_000),
    })
    if (i % 3 === 0)
      timeline.addAnchoredItem(doc, {
        trackId: broll,
        anchorId,
        offset: 0,
        duration: 1 + rand(50),
        assetId: 'a2',
        sourceIn: rand(4000),
      })
  }
  const total = timeline.storylineLayout(doc).at(-1)!.end
  for (let i = 0; i < 9; i++)
    timeline.addMarker(doc, { frame: rand(total), label: `Note ${i}`, color: i % 2 ? 'orange' : 'red' })
  timeline.addMarker(doc, { frame: total + 10, label: 'past the end' })
  return doc
}

function expectedCuts(doc: Y.Doc): Cuts {
  const layout = timeline.storylineLayout(doc)
  const total = layout.at(-1)?.end ?? 0
  return {
    storyline: layout.map((p) =>
      p.kind === 'gap'
        ? { kind: 'gap', start: p.start, end: p.end, sourceIn: 0, file: null }
        : { kind: 'clip', start: p.start, end: p.end, sourceIn: p.sourceIn, file: fileOf(p.assetId) },
    ),
    anchored: timeline
      .anchoredLayout(doc)
      .filter((a) => a.kind !== 'caption')
      .map((a) => ({ start: a.start, end: a.end, sourceIn: a.sourceIn ?? 0, file: fileOf(a.assetId!) })),
    markers: timeline
      .getMarkers(doc)
      .filter((m) => m.frame < total)
      .map((m) => ({ frame: m.frame, label: m.label })),
  }
}

const sortAnchored = (list: Cuts['anchored']) =>
  [...list].sort((a, b) => a.start - b.start || a.end - b.end || a.sourceIn - b.sourceIn || (a.file < b.file ? -1 : 1))
const sortMarkers = (list: Cuts['markers']) =>
  [...list].sort((a, b) => a.frame - b.frame || (a.label < b.label ? -1 : 1))

function assertSameCuts(actual: Cuts, expected: Cuts, format: string) {
  assert.equal(actual.storyline, expected.storyline, `${format}: storyline`)
  assert.equal(sortAnchored(actual.anchored), sortAnchored(expected.anchored), `${format}: anchored clips`)
  assert.equal(sortMarkers(actual.markers), sortMarkers(expected.markers), `${format}: markers`)
}

function cutsFromOtio(text: string, fps: FrameRate): Cuts {
  const rate = fps.num / fps.den
  const t = readOtio(text)
  const [story, ...others] = t.tracks
  assert.is(story!.kind, 'Video')
  const f = (x: { value: number; rate: number }) => {
    assert.is(x.rate, rate, 'every RationalTime is at the timeline rate')
    assert.ok(Number.isInteger(x.value), 'every value is a whole frame')
    return framesAt(x, rate)
  }
  return {
    storyline: story!.items.map((i) => ({
      kind: i.schema === 'Gap' ? 'gap' : 'clip',
      start: f(i.trackStart),
      end: f(i.trackStart) + f(i.duration),
      sourceIn: i.schema === 'Gap' ? 0 : f(i.sourceStart),
      file: i.targetUrl,
    })),
    anchored: others.flatMap((track) =>
      track.items
        .filter((i) => i.schema === 'Clip')
        .map((i) => ({
          start: f(i.trackStart),
          end: f(i.trackStart) + f(i.duration),
          sourceIn: f(i.sourceStart),
          file: i.targetUrl!,
        })),
    ),
    markers: t.markers.map((m) => ({ frame: f(m.start), label: m.name })),
  }
}

function cutsFromEdl(text: string, fps: FrameRate): Cuts {
  const edl = parseCmx3600(text)
  assert.is(edl.dropFrame, fps.den === 1001 && fps.num !== 24000)
  const f = (tc: string) => timecodeToFrames(tc, fps)
  return {
    storyline: edl.events.map((e) => {
      assert.is(e.transition, 'C')
      assert.is(f(e.sourceOut) - f(e.sourceIn), f(e.recordOut) - f(e.recordIn), 'source and record lengths agree')
      return e.reel === 'BL'
        ? { kind: 'gap', start: f(e.recordIn), end: f(e.recordOut), sourceIn: 0, file: null }
        : { kind: 'clip', start: f(e.recordIn), end: f(e.recordOut), sourceIn: f(e.sourceIn), file: e.sourceFile }
    }),
    anchored: [],
    markers: edl.events.flatMap((e) => e.locators.map((l) => ({ frame: f(l.timecode), label: l.name }))),
  }
}

type XmlNode = Record<string, unknown> & { ':@'?: Record<string, string> }
const tagOf = (n: XmlNode) => Object.keys(n).find((k) => k !== ':@')!
const kids = (n: XmlNode) => n[tagOf(n)] as XmlNode[]
const child = (n: XmlNode, tag: string) => kids(n).find((c) => tagOf(c) === tag)!

function cutsFromFcpxml(xml: string, fps: FrameRate): Cuts {
  assert.is(XMLValidator.validate(xml), true, 'well-formed XML')
  const tree = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', preserveOrder: true }).parse(
    xml,
  ) as XmlNode[]
  const root = tree.find((n) => tagOf(n) === 'fcpxml')!
  assert.is(root[':@']!.version, '1.10')
  const f = (t: string) => {
    const m = /^(-?\d+)(?:\/(\d+))?s$/.exec(t)
    assert.ok(m, `${t} is a rational time`)
    const frames = (Number(m![1]) * fps.num) / (Number(m![2] ?? 1) * fps.den)
    assert.ok(Number.isInteger(frames), `${t} is on the frame grid`)
    return frames
  }
  const resources = child(root, 'resources')
  const format = child(resources, 'format')[':@']!
  assert.is(f(format.frameDuration!), 1)
  const files = new Map<string, string>()
  for (const a of kids(resources).filter((n) => tagOf(n) === 'asset'))
    files.set(a[':@']!.id!, decodeURIComponent(child(a, 'media-rep')[':@']!.src!.replace(/^\.\//, '')))
  const sequence = child(child(child(child(root, 'library'), 'event'), 'project'), 'sequence')
  assert.is(sequence[':@']!.tcFormat, fps.den === 1001 && fps.num !== 24000 ? 'DF' : 'NDF')
  const cuts: Cuts = { storyline: [], anchored: [], markers: [] }
  for (const item of kids(child(sequence, 'spine'))) {
    const tag = tagOf(item)
    const a = item[':@']!
    const offset = f(a.offset!)
    const local = f(a.start ?? '0s')
    const duration = f(a.duration!)
    assert.ok(tag === 'asset-clip' || tag === 'gap', tag)
    cuts.storyline.push({
      kind: tag === 'gap' ? 'gap' : 'clip',
      start: offset,
      end: offset + duration,
      sourceIn: tag === 'gap' ? 0 : local,
      file: tag === 'gap' ? null : files.get(a.ref!)!,
    })
    for (const c of kids(item)) {
      const ca = c[':@']!
      if (tagOf(c) === 'marker') cuts.markers.push({ frame: offset + f(ca.start!) - local, label: ca.value! })
      else if (tagOf(c) === 'asset-clip') {
        assert.ok(Number(ca.lane) !== 0, 'connected clips are on a lane')
        const start = offset + f(ca.offset!) - local
        cuts.anchored.push({ start, end: start + f(ca.duration!), sourceIn: f(ca.start!), file: files.get(ca.ref!)! })
      }
    }
  }
  return cuts
}

const RATES: FrameRate[] = [
  { num: 30000, den: 1001 },
  { num: 24000, den: 1001 },
  { num: 60000, den: 1001 },
  { num: 25, den: 1 },
  { num: 24, den: 1 },
]

test('OTIO, EDL and FCPXML read back by their parsers give the timeline’s cuts, at every common rate', () => {
  RATES.forEach((fps, i) => {
    const doc = makeTimeline(fps, 7 + i)
    const cut = readTimelineCut(doc, 'Spot “v2”', assetMap)
    const expected = expectedCuts(doc)
    assert.ok(expected.anchored.length >= 12 && expected.markers.length >= 5, 'the timeline exercises every part')
    assertSameCuts(cutsFromOtio(timelineOtio(cut, 'doc-1'), fps), expected, `otio ${fps.num}/${fps.den}`)
    assertSameCuts(cutsFromEdl(timelineEdl(cut), fps), { ...expected, anchored: [] }, `edl ${fps.num}/${fps.den}`)
    assertSameCuts(cutsFromFcpxml(timelineFcpxml(cut), fps), expected, `fcpxml ${fps.num}/${fps.den}`)
  })
})

test('FCPXML markers are clip-local: a marker in a clip starts at the clip’s source time', () => {
  const fps = { num: 30000, den: 1001 }
  const doc = new Y.Doc()
  Y.applyUpdate(doc, timeline.genesis())
  timeline.setMeta(doc, { fps })
  timeline.insertClip(doc, { at: { index: 0 }, assetId: 'a1', sourceIn: 1000, sourceOut: 1030 })
  timeline.insertGap(doc, { at: { index: 1 }, duration: 30 })
  timeline.addMarker(doc, { frame: 10, label: 'in clip' })
  timeline.addMarker(doc, { frame: 40, label: 'in gap' })
  const xml = timelineFcpxml(readTimelineCut(doc, 'T', assetMap))
  assert.match(
    xml,
    /<asset-clip ref="r2" name="A001 interview.mov" offset="0s" start="1001\/30s" duration="1001\/1000s" format="r1">\n\s+<marker start="101101\/3000s" duration="1001\/30000s" value="in clip"\/>/,
  )
  assert.match(
    xml,
    /<gap name="Gap" offset="1001\/1000s" start="0s" duration="1001\/1000s">\n\s+<marker start="1001\/3000s"/,
  )
  const edl = timelineEdl(readTimelineCut(doc, 'T', assetMap))
  assert.match(edl, /^001  A001_INT V     C        00:00:33;10 00:00:34;10 00:00:00;00 00:00:01;00$/m)
  assert.match(edl, /^002  BL       V     C        00:00:00;00 00:00:01;00 00:00:01;00 00:00:02;00$/m)
  assert.match(edl, /^\* LOC: 00:00:01;10 BLUE    in gap$/m)
})

test('an empty timeline gives valid, empty files; a clip of an asset outside the project is refused by name', () => {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, timeline.genesis())
  const cut = readTimelineCut(doc, 'Empty', assetMap)
  const fps = timeline.getMeta(doc).fps
  assertSameCuts(cutsFromOtio(timelineOtio(cut, 'd'), fps), { storyline: [], anchored: [], markers: [] }, 'otio')
  assertSameCuts(cutsFromEdl(timelineEdl(cut), fps), { storyline: [], anchored: [], markers: [] }, 'edl')
  assertSameCuts(cutsFromFcpxml(timelineFcpxml(cut), fps), { storyline: [], anchored: [], markers: [] }, 'fcpxml')
  timeline.insertClip(doc, { at: { index: 0 }, assetId: 'gone', sourceIn: 0, sourceOut: 10, label: 'Opening' })
  assert.throws(
    () => readTimelineCut(doc, 'T', assetMap),
    (e: unknown) => e instanceof MissingAssetError && /"Opening"/.test((e as Error).message),
  )
})

test.run()
