import { type retell, SERVER_ORIGIN, timeline } from '@cutroom/schema'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as Y from 'yjs'
import { timelineFirstUpdate } from '../documents/timelineFirstUpdate'
import { assembleTimeline } from './assembleTimeline'

/** Placement rules of an assembled timeline that the router test does not reach: overlaps and trailing narration. */
const project = { fpsNum: 25, fpsDen: 1, sampleRate: 48_000 }
const shot = (sourceIn: number, sourceOut: number): retell.RetellBlock => ({
  type: 'shot',
  assetId: 'a',
  sourceIn,
  sourceOut,
  label: '',
})
const voice = (id: string, seconds: number): retell.RetellBlock => ({
  type: 'narration',
  id,
  text: `Line ${id}.`,
  voice: 'narrator',
  audioArtifactId: `artifact-${id}`,
  duration: Math.round(seconds * 48_000),
  audioFingerprint: null,
})

function assemble(blocks: retell.RetellBlock[]) {
  let summary: ReturnType<typeof assembleTimeline> | undefined
  const doc = new Y.Doc()
  Y.applyUpdate(
    doc,
    timelineFirstUpdate(project, (d) => {
      summary = assembleTimeline(d, blocks, { id: 'script', sampleRate: 48_000 }, SERVER_ORIGIN)
    }),
  )
  const voices = timeline
    .anchoredLayout(doc)
    .map((i) => [i.id, i.start, i.duration])
    .sort((a, b) => Number(a[1]) - Number(b[1]))
  const problems = timeline.validate(doc)
  doc.destroy()
  return { summary: summary!, voices, problems }
}

test('narration longer than its shots runs into the next block: placed at its block all the same, and said', () => {
  const { summary, voices, problems } = assemble([voice('a', 3), shot(0, 50), voice('b', 1), shot(100, 150)])
  assert.equal(problems, [])
  assert.equal(voices, [
    ['a', 0, 75],
    ['b', 50, 25],
  ])
  assert.is(summary.warnings.length, 1)
  assert.match(summary.warnings[0]!, /Narration "Line a\." runs 1\.0 s into "Line b\."/)
})

test('narration after the last shot hangs past the picture, anchored to that shot, and is said', () => {
  const { summary, voices } = assemble([shot(0, 50), shot(60, 70), voice('end', 2)])
  assert.equal(voices, [['end', 60, 50]])
  assert.is(summary.durationFrames, 60)
  assert.equal(summary.warnings.length, 1)
  assert.match(summary.warnings[0]!, /"Line end\." comes after the last shot/)
})

test('a narration block without audio is not placed; unvoiced scripts get no narration track', () => {
  const unvoiced = { ...(voice('x', 1) as Extract<retell.RetellBlock, { type: 'narration' }>), audioArtifactId: null }
  const { summary, voices } = assemble([unvoiced, shot(0, 10)])
  assert.equal(voices, [])
  assert.is(summary.narration, 0)
})

test.run()
