/**
 * Fault test of the collab server: bounded cycles of write load against a child process, SIGKILL, restart, and a
 * check that every edit the server acknowledged (the provider's unsynced count reached 0 after it) survived.
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
import { openReplica, seedCollabTenant } from './collab-tenant'

const CYCLES = Number(process.env.COLLAB_FAULT_CYCLES ?? process.argv[2] ?? 5)
const WRITERS = 4
const ROOT = path.resolve(import.meta.dirname, '../..')

let db: TestDatabase
let nats: TestNats
let sql: postgres.Sql

test.before(async () => {
  db = await createTestDatabase()
  nats = await startTestNats()
  sql = postgres(db.url, { max: 2, onnotice: () => {} })
})
test.after(async () => {
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
    if (ok) return child
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
  provider.on('synced', () => {
    timer ??= setInterval(() => {
      const key = `${name}-${counter++}`
      written.push(key)
      doc.getMap('fault').set(key, counter)
    }, 5)
  })
  return {
    docId,
    acked: () => written.slice(0, acknowledged),
    written: () => written.length,
    stop() {
      if (timer) clearInterval(timer)
      close()
    },
  }
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
  let lost = 0
  let child = await startCollab(port)
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const writers = Array.from({ length: WRITERS }, (_, i) =>
      startWriter(url, docIds[i % docIds.length]!, token, `c${cycle}w${i}`),
    )
    // Write load for a random while, then kill the server mid-stream.
    await new Promise((r) => setTimeout(r, 600 + Math.floor(Math.random() * 800)))
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
    for (const w of writers) {
      w.stop()
      totalWritten += w.written()
      const acked = w.acked()
      totalAcked += acked.length
      for (const k of acked) expected.get(w.docId)!.add(k)
    }
    child = await startCollab(port)
    for (const docId of docIds) {
      const present = await readKeys(url, docId, token)
      for (const k of expected.get(docId)!) if (!present.has(k)) lost++
    }
    assert.is(lost, 0, `cycle ${cycle + 1}: acknowledged edits lost`)
  }
  child.kill('SIGKILL')
  await new Promise((r) => child.once('exit', r))
  const [rows] = await sql<{ n: number }[]>`select count(*)::int as n from doc_updates`
  const [snaps] = await sql<{ n: number }[]>`select count(*)::int as n from doc_snapshots`
  console.log(
    `collab fault: ${CYCLES} SIGKILL cycles, ${WRITERS} writers, ${totalWritten} edits written, ${totalAcked} acknowledged, ` +
      `${lost} acknowledged lost; ${rows!.n} log rows and ${snaps!.n} snapshots at the end`,
  )
  assert.ok(totalAcked > CYCLES * 10, 'the load produced acknowledged edits')
})

test.run()
