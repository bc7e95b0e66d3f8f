import {
  DiscoverResultSchema,
  type JobEvent,
  JobEventSchema,
  type JobKind,
  scrubMessage,
  Streams,
  TERMINAL_JOB_STATUSES,
  tables,
  USAGE_MAX,
} from '@cutroom/schema'
import { extractTraceContext, SpanKind, withSpan } from '@cutroom/telemetry'
import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream'
import { nanos } from '@nats-io/nats-core'
import { and, eq, inArray, notInArray, sql } from 'drizzle-orm'
import type { Logger } from 'pino'
import { announceQuotaWarnings } from '../billing/quotaWarnings'
import type { Db } from '../db'
import { settleFailedExport } from '../exports/settleExportAsset'
import { emitWebhookEvent } from '../webhooks/emitWebhookEvent'
import type { JobDispatcher, NewJob } from './JobDispatcher'

export const RECORDER_CONSUMER = 'api-recorder'

/** The proxy ladder every video asset gets. */
const PROXY_HEIGHTS = [360, 720] as const

/** After a preview rendition: the full ladder, which replaces it in the same slot. */
function ladderAfter(job: {
  orgId: string
  projectId: string
  assetId: string | null
  payload: Record<string, unknown>
  createdBy: string | null
}): NewJob[] {
  const input = (job.payload as { input?: { assetId: string; sourceKey: string; preview?: boolean } }).input
  if (!input?.preview || !job.assetId) return []
  return [
    {
      orgId: job.orgId,
      projectId: job.projectId,
      assetId: job.assetId,
      createdBy: job.createdBy,
      kind: 'transcode',
      input: { assetId: input.assetId, sourceKey: input.sourceKey, heights: [...PROXY_HEIGHTS] },
    },
  ]
}

/** What follows a successful probe, by what the file contains. */
function followUps(
  event: JobEvent,
  job: {
    orgId: string
    projectId: string
    assetId: string | null
    payload: Record<string, unknown>
    createdBy: string | null
  },
): NewJob[] {
  const metadata = (event.result?.metadata ?? {}) as { hasVideo?: boolean; hasAudio?: boolean }
  const input = (job.payload as { input?: { assetId: string; sourceKey: string } }).input
  if (!input || !job.assetId) return []
  const base = { orgId: job.orgId, projectId: job.projectId, assetId: job.assetId, createdBy: job.createdBy }
  const next: NewJob[] = []
  // Dispatched in this order, which is the order a busy worker takes them in: the waveform first (it takes well
  // under a second), then the preview rendition, then the filmstrip.
  if (metadata.hasAudio)
    next.push({ ...base, kind: 'waveform', input: { assetId: input.assetId, sourceKey: input.sourceKey } })
  if (metadata.hasVideo) {
    // a fast first rendition, so the clip plays within seconds; the ladder follows when it lands (`ladderAfter`)
    next.push({
      ...base,
      kind: 'transcode',
      input: { assetId: input.assetId, sourceKey: input.sourceKey, heights: [...PROXY_HEIGHTS], preview: true },
    })
    next.push({
      ...base,
      kind: 'thumbnails',
      input: { assetId: input.assetId, sourceKey: input.sourceKey, tileWidth: 160 },
    })
  }
  return next
}

/**
 * Consumes EVENTS and records results in Postgres: job status, artifact rows and usage, each idempotently
 * (a conditional status update guards every side effect, artifacts are keyed by id, usage by job + metric).
 * A successful probe stores the metadata on the asset and dispatches the follow-up jobs.
 */
export class EventsRecorder {
  private messages: ConsumerMessages | null = null
  private loop: Promise<void> | null = null

  constructor(
    private readonly db: Db,
    private readonly dispatcher: JobDispatcher,
    private readonly log: Logger,
    /**
     * Runs after a succeeded job is recorded (its artifact rows committed), and again when the same event is
     * redelivered, so it must be idempotent; throwing makes the event come back.
     */
    private readonly afterSucceeded?: (event: JobEvent) => Promise<void>,
  ) {}

  async start(jsm: JetStreamManager, js: JetStreamClient): Promise<void> {
    await jsm.consumers
      .add(Streams.EVENTS, {
        durable_name: RECORDER_CONSUMER,
        filter_subject: 'events.job.>',
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: nanos(30_000),
        max_deliver: 20,
      })
      .catch((err: Error) => {
        if (!/already (exists|in use)/i.test(err.message)) throw err
      })
    const consumer = await js.consumers.get(Streams.EVENTS, RECORDER_CONSUMER)
    this.messages = await consumer.consume({ max_messages: 64 })
    this.loop = (async () => {
      for await (const msg of this.messages!) {
        let event: JobEvent
        try {
          event = JobEventSchema.parse(msg.json())
        } catch (err) {
          this.log.error({ err, subject: msg.subject }, 'dropping an event that does not match the contract')
          msg.term()
          continue
        }
        try {
          // recording a probe's result dispatches the follow-up jobs: they stay in the upload's trace
          await withSpan(
            'jobs.record event',
            {
              kind: SpanKind.CONSUMER,
              parent: extractTraceContext(msg.headers),
              attributes: { 'cutroom.job_id': event.jobId, 'cutroom.job_status': event.status },
            },
            () => this.record(event),
          )
          msg.ack()
        } catch (err) {
          this.log.error({ err, jobId: event.jobId }, 'could not record a job event; it will be redelivered')
          msg.nak(Math.min(30_000, 1000 * msg.info.deliveryCount))
        }
      }
    })()
  }

  async record(received: JobEvent): Promise<void> {
    // anyone on NATS can publish an event: its error is scrubbed before it lands where clients read it
    const event = received.error === undefined ? received : { ...received, error: scrubMessage(received.error) }
    const [job] = await this.db
      .select({
        id: tables.jobs.id,
        orgId: tables.jobs.orgId,
        projectId: tables.jobs.projectId,
        assetId: tables.jobs.assetId,
        kind: tables.jobs.kind,
        status: tables.jobs.status,
        attempt: tables.jobs.attempt,
        payload: tables.jobs.payload,
        createdBy: tables.jobs.createdBy,
      })
      .from(tables.jobs)
      .where(eq(tables.jobs.id, event.jobId))
    // another deployment's job, an older attempt, or a job already settled (e.g. cancelled): nothing to do
    if (!job || job.attempt !== event.attempt || TERMINAL_JOB_STATUSES.includes(job.status)) {
      // a redelivery after the follow-up failed: the job is recorded, the follow-up runs again
      if (job && job.attempt === event.attempt && job.status === 'succeeded' && event.status === 'succeeded')
        await this.afterSucceeded?.(event)
      return
    }
    const open = and(
      eq(tables.jobs.id, job.id),
      eq(tables.jobs.attempt, event.attempt),
      notInArray(tables.jobs.status, [...TERMINAL_JOB_STATUSES]),
    )

    if (event.status === 'running' || (event.status === 'failed' && !event.final)) {
      await this.db
        .update(tables.jobs)
        .set({
          status: 'running',
          startedAt: sql`coalesce(${tables.jobs.startedAt}, now())`,
          error:
            event.status === 'failed'
              ? `Attempt failed, retrying: ${event.error ?? 'unknown error'}`
              : tables.jobs.error,
        })
        .where(open)
      return
    }

    let toPublish: Awaited<ReturnType<JobDispatcher['insert']>> = []
    let usageRecorded = false
    let succeeded = false
    await this.db.transaction(async (tx) => {
      const settled = await tx
        .update(tables.jobs)
        .set({
          status: event.status,
          progress: event.status === 'succeeded' ? 1 : tables.jobs.progress,
          result: event.result ?? null,
          error: event.status === 'failed' ? (event.error ?? 'The job failed.') : null,
          finishedAt: new Date(),
        })
        .where(open)
        .returning({ id: tables.jobs.id })
      if (settled.length === 0) return
      succeeded = event.status === 'succeeded'
      if (event.status === 'succeeded') {
        if (event.artifacts.length) {
          await tx
            .insert(tables.artifacts)
            .values(
              event.artifacts.map((a) => ({
                id: a.id,
                orgId: job.orgId,
                jobId: job.id,
                assetId: job.assetId,
                slot: a.slot,
                storageKey: a.key,
                contentType: a.contentType,
                size: a.size,
                metadata: a.metadata,
              })),
            )
            .onConflictDoUpdate({
              target: tables.artifacts.id,
              set: {
                storageKey: sql`excluded.storage_key`,
                size: sql`excluded.size`,
                metadata: sql`excluded.metadata`,
              },
            })
        }
        const usage = event.usage.filter((u) => {
          if (u.quantity <= USAGE_MAX[u.metric]) return true
          this.log.error(
            { jobId: job.id, metric: u.metric, quantity: u.quantity },
            'ignoring usage beyond what one job can report',
          )
          return false
        })
        if (usage.length) {
          const recorded = await tx
            .insert(tables.usageEvents)
            .values(usage.map((u) => ({ orgId: job.orgId, jobId: job.id, metric: u.metric, quantity: u.quantity })))
            .onConflictDoNothing()
            .returning({ id: tables.usageEvents.id })
          usageRecorded = recorded.length > 0
        }
      }
      await emitJobEvents(tx, job, event)
      if (!job.assetId) return
      if ((job.kind as JobKind) === 'discover') {
        // an analysis of the asset, not a step in making it playable: it never changes the asset's status
        if (event.status === 'succeeded') await recordSuggestions(tx, { ...job, assetId: job.assetId }, event, this.log)
        return
      }
      if ((job.kind as JobKind) === 'export') {
        if (event.status !== 'succeeded') {
          await settleFailedExport(
            tx,
            job.assetId,
            event.status === 'cancelled' ? 'cancelled' : 'failed',
            event.error ?? null,
          )
          return
        }
        // the render is the version's source file: probe it like an upload, so it gets proxies and can be reviewed
        const input = (job.payload as { input?: { outputKey?: string } }).input
        const size = Number((event.result as { size?: number } | undefined)?.size ?? 0)
        await tx
          .update(tables.assets)
          .set({ status: 'uploaded', size, error: null })
          .where(eq(tables.assets.id, job.assetId))
        if (input?.outputKey)
          toPublish = await this.dispatcher.insert(tx, [
            {
              kind: 'probe',
              orgId: job.orgId,
              projectId: job.projectId,
              assetId: job.assetId,
              input: { assetId: job.assetId, sourceKey: input.outputKey },
              createdBy: job.createdBy,
            },
          ])
        return
      }
      if ((job.kind as JobKind) === 'probe') {
        if (event.status === 'succeeded') {
          const metadata = (event.result?.metadata ?? {}) as Record<string, unknown>
          await tx
            .update(tables.assets)
            .set({ status: 'processing', metadata, error: null })
            .where(eq(tables.assets.id, job.assetId))
          toPublish = await this.dispatcher.insert(tx, followUps(event, job))
          if (toPublish.length === 0) {
            await tx.update(tables.assets).set({ status: 'ready' }).where(eq(tables.assets.id, job.assetId))
            await emitWebhookEvent(tx, job.orgId, 'asset.ready', { assetId: job.assetId, projectId: job.projectId })
          }
        } else {
          const rejected = (event.result as { code?: string } | undefined)?.code === 'UNSUPPORTED_MEDIA'
          await tx
            .update(tables.assets)
            .set({
              status: rejected ? 'rejected' : event.status === 'cancelled' ? 'uploaded' : 'failed',
              error: event.status === 'cancelled' ? null : (event.error ?? 'Probing the file failed.'),
            })
            .where(eq(tables.assets.id, job.assetId))
        }
        return
      }
      // the ladder is queued in this transaction, so the asset is never "ready" between the two renditions
      if ((job.kind as JobKind) === 'transcode' && event.status === 'succeeded')
        toPublish = await this.dispatcher.insert(tx, ladderAfter(job))
      if ((await settleAsset(tx, job.assetId)) === 'ready')
        await emitWebhookEvent(tx, job.orgId, 'asset.ready', { assetId: job.assetId, projectId: job.projectId })
    })
    if (toPublish.length) await this.dispatcher.publish(toPublish)
    if (succeeded) await this.afterSucceeded?.(event)
    if (usageRecorded) await announceQuotaWarnings({ db: this.db, log: this.log }, job.orgId)
  }

  async close(): Promise<void> {
    await this.messages?.close()
    await this.loop
  }
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]

/** Jobs that analyse an asset without being part of making it ready: they leave its status alone. */
const ANALYSIS_KINDS: JobKind[] = ['discover']

/** A succeeded discover job's ranked suggestions, stored once (their ids come from the job's result). */
async function recordSuggestions(
  tx: Tx,
  job: { id: string; orgId: string; projectId: string; assetId: string },
  event: JobEvent,
  log: Logger,
): Promise<void> {
  const parsed = DiscoverResultSchema.safeParse(event.result)
  if (!parsed.success) {
    log.error(
      { jobId: job.id, issues: parsed.error.issues.slice(0, 3) },
      'a discover result that does not match the contract',
    )
    return
  }
  const rows = parsed.data.suggestions.filter((s) => s.endMs > s.startMs)
  if (rows.length === 0) return
  await tx
    .insert(tables.clipSuggestions)
    .values(
      rows.map((s) => ({
        id: s.id,
        orgId: job.orgId,
        projectId: job.projectId,
        assetId: job.assetId,
        jobId: job.id,
        rank: s.rank,
        startMs: s.startMs,
        endMs: s.endMs,
        score: s.score,
        subScores: s.subScores,
        reasons: s.reasons,
        text: s.text,
      })),
    )
    .onConflictDoNothing()
}

/**
 * Once no job of the asset is open: ready, or failed with the first failure's error. Returns 'ready' when this
 * call made the asset ready.
 */
export async function settleAsset(tx: Tx | Db, assetId: string): Promise<'ready' | null> {
  const rows = await tx
    .select({ kind: tables.jobs.kind, status: tables.jobs.status, error: tables.jobs.error })
    .from(tables.jobs)
    .where(and(eq(tables.jobs.assetId, assetId), notInArray(tables.jobs.kind, ANALYSIS_KINDS)))
  if (rows.some((r) => r.status === 'queued' || r.status === 'running')) {
    await tx
      .update(tables.assets)
      .set({ status: 'processing' })
      .where(and(eq(tables.assets.id, assetId), inArray(tables.assets.status, ['ready', 'failed'])))
    return null
  }
  const failed = rows.find((r) => r.status === 'failed')
  const changed = await tx
    .update(tables.assets)
    .set(
      failed
        ? { status: 'failed', error: `${failed.kind} failed: ${failed.error ?? 'unknown error'}` }
        : { status: 'ready', error: null },
    )
    .where(
      and(
        eq(tables.assets.id, assetId),
        inArray(tables.assets.status, failed ? ['processing', 'ready', 'failed'] : ['processing', 'failed']),
      ),
    )
    .returning({ id: tables.assets.id })
  return !failed && changed.length > 0 ? 'ready' : null
}

/** The webhook events of a settled job, queued in the transaction that settles it. */
async function emitJobEvents(
  tx: Tx,
  job: { id: string; orgId: string; projectId: string; assetId: string | null; kind: string },
  event: JobEvent,
): Promise<void> {
  const data = { jobId: job.id, kind: job.kind, projectId: job.projectId, assetId: job.assetId, attempt: event.attempt }
  if (event.status === 'succeeded') {
    await emitWebhookEvent(tx, job.orgId, 'job.succeeded', data)
    if (job.kind === 'transcribe')
      await emitWebhookEvent(tx, job.orgId, 'transcript.ready', { ...data, result: event.result ?? {} })
    if (job.kind === 'export')
      await emitWebhookEvent(tx, job.orgId, 'export.completed', { ...data, result: event.result ?? {} })
  } else if (event.status === 'failed') {
    await emitWebhookEvent(tx, job.orgId, 'job.failed', { ...data, error: event.error ?? 'The job failed.' })
  }
}
