import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as Y from 'yjs'
import { makeContentEqual } from './makeContentEqual'

function snapshotJson(doc: Y.Doc) {
  return {
    meta: doc.getMap('meta').toJSON(),
    tracks: doc.getArray('tracks').toJSON(),
    body: doc.getXmlFragment('body').toString(),
    text: doc.getText('text').toDelta(),
  }
}

/** A copy of `doc` loaded from its state, with untyped roots like a freshly loaded server document. */
function reload(doc: Y.Doc): Y.Doc {
  const copy = new Y.Doc()
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc))
  return copy
}

function paragraph(text: string, attrs: Record<string, string> = {}, bold = false): Y.XmlElement {
  const p = new Y.XmlElement('paragraph')
  for (const [k, v] of Object.entries(attrs)) p.setAttribute(k, v)
  const t = new Y.XmlText()
  t.insert(0, text, bold ? { bold: true } : undefined)
  p.insert(0, [t])
  return p
}

test('restores maps, nested arrays, formatted XML and text, touching only what differs', () => {
  const doc = new Y.Doc()
  const track = new Y.Map<unknown>()
  const items = new Y.Array<unknown>()
  items.push(['a', 'b', 'c'])
  track.set('items', items)
  track.set('name', 'V1')
  doc.getArray('tracks').push([track])
  doc.getMap('meta').set('fps', { num: 30000, den: 1001 })
  doc.getMap('meta').set('title', 'Cut 1')
  doc.getXmlFragment('body').insert(0, [paragraph('Hello there', { speaker: 'A' }), paragraph('Second', {}, true)])
  doc.getText('text').insert(0, 'the quick brown fox')
  const version = snapshotJson(doc)
  const versionState = Y.encodeStateAsUpdate(doc)

  // Later edits.
  items.delete(1, 1)
  items.push(['d'])
  track.set('name', 'Main')
  doc.getMap('meta').delete('title')
  doc.getMap('meta').set('extra', true)
  doc.getXmlFragment('body').delete(0, 1)
  doc.getXmlFragment('body').insert(1, [paragraph('Added', { speaker: 'B' })])
  doc.getText('text').delete(4, 6)
  assert.not.equal(snapshotJson(doc), version)

  const source = new Y.Doc()
  Y.applyUpdate(source, versionState)
  const live = reload(doc)
  const trackBefore = live.getArray('tracks').get(0)
  let updates = 0
  live.on('update', () => updates++)
  live.transact(() => makeContentEqual(live, source, { meta: 'map', tracks: 'array', body: 'xml', text: 'text' }))
  assert.equal(snapshotJson(live), version)
  assert.is(updates, 1, 'one change')
  assert.is(live.getArray('tracks').get(0), trackBefore, 'the track map is kept and edited in place')

  // Without the root kinds, they are inferred from the content.
  const inferred = reload(doc)
  makeContentEqual(inferred, source)
  assert.equal(snapshotJson(inferred), version)

  // Restoring equal content changes nothing.
  let more = 0
  live.on('update', () => more++)
  makeContentEqual(live, source)
  assert.is(more, 0)
})

test('randomized: after makeContentEqual the target content equals the source content', () => {
  let seed = 7
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed % n
  }
  const mutate = (doc: Y.Doc) => {
    const arr = doc.getArray<unknown>('tracks')
    const map = doc.getMap<unknown>('meta')
    const body = doc.getXmlFragment('body')
    for (let i = 0; i < 8; i++) {
      switch (rand(6)) {
        case 0:
          arr.insert(rand(arr.length + 1), [rand(100)])
          break
        case 1:
          if (arr.length) arr.delete(rand(arr.length), 1)
          break
        case 2:
          map.set(`k${rand(5)}`, rand(3) === 0 ? [rand(9)] : rand(9))
          break
        case 3:
          map.delete(`k${rand(5)}`)
          break
        case 4:
          body.insert(rand(body.length + 1), [paragraph(`p${rand(50)}`, { n: String(rand(4)) })])
          break
        case 5:
          if (body.length) body.delete(rand(body.length), 1)
          break
      }
    }
  }
  for (let round = 0; round < 50; round++) {
    const a = new Y.Doc()
    mutate(a)
    const source = reload(a)
    mutate(a)
    const target = reload(a)
    makeContentEqual(target, source)
    assert.equal(snapshotJson(target), snapshotJson(source), `round ${round}`)
  }
})

test.run()
