import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as Y from 'yjs'
import { CutroomError } from '../errors'
import { canonicalJson } from './canonicalJson'
import { createReplicaNetwork } from './createReplicaNetwork'
import { prepareDocument } from './docModel'
import * as qa from './qa'
import { seededRandom } from './seededRandom'

function fresh(): Y.Doc {
  const doc = new Y.Doc()
  prepareDocument(doc, qa.model)
  return doc
}

const finding = (doc: Y.Doc, id = 'f1') =>
  qa.addFinding(doc, {
    id,
    title: 'Banding in the sky',
    severity: 'high',
    versionA: 'v1',
    versionB: 'v2',
    frame: 120,
    frameEnd: 180,
    author: 'u1',
  })

test('a finding carries its frame range, shapes and thread', () => {
  const doc = fresh()
  const id = finding(doc)
  qa.addShape(doc, id, { type: 'rect', author: 'u1', x: 0.1, y: 0.2, w: 0.3, h: 0.4 })
  qa.addShape(doc, id, { type: 'arrow', author: 'u1', from: { x: 0, y: 0 }, to: { x: 0.5, y: 0.5 } })
  qa.addShape(doc, id, {
    type: 'freehand',
    author: 'u2',
    points: [
      { x: 0.1, y: 0.1 },
      { x: 0.2, y: 0.15 },
    ],
  })
  qa.addShape(doc, id, { type: 'text', author: 'u2', x: 0.5, y: 0.9, text: 'here' })
  qa.addComment(doc, id, { author: 'u2', text: '  Agreed, regrade it. ' })
  const f = qa.getFinding(doc, id)!
  assert.is(f.frame, 120)
  assert.is(f.frameEnd, 180)
  assert.equal(
    f.annotations.map((s) => s.type),
    ['rect', 'arrow', 'freehand', 'text'],
  )
  assert.is(f.thread[0]!.text, 'Agreed, regrade it.')
  assert.equal(qa.validate(doc), [])
})

test('shape coordinates are clamped into 0..1 on write', () => {
  const doc = fresh()
  const id = finding(doc)
  qa.addShape(doc, id, { type: 'ellipse', author: 'u', x: -0.2, y: 0.9, w: 0.5, h: 0.5 })
  qa.addShape(doc, id, { type: 'line', author: 'u', from: { x: 1.4, y: -3 }, to: { x: 0.5, y: 0.5 } })
  const [ellipse, line] = qa.getFinding(doc, id)!.annotations
  assert.ok(ellipse?.type === 'ellipse')
  if (ellipse?.type === 'ellipse') {
    assert.equal([ellipse.x, ellipse.y, ellipse.w], [0, 0.9, 0.5])
    assert.ok(Math.abs(ellipse.h - 0.1) < 1e-9, 'the height is cut at the bottom edge')
  }
  assert.equal(line?.type === 'line' && line.from, { x: 1, y: 0 })
  assert.equal(qa.validate(doc), [])
})

test('the validator flags coordinates written out of range by other code', () => {
  const doc = fresh()
  const id = finding(doc)
  ;(qa.findingsOf(doc).get(id)!.get('annotations') as Y.Array<unknown>).push([
    { id: 's', type: 'rect', author: 'x', color: 'red', strokeWidth: 1, x: 0.8, y: 0.1, w: 0.5, h: 0.1 },
  ])
  assert.equal(
    qa.validate(doc).map((p) => p.code),
    ['OUT_OF_RANGE'],
  )
})

test('bad input is refused and changes nothing', () => {
  const doc = fresh()
  const id = finding(doc)
  const before = Y.encodeStateAsUpdate(doc)
  for (const fn of [
    () => qa.addFinding(doc, { title: 'x', versionA: 'a', versionB: 'b', frame: 1.5, author: 'u' }),
    () => qa.addFinding(doc, { title: '', versionA: 'a', versionB: 'b', frame: 1, author: 'u' }),
    () => qa.addFinding(doc, { title: 'x', versionA: 'a', versionB: 'b', frame: 10, frameEnd: 5, author: 'u' }),
    () => qa.addShape(doc, id, { type: 'rect', author: 'u', x: Number.NaN, y: 0, w: 1, h: 1 }),
    () => qa.addShape(doc, id, { type: 'hexagon', author: 'u' } as unknown as qa.ShapeInput),
    () => qa.addShape(doc, 'nope', { type: 'text', author: 'u', x: 0, y: 0, text: 'x' }),
    () => qa.addComment(doc, id, { author: 'u', text: '   ' }),
  ]) {
    try {
      fn()
      assert.unreachable()
    } catch (e) {
      assert.instance(e, CutroomError)
    }
  }
  assert.equal(Y.encodeStateAsUpdate(doc), before)
})

test('replacing and removing a shape; overlays are idempotent', () => {
  const doc = fresh()
  const id = finding(doc)
  const s = qa.addShape(doc, id, { type: 'rect', author: 'u', x: 0, y: 0, w: 0.1, h: 0.1 })
  qa.replaceShape(doc, id, s, { type: 'rect', author: 'u', x: 0.5, y: 0.5, w: 0.1, h: 0.1 })
  assert.is((qa.getFinding(doc, id)!.annotations[0] as { x: number }).x, 0.5)
  qa.replaceShape(doc, id, s, null)
  assert.is(qa.getFinding(doc, id)!.annotations.length, 0)
  const ref = { versionA: 'v1', versionB: 'v2', artifactId: 'a', key: 'k', contentType: 'video/mp4', metadata: {} }
  let updates = 0
  doc.on('update', () => updates++)
  assert.ok(qa.setOverlay(doc, ref))
  assert.not.ok(qa.setOverlay(doc, { ...ref }))
  assert.is(updates, 1)
  assert.equal(qa.getOverlay(doc, 'v1', 'v2'), ref)
})

for (const seed of [31, 32, 33]) {
  test(`randomized convergence, seed ${seed}`, () => {
    const r = seededRandom(seed)
    const net = createReplicaNetwork(3, r, qa.genesis())
    for (let round = 0; round < 40; round++) {
      for (const doc of net.docs) {
        const ids = [...qa.findingsOf(doc).keys()]
        const op = r.int(0, 4)
        try {
          if (op === 0 || ids.length === 0) finding(doc, `f-${doc.clientID}-${round}`)
          else if (op === 1)
            qa.addShape(doc, r.pick(ids), {
              type: 'rect',
              author: 'u',
              x: r.next() * 1.4 - 0.2,
              y: r.next(),
              w: r.next(),
              h: r.next(),
            })
          else if (op === 2) qa.addComment(doc, r.pick(ids), { author: `u${doc.clientID}`, text: `c${round}` })
          else if (op === 3)
            qa.updateFinding(doc, r.pick(ids), { severity: r.pick(qa.SEVERITIES), frame: r.int(0, 100) })
          else if (r.chance(0.3)) qa.removeFinding(doc, r.pick(ids))
        } catch (e) {
          if (!(e instanceof CutroomError)) throw e
        }
      }
      net.deliverSome(r.int(0, 6))
    }
    net.flush()
    const json = canonicalJson(net.docs[0]!, qa.ROOTS)
    for (const d of net.docs) {
      assert.ok(canonicalJson(d, qa.ROOTS) === json, `replica ${d.clientID} differs`)
      assert.equal(qa.validate(d), [])
    }
    net.destroy()
  })
}

const suggested = (doc: Y.Doc, id = 'fd-1') =>
  qa.addSuggestedFinding(doc, {
    id,
    title: 'Frames 40-59 differ',
    versionA: 'asset-a',
    versionB: 'asset-b',
    frame: 40,
    frameEnd: 59,
    region: { x: 0.62, y: 0.15, w: 0.26, h: 0.36 },
    jobId: 'job-1',
    score: 0.93,
  })

test('a suggested finding waits for a person: accepted or dismissed once, and never added twice', () => {
  const doc = fresh()
  assert.is(suggested(doc), true)
  const f = qa.getFinding(doc, 'fd-1')!
  assert.equal(f.suggestion, { status: 'suggested', source: 'framediff', jobId: 'job-1', score: 0.93 })
  assert.equal([f.frame, f.frameEnd, f.author], [40, 59, 'framediff'])
  assert.equal(f.region, { x: 0.62, y: 0.15, w: 0.26, h: 0.36 })
  assert.equal(qa.validate(doc), [])

  // the same job result again: nothing changes, not even an update
  let updates = 0
  doc.on('update', () => updates++)
  assert.is(suggested(doc), false)
  assert.is(updates, 0)

  qa.resolveSuggestion(doc, 'fd-1', 'dismissed')
  assert.is(qa.getFinding(doc, 'fd-1')!.suggestion!.status, 'dismissed')
  assert.is(suggested(doc), false, 'a dismissed suggestion is not brought back by a redelivered result')
  assert.is(qa.getFinding(doc, 'fd-1')!.suggestion!.status, 'dismissed')
  assert.throws(() => qa.resolveSuggestion(doc, 'fd-1', 'accepted'), /already dismissed/)

  suggested(doc, 'fd-2')
  qa.resolveSuggestion(doc, 'fd-2', 'accepted')
  assert.is(qa.getFinding(doc, 'fd-2')!.suggestion!.status, 'accepted')
  const own = finding(doc, 'mine')
  assert.is(qa.getFinding(doc, own)!.suggestion, null)
  assert.throws(() => qa.resolveSuggestion(doc, own, 'dismissed'), /was not suggested/)
  assert.equal(qa.validate(doc), [])
})

test('a bad suggestion is refused and changes nothing; a damaged one is flagged by validate', () => {
  const doc = fresh()
  const before = Y.encodeStateVector(doc)
  assert.throws(
    () =>
      qa.addSuggestedFinding(doc, {
        id: 'x',
        title: 'bad',
        versionA: 'a',
        versionB: 'b',
        frame: 3,
        frameEnd: 1,
        region: null,
        jobId: 'j',
        score: 0.5,
      }),
    /frameEnd/,
  )
  assert.throws(
    () =>
      qa.addSuggestedFinding(doc, {
        id: 'y',
        title: 't',
        versionA: 'a',
        versionB: 'b',
        frame: 0,
        frameEnd: 0,
        region: null,
        jobId: 'j',
        score: 2,
      }),
    /score/,
  )
  assert.equal(Y.encodeStateVector(doc), before)
  assert.is(qa.findingsOf(doc).size, 0)

  suggested(doc)
  qa.findingsOf(doc).get('fd-1')!.set('suggestion', { status: 'maybe', source: 'framediff', jobId: 'j', score: 0.9 })
  suggested(doc, 'fd-2')
  qa.findingsOf(doc).get('fd-2')!.set('suggestion', { status: 'suggested', source: 'framediff', jobId: 'j', score: 7 })
  assert.equal(
    qa.validate(doc).map((p) => p.path),
    ['findings.fd-1.suggestion', 'findings.fd-2.suggestion.score'],
  )
})

test.run()

test('a comment carries the user ids it mentions; a thread is resolved and reopened', () => {
  const doc = fresh()
  finding(doc)
  qa.addComment(doc, 'f1', { author: 'u1', text: '@Ada can you look?', mentions: ['u2', 'u2'] })
  qa.addComment(doc, 'f1', { author: 'u2', text: 'On it' })
  const f = qa.getFinding(doc, 'f1')!
  assert.equal(
    f.thread.map((c) => c.mentions),
    [['u2'], undefined],
  )
  assert.equal(
    qa.listComments(doc).map((c) => [c.findingId, c.comment.text]),
    [
      ['f1', '@Ada can you look?'],
      ['f1', 'On it'],
    ],
  )
  assert.is(f.resolved, null)
  qa.setResolved(doc, 'f1', 'u2', undefined, '2026-01-02T03:04:05.000Z')
  assert.equal(qa.getFinding(doc, 'f1')!.resolved, { by: 'u2', at: '2026-01-02T03:04:05.000Z' })
  qa.setResolved(doc, 'f1', null)
  assert.is(qa.getFinding(doc, 'f1')!.resolved, null)
  assert.equal(qa.validate(doc), [])
})

test('bad comments and mentions are refused on write and flagged when they arrive from elsewhere', () => {
  const doc = fresh()
  finding(doc)
  const before = canonicalJson(doc, qa.ROOTS)
  assert.throws(() => qa.addComment(doc, 'f1', { author: 'u1', text: 'x'.repeat(qa.MAX_COMMENT_LENGTH + 1) }))
  assert.throws(() =>
    qa.addComment(doc, 'f1', {
      author: 'u1',
      text: 'everyone',
      mentions: Array.from({ length: qa.MAX_MENTIONS_PER_COMMENT + 1 }, (_, i) => `u${i}`),
    }),
  )
  assert.throws(() => qa.setResolved(doc, 'nope', 'u1'))
  assert.is(canonicalJson(doc, qa.ROOTS), before)
  // Written around the model, as a forged client would.
  const m = qa.findingsOf(doc).get('f1')!
  ;(m.get('thread') as Y.Array<unknown>).push([
    { id: 'c1', author: 'u1', text: 'x'.repeat(qa.MAX_COMMENT_LENGTH + 1), at: 'now' },
    { id: 'c2', author: 'u1', text: 'hi', at: 'now', mentions: 'u2' },
  ])
  m.set('resolved', { by: 5 })
  m.set('title', '')
  const annotations = m.get('annotations') as Y.Array<unknown>
  annotations.push(
    Array.from({ length: qa.MAX_SHAPES_PER_FINDING + 1 }, (_, i) => ({
      id: `s${i}`,
      type: 'rect',
      x: 0,
      y: 0,
      w: 0.1,
      h: 0.1,
    })),
  )
  const paths = qa
    .validate(doc)
    .map((p) => p.path)
    .sort()
  assert.equal(paths, [
    'findings.f1.annotations',
    'findings.f1.resolved',
    'findings.f1.thread[0].text',
    'findings.f1.thread[1].mentions',
    'findings.f1.title',
  ])
})

test('a freehand stroke with too many points is flagged', () => {
  const doc = fresh()
  finding(doc)
  const annotations = qa.findingsOf(doc).get('f1')!.get('annotations') as Y.Array<unknown>
  annotations.push([
    {
      id: 's1',
      type: 'freehand',
      author: 'u1',
      points: Array.from({ length: qa.MAX_FREEHAND_POINTS + 1 }, () => ({ x: 0.5, y: 0.5 })),
    },
  ])
  assert.equal(
    qa.validate(doc).map((p) => p.path),
    ['findings.f1.annotations[0]'],
  )
})
