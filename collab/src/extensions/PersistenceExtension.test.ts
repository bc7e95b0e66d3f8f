import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as Y from 'yjs'
import { type CollabFixture, createCollabFixture, waitFor } from '../createCollabFixture'

let f: CollabFixture

test.before(async () => {
  f = await createCollabFixture({ COLLAB_SNAPSHOT_EVERY: 10 })
})
test.after(async () => {
  await f.close()
})

test('others see an edit while it commits; its sender is acknowledged only once the row is committed', async () => {
  const docId = f.docs.transcript
  const editor = await f.connect(docId, f.sessions.editor)
  const other = await f.connect(docId, f.sessions.viewer)
  // Hold writes to doc_updates: the server's append must wait, and so must the acknowledgement.
  const blocker = await f.sql.reserve()
  await blocker`begin`
  await blocker`lock table doc_updates in exclusive mode`
  editor.doc.getText('t').insert(0, 'saved means durable')
  // The other person sees it at once, while the row cannot be written.
  await waitFor(() => other.doc.getText('t').toString() === 'saved means durable', 5000, 'relayed before the commit')
  await new Promise((r) => setTimeout(r, 300))
  assert.ok(editor.provider.unsyncedChanges > 0, 'not acknowledged while the row cannot be written')
  // A second edit is acknowledged after the first, never before.
  editor.doc.getText('t').insert(0, '» ')
  await new Promise((r) => setTimeout(r, 100))
  assert.ok(editor.provider.unsyncedChanges >= 2, 'both edits wait')
  let acknowledgedAt = 0
  let committedAt = 0
  const acked = editor.settled().then(() => {
    acknowledgedAt = performance.now()
  })
  await blocker`commit`
  committedAt = performance.now()
  blocker.release()
  await acked
  assert.ok(acknowledgedAt >= committedAt, 'acknowledged after the commit')
  const rows = await f.sql<{ update: Uint8Array }[]>`select update from doc_updates where doc_id = ${docId}`
  const replay = new Y.Doc()
  for (const r of rows) Y.applyUpdate(replay, r.update)
  assert.is(replay.getText('t').toString(), '» saved means durable')
  editor.destroy()
  other.destroy()
})

test('an append that fails is repaired from the document in memory before anyone is acknowledged', async () => {
  const docId = f.docs.timeline
  const editor = await f.connect(docId, f.sessions.editor)
  editor.doc.getMap('m').set('before', 1)
  await editor.settled()
  // Make the next INSERTs fail (a check constraint no row can meet), then allow them again.
  await f.sql.unsafe(`alter table doc_updates add constraint refuse_for_test check (doc_id <> '${docId}') not valid`)
  try {
    editor.doc.getMap('m').set('during', 2)
    await new Promise((r) => setTimeout(r, 500))
    assert.ok(editor.provider.unsyncedChanges > 0, 'not acknowledged while appends fail')
  } finally {
    await f.sql.unsafe('alter table doc_updates drop constraint refuse_for_test')
  }
  await editor.settled()
  const rows = await f.sql<{ update: Uint8Array }[]>`select update from doc_updates where doc_id = ${docId}`
  const snaps = await f.sql<{ state: Uint8Array }[]>`select state from doc_snapshots where doc_id = ${docId}`
  const replay = new Y.Doc()
  for (const s of snaps) Y.applyUpdate(replay, s.state)
  for (const r of rows) Y.applyUpdate(replay, r.update)
  assert.equal(replay.getMap('m').toJSON(), { before: 1, during: 2 })
  editor.destroy()
})

test('the log is folded into snapshots and a cold load is snapshot + tail', async () => {
  const docId = f.docs.retell
  const a = await f.connect(docId, f.sessions.owner)
  for (let i = 0; i < 37; i++) {
    a.doc.getArray<number>('numbers').push([i])
    await a.settled()
  }
  await waitFor(
    async () => (await f.sql`select 1 from doc_snapshots where doc_id = ${docId}`).length > 0,
    5000,
    'snapshot',
  )
  a.destroy()
  await waitFor(() => !f.collab.hocuspocus.documents.has(`doc:${docId}`), 5000, 'unload')
  const [snap] = await f.sql<{ up_to_seq: string }[]>`select up_to_seq from doc_snapshots where doc_id = ${docId}`
  const tail = await f.sql<{ seq: string }[]>`select seq from doc_updates where doc_id = ${docId}`
  assert.ok(Number(snap!.up_to_seq) >= 10)
  assert.ok(tail.length < 37, `${tail.length} rows left after compaction`)
  const b = await f.connect(docId, f.sessions.viewer)
  assert.equal(
    b.doc.getArray('numbers').toArray(),
    Array.from({ length: 37 }, (_, i) => i),
  )
  b.destroy()
})

test('concurrent editors are group-committed and everything survives a restart of the server', async () => {
  const docId = f.docs.timeline
  const clients = await Promise.all(['owner', 'admin', 'editor'].map((r) => f.connect(docId, f.sessions[r as 'owner'])))
  const batchesBefore = f.collab.metrics.appendBatches
  const updatesBefore = f.collab.metrics.updatesPersisted
  for (let round = 0; round < 5; round++)
    clients.forEach((c, i) => {
      c.doc.getMap('cells').set(`${i}-${round}`, round)
    })
  await Promise.all(clients.map((c) => c.settled()))
  assert.ok(f.collab.metrics.updatesPersisted - updatesBefore >= 15)
  assert.ok(f.collab.metrics.appendBatches - batchesBefore < f.collab.metrics.updatesPersisted - updatesBefore)
  for (const c of clients) c.destroy()
  await f.restart()
  const reader = await f.connect(docId, f.sessions.viewer)
  assert.is(Object.keys(reader.doc.getMap('cells').toJSON()).length, 15)
  reader.destroy()
})

test('loading a document that has deletions adds nothing to its log', async () => {
  const docId = f.docs.qa
  const a = await f.connect(docId, f.sessions.owner)
  const cells = a.doc.getMap<number>('cells')
  for (let i = 0; i < 5; i++) cells.set(`k${i}`, i)
  cells.delete('k0')
  cells.delete('k1')
  await a.settled()
  a.destroy()
  const rows = async () =>
    (await f.sql`select count(*)::int as n from doc_updates where doc_id = ${docId}`)[0]!.n as number
  await waitFor(() => !f.collab.hocuspocus.documents.has(`doc:${docId}`), 5000, 'unload')
  const after = await rows()
  for (let load = 0; load < 3; load++) {
    const reader = await f.connect(docId, f.sessions.viewer)
    assert.equal(Object.keys(reader.doc.getMap('cells').toJSON()).sort(), ['k2', 'k3', 'k4'])
    reader.destroy()
    await waitFor(() => !f.collab.hocuspocus.documents.has(`doc:${docId}`), 5000, 'unload')
  }
  assert.is(await rows(), after, 'three more loads, no new rows')
})

test("a client's offline edits in its sync step 2 are logged; a step 2 with nothing new is not", async () => {
  const docId = f.docs.transcript
  const stored = async () => {
    const doc = new Y.Doc()
    for (const r of await f.sql<{ state: Uint8Array }[]>`select state from doc_snapshots where doc_id = ${docId}`)
      Y.applyUpdate(doc, r.state)
    const rows = await f.sql<{ update: Uint8Array }[]>`select update from doc_updates where doc_id = ${docId}`
    for (const r of rows) Y.applyUpdate(doc, r.update)
    return { doc, rows: rows.length }
  }
  const offline = new Y.Doc()
  offline.getMap('offline').set('kept', 1)
  offline.getMap('offline').set('dropped', 2)
  offline.getMap('offline').delete('dropped')
  const a = await f.connect(docId, f.sessions.editor, { document: offline })
  await waitFor(async () => (await stored()).doc.getMap('offline').get('kept') === 1, 5000, 'offline edit logged')
  a.destroy()
  await waitFor(() => !f.collab.hocuspocus.documents.has(`doc:${docId}`), 5000, 'unload')
  const before = await stored()
  assert.equal(before.doc.getMap('offline').toJSON(), { kept: 1 })
  // A client holding exactly the stored state (deletions included) reconnects: its step 2 adds nothing.
  const copy = new Y.Doc()
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(before.doc))
  const b = await f.connect(docId, f.sessions.editor, { document: copy })
  await b.settled()
  await new Promise((r) => setTimeout(r, 200))
  b.destroy()
  await waitFor(() => !f.collab.hocuspocus.documents.has(`doc:${docId}`), 5000, 'unload')
  assert.is((await stored()).rows, before.rows)
})

test('/metrics and /healthz answer', async () => {
  const base = f.url.replace('ws://', 'http://')
  const metrics = await fetch(`${base}/metrics`).then((r) => r.text())
  for (const name of [
    'cutroom_collab_connections',
    'cutroom_collab_documents_loaded',
    'cutroom_collab_updates_total',
    'cutroom_collab_updates_per_second',
    'cutroom_collab_persist_latency_seconds_bucket',
    'cutroom_collab_bytes_stored_total',
  ])
    assert.ok(metrics.includes(name), name)
  const health = await fetch(`${base}/healthz`)
  assert.is(health.status, 200)
  const body = (await health.json()) as { dependencies: { postgres: { ok: boolean } } }
  assert.equal(body.dependencies.postgres.ok, true)
})

test.run()
