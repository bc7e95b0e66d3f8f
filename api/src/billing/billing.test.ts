import { type JobEvent, PLANS, Streams, Subjects, tables } from '@cutroom/schema'
import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import { connect } from '@nats-io/transport-node'
import { and, eq } from 'drizzle-orm'
import pino from 'pino'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createContext } from '../context'
import { RECORDER_CONSUMER } from '../jobs/EventsRecorder'
import { startMediaServices } from '../media/MediaServices'
import { type MediaTestApi, startMediaTestApi } from '../media/startMediaTestApi'
import { appRouter } from '../router'
import type { ApiServices } from '../services'
import { createTestApi, type TestApi } from '../testing/createTestApi'
import { createCallerFactory } from '../trpc'

const createCaller = createCallerFactory(appRouter)
let api: MediaTestApi
let replica: TestApi
let nc: NatsConnection
let ip = 0

const codeOf = (e: unknown) => (e as { cause?: { code?: string } })?.cause?.code
const failure = (p: Promise<unknown>) =>
  p.then(
    () => assert.unreachable('should have failed'),
    (e: unknown) => e,
  )

async function caller(token?: string, services: ApiServices = api.services) {
  const headers = token ? { authorization: `Bearer ${token}` } : {}
  return createCaller(await createContext(services, { headers, ip: `10.2.${Math.floor(++ip / 250)}.${ip % 250}` }))
}

let n = 0
async function person(name: string) {
  const { user, token } = await (await caller()).auth.signUp({
    email: `${name}${++n}@example.com`,
    password: 'correct horse 42',
    name,
  })
  return { user, token, call: await caller(token) }
}

async function studio() {
  const owner = await person('owner')
  const org = await owner.call.orgs.create({ name: `Studio ${n}` })
  const project = await owner.call.projects.create({ orgId: org.id, name: 'Film' })
  return { owner, org, project }
}

async function until<T>(what: string, f: () => Promise<T | null | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await f()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** A job row as dispatch leaves it, without a worker. */
async function seedJob(
  orgId: string,
  projectId: string,
  kind: 'transcode' | 'transcribe' | 'export',
  status: 'queued' | 'running' | 'failed' = 'queued',
) {
  const id = crypto.randomUUID()
  await api.services.db.insert(tables.jobs).values({
    id,
    orgId,
    projectId,
    assetId: null,
    kind,
    status,
    attempt: 1,
    payload: {
      jobId: id,
      orgId,
      projectId,
      attempt: 1,
      kind,
      input: { assetId: crypto.randomUUID(), sourceKey: 'orgs/x/source.mp4', heights: [360] },
    },
    createdBy: null,
  })
  return id
}

function resultEvent(
  job: { id: string; orgId: string; projectId: string; kind: JobEvent['kind'] },
  seconds: number,
): JobEvent {
  return {
    jobId: job.id,
    kind: job.kind,
    status: 'succeeded',
    orgId: job.orgId,
    projectId: job.projectId,
    attempt: 1,
    artifacts: [],
    usage: [{ metric: 'media_seconds', quantity: seconds }],
    final: true,
    at: new Date().toISOString(),
  }
}

const today = () => new Date().toISOString().slice(0, 10)

test.before(async () => {
  api = await startMediaTestApi({ BILLING_MODE: 'manual' })
  nc = await connect({ servers: api.nats.url })
  // a second api process over the same database and NATS: a replica
  replica = await createTestApi({ DATABASE_URL: api.databaseUrl, NATS_URL: api.nats.url, BILLING_MODE: 'manual' })
  replica.services.media = await startMediaServices({
    config: replica.services.config,
    db: replica.services.db,
    log: pino({ level: 'silent' }),
  })
})

test.after(async () => {
  await replica.services.media?.close()
  await replica.close()
  await nc.drain()
  await api.close()
})

test('usage is recorded once per job and metric, however often the result is delivered, and shows per day and kind', async () => {
  const { owner, org, project } = await studio()
  const transcode = {
    id: await seedJob(org.id, project.id, 'transcode'),
    orgId: org.id,
    projectId: project.id,
    kind: 'transcode' as const,
  }
  const transcribe = {
    id: await seedJob(org.id, project.id, 'transcribe'),
    orgId: org.id,
    projectId: project.id,
    kind: 'transcribe' as const,
  }
  const js = jetstream(nc)
  // the same result published three times under different message ids (no JetStream dedup): redeliveries
  for (let i = 0; i < 3; i++)
    await js.publish(Subjects.event('transcode', 'succeeded'), JSON.stringify(resultEvent(transcode, 120)), {
      msgID: `r${i}-${transcode.id}`,
    })
  await js.publish(Subjects.event('transcribe', 'succeeded'), JSON.stringify(resultEvent(transcribe, 90)))
  await until('both jobs settled', async () => {
    const rows = await api.services.db
      .select({ s: tables.jobs.status })
      .from(tables.jobs)
      .where(eq(tables.jobs.orgId, org.id))
    return rows.every((r) => r.s === 'succeeded')
  })
  // and once more straight into the recorder, after the job is settled
  await api.services.media!.recorder.record(resultEvent(transcode, 120))
  await new Promise((r) => setTimeout(r, 300))
  const rows = await api.services.db.select().from(tables.usageEvents).where(eq(tables.usageEvents.orgId, org.id))
  assert.is(rows.length, 2)

  const billing = await owner.call.billing.get({ orgId: org.id })
  assert.is(billing.plan.id, 'free')
  assert.is(billing.usage.mediaMinutes, 3.5)
  assert.is(billing.limits.mediaMinutesPerMonth, 60)
  assert.is(billing.usage.seats, 1)

  const usage = await owner.call.billing.usage({ orgId: org.id, from: today(), to: today() })
  assert.equal(usage.days, [today()])
  const series = Object.fromEntries(usage.series.map((s) => [s.metric, s.values]))
  assert.equal(series.media_minutes, [3.5])
  assert.equal(series['media_minutes.transcode'], [2])
  assert.equal(series['media_minutes.transcribe'], [1.5])
  assert.equal(series.seats, [1])
  assert.equal(series.storage_bytes, [0])
  // a day still to come has no gauge value yet (the chart does not draw today's seats into next week)
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)
  const ahead = await owner.call.billing.usage({ orgId: org.id, from: today(), to: tomorrow })
  assert.equal(ahead.series.find((s) => s.metric === 'seats')!.values, [1, null])
  assert.equal(ahead.series.find((s) => s.metric === 'media_minutes')!.values, [3.5, 0])
})

test('a settled job queues job.succeeded / job.failed webhooks for subscribed endpoints, in the same transaction', async () => {
  const { org, project } = await studio()
  await api.services.db.insert(tables.webhooks).values({
    orgId: org.id,
    url: 'http://127.0.0.1:9/',
    events: ['job.succeeded', 'job.failed', 'transcript.ready'],
    secretCiphertext: 'v1.x.x.x',
  })
  const ok = {
    id: await seedJob(org.id, project.id, 'transcribe'),
    orgId: org.id,
    projectId: project.id,
    kind: 'transcribe' as const,
  }
  await api.services.media!.recorder.record(resultEvent(ok, 30))
  await api.services.media!.recorder.record(resultEvent(ok, 30)) // redelivered: no second event
  const bad = {
    id: await seedJob(org.id, project.id, 'transcode'),
    orgId: org.id,
    projectId: project.id,
    kind: 'transcode' as const,
  }
  await api.services.media!.recorder.record({
    ...resultEvent(bad, 0),
    status: 'failed',
    usage: [],
    error: 'ffmpeg exited with 1',
  })
  const queued = await api.services.db
    .select({ event: tables.webhookDeliveries.event, payload: tables.webhookDeliveries.payload })
    .from(tables.webhookDeliveries)
    .where(eq(tables.webhookDeliveries.orgId, org.id))
  assert.equal(queued.map((q) => q.event).sort(), ['job.failed', 'job.succeeded', 'transcript.ready'])
  const failed = queued.find((q) => q.event === 'job.failed')!.payload.data as { jobId: string; error: string }
  assert.equal([failed.jobId, failed.error], [bad.id, 'ffmpeg exited with 1'])
})

test('an absurd usage value from a worker is not recorded', async () => {
  const { org, project } = await studio()
  const job = {
    id: await seedJob(org.id, project.id, 'transcode'),
    orgId: org.id,
    projectId: project.id,
    kind: 'transcode' as const,
  }
  await api.services.media!.recorder.record(resultEvent(job, 10 ** 9))
  const rows = await api.services.db.select().from(tables.usageEvents).where(eq(tables.usageEvents.orgId, org.id))
  assert.is(rows.length, 0)
  const [settled] = await api.services.db
    .select({ s: tables.jobs.status })
    .from(tables.jobs)
    .where(eq(tables.jobs.id, job.id))
  assert.is(settled!.s, 'succeeded', 'the result itself is kept')
})

test('a negative usage value from a worker: the event is refused as off-contract and records nothing', async () => {
  const { org, project } = await studio()
  const job = {
    id: await seedJob(org.id, project.id, 'transcode'),
    orgId: org.id,
    projectId: project.id,
    kind: 'transcode' as const,
  }
  const js = jetstream(nc)
  const jsm = await jetstreamManager(nc)
  const settled = async () => {
    const info = await jsm.consumers.info(Streams.EVENTS, RECORDER_CONSUMER)
    return info.num_pending === 0 && info.num_ack_pending === 0
  }
  await js.publish(Subjects.event('transcode', 'succeeded'), JSON.stringify(resultEvent(job, -90)))
  await until('the recorder to have handled the event', settled)
  const rows = () => api.services.db.select().from(tables.usageEvents).where(eq(tables.usageEvents.orgId, org.id))
  assert.is((await rows()).length, 0)
  const status = async () =>
    (await api.services.db.select({ s: tables.jobs.status }).from(tables.jobs).where(eq(tables.jobs.id, job.id)))[0]!.s
  assert.is(await status(), 'queued', 'the off-contract result changed nothing')
  // the same result with a real value goes through
  await js.publish(Subjects.event('transcode', 'succeeded'), JSON.stringify(resultEvent(job, 90)))
  await until('the valid result', async () => (await status()) === 'succeeded')
  assert.equal(
    (await rows()).map((r) => r.quantity),
    [90],
  )
})

test('billing is for owners and admins of the organization only; usage ranges are bounded', async () => {
  const { owner, org } = await studio()
  const editor = await person('editor')
  await owner.call.orgs.members.add({ orgId: org.id, email: editor.user.email, role: 'editor' })
  assert.is(codeOf(await failure(editor.call.billing.get({ orgId: org.id }))), 'FORBIDDEN_ROLE')
  const stranger = await person('stranger')
  assert.is(codeOf(await failure(stranger.call.billing.get({ orgId: org.id }))), 'NOT_FOUND')
  assert.is(
    codeOf(await failure(stranger.call.billing.usage({ orgId: org.id, from: today(), to: today() }))),
    'NOT_FOUND',
  )
  assert.is(
    codeOf(await failure(owner.call.billing.usage({ orgId: org.id, from: '2020-01-01', to: '2026-01-01' }))),
    'BAD_INPUT',
  )
  assert.is(
    codeOf(await failure(owner.call.billing.usage({ orgId: org.id, from: '2026-02-01', to: '2026-01-01' }))),
    'BAD_INPUT',
  )
})

test('warnings at 80% and 100% of the media minutes: one audit row and one webhook each, once per period', async () => {
  const { owner, org, project } = await studio()
  await api.services.db
    .insert(tables.webhooks)
    .values({ orgId: org.id, url: 'http://127.0.0.1:9/', events: ['quota.warning'], secretCiphertext: 'v1.x.x.x' })
  const record = async (seconds: number) => {
    const job = {
      id: await seedJob(org.id, project.id, 'transcode'),
      orgId: org.id,
      projectId: project.id,
      kind: 'transcode' as const,
    }
    await api.services.media!.recorder.record(resultEvent(job, seconds))
  }
  const warnings = () =>
    api.services.db
      .select({ threshold: tables.quotaWarnings.threshold, metric: tables.quotaWarnings.metric })
      .from(tables.quotaWarnings)
      .where(eq(tables.quotaWarnings.orgId, org.id))
  const audits = () =>
    api.services.db
      .select()
      .from(tables.auditLog)
      .where(and(eq(tables.auditLog.orgId, org.id), eq(tables.auditLog.action, 'quota.warning')))
  const hooks = () =>
    api.services.db
      .select({ payload: tables.webhookDeliveries.payload })
      .from(tables.webhookDeliveries)
      .where(and(eq(tables.webhookDeliveries.orgId, org.id), eq(tables.webhookDeliveries.event, 'quota.warning')))

  await record(40 * 60)
  assert.is((await warnings()).length, 0, 'no warning below 80%')
  await record(9 * 60) // 49 of 60 minutes: 81.7%
  assert.equal(await warnings(), [{ threshold: 80, metric: 'media_minutes' }])
  await record(60) // 50 minutes, still between the thresholds
  await record(60)
  assert.is((await warnings()).length, 1, 'the 80% warning is sent once')
  assert.is((await audits()).length, 1)
  const billing = await owner.call.billing.get({ orgId: org.id })
  assert.equal(
    billing.warnings.map((w) => [w.metric, w.threshold]),
    [['media_minutes', 80]],
  )

  await record(10 * 60) // 61 minutes
  await record(60)
  assert.equal(
    (await warnings()).map((w) => w.threshold).sort((a, b) => a - b),
    [80, 100],
  )
  assert.is((await audits()).length, 2)
  const sent = await hooks()
  assert.equal(
    sent.map((h) => (h.payload.data as { threshold: number }).threshold).sort((a, b) => a - b),
    [80, 100],
  )

  // at 100% new processing is refused with what was reached and what to do
  const failed = await seedJob(org.id, project.id, 'transcode', 'failed')
  const refused = await failure(owner.call.jobs.retry({ id: failed }))
  assert.is(codeOf(refused), 'QUOTA_EXCEEDED')
  assert.match((refused as Error).message, /60 media minutes on the Free plan are used up\. Upgrade the plan/)

  // an upgrade (manual mode) lets the next dispatch through
  await owner.call.billing.setPlan({ orgId: org.id, plan: 'pro' })
  const retried = await owner.call.jobs.retry({ id: failed })
  assert.is(retried.status, 'queued')
  const [audit] = await api.services.db
    .select({ details: tables.auditLog.details })
    .from(tables.auditLog)
    .where(and(eq(tables.auditLog.orgId, org.id), eq(tables.auditLog.action, 'billing.setPlan')))
  assert.equal(audit!.details, { from: 'free', to: 'pro' })
})

test('seats: adding a member past the plan is refused and changes nothing', async () => {
  const { owner, org } = await studio()
  for (const name of ['a', 'b']) {
    const p = await person(name)
    await owner.call.orgs.members.add({ orgId: org.id, email: p.user.email, role: 'viewer' })
  }
  const fourth = await person('d')
  const refused = await failure(
    owner.call.orgs.members.add({ orgId: org.id, email: fourth.user.email, role: 'viewer' }),
  )
  assert.is(codeOf(refused), 'QUOTA_EXCEEDED')
  assert.match((refused as Error).message, /All 3 seats of the Free plan are taken\. Remove a member or upgrade/)
  assert.is((await owner.call.orgs.members.list({ orgId: org.id })).length, 3)
  // someone already a member is a conflict, not a quota matter
  const again = await failure(
    owner.call.orgs.members.add({
      orgId: org.id,
      email: (await owner.call.orgs.members.list({ orgId: org.id }))[1]!.email,
      role: 'viewer',
    }),
  )
  assert.is(codeOf(again), 'CONFLICT')
  // a full seat count is a 100% warning
  const warned = await api.services.db.select().from(tables.quotaWarnings).where(eq(tables.quotaWarnings.orgId, org.id))
  assert.equal(warned.map((w) => [w.metric, w.threshold]).sort(), [
    ['seats', 100],
    ['seats', 80],
  ])
})

test('concurrent dispatch from two api replicas never passes the concurrent-jobs limit', async () => {
  const { owner, org, project } = await studio()
  const LIMIT = PLANS.free.concurrentJobs
  const onReplica = await caller(owner.token, replica.services)
  const failed = await Promise.all(
    Array.from({ length: LIMIT + 6 }, () => seedJob(org.id, project.id, 'transcode', 'failed')),
  )
  const refusedLater = () => results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[]
  const results = await Promise.allSettled(failed.map((id, i) => (i % 2 ? onReplica : owner.call).jobs.retry({ id })))
  const ok = results.filter((r) => r.status === 'fulfilled')
  const refused = refusedLater()
  assert.is(
    ok.length,
    LIMIT,
    `the free plan runs ${LIMIT} jobs at a time: ${refused.map((r) => (r.reason as Error).message).join('; ')}`,
  )
  assert.is(refused.length, 6)
  for (const r of refused) {
    assert.is(codeOf(r.reason), 'QUOTA_EXCEEDED')
    assert.match(
      (r.reason as Error).message,
      new RegExp(`runs ${LIMIT} at a time\\. Wait for one to finish, cancel one, or upgrade`),
    )
  }
  const open = await api.services.db
    .select()
    .from(tables.jobs)
    .where(and(eq(tables.jobs.orgId, org.id), eq(tables.jobs.status, 'queued')))
  assert.is(open.length, LIMIT)
})

test('plans: setPlan needs an owner and a known plan; without Stripe, checkout and portal say billing is not configured', async () => {
  const { owner, org } = await studio()
  const admin = await person('admin')
  await owner.call.orgs.members.add({ orgId: org.id, email: admin.user.email, role: 'admin' })
  assert.is(codeOf(await failure(admin.call.billing.setPlan({ orgId: org.id, plan: 'team' }))), 'FORBIDDEN_ROLE')
  assert.is(
    ((await failure(owner.call.billing.setPlan({ orgId: org.id, plan: 'enterprise' as 'team' }))) as { code: string })
      .code,
    'BAD_REQUEST',
  )
  const checkout = await failure(owner.call.billing.checkout({ orgId: org.id, plan: 'pro' }))
  assert.is(codeOf(checkout), 'BILLING_NOT_CONFIGURED')
  assert.not.match((checkout as Error).message, /sk_|https?:/)
  assert.is(codeOf(await failure(owner.call.billing.portal({ orgId: org.id }))), 'BILLING_NOT_CONFIGURED')
  assert.is(codeOf(await failure(owner.call.billing.invoices({ orgId: org.id }))), 'BILLING_NOT_CONFIGURED')
  const [row] = await api.services.db
    .select({ plan: tables.organizations.plan })
    .from(tables.organizations)
    .where(eq(tables.organizations.id, org.id))
  assert.is(row!.plan, 'free')
})

test.run()
