import { type ChildProcess, spawn } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { startTestNats, type TestNats } from '@cutroom/infra'
import { tables } from '@cutroom/schema'
import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import { connect } from '@nats-io/transport-node'
import { and, eq } from 'drizzle-orm'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ensureStreams } from '../jobs/ensureStreams'
import { createTestApi, type TestApi } from '../testing/createTestApi'
import { emitWebhookEvent } from './emitWebhookEvent'
import { WebhookDeliverer } from './WebhookDeliverer'

const KEY = 'ab'.repeat(32)
let api: TestApi
let strict: TestApi
let deliverer: WebhookDeliverer
let nats: TestNats
let nc: NatsConnection

const codeOf = (e: unknown) => (e as { cause?: { code?: string } })?.cause?.code
const failure = (p: Promise<unknown>) =>
  p.then(
    () => assert.unreachable('should have failed'),
    (e: unknown) => e,
  )

interface Received {
  headers: IncomingHttpHeaders
  body: string
  at: number
  answered: number
}

/**
 * A real HTTP receiver on a free port; `answer` decides each response's status, and 0 leaves the request
 * hanging (a receiver that never answers). `arrived` counts requests, answered or not.
 */
async function receiver(answer: (n: number) => number = () => 204) {
  const received: Received[] = []
  let n = 0
  const state = { arrived: 0 }
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => {
      body += c
    })
    req.on('end', () => {
      state.arrived++
      const answered = answer(++n)
      if (answered === 0) return
      received.push({ headers: req.headers, body, at: Date.now(), answered })
      res.writeHead(answered).end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    get arrived() {
      return state.arrived
    },
    close: () => {
      server.closeAllConnections()
      return new Promise((r) => server.close(r))
    },
  }
}

/** The Standard Webhooks verification, written out independently of the signing code. */
function verify(secret: string, r: Received): boolean {
  const id = r.headers['webhook-id'] as string
  const ts = r.headers['webhook-timestamp'] as string
  const expected = createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64'))
    .update(`${id}.${ts}.${r.body}`)
    .digest('base64')
  if (Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false
  return (r.headers['webhook-signature'] as string).split(' ').some((s) => s === `v1,${expected}`)
}

async function until<T>(
  what: string,
  f: () => Promise<T | null | undefined | false> | T,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await f()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

let n = 0
async function owner(on: TestApi = api) {
  const { token } = await (await on.caller()).auth.signUp({
    email: `hooks${++n}@example.com`,
    password: 'correct horse 42',
    name: 'Owner',
  })
  const call = await on.caller(token)
  const org = await call.orgs.create({ name: `Hooks ${n}` })
  return { call, org, token }
}

const ENV = {
  WEBHOOKS_ENCRYPTION_KEY: KEY,
  WEBHOOKS_ALLOW_PRIVATE: 'true',
  WEBHOOKS_RETRY_SCHEDULE_MS: '100,300,600',
  WEBHOOKS_POLL_MS: '20',
  WEBHOOKS_TIMEOUT_MS: '1000',
}

async function startDeliverer(on: TestApi): Promise<WebhookDeliverer> {
  const d = new WebhookDeliverer({
    db: on.services.db,
    sql: on.sql,
    js: jetstream(nc),
    jsm: await jetstreamManager(nc),
    config: on.services.config,
    log: on.services.log,
  })
  await d.start()
  return d
}

test.before(async () => {
  nats = await startTestNats()
  nc = await connect({ servers: nats.url })
  await ensureStreams(await jetstreamManager(nc))
  api = await createTestApi({ ...ENV, NATS_URL: nats.url })
  deliverer = await startDeliverer(api)
  api.services.webhooks = deliverer
  strict = await createTestApi({ WEBHOOKS_ENCRYPTION_KEY: KEY })
})

test.after(async () => {
  await deliverer.close()
  await nc.drain()
  await api.close()
  await strict.close()
  await nats.stop()
})

test('create shows the secret once; deliveries are signed per Standard Webhooks and logged', async () => {
  const { call, org } = await owner()
  const r = await receiver()
  const hook = await call.webhooks.create({ orgId: org.id, url: r.url, events: ['review.created', 'quota.warning'] })
  assert.match(hook.secret, /^whsec_[A-Za-z0-9+/=]{32}$/)
  const listed = await call.webhooks.list({ orgId: org.id })
  assert.equal(Object.keys(listed[0]!).includes('secret'), false)
  const [stored] = await api.services.db
    .select({ c: tables.webhooks.secretCiphertext })
    .from(tables.webhooks)
    .where(eq(tables.webhooks.id, hook.id))
  assert.not.ok(stored!.c.includes(hook.secret.slice(6)), 'the secret is not stored in the clear')

  await emitWebhookEvent(api.services.db, org.id, 'review.created', { reviewId: 'r1' })
  await emitWebhookEvent(api.services.db, org.id, 'job.failed', { jobId: 'j1' }) // not subscribed
  await until('delivery', () => r.received.length === 1)
  const got = r.received[0]!
  assert.ok(verify(hook.secret, got), 'the signature verifies')
  assert.match(got.headers['webhook-id'] as string, /^msg_/)
  assert.equal(JSON.parse(got.body).type, 'review.created')
  assert.equal(JSON.parse(got.body).data, { reviewId: 'r1' })
  const tampered = { ...got, body: got.body.replace('r1', 'r2') }
  assert.not.ok(verify(hook.secret, tampered), 'a changed body does not verify')

  const log = await until('logged', async () => {
    const d = await call.webhooks.deliveries({ webhookId: hook.id })
    return d[0]?.status === 'succeeded' ? d : null
  })
  assert.is(log.length, 1)
  assert.is(log[0]!.lastStatusCode, 204)
  assert.is(log[0]!.log.length, 1)
  assert.ok(log[0]!.log[0]!.durationMs >= 0)

  // rotation: the next message is signed with the new secret only
  const rotated = await call.webhooks.rotateSecret({ id: hook.id })
  await call.webhooks.test({ id: hook.id })
  await until('test delivery', () => r.received.length === 2)
  assert.is(JSON.parse(r.received[1]!.body).type, 'webhook.test')
  assert.ok(verify(rotated.secret, r.received[1]!))
  assert.not.ok(verify(hook.secret, r.received[1]!))
  await r.close()
})

test('a failing receiver gets retries with growing delays, then the message once it answers 2xx; redeliver sends the same id', async () => {
  const { call, org } = await owner()
  const r = await receiver((k) => (k <= 2 ? 500 : 200))
  const hook = await call.webhooks.create({ orgId: org.id, url: r.url, events: ['job.succeeded'] })
  await emitWebhookEvent(api.services.db, org.id, 'job.succeeded', { jobId: 'j' })
  await until('third attempt', () => r.received.length === 3)
  const ids = new Set(r.received.map((x) => x.headers['webhook-id']))
  assert.is(ids.size, 1, 'every attempt carries the same webhook-id')
  const gap1 = r.received[1]!.at - r.received[0]!.at
  const gap2 = r.received[2]!.at - r.received[1]!.at
  assert.ok(gap1 >= 90, `first retry after ~100 ms (${gap1})`)
  assert.ok(gap2 >= 280 && gap2 > gap1, `second retry later (${gap2})`)
  const [d] = await until('succeeded', async () => {
    const list = await call.webhooks.deliveries({ webhookId: hook.id })
    return list[0]?.status === 'succeeded' ? list : null
  })
  assert.equal(
    d!.log.map((a) => [a.attempt, a.statusCode]),
    [
      [1, 500],
      [2, 500],
      [3, 200],
    ],
  )

  await call.webhooks.redeliver({ deliveryId: d!.id })
  await until('redelivered', () => r.received.length === 4)
  assert.is(r.received[3]!.headers['webhook-id'], d!.id)
  await r.close()
})

test('a receiver that is down for a while still gets every message, once per webhook-id', async () => {
  const { call, org } = await owner()
  let up = false
  const r = await receiver(() => (up ? 200 : 503))
  await call.webhooks.create({ orgId: org.id, url: r.url, events: ['asset.ready'] })
  for (let i = 0; i < 5; i++) await emitWebhookEvent(api.services.db, org.id, 'asset.ready', { assetId: `a${i}` })
  await until('attempts while down', () => r.received.length >= 5)
  up = true
  await until('all delivered', async () => {
    const rows = await api.services.db
      .select()
      .from(tables.webhookDeliveries)
      .where(eq(tables.webhookDeliveries.orgId, org.id))
    return rows.length === 5 && rows.every((x) => x.status === 'succeeded')
  })
  // what the receiver accepted (answered 2xx): each message exactly once, under one webhook-id each
  const accepted = r.received.filter((x) => x.answered === 200)
  assert.is(accepted.length, 5)
  assert.is(new Set(accepted.map((x) => x.headers['webhook-id'])).size, 5)
  assert.equal(accepted.map((x) => JSON.parse(x.body).data.assetId).sort(), ['a0', 'a1', 'a2', 'a3', 'a4'])
  assert.ok(
    r.received.some((x) => x.answered === 503),
    'it was down first',
  )
  await r.close()
})

test('410 Gone disables the endpoint with an audit row; later events are not queued for it', async () => {
  const { call, org } = await owner()
  const r = await receiver(() => 410)
  const hook = await call.webhooks.create({ orgId: org.id, url: r.url, events: ['job.failed'] })
  await emitWebhookEvent(api.services.db, org.id, 'job.failed', { jobId: 'x' })
  await until('disabled', async () => !(await call.webhooks.list({ orgId: org.id }))[0]!.enabled)
  const audit = await api.services.db
    .select()
    .from(tables.auditLog)
    .where(and(eq(tables.auditLog.orgId, org.id), eq(tables.auditLog.action, 'webhook.disabled')))
  assert.is(audit.length, 1)
  assert.is(await emitWebhookEvent(api.services.db, org.id, 'job.failed', { jobId: 'y' }), 0)
  assert.is(r.received.length, 1, 'no retry after 410')
  assert.is(codeOf(await failure(call.webhooks.test({ id: hook.id }))), 'INVALID_STATE')
  await r.close()
})

test('a delivery process killed mid-delivery loses nothing: the message is sent again, same webhook-id, once accepted', async () => {
  const { call, org } = await owner()
  // the in-process deliverer steps aside so the child process takes the message
  await deliverer.close()
  // the first request is never answered: the child is killed while it waits
  const r = await receiver((k) => (k === 1 ? 0 : 200))
  await call.webhooks.create({ orgId: org.id, url: r.url, events: ['export.completed'] })
  let output = ''
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(import.meta.dirname, '../webhookWorkerMain.ts')],
    {
      env: {
        ...process.env,
        ...ENV,
        DATABASE_URL: api.services.config.DATABASE_URL,
        NATS_URL: nats.url,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  try {
    await emitWebhookEvent(api.services.db, org.id, 'export.completed', { exportId: 'e1' })
    await until('the child is mid-delivery', () => r.arrived >= 1, 60_000).catch((err) => {
      throw new Error(`${(err as Error).message}\n${output}`)
    })
    child.kill('SIGKILL')
    await new Promise((res) => child.once('exit', res))
    deliverer = await startDeliverer(api)
    api.services.webhooks = deliverer
    const [row] = await until(
      'sent again once the lease ran out',
      async () => {
        const rows = await api.services.db
          .select()
          .from(tables.webhookDeliveries)
          .where(eq(tables.webhookDeliveries.orgId, org.id))
        return rows[0]?.status === 'succeeded' ? rows : null
      },
      30_000,
    )
    const accepted = r.received.filter((x) => x.answered === 200)
    assert.is(accepted.length, 1, 'accepted once')
    assert.is(accepted[0]!.headers['webhook-id'], row!.id)
    assert.equal(JSON.parse(accepted[0]!.body).data, { exportId: 'e1' })
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await r.close()
  }
})

test('an endpoint failing for a day is disabled with an audit row at its next failure', async () => {
  const { call, org } = await owner()
  const r = await receiver(() => 500)
  const hook = await call.webhooks.create({ orgId: org.id, url: r.url, events: ['review.approved'] })
  // a run of failures that began a day and a minute ago
  await api.services.db
    .update(tables.webhooks)
    .set({ failingSince: new Date(Date.now() - 24 * 3600_000 - 60_000) })
    .where(eq(tables.webhooks.id, hook.id))
  await emitWebhookEvent(api.services.db, org.id, 'review.approved', { reviewId: 'r' })
  await until('disabled', async () => !(await call.webhooks.list({ orgId: org.id }))[0]!.enabled)
  const [listed] = await call.webhooks.list({ orgId: org.id })
  assert.is(listed!.disabledReason, 'Every delivery failed for too long.')
  const audit = await api.services.db
    .select({ details: tables.auditLog.details })
    .from(tables.auditLog)
    .where(and(eq(tables.auditLog.orgId, org.id), eq(tables.auditLog.action, 'webhook.disabled')))
  assert.equal(
    audit.map((a) => a.details),
    [{ reason: 'Every delivery failed for too long.', lastStatusCode: 500 }],
  )
  // enabling it again starts a fresh run: the next failure does not disable it
  await call.webhooks.update({ id: hook.id, enabled: true })
  await emitWebhookEvent(api.services.db, org.id, 'review.approved', { reviewId: 's' })
  await until('the next attempt', () => r.received.length >= 2)
  await new Promise((res) => setTimeout(res, 300))
  assert.ok((await call.webhooks.list({ orgId: org.id }))[0]!.enabled, 'still enabled after one failure')
  await r.close()
})

test('private, loopback and link-local targets are refused when not allowed; bad URLs and events too', async () => {
  const { call, org } = await owner(strict)
  for (const url of [
    'http://127.0.0.1:8080/x',
    'http://10.1.2.3/',
    'http://169.254.169.254/latest/meta-data',
    'http://[::1]/',
    'http://localhost/',
  ]) {
    const e = await failure(call.webhooks.create({ orgId: org.id, url, events: ['job.succeeded'] }))
    assert.is(codeOf(e), 'BAD_INPUT', url)
    assert.match((e as Error).message, /private, loopback or link-local/)
  }
  const bad = [
    { url: 'ftp://example.com/x', events: ['job.succeeded'] },
    { url: `https://example.com/${'a'.repeat(2100)}`, events: ['job.succeeded'] },
    { url: 'https://example.com/x', events: ['job.exploded'] },
    { url: 'https://example.com/x', events: [] },
  ]
  for (const input of bad) {
    const e = (await failure(
      call.webhooks.create({ orgId: org.id, ...(input as { url: string; events: ['job.succeeded'] }) }),
    )) as { code: string }
    assert.is(e.code, 'BAD_REQUEST', input.url.slice(0, 40))
  }
  assert.is((await call.webhooks.list({ orgId: org.id })).length, 0, 'nothing was created')
  // a target that passed when created but points at a private address at delivery time is not contacted
  const [hook] = await strict.services.db
    .insert(tables.webhooks)
    .values({ orgId: org.id, url: 'http://127.0.0.1:9/', events: ['job.failed'], secretCiphertext: 'v1.a.b.c' })
    .returning({ id: tables.webhooks.id })
  const { sendWebhook } = await import('./sendWebhook')
  const sent = await sendWebhook('http://127.0.0.1:9/', {}, '{}', { timeoutMs: 500, allowPrivate: false })
  assert.is(sent.statusCode, null)
  assert.match(sent.error!, /private, loopback or link-local/)
  assert.ok(hook)
})

test('webhooks are for admins and owners of their organization', async () => {
  const a = await owner()
  const b = await owner()
  const r = await receiver()
  const hook = await a.call.webhooks.create({ orgId: a.org.id, url: r.url, events: ['job.failed'] })
  assert.is(codeOf(await failure(b.call.webhooks.deliveries({ webhookId: hook.id }))), 'NOT_FOUND')
  assert.is(codeOf(await failure(b.call.webhooks.delete({ id: hook.id }))), 'NOT_FOUND')
  assert.is(codeOf(await failure(b.call.webhooks.list({ orgId: a.org.id }))), 'NOT_FOUND')
  const email = `editor${++n}@example.com`
  const { token } = await (await api.caller()).auth.signUp({
    email,
    password: 'correct horse 42',
    name: 'Ed',
  })
  const ed = await api.caller(token)
  await a.call.orgs.members.add({ orgId: a.org.id, email, role: 'editor' })
  assert.is(codeOf(await failure(ed.webhooks.list({ orgId: a.org.id }))), 'FORBIDDEN_ROLE')
  await a.call.webhooks.delete({ id: hook.id })
  assert.is((await a.call.webhooks.list({ orgId: a.org.id })).length, 0)
  await r.close()
})

test.run()
