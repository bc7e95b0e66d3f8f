/** Dispatch through JetStream outages: real Postgres and a real nats-server; the JOBS stream is removed and made again. */
import { createTestDatabase, startTestNats, type TestDatabase, type TestNats } from '@cutroom/infra'
import { jobMessageId, Streams, tables } from '@cutroom/schema'
import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import { connect } from '@nats-io/transport-node'
import { eq, sql } from 'drizzle-orm'
import pino from 'pino'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createDb, type Db } from '../db'
import { ensureStreams } from './ensureStreams'
import { JobDispatcher } from './JobDispatcher'

let database: TestDatabase
let nats: TestNats
let nc: NatsConnection
let db: Db
let close: () => Promise<void>
let orgId: string
let projectId: string
const log = pino({ level: 'silent' })

test.before(async () => {
  database = await createTestDatabase()
  nats = await startTestNats()
  nc = await connect({ servers: nats.url })
  await ensureStreams(await jetstreamManager(nc))
  const made = createDb(database.url, 3)
  db = made.db
  close = () => made.sql.end()
  const [org] = await db.insert(tables.organizations).values({ name: 'Dispatch' }).returning({ id: tables.organizations.id })
  const [project] = await db.insert(tables.projects).values({ orgId: org!.id, name: 'p' }).returning({ id: tables.projects.id })
  orgId = org!.id
  projectId = project!.id
})

test.after(async () => {
  await nc.close()
  await close()
  await nats.stop()
  await database.drop()
})

const newJob = () => ({ kind: 'probe' as const, orgId, projectId, assetId: null, input: { assetId: crypto.randomUUID(), sourceKey: 'k' }, createdBy: null })

async function stored(jobId: string): Promise<number> {
  const jsm = await jetstreamManager(nc)
  const info = await jsm.streams.info(Streams.JOBS)
  let n = 0
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(Streams.JOBS, { seq }).catch(() => null)
    if (m?.header.get('Nats-Msg-Id') === jobMessageId(jobId, 1)) n++
  }
  return n
}

async function row(jobId: string) {
  const [r] = await db.select().from(tables.jobs).where(eq(tables.jobs.id, jobId))
  return r!
}

test('a job committed but never published (its api died in between) is published once by the sweep', async () => {
  const dispatcher = new JobDispatcher(db, jetstream(nc), log)
  const [stranded] = await dispatcher.insert(db, [newJob()])
  const [published] = await dispatcher.dispatch([newJob()])
  assert.ok((await row(published!.jobId)).dispatchedAt, 'a published job is marked')
  assert.is((await row(stranded!.jobId)).dispatchedAt, null)

  // too recent: its own api may still be publishing it
  assert.is(await dispatcher.publishStranded(10_000), 0)
  await db.execute(sql`update jobs set created_at = now() - interval '1 minute' where id in (${stranded!.jobId}, ${published!.jobId})`)
  assert.is(await dispatcher.publishStranded(10_000), 1)
  assert.is(await stored(stranded!.jobId), 1)
  assert.ok((await row(stranded!.jobId)).dispatchedAt)
  assert.is((await row(stranded!.jobId)).status, 'queued')
  assert.is(await dispatcher.publishStranded(10_000), 0, 'nothing is left to publish')
  assert.is(await stored(published!.jobId), 1, 'the published job was not sent again')
})

test('a publish while the stream has no leader is retried until it is stored, not failed', async () => {
  const jsm = await jetstreamManager(nc)
  await jsm.streams.delete(Streams.JOBS)
  const dispatcher = new JobDispatcher(db, jetstream(nc), log, 20_000)
  const dispatching = dispatcher.dispatch([newJob()])
  // no stream answers on jobs.* for a while (what a client sees during a leader election)
  await new Promise((r) => setTimeout(r, 700))
  await ensureStreams(jsm)
  const [payload] = await dispatching
  const r = await row(payload!.jobId)
  assert.is(r.status, 'queued')
  assert.ok(r.dispatchedAt)
  assert.is(await stored(payload!.jobId), 1)
})

test('a publish that keeps failing past the budget fails the job with a message saying to retry', async () => {
  const jsm = await jetstreamManager(nc)
  await jsm.streams.delete(Streams.JOBS)
  const dispatcher = new JobDispatcher(db, jetstream(nc), log, 300)
  const [payload] = await dispatcher.dispatch([newJob()])
  const r = await row(payload!.jobId)
  assert.is(r.status, 'failed')
  assert.match(r.error!, /could not be queued.*Retry it/)
  assert.is(r.dispatchedAt, null)
  await ensureStreams(jsm)
})

test.run()
