/**
 * One person's connection limit across two collab instances on one Redis: connections on either instance count
 * against the same limit, a disconnect frees a slot for both, and the slots of a SIGKILLed instance lapse.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'
import { type CollabServer, createCollabServer } from '@cutroom/collab'
import { createTestDatabase, freePort, startTestNats, type TestDatabase, type TestNats } from '@cutroom/infra'
import { CloseCode } from '@cutroom/schema'
import { Redis } from 'ioredis'
import postgres from 'postgres'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { openReplica, seedCollabTenant, waitUntil } from './collab-tenant'

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
const ROOT = path.resolve(import.meta.dirname, '../..')
const LIMIT = 3
const SLOT_TTL_SECONDS = 2
// Keys of this run only, removed at the end.
const PREFIX = `cutroom-test-${crypto.randomUUID()}`

let db: TestDatabase
let nats: TestNats
let sql: postgres.Sql
let redis: Redis
let a: CollabServer
let urlA: string
let child: ChildProcess | null = null
let urlB: string

async function startChild(port: number): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'collab/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: db.url,
      NATS_URL: nats.url,
      REDIS_URL,
      COLLAB_REDIS_PREFIX: PREFIX,
      COLLAB_HOST: '127.0.0.1',
      COLLAB_PORT: String(port),
      COLLAB_MAX_CONNECTIONS_PER_USER: String(LIMIT),
      COLLAB_CONNECTION_SLOT_TTL_SECONDS: String(SLOT_TTL_SECONDS),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const deadline = Date.now() + 30_000
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`collab exited with ${proc.exitCode}`)
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    )
    if (ok) return proc
    if (Date.now() > deadline) throw new Error('collab did not become healthy')
    await new Promise((r) => setTimeout(r, 100))
  }
}

test.before(async () => {
  db = await createTestDatabase()
  nats = await startTestNats()
  sql = postgres(db.url, { max: 4, onnotice: () => {} })
  redis = new Redis(REDIS_URL)
  a = createCollabServer({
    config: {
      COLLAB_HOST: '127.0.0.1',
      COLLAB_PORT: 0,
      COLLAB_MAX_UPDATE_BYTES: 1024 * 1024,
      COLLAB_MAX_CONNECTIONS_PER_USER: LIMIT,
      COLLAB_SNAPSHOT_EVERY: 1000,
      COLLAB_CONNECTION_SLOT_TTL_SECONDS: SLOT_TTL_SECONDS,
      REDIS_URL,
    },
    sql,
    redisPrefix: PREFIX,
  })
  ;({ url: urlA } = await a.listen())
  const port = await freePort()
  child = await startChild(port)
  urlB = `ws://127.0.0.1:${port}`
})

test.after(async () => {
  child?.kill('SIGKILL')
  await a.destroy()
  const keys = await redis.keys(`${PREFIX}*`)
  if (keys.length) await redis.del(...keys)
  redis.disconnect()
  await sql.end()
  await nats.stop()
  await db.drop()
})

type Open = ReturnType<typeof openReplica>

/** A connection that must be admitted. */
async function hold(url: string, docId: string, token: string): Promise<Open> {
  const r = openReplica(url, docId, token)
  await r.synced
  return r
}

/** Opens a connection and resolves with how it ended: admitted (synced), or the close code it got. */
function attempt(url: string, docId: string, token: string): Promise<{ synced: boolean; code?: number }> {
  const r = openReplica(url, docId, token)
  return new Promise((resolve) => {
    const done = (result: { synced: boolean; code?: number }) => {
      clearTimeout(timer)
      r.close()
      resolve(result)
    }
    const timer = setTimeout(() => done({ synced: false }), 8000)
    r.provider.on('close', ({ event }: { event: { code: number } }) => done({ synced: false, code: event.code }))
    r.provider.on('synced', () => done({ synced: true }))
  })
}

/** Slots Redis counts for a person (members not yet expired). */
async function slotsInRedis(userId: string): Promise<number> {
  return redis.zcount(`${PREFIX}:slots:user:${userId}`, Date.now(), '+inf')
}

test('connections on both instances count against one limit; 4429 on either past it; a disconnect frees a slot', async () => {
  const { token, userId, docIds } = await seedCollabTenant(sql, ['timeline', 'transcript', 'retell', 'qa'])
  const [d0, d1, d2, d3] = docIds as [string, string, string, string]
  const onA = [await hold(urlA, d0, token), await hold(urlA, d1, token)]
  const onB = await hold(urlB, d2, token)
  assert.is(await slotsInRedis(userId), LIMIT)

  // Each instance alone holds fewer than the limit, yet both refuse the fourth.
  assert.equal(await attempt(urlA, d3, token), { synced: false, code: CloseCode.TOO_MANY_CONNECTIONS })
  assert.equal(await attempt(urlB, d3, token), { synced: false, code: CloseCode.TOO_MANY_CONNECTIONS })
  // Someone else is not affected.
  const other = await seedCollabTenant(sql, ['timeline'])
  assert.ok((await attempt(urlB, other.docIds[0]!, other.token)).synced)

  // A disconnect on A frees the slot for a connection on B.
  onA[0]!.close()
  await waitUntil(async () => (await slotsInRedis(userId)) === LIMIT - 1, 5000, 'the released slot')
  assert.ok((await attempt(urlB, d3, token)).synced)
  // The attempt's own slot was released when it closed.
  await waitUntil(async () => (await slotsInRedis(userId)) === LIMIT - 1, 5000, 'the attempt released')
  onA[1]!.close()
  onB.close()
  await waitUntil(async () => (await slotsInRedis(userId)) === 0, 5000, 'every slot released')
})

test('the slots of a SIGKILLed instance lapse after the slot TTL', async () => {
  const { token, userId, docIds } = await seedCollabTenant(sql, ['timeline', 'transcript', 'retell', 'qa'])
  const [d0, d1, d2, d3] = docIds as [string, string, string, string]
  const onA = await hold(urlA, d0, token)
  const onB = [await hold(urlB, d1, token), await hold(urlB, d2, token)]
  assert.equal(await attempt(urlA, d3, token), { synced: false, code: CloseCode.TOO_MANY_CONNECTIONS })

  child!.kill('SIGKILL')
  await new Promise((r) => child!.once('exit', r))
  child = null
  for (const r of onB) r.close()
  const killedAt = Date.now()
  // Nobody released B's slots: they still count until they lapse.
  assert.equal(await attempt(urlA, d3, token), { synced: false, code: CloseCode.TOO_MANY_CONNECTIONS })
  await waitUntil(async () => (await attempt(urlA, d3, token)).synced, 10_000, 'the killed instance’s slots to lapse')
  const lapsedAfter = Date.now() - killedAt
  assert.ok(lapsedAfter <= (SLOT_TTL_SECONDS + 3) * 1000, `lapsed after ${lapsedAfter} ms`)

  // A's own slot is still refreshed by its heartbeat well past the TTL: only the dead instance's slots lapsed.
  await new Promise((r) => setTimeout(r, SLOT_TTL_SECONDS * 1000 + 500))
  assert.is(await slotsInRedis(userId), 1)
  const extra = [await hold(urlA, d1, token), await hold(urlA, d2, token)]
  assert.equal(await attempt(urlA, d3, token), { synced: false, code: CloseCode.TOO_MANY_CONNECTIONS })
  onA.close()
  for (const r of extra) r.close()
  await waitUntil(async () => (await slotsInRedis(userId)) === 0, 5000, 'every slot released')
})

test.run()
