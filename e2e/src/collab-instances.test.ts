/** Two collab instances joined by Redis: a client on each, edits converge, and each edit is logged exactly once. */
import { type CollabServer, createCollabServer } from '@cutroom/collab'
import { createTestDatabase, type TestDatabase } from '@cutroom/infra'
import { qa } from '@cutroom/schema'
import postgres from 'postgres'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as Y from 'yjs'
import { openReplica, seedCollabTenant, waitUntil } from './collab-tenant'

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

let db: TestDatabase
let sql: postgres.Sql
const instances: CollabServer[] = []
const urls: string[] = []

test.before(async () => {
  db = await createTestDatabase()
  sql = postgres(db.url, { max: 6, onnotice: () => {} })
  // Keys and channels of this run only.
  const prefix = `cutroom-test-${crypto.randomUUID()}`
  for (let i = 0; i < 2; i++) {
    const collab = createCollabServer({
      config: {
        COLLAB_HOST: '127.0.0.1',
        COLLAB_PORT: 0,
        COLLAB_MAX_UPDATE_BYTES: 1024 * 1024,
        COLLAB_MAX_CONNECTIONS_PER_USER: 50,
        COLLAB_SNAPSHOT_EVERY: 1000,
        REDIS_URL,
      },
      sql,
      redisPrefix: prefix,
    })
    const { url } = await collab.listen()
    instances.push(collab)
    urls.push(url)
  }
})
test.after(async () => {
  for (const c of instances) await c.destroy()
  await sql.end()
  await db.drop()
})

test('clients on two instances converge, and every edit is appended once, by the instance that received it', async () => {
  const { token, userId, docIds } = await seedCollabTenant(sql, ['qa'])
  const docId = docIds[0]!
  const a = openReplica(urls[0]!, docId, token)
  const b = openReplica(urls[1]!, docId, token)
  await Promise.all([a.synced, b.synced])
  const rowsAfterLoad = (await sql`select 1 from doc_updates where doc_id = ${docId}`).length

  const N = 40
  for (let i = 0; i < N; i++) {
    // Real findings: collab refuses qa changes the model's validator rejects.
    qa.addFinding(a.doc, { id: `a${i}`, title: `a${i}`, versionA: 'a', versionB: 'b', frame: i, author: 'a' })
    qa.addFinding(b.doc, { id: `b${i}`, title: `b${i}`, versionA: 'a', versionB: 'b', frame: i, author: 'b' })
    if (i % 10 === 0) b.doc.getText('notes').insert(0, `b${i} `)
    if (i % 10 === 5) a.doc.getText('notes').insert(0, `a${i} `)
  }
  await waitUntil(
    () => a.provider.unsyncedChanges === 0 && b.provider.unsyncedChanges === 0,
    10_000,
    'acknowledgements',
  )
  await waitUntil(
    () => a.doc.getMap('findings').size === 2 * N && b.doc.getMap('findings').size === 2 * N,
    10_000,
    'convergence',
  )
  await waitUntil(
    () => a.doc.getText('notes').toString() === b.doc.getText('notes').toString(),
    5000,
    'text convergence',
  )
  assert.equal(Y.encodeStateVector(a.doc), Y.encodeStateVector(b.doc))

  // One row per client update: 2N map edits + 8 text edits, none appended twice by the other instance.
  const rows = await sql<{ user_id: string | null }[]>`select user_id from doc_updates where doc_id = ${docId}`
  assert.is(rows.length - rowsAfterLoad, 2 * N + 8)
  assert.ok(rows.slice(rowsAfterLoad).every((r) => r.user_id === userId))

  // The durable log alone rebuilds the same document.
  const replay = new Y.Doc()
  for (const r of await sql<
    { update: Uint8Array }[]
  >`select update from doc_updates where doc_id = ${docId} order by seq`)
    Y.applyUpdate(replay, r.update)
  assert.equal(replay.getMap('findings').toJSON(), a.doc.getMap('findings').toJSON())
  a.close()
  b.close()
})

test('/healthz reports Redis alongside Postgres', async () => {
  const res = await fetch(`${urls[0]!.replace('ws://', 'http://')}/healthz`)
  const body = (await res.json()) as { ok: boolean; dependencies: Record<string, { ok: boolean }> }
  assert.is(res.status, 200)
  assert.ok(body.dependencies.redis?.ok && body.dependencies.postgres?.ok)
})

test('a server patch applied on one instance reaches a client of the other', async () => {
  const { token, docIds } = await seedCollabTenant(sql, ['qa'])
  const docId = docIds[0]!
  const b = openReplica(urls[1]!, docId, token)
  await b.synced
  const scratch = new Y.Doc()
  scratch.getMap('overlays').set('v1|v2', { key: 'diff' })
  const reply = await instances[0]!.patcher.handle(docId, {
    type: 'yjs-update',
    update: Buffer.from(Y.encodeStateAsUpdate(scratch)).toString('base64'),
  })
  assert.equal(reply, { ok: true, changed: true })
  await waitUntil(() => b.doc.getMap('overlays').has('v1|v2'), 5000, 'the patch on the other instance')
  b.close()
})

test.run()
