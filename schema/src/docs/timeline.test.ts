import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as Y from 'yjs'
import { CutroomError } from '../errors'
import { createReplicaNetwork } from './createReplicaNetwork'
import { createUserUndoManager } from './createUserUndoManager'
import { prepareDocument, schemaVersionOf } from './docModel'
import { WORKER_PATCH_ORIGIN } from './origins'
import { seededRandom } from './seededRandom'
import { canonicalJson } from './canonicalJson'
import * as timeline from './timeline'

function fresh(): Y.Doc {
  const doc = new Y.Doc()
  prepareDocument(doc, timeline.model)
  return doc
}

/** A timeline with clips a (0..100), b (100..150), c (150..250). */
function abc(): Y.Doc {
  const doc = fresh()
  timeline.insertClip(doc, { at: { index: 0 }, assetId: 'A', sourceIn: 0, sourceOut: 100, id: 'a' })
  timeline.insertClip(doc, { at: { index: 1 }, assetId: 'B', sourceIn: 10, sourceOut: 60, id: 'b' })
  timeline.insertClip(doc, { at: { index: 2 }, assetId: 'C', sourceIn: 0, sourceOut: 100, id: 'c' })
  return doc
}

const layout = (doc: Y.Doc) => timeline.storylineLayout(doc).map((p) => `${p.id}:${p.start}-${p.end}`)

function throwsCode(fn: () => unknown, code: string): void {
  try {
    fn()
  } catch (e) {
    assert.instance(e, CutroomError)
    assert.is((e as CutroomError).code, code)
    return
  }
  assert.unreachable(`expected ${code}`)
}

test('prepare writes the storyline once; two replicas preparing concurrently share one storyline', () => {
  const a = new Y.Doc()
  const b = new Y.Doc()
  prepareDocument(a, timeline.model)
  prepareDocument(b, timeline.model)
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b))
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
  assert.is(timeline.getTracks(a).length, 1)
  assert.ok(timeline.getTracks(a)[0]!.storyline)
  assert.is(schemaVersionOf(a), timeline.VERSION)
  let updates = 0
  a.on('update', () => updates++)
  prepareDocument(a, timeline.model)
  assert.is(updates, 0, 'preparing a prepared document changes nothing')
  assert.equal(timeline.validate(a), [])
})

test('positions are a prefix sum of durations; insert at a frame splits the clip under it', () => {
  const doc = abc()
  assert.equal(layout(doc), ['a:0-100', 'b:100-150', 'c:150-250'])
  assert.is(timeline.duration(doc), 250)
  timeline.insertClip(doc, { at: { frame: 40 }, assetId: 'D', sourceIn: 0, sourceOut: 10, id: 'd' })
  const ids = timeline.storylineLayout(doc).map((p) => p.id)
  assert.equal(ids.slice(0, 2), ['a', 'd'])
  assert.equal(layout(doc).slice(0, 3), ['a:0-40', 'd:40-50', `${ids[2]}:50-110`])
  assert.is(timeline.duration(doc), 260)
  const right = timeline.storylineLayout(doc)[2]!
  assert.is(right.kind === 'clip' && right.sourceIn, 40)
})

test('insert past the end pads with an explicit gap', () => {
  const doc = abc()
  timeline.insertClip(doc, { at: { frame: 300 }, assetId: 'E', sourceIn: 0, sourceOut: 5, id: 'e' })
  const items = timeline.storylineLayout(doc)
  assert.is(items[3]!.kind, 'gap')
  assert.is(items[3]!.duration, 50)
  assert.is(items[4]!.start, 300)
})

test('split gives the right part a new id and the anchored items that start in it', () => {
  const doc = abc()
  const titles = timeline.addTrack(doc, { kind: 'caption', name: 'Captions' })
  timeline.addAnchoredItem(doc, { trackId: titles, anchorId: 'a', offset: 10, duration: 5, text: 'early', id: 'cap1' })
  timeline.addAnchoredItem(doc, { trackId: titles, anchorId: 'a', offset: 70, duration: 5, text: 'late', id: 'cap2' })
  const ids = timeline.splitAt(doc, 60, { rightId: 'a2' })
  assert.equal(ids, { leftId: 'a', rightId: 'a2' })
  assert.equal(layout(doc), ['a:0-60', 'a2:60-100', 'b:100-150', 'c:150-250'])
  const anchored = timeline.anchoredLayout(doc)
  assert.equal(
    anchored.map((i) => [i.id, i.anchorId, i.start]),
    [
      ['cap1', 'a', 10],
      ['cap2', 'a2', 70],
    ],
  )
  assert.is(timeline.splitAt(doc, 60), null, 'a boundary is not split')
})

test('a clip inserted before the probe takes the probed length; one a person trimmed or split keeps its own', () => {
  const doc = fresh()
  timeline.setMeta(doc, { fps: { num: 30, den: 1 } })
  // a provisional 5 s is 150 frames
  timeline.insertClip(doc, {
    at: { index: 0 },
    assetId: 'P',
    sourceIn: 0,
    sourceOut: 150,
    id: 'p',
    lengthPending: true,
  })
  timeline.insertClip(doc, {
    at: { index: 1 },
    assetId: 'P',
    sourceIn: 0,
    sourceOut: 150,
    id: 't',
    lengthPending: true,
  })
  timeline.insertClip(doc, {
    at: { index: 2 },
    assetId: 'P',
    sourceIn: 0,
    sourceOut: 150,
    id: 's',
    lengthPending: true,
  })
  timeline.insertClip(doc, {
    at: { index: 3 },
    assetId: 'Q',
    sourceIn: 0,
    sourceOut: 150,
    id: 'q',
    lengthPending: true,
  })
  timeline.insertClip(doc, { at: { index: 4 }, assetId: 'P', sourceIn: 0, sourceOut: 40, id: 'known' })
  timeline.trim(doc, 't', 'end', -50)
  timeline.splitAt(doc, 310, { rightId: 's-right' })
  assert.equal(layout(doc), ['p:0-150', 't:150-250', 's:250-310', 's-right:310-400', 'q:400-550', 'known:550-590'])

  const updates: Uint8Array[] = []
  doc.on('update', (u: Uint8Array) => updates.push(u))
  assert.is(timeline.settleClipLengths(doc, 'P', 3.2), 1)
  assert.is(updates.length, 1, 'one transaction')
  // 3.2 s at 30 fps = 96 frames; later items ripple
  assert.equal(layout(doc), ['p:0-96', 't:96-196', 's:196-256', 's-right:256-346', 'q:346-496', 'known:496-536'])
  const items = timeline.storylineLayout(doc)
  assert.is((items[0] as timeline.ClipItem).lengthPending, undefined)
  assert.is((items[4] as timeline.ClipItem).lengthPending, true, "another asset's clip still waits for its probe")
  assert.is(timeline.settleClipLengths(doc, 'P', 3.2), 0, 'a repeated probe changes nothing')
  assert.is(updates.length, 1)
  throwsCode(() => timeline.settleClipLengths(doc, 'Q', Number.NaN), 'BAD_INPUT')
  throwsCode(() => timeline.settleClipLengths(doc, 'Q', 0), 'BAD_INPUT')
})

test('a preview proxy fills the slot until the full ladder lands, and never replaces it', () => {
  const doc = fresh()
  const ref = (artifactId: string, metadata: Record<string, unknown>) => ({
    artifactId,
    slot: 'hls',
    assetId: 'A',
    key: `k/${artifactId}/master.m3u8`,
    contentType: 'application/vnd.apple.mpegurl',
    metadata,
  })
  assert.ok(timeline.setArtifact(doc, ref('preview', { preview: true })))
  assert.is(timeline.getArtifact(doc, 'A', 'hls')!.artifactId, 'preview')
  assert.ok(timeline.setArtifact(doc, ref('ladder', { renditions: 2 })))
  assert.is(timeline.getArtifact(doc, 'A', 'hls')!.artifactId, 'ladder')
  // the preview's result delivered again later changes nothing
  assert.not.ok(timeline.setArtifact(doc, ref('preview', { preview: true })))
  assert.is(timeline.getArtifact(doc, 'A', 'hls')!.artifactId, 'ladder')
})

test('trim ripples later items and keeps anchored items in sync with the content', () => {
  const doc = abc()
  const music = timeline.addTrack(doc, { kind: 'audio', name: 'Music' })
  timeline.addAnchoredItem(doc, {
    trackId: music,
    anchorId: 'b',
    offset: 20,
    duration: 10,
    assetId: 'M',
    sourceIn: 0,
    id: 'm',
  })
  timeline.addAnchoredItem(doc, {
    trackId: music,
    anchorId: 'c',
    offset: 0,
    duration: 10,
    assetId: 'M',
    sourceIn: 0,
    id: 'n',
  })
  timeline.trim(doc, 'b', 'start', 10)
  assert.equal(layout(doc), ['a:0-100', 'b:100-140', 'c:140-240'])
  const byId = Object.fromEntries(timeline.anchoredLayout(doc).map((i) => [i.id, i.start]))
  assert.is(byId.m, 110, 'the music stays on the same source frame of b')
  assert.is(byId.n, 140, 'items anchored later ripple left')
  timeline.trim(doc, 'c', 'end', -50)
  assert.is(timeline.duration(doc), 190)
  throwsCode(() => timeline.trim(doc, 'b', 'end', -40), 'BAD_INPUT')
  throwsCode(() => timeline.trim(doc, 'a', 'start', -1), 'BAD_INPUT')
  throwsCode(() => timeline.trim(doc, 'zzz', 'end', 1), 'NOT_FOUND')
})

test('ripple delete closes the space and takes anchored items along, in one update', () => {
  const doc = abc()
  const cap = timeline.addTrack(doc, { kind: 'caption', name: 'Captions' })
  timeline.addAnchoredItem(doc, { trackId: cap, anchorId: 'b', offset: 0, duration: 5, text: 'hi', id: 'x' })
  timeline.addAnchoredItem(doc, { trackId: cap, anchorId: 'c', offset: 0, duration: 5, text: 'yo', id: 'y' })
  let updates = 0
  doc.on('update', () => updates++)
  timeline.rippleDelete(doc, ['b'])
  assert.is(updates, 1)
  assert.equal(layout(doc), ['a:0-100', 'c:100-200'])
  assert.equal(
    timeline.anchoredLayout(doc).map((i) => i.id),
    ['y'],
  )
  throwsCode(() => timeline.rippleDelete(doc, ['y', 'nope']), 'NOT_FOUND')
  assert.is(timeline.anchoredLayout(doc).length, 1, 'a refused delete changes nothing')
  assert.equal(timeline.validate(doc), [])
})

test('move re-orders and anchored items follow the moved clip', () => {
  const doc = abc()
  const cap = timeline.addTrack(doc, { kind: 'caption', name: 'Captions' })
  timeline.addAnchoredItem(doc, { trackId: cap, anchorId: 'a', offset: 5, duration: 5, text: 'hi', id: 'x' })
  timeline.move(doc, 'a', 2)
  assert.equal(layout(doc), ['b:0-50', 'c:50-150', 'a:150-250'])
  assert.is(timeline.anchoredLayout(doc)[0]!.start, 155)
  assert.equal(timeline.validate(doc), [])
})

test('itemAtFrame, assetIdsUsed and markers', () => {
  const doc = abc()
  assert.is(timeline.itemAtFrame(doc, 100)!.id, 'b')
  assert.is(timeline.itemAtFrame(doc, 99)!.id, 'a')
  assert.is(timeline.itemAtFrame(doc, 250), null)
  const v = timeline.addTrack(doc, { kind: 'video', name: 'B-roll' })
  timeline.addAnchoredItem(doc, { trackId: v, anchorId: 'c', offset: 0, duration: 10, assetId: 'Z', sourceIn: 3 })
  assert.equal(timeline.assetIdsUsed(doc), ['A', 'B', 'C', 'Z'])
  const m = timeline.addMarker(doc, { frame: 30, label: 'check', color: 'red' })
  timeline.addMarker(doc, { frame: 10, label: 'first' })
  timeline.updateMarker(doc, m, { label: 'checked' })
  assert.equal(
    timeline.getMarkers(doc).map((x) => [x.frame, x.label]),
    [
      [10, 'first'],
      [30, 'checked'],
    ],
  )
  throwsCode(() => timeline.addMarker(doc, { frame: 1.5 }), 'BAD_INPUT')
})

test('fractional or negative times are refused and change nothing', () => {
  const doc = abc()
  const before = Y.encodeStateAsUpdate(doc)
  throwsCode(
    () => timeline.insertClip(doc, { at: { index: 0 }, assetId: 'A', sourceIn: 0.5, sourceOut: 10 }),
    'BAD_INPUT',
  )
  throwsCode(
    () => timeline.insertClip(doc, { at: { frame: -1 }, assetId: 'A', sourceIn: 0, sourceOut: 10 }),
    'BAD_INPUT',
  )
  throwsCode(() => timeline.insertGap(doc, { at: { index: 0 }, duration: 0 }), 'BAD_INPUT')
  throwsCode(() => timeline.setMeta(doc, { fps: { num: 29.97, den: 1 } }), 'BAD_INPUT')
  assert.equal(Y.encodeStateAsUpdate(doc), before)
})

test('locked tracks refuse edits', () => {
  const doc = abc()
  timeline.setTrack(doc, timeline.STORYLINE_TRACK_ID, { locked: true })
  throwsCode(() => timeline.trim(doc, 'a', 'end', 5), 'INVALID_STATE')
  throwsCode(() => timeline.rippleDelete(doc, ['a']), 'INVALID_STATE')
  throwsCode(() => timeline.removeTrack(doc, timeline.STORYLINE_TRACK_ID), 'INVALID_STATE')
})

test('setting the same artifact twice emits no update', () => {
  const doc = fresh()
  const ref = {
    artifactId: 'r1',
    slot: 'hls',
    assetId: 'A',
    key: 'orgs/o/x.m3u8',
    contentType: 'application/x-mpegURL',
    metadata: { w: 1 },
  }
  const updates: unknown[] = []
  doc.on('update', (_u: Uint8Array, origin: unknown) => updates.push(origin))
  assert.ok(timeline.setArtifact(doc, ref))
  assert.not.ok(timeline.setArtifact(doc, { ...ref, metadata: { w: 1 } }))
  assert.equal(updates, [WORKER_PATCH_ORIGIN])
  assert.equal(timeline.getArtifact(doc, 'A', 'hls'), ref)
  assert.ok(timeline.setArtifact(doc, { ...ref, artifactId: 'r2' }))
  assert.is(timeline.getArtifact(doc, 'A', 'hls')!.artifactId, 'r2')
})

test('a user undo reverts only that user; worker patches stay', () => {
  const doc = abc()
  const undo = createUserUndoManager(doc.getArray('tracks'))
  timeline.rippleDelete(doc, ['b'])
  timeline.setArtifact(doc, { artifactId: 'r', slot: 'hls', assetId: 'A', key: 'k', contentType: 'x', metadata: {} })
  undo.undo()
  assert.equal(layout(doc), ['a:0-100', 'b:100-150', 'c:150-250'])
  assert.ok(timeline.getArtifact(doc, 'A', 'hls'))
})

test('validate reports dangling anchors and repeated ids; repair fixes them without touching a valid doc', () => {
  const a = abc()
  const b = new Y.Doc()
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
  const cap = timeline.addTrack(a, { kind: 'caption', name: 'C', id: 'captions' })
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
  timeline.addAnchoredItem(a, { trackId: cap, anchorId: 'b', offset: 0, duration: 5, text: 'hi' })
  timeline.move(a, 'c', 0)
  timeline.rippleDelete(b, ['b'])
  timeline.move(b, 'c', 0)
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b))
  const codes = timeline.validate(a).map((p) => p.code)
  assert.ok(codes.includes('DANGLING_ANCHOR'))
  assert.ok(codes.includes('DUPLICATE_ID'))
  assert.ok(timeline.repair(a).length >= 2)
  assert.equal(timeline.validate(a), [])
  let updates = 0
  a.on('update', () => updates++)
  assert.equal(timeline.repair(a), [])
  assert.is(updates, 0)
})

test('rippleCutSource removes source ranges from every clip of the asset; anchored items stay on their frames', () => {
  const doc = abc()
  timeline.insertClip(doc, { at: { index: 3 }, assetId: 'A', sourceIn: 200, sourceOut: 300, id: 'a-late' })
  const cap = timeline.addTrack(doc, { kind: 'caption', name: 'Captions' })
  timeline.addAnchoredItem(doc, {
    trackId: cap,
    anchorId: 'a',
    offset: 60,
    duration: 5,
    text: 'after the cut',
    id: 'x',
  })
  timeline.addAnchoredItem(doc, { trackId: cap, anchorId: 'a-late', offset: 0, duration: 5, text: 'gone', id: 'y' })
  // Cut A 20..40 (inside clip a) and A 150..320 (all of a-late).
  const removed = timeline.rippleCutSource(doc, 'A', [
    { start: 20, end: 40 },
    { start: 150, end: 320 },
  ])
  assert.is(removed, 20 + 100)
  const placed = timeline.storylineLayout(doc)
  assert.equal(
    placed.map((p) => (p.kind === 'clip' ? `${p.assetId}${p.sourceIn}-${p.sourceOut}@${p.start}` : p.kind)),
    ['A0-20@0', 'A40-100@20', 'B10-60@80', 'C0-100@130'],
  )
  const x = timeline.anchoredLayout(doc)
  assert.equal(
    x.map((i) => [i.id, i.anchorId === placed[1]!.id, i.start]),
    [['x', true, 40]],
  )
  assert.equal(timeline.validate(doc), [])
  assert.is(timeline.rippleCutSource(doc, 'Z', [{ start: 0, end: 10 }]), 0)
})

// --- randomized convergence ----------------------------------------------------------------------------

function randomEdit(doc: Y.Doc, r: ReturnType<typeof seededRandom>, tag: string): void {
  const items = timeline.storylineLayout(doc)
  const total = items.length ? items[items.length - 1]!.end : 0
  const tracks = timeline.getTracks(doc).filter((t) => !t.storyline)
  const anchored = timeline.anchoredLayout(doc)
  const op = r.int(0, 11)
  try {
    if (op <= 2 || items.length < 2) {
      const len = r.int(1, 60)
      const sourceIn = r.int(0, 500)
      const at = r.chance(0.5) ? { index: r.int(0, items.length) } : { frame: r.int(0, total + 20) }
      if (r.chance(0.15)) timeline.insertGap(doc, { at, duration: len, id: `${tag}g` })
      else
        timeline.insertClip(doc, {
          at,
          assetId: r.pick(['A', 'B', 'C']),
          sourceIn,
          sourceOut: sourceIn + len,
          id: `${tag}c`,
        })
    } else if (op === 3) timeline.splitAt(doc, r.int(0, total), { rightId: `${tag}s` })
    else if (op === 4) {
      const it = r.pick(items)
      timeline.trim(
        doc,
        it.id,
        r.pick(['start', 'end'] as const),
        r.int(-Math.min(10, it.kind === 'clip' ? it.sourceIn : 10), it.duration - 1),
      )
    } else if (op === 5) timeline.rippleDelete(doc, [r.pick(items).id])
    else if (op === 6) timeline.move(doc, r.pick(items).id, r.int(0, items.length - 1))
    else if (op === 7 || op === 8) {
      if (tracks.length === 0 || r.chance(0.1))
        timeline.addTrack(doc, { kind: r.pick(['audio', 'caption', 'video'] as const), name: tag, id: `${tag}t` })
      else {
        const track = r.pick(tracks)
        timeline.addAnchoredItem(doc, {
          trackId: track.id,
          anchorId: r.pick(items).id,
          offset: r.int(-5, 30),
          duration: r.int(1, 40),
          assetId: 'M',
          sourceIn: r.int(0, 100),
          text: 'caption',
          id: `${tag}a`,
        })
      }
    } else if (op === 9 && anchored.length) {
      const it = r.pick(anchored)
      if (r.chance(0.5)) timeline.rippleDelete(doc, [it.id])
      else timeline.updateAnchoredItem(doc, it.id, { anchorId: r.pick(items).id, offset: r.int(0, 20) })
    } else if (op === 10) timeline.addMarker(doc, { frame: r.int(0, total), label: tag, id: `m${r.int(0, 5)}` })
    else
      timeline.setArtifact(
        doc,
        {
          artifactId: `${r.int(0, 2)}`,
          slot: r.pick(['hls', 'waveform']),
          assetId: r.pick(['A', 'B']),
          key: 'k',
          contentType: 'x',
          metadata: {},
        },
        WORKER_PATCH_ORIGIN,
      )
  } catch (e) {
    if (!(e instanceof CutroomError)) throw e
  }
}

function converged(docs: Y.Doc[]): void {
  const json = canonicalJson(docs[0]!, timeline.ROOTS)
  const sv = Y.encodeStateVector(docs[0]!)
  for (const d of docs.slice(1)) {
    const other = canonicalJson(d, timeline.ROOTS)
    let at = 0
    while (at < json.length && json[at] === other[at]) at++
    assert.ok(
      other === json,
      `replica ${d.clientID} differs at ${at}: ${json.slice(at - 150, at + 80)} vs ${other.slice(at - 150, at + 80)}`,
    )
    assert.equal(Y.encodeStateVector(d), sv)
  }
}

for (const seed of [1, 2, 3, 4, 5, 6]) {
  test(`randomized convergence, seed ${seed}: replicas end identical and valid`, () => {
    const r = seededRandom(seed)
    const net = createReplicaNetwork(4, r, timeline.genesis())
    let n = 0
    for (let round = 0; round < 60; round++) {
      for (const doc of net.docs) if (r.chance(0.7)) randomEdit(doc, r, `${seed}-${doc.clientID}-${n++}`)
      // Some replicas repair what they see, as the collab server does after merges.
      if (r.chance(0.2)) timeline.repair(r.pick(net.docs))
      net.deliverSome(r.int(0, 8))
    }
    net.flush()
    converged(net.docs)
    // Even seeds: every replica repairs the merged state concurrently, and the repairs merge to a valid document.
    // Odd seeds: only replica 0 repairs, as the collab server alone would.
    for (let pass = 0; pass < 3; pass++) {
      for (const doc of seed % 2 === 0 ? net.docs : net.docs.slice(0, 1)) timeline.repair(doc)
      net.flush()
    }
    converged(net.docs)
    for (const doc of net.docs) assert.equal(timeline.validate(doc), [])
    // No overlaps: positions are contiguous by construction.
    const placed = timeline.storylineLayout(net.docs[0]!)
    placed.forEach((p, i) => {
      assert.is(p.start, i === 0 ? 0 : placed[i - 1]!.end)
    })
    assert.ok(placed.length > 5, 'the run made real edits')
    net.destroy()
  })
}

test("syncNarration lays a script's synthesized blocks end to end on the narration track, once", () => {
  const doc = fresh()
  const fps = timeline.getMeta(doc).fps
  const frames = (seconds: number) => Math.ceil((seconds * fps.num) / fps.den)
  const piece = (id: string, seconds: number) => ({
    id,
    text: `line ${id}`,
    artifactId: `art-${id}`,
    samples: seconds * 48000,
    sampleRate: 48000,
  })
  assert.not.ok(timeline.syncNarration(doc, 'script', [piece('a', 2)]), 'an empty storyline has nothing to anchor to')
  assert.is(timeline.getTracks(doc).filter((t) => t.kind === 'narration').length, 0)
  const clip = timeline.insertClip(doc, { at: { index: 0 }, assetId: 'A', sourceIn: 0, sourceOut: 900 })
  assert.ok(timeline.syncNarration(doc, 'script', [piece('a', 2), piece('b', 1)], WORKER_PATCH_ORIGIN))
  const narration = () => {
    const track = timeline.getTracks(doc).find((t) => t.kind === 'narration')!
    return timeline.anchoredLayout(doc).filter((i) => i.trackId === track.id)
  }
  assert.equal(
    narration().map((i) => [i.id, i.anchorId, i.start, i.duration, i.artifactId, i.scriptId, i.text]),
    [
      ['a', clip, 0, frames(2), 'art-a', 'script', 'line a'],
      ['b', clip, frames(2), frames(1), 'art-b', 'script', 'line b'],
    ],
  )
  let updates = 0
  doc.on('update', () => updates++)
  assert.not.ok(timeline.syncNarration(doc, 'script', [piece('a', 2), piece('b', 1)]), 'the same script again')
  assert.is(updates, 0)
  // another script's items and hand-placed items stay; a block removed from this script goes
  timeline.syncNarration(doc, 'other', [piece('z', 1)])
  const track = timeline.getTracks(doc).find((t) => t.kind === 'narration')!
  timeline.addAnchoredItem(doc, { trackId: track.id, anchorId: clip, offset: 100, duration: 10, text: 'by hand' })
  assert.ok(timeline.syncNarration(doc, 'script', [piece('b', 3)]))
  assert.equal(
    narration()
      .map((i) => [i.id === 'a' || i.id === 'b' || i.id === 'z' ? i.id : 'hand', i.start, i.duration])
      .sort(),
    [
      ['b', 0, frames(3)],
      ['hand', 100, 10],
      ['z', 0, frames(1)],
    ].sort(),
  )
  assert.equal(timeline.validate(doc), [])
  timeline.setTrack(doc, track.id, { locked: true })
  assert.not.ok(timeline.syncNarration(doc, 'script', []), 'a locked track is left as it is')
})

test.run()
