import { randomUUID } from 'node:crypto'
import type { ExportInput } from '@cutroom/schema'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { captionEvents, captionLook, segmentAss } from './exportCaptions'
import { type ResolvedSource, segmentVideoSpec } from './exportGraph'
import { compileRenderPlan, MAX_ITEMS_PER_SEGMENT, partsIn, sampleAt } from './exportPlan'

const FPS = { num: 30000, den: 1001 }
const asset = randomUUID()

function input(storyline: ExportInput['timeline']['storyline'], extra: Partial<ExportInput> = {}, anchored: ExportInput['timeline']['anchored'] = []): ExportInput {
  return {
    documentId: randomUUID(),
    versionId: null,
    preset: '720p',
    assetId: randomUUID(),
    outputKey: 'k',
    size: { width: 1280, height: 720 },
    captions: null,
    brandKit: null,
    sources: [],
    ...extra,
    timeline: { fps: FPS, width: 1920, height: 1080, sampleRate: 48000, storylineMuted: false, storyline, anchored },
  }
}

const clips = (n: number, frames: number): ExportInput['timeline']['storyline'] =>
  Array.from({ length: n }, (_, i) => ({ kind: 'clip' as const, id: `c${i}`, assetId: asset, sourceIn: i * 3, sourceOut: i * 3 + frames, label: '' }))

test('segments tile the timeline exactly and their samples add up to the total', () => {
  for (const [n, frames, parallelism] of [
    [1, 7, 2],
    [12, 150, 2],
    [500, 2, 2],
    [120, 150, 4],
  ] as const) {
    const plan = compileRenderPlan(input(clips(n, frames)), { parallelism, minSegmentSeconds: 1 })
    assert.is(plan.totalFrames, n * frames)
    let at = 0
    let samples = 0
    for (const s of plan.segments) {
      assert.is(s.start, at, 'no gap or overlap between segments')
      assert.ok(s.frames > 0)
      assert.ok(partsIn(plan.pieces, s).length <= MAX_ITEMS_PER_SEGMENT + 1, 'bounded inputs per segment')
      samples += sampleAt(s.start + s.frames, FPS) - sampleAt(s.start, FPS)
      at += s.frames
    }
    assert.is(at, plan.totalFrames)
    assert.is(samples, plan.totalSamples)
    if (n * frames > 600) assert.ok(plan.segments.length >= parallelism, `${n} clips: ${plan.segments.length} segments`)
  }
})

test('a piece split by a segment boundary continues at the right source frame', () => {
  const plan = compileRenderPlan(input(clips(1, 600)), { parallelism: 2, minSegmentSeconds: 1, maxSegmentSeconds: 5 })
  const parts = plan.segments.flatMap((s) => partsIn(plan.pieces, s))
  assert.ok(parts.length > 1)
  let expected = 0
  for (const p of parts) {
    assert.is(p.sourceIn, expected)
    expected += p.frames
  }
  assert.is(expected, 600)
})

test('anchored items before the storyline start or past its end are cut to it; the intro shifts everything', () => {
  const plan = compileRenderPlan(
    input(clips(2, 30), {}, [
      { id: 'a', track: 'audio', start: -10, duration: 20, assetId: asset, sourceIn: 5 },
      { id: 'c', track: 'caption', start: 50, duration: 30, text: 'late' },
    ]),
    { intro: { kind: 'still', frames: 90 } },
  )
  assert.equal(plan.layers.map((l) => [l.start, l.frames, l.sourceIn]), [[90, 10, 15]])
  assert.equal(plan.captions, [{ start: 140, frames: 10, text: 'late' }])
  assert.is(plan.totalFrames, 150)
})

test('the vertical preset centre-crops landscape media; a clip with a crop box uses it', () => {
  const sources = new Map<string, ResolvedSource>([[asset, { url: 'in.mp4', hasVideo: true, hasAudio: false, still: false }]])
  const storyline: ExportInput['timeline']['storyline'] = [
    { kind: 'clip', id: 'a', assetId: asset, sourceIn: 0, sourceOut: 10, label: '' },
    { kind: 'clip', id: 'b', assetId: asset, sourceIn: 0, sourceOut: 10, label: '', crop: { x: 0.5, y: 0, w: 0.3, h: 1 } },
  ]
  const plan = compileRenderPlan(input(storyline, { preset: 'vertical-1080x1920', size: { width: 1080, height: 1920 } }))
  assert.is(plan.fit, 'cover')
  const graph = segmentVideoSpec(plan, plan.segments[0]!, sources, 'out.mp4', { encoderArgs: [] }).complexFilter!
  const chains = graph.split(';').filter((c) => c.startsWith('['))
  assert.match(chains[0]!, 'force_original_aspect_ratio=increase')
  assert.match(chains[0]!, 'crop=1080:1920')
  assert.match(chains[1]!, "crop=w='trunc(iw*0.3/2)*2':h='trunc(ih*1/2)*2':x='iw*0.5':y='ih*0'")
  const landscape = compileRenderPlan(input(storyline.slice(0, 1)))
  assert.is(landscape.fit, 'contain')
  assert.match(segmentVideoSpec(landscape, landscape.segments[0]!, sources, 'o.mp4', { encoderArgs: [] }).complexFilter!, 'pad=1280:720')
})

test('karaoke captions are one event per word window, only that word highlighted; ASS times floor to the frame', () => {
  const look = captionLook('karaoke', { colors: { primary: '#ff0000', secondary: '#000000', text: '#ffffff' } })
  const events = captionEvents([{ start: 30, frames: 60, text: 'one two three' }], look)
  assert.is(events.length, 3)
  assert.is(events[0]!.start, 30)
  assert.is(events.at(-1)!.start + events.at(-1)!.frames, 90, 'the windows fill the caption')
  assert.is(events[1]!.text, 'one {\\c&H0000FF&}two{\\r} three')
  const ass = segmentAss(events, { index: 0, start: 0, frames: 300 }, FPS, look, 1080, 1920)
  assert.match(ass, 'PlayResX: 1080\nPlayResY: 1920')
  // frame 30 at 29.97 fps is 1.001 s: shown from 1.00 (not 1.01, which would miss it)
  assert.match(ass, 'Dialogue: 0,0:00:01.00,')
  const clean = captionEvents([{ start: 0, frames: 10, text: 'a {b} \\c' }], captionLook('clean', null))
  assert.equal(clean.map((e) => e.text), ['a (b) /c'], 'braces and backslashes cannot open override tags')
})

test.run()
