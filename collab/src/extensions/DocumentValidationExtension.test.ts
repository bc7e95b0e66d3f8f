import { CloseCode, qa } from '@cutroom/schema'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as Y from 'yjs'
import { type CollabFixture, type Connected, createCollabFixture, waitFor } from '../createCollabFixture'

let f: CollabFixture

test.before(async () => {
  f = await createCollabFixture()
})
test.after(async () => {
  await f.close()
})

/** The qa document as Postgres holds it: every logged update replayed. */
async function stored(docId: string): Promise<Y.Doc> {
  const rows = await f.sql<
    { update: Uint8Array }[]
  >`select update from doc_updates where doc_id = ${docId} order by seq`
  const snaps = await f.sql<{ state: Uint8Array }[]>`select state from doc_snapshots where doc_id = ${docId}`
  const doc = new Y.Doc()
  for (const s of snaps) Y.applyUpdate(doc, s.state)
  for (const r of rows) Y.applyUpdate(doc, r.update)
  return doc
}

/** Resolves with the close code and reason the provider gets next. */
function nextClose(c: Connected): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    c.provider.on('close', ({ event }: { event: { code: number; reason: string } }) =>
      resolve({ code: event.code, reason: event.reason }),
    ),
  )
}

/**
 * A forged change is refused: the writer's socket closes with 4422 and a reason; Postgres and the watcher never
 * get it. A valid change made afterwards by someone else arrives at the watcher, so the absence is not a race.
 */
async function expectRefused(
  docId: string,
  forge: (doc: Y.Doc) => void,
  absent: (doc: Y.Doc) => boolean,
  reason: RegExp,
  watcher: Connected,
) {
  const forger = await f.connect(docId, f.sessions.reviewer)
  const closed = nextClose(forger)
  forge(forger.doc)
  assert.ok(!absent(forger.doc), 'the forged change is in the forger’s own copy')
  const { code, reason: got } = await closed
  forger.destroy()
  assert.is(code, CloseCode.INVALID_UPDATE)
  assert.match(got, reason)
  const owner = await f.connect(docId, f.sessions.owner)
  const barrier = `barrier ${Math.random()}`
  qa.addFinding(owner.doc, { id: barrier, title: barrier, versionA: 'a', versionB: 'b', frame: 1, author: 'owner' })
  await owner.settled()
  await waitFor(() => qa.getFinding(watcher.doc, barrier) !== null, 5000, 'the later valid change')
  assert.ok(absent(watcher.doc), 'the watcher never saw the forged change')
  assert.ok(absent(await stored(docId)), 'Postgres never stored the forged change')
  assert.ok(qa.getFinding(await stored(docId), barrier), 'the valid change is stored')
  owner.destroy()
}

test('valid findings, shapes and comments mentioning members are stored and reach others', async () => {
  const docId = f.docs.qa
  const watcher = await f.connect(docId, f.sessions.viewer)
  const reviewer = await f.connect(docId, f.sessions.reviewer)
  const id = qa.addFinding(reviewer.doc, {
    title: 'Flicker',
    versionA: 'v1',
    versionB: 'v2',
    frame: 10,
    frameEnd: 20,
    author: f.userIds.reviewer,
    shapes: [{ type: 'rect', x: 0.1, y: 0.1, w: 0.5, h: 0.5, author: f.userIds.reviewer }],
  })
  qa.addComment(reviewer.doc, id, {
    author: f.userIds.reviewer,
    text: '@The editor please fix',
    mentions: [f.userIds.editor],
  })
  await reviewer.settled()
  await waitFor(() => (qa.getFinding(watcher.doc, id)?.thread.length ?? 0) === 1, 5000, 'the comment live')
  const saved = qa.getFinding(await stored(docId), id)!
  assert.equal(saved.thread[0]!.mentions, [f.userIds.editor])
  assert.is(saved.annotations.length, 1)
  reviewer.destroy()
  watcher.destroy()
})

test('a forged out-of-range shape never reaches Postgres nor other clients', async () => {
  const docId = f.docs.qa
  const watcher = await f.connect(docId, f.sessions.viewer)
  const seed = await f.connect(docId, f.sessions.reviewer)
  const id = qa.addFinding(seed.doc, { title: 'Sky', versionA: 'a', versionB: 'b', frame: 5, author: 'r' })
  await seed.settled()
  seed.destroy()
  await expectRefused(
    docId,
    (doc) =>
      (qa.findingsOf(doc).get(id)!.get('annotations') as Y.Array<unknown>).push([
        { id: 'forged-shape', type: 'rect', author: 'r', color: '#f00', strokeWidth: 2, x: 0.5, y: 0.5, w: 3, h: 0.1 },
      ]),
    (doc) => !qa.getFinding(doc, id)?.annotations.some((s) => s.id === 'forged-shape'),
    /outside 0\.\.1/,
    watcher,
  )
  watcher.destroy()
})

test('an oversize comment and a malformed finding are refused', async () => {
  const docId = f.docs.qa
  const watcher = await f.connect(docId, f.sessions.viewer)
  const seed = await f.connect(docId, f.sessions.reviewer)
  const id = qa.addFinding(seed.doc, { title: 'Audio', versionA: 'a', versionB: 'b', frame: 5, author: 'r' })
  await seed.settled()
  seed.destroy()
  await expectRefused(
    docId,
    (doc) =>
      (qa.findingsOf(doc).get(id)!.get('thread') as Y.Array<unknown>).push([
        { id: 'long', author: 'r', text: 'x'.repeat(qa.MAX_COMMENT_LENGTH + 1), at: new Date().toISOString() },
      ]),
    (doc) => !qa.getFinding(doc, id)?.thread.some((c) => c.id === 'long'),
    /1-10000 characters/,
    watcher,
  )
  await expectRefused(
    docId,
    (doc) => {
      const m = new Y.Map<unknown>()
      m.set('id', 'bad-finding')
      m.set('title', 'Backwards')
      m.set('severity', 'apocalyptic')
      m.set('frame', 10)
      m.set('frameEnd', 2)
      qa.findingsOf(doc).set('bad-finding', m)
    },
    (doc) => !qa.findingsOf(doc).has('bad-finding'),
    /Refused: /,
    watcher,
  )
  watcher.destroy()
})

test('a comment mentioning someone outside the organization is refused with a clear reason', async () => {
  const docId = f.docs.qa
  const watcher = await f.connect(docId, f.sessions.viewer)
  const seed = await f.connect(docId, f.sessions.reviewer)
  const id = qa.addFinding(seed.doc, { title: 'Grade', versionA: 'a', versionB: 'b', frame: 5, author: 'r' })
  await seed.settled()
  seed.destroy()
  const [outsider] = await f.sql<{ id: string }[]>`select id from users where email = 'other@example.com'`
  for (const mention of [outsider!.id, crypto.randomUUID(), 'not-a-uuid'])
    await expectRefused(
      docId,
      (doc) =>
        qa.addComment(doc, id, { author: f.userIds.reviewer, text: '@Other look', mentions: [mention], id: mention }),
      (doc) => !qa.getFinding(doc, id)?.thread.some((c) => c.id === mention),
      /mentions someone who is not a member of this organization/,
      watcher,
    )
  // A member is fine, and so is a later comment once the refused one is gone.
  const reviewer = await f.connect(docId, f.sessions.reviewer)
  qa.addComment(reviewer.doc, id, { author: f.userIds.reviewer, text: '@The owner ok?', mentions: [f.userIds.owner] })
  await reviewer.settled()
  assert.equal(
    qa.getFinding(await stored(docId), id)!.thread.map((c) => c.mentions),
    [[f.userIds.owner]],
  )
  reviewer.destroy()
  watcher.destroy()
})

test.run()
