/**
 * Fault test of the collab server: bounded cycles of write load against a child process, SIGKILL, restart, and a
 * check that every edit the server acknowledged (the provider's unsynced count reached 0 after it) survived, and
 * that every edit any other replica had seen when the server died is in Postgres once the replicas reconnected
 * (the server relays an update before its commit: a receiver may hold an edit the log does not have yet).
 *
 *   node --import tsx e2e/src/collab-fault.test.ts            # 5 cycles (the test suite)
 *   COLLAB_FAULT_CYCLES=20 node --import tsx e2e/src/collab-fault.test.ts
 */
import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'
import { createTestDatabase, freePort, startTestNats, type TestDatabase, type TestNats } from '@cutroom/infra'
import postgres from 'postgres'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as Y from 'yjs'
import { openReplica, seedCollabTenant } from './collab-tenant'

const CYCLES = Number(process.env.COLLAB_FAULT_CYCLES ?? process.argv[2] ?? 5)
const WRITERS = 4
const ROOT = path.resolve(import.meta.dirname, '../..')

let db: TestDatabase
let nats: TestNats
let sql: postgres.Sql
/** The running server, killed by `after` when the test fails midway. */
let running: ChildProcess | null = null

test.before(async () => {
  db = await createTestDatabase()
  nats = await startTestNats()
  sql = postgres(db.url, { max: 2, onnotice: () => {} })
})
test.after(async () => {
  running?.kill('SIGKILL')
  await sql.end()
  await nats.stop()
  await db.drop()
})

async function startCollab(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'collab/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: db.url,
      NATS_URL: nats.url,
      COLLAB_HOST: '127.0.0.1',
      COLLAB_PORT: String(port),
      // Small enough that compaction runs during the test too.
      COLLAB_SNAPSHOT_EVERY: '50',
      LOG_LEVEL: process.env.COLLAB_FAULT_LOG ?? 'warn',
    },
    stdio: ['ignore', process.env.COLLAB_FAULT_LOG ? 'inherit' : 'ignore', 'inherit'],
  })
  const deadline = Date.now() + 20_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`collab exited with ${child.exitCode}`)
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    )
    if (ok) {
      running = child
      return child
    }
    if (Date.now() > deadline) throw new Error('collab did not become healthy')
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** A writer that keeps adding unique keys and records which of them the server has acknowledged. */
function startWriter(url: string, docId: string, token: string, name: string) {
  const { provider, doc, close } = openReplica(url, docId, token)
  const written: string[] = []
  let acknowledged = 0
  let counter = 0
  provider.on('unsyncedChanges', ({ number }: { number: number }) => {
    // The server handles a connection's messages in order and acknowledges each update once it is committed,
    // so all but the last `number` edits written are acknowledged.
    acknowledged = Math.max(acknowledged, written.length - number)
  })
  let timer: ReturnType<typeof setInterval> | null = null
  let paused = false
  provider.on('synced', () => {
    if (paused) return
    timer ??= setInterval(() => {
      const key = `${name}-${counter++}`
      written.push(key)
      doc.getMap('fault').set(key, counter)
    }, 5)
  })
  return {
    docId,
    name,
    acked: () => written.slice(0, acknowledged),
    written: () => written.length,
    /** Keys of the other writers this replica holds. */
    seenFromOthers: () => [...doc.getMap('fault').keys()].filter((k) => !k.startsWith(`${name}-`)),
    /** Stops typing; the provider stays connected (and reconnects). */
    pause() {
      paused = true
      if (timer) clearInterval(timer)
      timer = null
    },
    /** Resolves once the provider is connected and synced again with nothing unacknowledged. */
    async settled(timeoutMs: number) {
      const deadline = Date.now() + timeoutMs
      while (!(provider.isSynced && provider.unsyncedChanges === 0)) {
        if (Date.now() > deadline) throw new Error(`${name} did not resync (${provider.unsyncedChanges} unsynced)`)
        await new Promise((r) => setTimeout(r, 20))
      }
    },
    stop() {
      if (timer) clearInterval(timer)
      close()
    },
  }
}

/** The keys a document holds in Postgres (snapshot + log, read in one snapshot, as the server loads it). */
async function keysInPostgres(docId: string): Promise<Set<string>> {
  const { snaps, rows } = await sql.begin('isolation level repeatable read read only', async (tx) => ({
    snaps: await tx<{ state: Uint8Array }[]>`select state from doc_snapshots where doc_id = ${docId}`,
    rows: await tx<{ update: Uint8Array }[]>`select update from doc_updates where doc_id = ${docId} order by seq`,
  }))
  const doc = new Y.Doc()
  for (const s of snaps) Y.applyUpdate(doc, s.state)
  for (const r of rows) Y.applyUpdate(doc, r.update)
  return new Set(doc.getMap('fault').keys())
}

async function readKeys(url: string, docId: string, token: string): Promise<Set<string>> {
  const { doc, synced, close } = openReplica(url, docId, token)
  await synced
  const keys = new Set(doc.getMap('fault').keys())
  close()
  return keys
}

test(`every acknowledged edit survives ${CYCLES} SIGKILL cycles of the collab server`, async () => {
  const { token, docIds } = await seedCollabTenant(sql, ['qa', 'timeline'])
  const port = await freePort()
  const url = `ws://127.0.0.1:${port}`
  const expected = new Map<string, Set<string>>(docIds.map((id) => [id, new Set()]))
  let totalWritten = 0
  let totalAcked = 0
  let totalSeen = 0
  let lost = 0
  let lostSeen = 0
  let child = await startCollab(port)
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const writers = Array.from({ length: WRITERS }, (_, i) =>
      startWriter(url, docIds[i % docIds.length]!, token, `c${cycle}w${i}`),
    )
    // Write load for a random while, then kill the server mid-stream.
    await new Promise((r) => setTimeout(r, 600 + Math.floor(Math.random() * 800)))
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
    // What each replica held when the server died: acknowledged edits, and edits of others it had received.
    const seen = new Map<string, Set<string>>(docIds.map((id) => [id, new Set()]))
    for (const w of writers) {
      w.pause()
      totalWritten += w.written()
      const acked = w.acked()
      totalAcked += acked.length
      for (const k of acked) expected.get(w.docId)!.add(k)
      for (const k of w.seenFromOthers()) seen.get(w.docId)!.add(k)
    }
    child = await startCollab(port)
    // Acknowledged edits are there before any replica comes back.
    for (const docId of docIds) {
      const present = await readKeys(url, docId, token)
      for (const k of expected.get(docId)!) if (!present.has(k)) lost++
    }
    assert.is(lost, 0, `cycle ${cycle + 1}: acknowledged edits lost`)
    // Once the replicas reconnected and synced, everything any of them had seen is committed.
    await Promise.all(writers.map((w) => w.settled(30_000)))
    for (const w of writers) w.stop()
    for (const docId of docIds) {
      const present = await keysInPostgres(docId)
      for (const k of seen.get(docId)!) {
        totalSeen++
        if (!present.has(k)) lostSeen++
      }
    }
    assert.is(lostSeen, 0, `cycle ${cycle + 1}: edits other replicas had received are missing from Postgres`)
  }
  child.kill('SIGKILL')
  await new Promise((r) => child.once('exit', r))
  const [rows] = await sql<{ n: number }[]>`select count(*)::int as n from doc_updates`
  const [snaps] = await sql<{ n: number }[]>`select count(*)::int as n from doc_snapshots`
  console.log(
    `collab fault: ${CYCLES} SIGKILL cycles, ${WRITERS} writers, ${totalWritten} edits written, ${totalAcked} acknowledged, ` +
      `${lost} acknowledged lost; ${totalSeen} received by other replicas, ${lostSeen} of them missing; ` +
      `${rows!.n} log rows and ${snaps!.n} snapshots at the end`,
  )
  assert.ok(totalAcked > CYCLES * 10, 'the load produced acknowledged edits')
})

test.run()
