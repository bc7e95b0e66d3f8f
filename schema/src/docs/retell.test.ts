import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as Y from 'yjs'
import { CutroomError } from '../errors'
import { canonicalJson } from './canonicalJson'
import { createReplicaNetwork } from './createReplicaNetwork'
import { prepareDocument } from './docModel'
import * as retell from './retell'
import { seededRandom } from './seededRandom'

function fresh(): Y.Doc {
  const doc = new Y.Doc()
  prepareDocument(doc, retell.model)
  return doc
}

test('chapters, narration and shots read back in order with their attributes', () => {
  const doc = fresh()
  retell.addChapter(doc, { title: 'Opening', sources: [{ assetId: 'A', sourceIn: 0, sourceOut: 240 }] })
  const n = retell.addNarration(doc, { text: 'It began in spring.', voice: 'en-f1' })
  retell.addShot(doc, { assetId: 'A', sourceIn: 30, sourceOut: 90, label: 'wide' })
  retell.addChapter(doc, { title: 'Prologue', index: 0 })
  assert.equal(retell.readBlocks(doc), [
    { type: 'chapter', title: 'Prologue', sources: [] },
    { type: 'chapter', title: 'Opening', sources: [{ assetId: 'A', sourceIn: 0, sourceOut: 240 }] },
    {
      type: 'narration',
      id: n,
      text: 'It began in spring.',
      voice: 'en-f1',
      audioArtifactId: null,
      duration: null,
      audioFingerprint: null,
    },
    { type: 'shot', assetId: 'A', sourceIn: 30, sourceOut: 90, label: 'wide' },
  ])
  assert.equal(retell.validate(doc), [])
})

test('the y-tiptap mapping: node names, attributes on the element, text in a child', () => {
  const doc = fresh()
  retell.addNarration(doc, { text: 'Hello', id: 'n1' })
  const el = retell.bodyOf(doc).get(0) as Y.XmlElement
  assert.is(el.nodeName, 'narration')
  assert.equal(el.getAttributes(), {
    id: 'n1',
    voice: 'narrator',
    audioArtifactId: null,
    duration: null,
    audioFingerprint: null,
  })
  assert.is((el.get(0) as Y.XmlText).toString(), 'Hello')
})

test('synthesized audio attaches once; the same result again emits no update', () => {
  const doc = fresh()
  const n = retell.addNarration(doc, { text: 'One line.' })
  let updates = 0
  doc.on('update', () => updates++)
  assert.ok(retell.setNarrationAudio(doc, n, { artifactId: 'art1', duration: 96000 }))
  assert.not.ok(retell.setNarrationAudio(doc, n, { artifactId: 'art1', duration: 96000 }))
  assert.is(updates, 1)
  assert.is(retell.narrationDuration(doc), 96000)
  try {
    retell.setNarrationAudio(doc, n, { artifactId: 'art1', duration: 1.5 })
    assert.unreachable()
  } catch (e) {
    assert.instance(e, CutroomError)
  }
})

test('the audio fingerprint marks a block stale once its text or voice changes, whitespace aside', () => {
  const doc = fresh()
  const n = retell.addNarration(doc, { text: 'One  line.' })
  const block = () =>
    retell.readBlocks(doc).find((b) => b.type === 'narration') as Extract<retell.RetellBlock, { type: 'narration' }>
  assert.is(retell.isNarrationStale(block()), false, 'no audio: nothing to be stale')
  const fingerprint = retell.narrationFingerprint('One line.', 'narrator')
  assert.match(fingerprint, /^[0-9a-f]{16}$/)
  assert.is(retell.narrationFingerprint(' One\n line. ', 'narrator'), fingerprint, 'whitespace is normalized')
  assert.is.not(retell.narrationFingerprint('One line.', 'slt'), fingerprint, 'the voice counts')
  assert.is.not(retell.narrationFingerprint('One lime.', 'narrator'), fingerprint)
  assert.ok(retell.setNarrationAudio(doc, n, { artifactId: 'a1', duration: 4800, fingerprint }))
  assert.is(retell.isNarrationStale(block()), false)
  assert.not.ok(retell.setNarrationAudio(doc, n, { artifactId: 'a1', duration: 4800, fingerprint }), 'same audio again')
  retell.setBlockText(doc, 0, 'One line, rewritten.')
  assert.is(retell.isNarrationStale(block()), true)
  assert.ok(
    retell.setNarrationAudio(doc, n, {
      artifactId: 'a2',
      duration: 9600,
      fingerprint: retell.narrationFingerprint('One line, rewritten.', 'narrator'),
    }),
  )
  assert.is(retell.isNarrationStale(block()), false)
})

test('the linked timeline is kept in meta; a bad id is refused and changes nothing', () => {
  const doc = fresh()
  assert.is(retell.linkedTimelineId(doc), null)
  const id = '7b6a2f0e-1c2d-4e5f-8a9b-0c1d2e3f4a5b'
  retell.setLinkedTimeline(doc, id)
  assert.is(retell.linkedTimelineId(doc), id)
  let updates = 0
  doc.on('update', () => updates++)
  retell.setLinkedTimeline(doc, id)
  assert.is(updates, 0, 'the same link again writes nothing')
  assert.throws(
    () => retell.setLinkedTimeline(doc, 'timeline 1'),
    (e: unknown) => e instanceof CutroomError,
  )
  assert.is(retell.linkedTimelineId(doc), id)
  retell.setLinkedTimeline(doc, null)
  assert.is(retell.linkedTimelineId(doc), null)
  assert.equal(retell.validate(doc), [])
})

test('bad ranges and unknown blocks are refused and change nothing', () => {
  const doc = fresh()
  const before = Y.encodeStateAsUpdate(doc)
  for (const fn of [
    () => retell.addShot(doc, { assetId: 'A', sourceIn: 10, sourceOut: 10 }),
    () => retell.addChapter(doc, { title: 'x', sources: [{ assetId: 'A', sourceIn: 0.5, sourceOut: 3 }] }),
    () => retell.setNarrationAudio(doc, 'missing', { artifactId: 'a', duration: 1 }),
    () => retell.addNarration(doc, { text: 'x', index: 4 }),
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

for (const seed of [21, 22, 23]) {
  test(`randomized convergence, seed ${seed}`, () => {
    const r = seededRandom(seed)
    const net = createReplicaNetwork(3, r, retell.genesis())
    for (let round = 0; round < 40; round++) {
      for (const doc of net.docs) {
        const len = retell.bodyOf(doc).length
        const op = r.int(0, 5)
        try {
          if (op === 0) retell.addChapter(doc, { title: `c${round}`, index: r.int(0, len) })
          else if (op === 1)
            retell.addNarration(doc, { text: `n${round}`, index: r.int(0, len), id: `n-${doc.clientID}-${round}` })
          else if (op === 2)
            retell.addShot(doc, { assetId: 'A', sourceIn: round, sourceOut: round + 10, index: r.int(0, len) })
          else if (op === 3 && len) retell.setBlockText(doc, r.int(0, len - 1), `edit${round}`)
          else if (op === 4 && len) retell.removeBlock(doc, r.int(0, len - 1))
          else {
            const narrations = retell.readBlocks(doc).filter((b) => b.type === 'narration')
            if (narrations.length)
              retell.setNarrationAudio(doc, r.pick(narrations).id, { artifactId: `a${round}`, duration: round * 100 })
          }
        } catch (e) {
          if (!(e instanceof CutroomError)) throw e
        }
      }
      net.deliverSome(r.int(0, 6))
    }
    net.flush()
    const json = canonicalJson(net.docs[0]!, retell.ROOTS)
    for (const d of net.docs) {
      assert.ok(canonicalJson(d, retell.ROOTS) === json, `replica ${d.clientID} differs`)
      assert.equal(retell.validate(d), [])
    }
    net.destroy()
  })
}

test.run()
