import { createTestDatabase, type TestDatabase } from '@cutroom/infra'
import postgres from 'postgres'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as Y from 'yjs'
import { CollabMetrics } from './CollabMetrics'
import { UpdateLog } from './UpdateLog'

let db: TestDatabase
let sql: postgres.Sql

test.before(async () => {
  db = await createTestDatabase()
  sql = postgres(db.url, { max: 6, onnotice: () => {} })
})
test.after(async () => {
  await sql.end()
  await db.drop()
})

async function newDocument(): Promise<string> {
  const [org] = await sql<{ id: string }[]>`insert into organizations (name) values ('o') returning id`
  const [p] = await sql<{ id: string }[]>`insert into projects (org_id, name) values (${org!.id}, 'p') returning id`
  const [d] = await sql<
    { id: string }[]
  >`insert into documents (project_id, kind, title) values (${p!.id}, 'qa', 'd') returning id`
  return d!.id
}

/** `n` updates, each inserting one distinct key into the root map `m` of its own replica. */
function updates(n: number, tag: string): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => {
    const doc = new Y.Doc()
    doc.getMap('m').set(`${tag}${i}`, i)
    return Y.encodeStateAsUpdate(doc)
  })
}

function contentOf(loaded: Uint8Array[]): Record<string, unknown> {
  const doc = new Y.Doc()
  for (const u of loaded) Y.applyUpdate(doc, u)
  return doc.getMap('m').toJSON()
}

test('concurrent appends are group-committed with consecutive seqs', async () => {
  const docId = await newDocument()
  const metrics = new CollabMetrics()
  const log = new UpdateLog({ sql, metrics, snapshotEvery: 10_000 })
  await log.load(docId)
  await Promise.all(updates(50, 'a').map((u) => log.append(docId, u, null)))
  const rows = await sql<{ seq: string }[]>`select seq from doc_updates where doc_id = ${docId} order by seq`
  assert.equal(
    rows.map((r) => Number(r.seq)),
    Array.from({ length: 50 }, (_, i) => i + 1),
  )
  assert.ok(metrics.appendBatches < 50, `${metrics.appendBatches} INSERTs for 50 updates`)
  await log.close()
})

test('two instances appending to one document lose nothing (the primary key catches stale counters)', async () => {
  const docId = await newDocument()
  const a = new UpdateLog({ sql, snapshotEvery: 10_000 })
  const b = new UpdateLog({ sql, snapshotEvery: 10_000 })
  await a.load(docId)
  await b.load(docId)
  const ua = updates(30, 'a')
  const ub = updates(30, 'b')
  await Promise.all([...ua.map((u) => a.append(docId, u, null)), ...ub.map((u) => b.append(docId, u, null))])
  const content = contentOf((await a.load(docId)).updates)
  assert.is(Object.keys(content).length, 60)
  await a.close()
  await b.close()
})

test('compaction folds the log into a snapshot; load = snapshot + tail; appends during compaction survive', async () => {
  const docId = await newDocument()
  const log = new UpdateLog({ sql, snapshotEvery: 10 })
  await log.load(docId)
  for (const u of updates(25, 'x')) await log.append(docId, u, null)
  // Appends racing a compaction started by hand.
  const racing = updates(20, 'y').map((u) => log.append(docId, u, null))
  await Promise.all([log.compact(docId), ...racing])
  await log.close()
  const [snapshot] = await sql<{ up_to_seq: string }[]>`select up_to_seq from doc_snapshots where doc_id = ${docId}`
  assert.ok(snapshot, 'a snapshot exists')
  const left = await sql`select seq from doc_updates where doc_id = ${docId}`
  assert.ok(left.length < 45, `the log was folded (${left.length} rows left)`)
  const fresh = new UpdateLog({ sql, snapshotEvery: 10 })
  const loaded = await fresh.load(docId)
  assert.is(Object.keys(contentOf(loaded.updates)).length, 45)
  // The counter continues after the snapshot, never reusing a folded seq.
  await fresh.append(docId, updates(1, 'z')[0]!, null)
  const [max] = await sql<{ m: string }[]>`select max(seq) as m from doc_updates where doc_id = ${docId}`
  assert.ok(Number(max!.m) > Number(snapshot!.up_to_seq))
  assert.is(Object.keys(contentOf((await fresh.load(docId)).updates)).length, 46)
  await fresh.close()
})

test("one document's slow commit does not hold back appends to another; its own appends stay in order", async () => {
  const slow = await newDocument()
  const other = await newDocument()
  const log = new UpdateLog({ sql, snapshotEvery: 10_000 })
  await log.load(slow)
  await log.load(other)
  // An open transaction holds seq 1 of `slow`: an INSERT of that seq waits until it ends.
  const blocker = await sql.reserve()
  await blocker`begin`
  await blocker`insert into doc_updates (doc_id, seq, update) values (${slow}, 1, ${Buffer.from(updates(1, 'held')[0]!)})`
  const slowDone = Promise.all(updates(3, 's').map((u) => log.append(slow, u, null)))
  await new Promise((r) => setTimeout(r, 100))
  const started = performance.now()
  await log.append(other, updates(1, 'o')[0]!, null)
  assert.ok(performance.now() - started < 1000, 'the other document committed while the first one waits')
  await blocker`rollback`
  blocker.release()
  await slowDone
  const rows = await sql<{ seq: string; update: Uint8Array }[]>`
    select seq, update from doc_updates where doc_id = ${slow} order by seq`
  assert.equal(
    rows.map((r) => Object.keys(contentOf([r.update]))[0]),
    ['s0', 's1', 's2'],
  )
  await log.close()
})

test.run()
