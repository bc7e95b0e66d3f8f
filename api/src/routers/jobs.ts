import {
  ErrorCode,
  JobEventSchema,
  JobProgressSchema,
  jobMessageId,
  JobPayloadSchema,
  scrubMessage,
  Subjects,
  TERMINAL_JOB_STATUSES,
  tables,
} from '@cutroom/schema'
import { and, desc, eq, inArray } from 'drizzle-orm'
import { z } from 'zod'
import { loadProjectForPrincipal, requireOrgRole } from '../access'
import { apiError } from '../apiError'
import type { Context } from '../context'
import { settleFailedExport } from '../exports/settleExportAsset'
import { settleAsset } from '../jobs/EventsRecorder'
import { jobColumns } from '../jobs/jobColumns'
import { assertConcurrencyAllowed, assertProcessingAllowed } from '../media/mediaQuota'
import { mediaOf } from '../media/mediaOf'
import type { Principal } from '../principal'
import { rateLimit } from '../rateLimit'
import { authedProcedure, router } from '../trpc'

const id = z.string().uuid()
type Authed = Pick<Context, 'services'> & { principal: Principal }

async function loadJob(ctx: Authed, jobId: string, action: 'job.read' | 'job.dispatch') {
  const [job] = await ctx.services.db
    .select({ ...jobColumns, orgId: tables.jobs.orgId, payload: tables.jobs.payload })
    .from(tables.jobs)
    .where(eq(tables.jobs.id, jobId))
  if (!job) throw apiError(ErrorCode.NOT_FOUND, 'Job not found.')
  try {
    await requireOrgRole(ctx, job.orgId, action)
  } catch (err) {
    if ((err as { cause?: { code?: string } }).cause?.code === ErrorCode.NOT_FOUND)
      throw apiError(ErrorCode.NOT_FOUND, 'Job not found.')
    throw err
  }
  return job
}

/** What the progress subscription sends: throttled progress ticks and status changes of the project's jobs. */
export type JobUpdate =
  | { type: 'progress'; jobId: string; kind: string; progress: number; stage?: string }
  | { type: 'status'; jobId: string; kind: string; status: string; assetId?: string; error?: string; final: boolean }

export const jobsRouter = router({
  list: authedProcedure
    .input(z.object({ projectId: id, assetId: id.optional(), limit: z.number().int().min(1).max(500).default(200) }))
    .query(async ({ ctx, input }) => {
      const { project } = await loadProjectForPrincipal(ctx, input.projectId, 'job.read')
      return ctx.services.db
        .select(jobColumns)
        .from(tables.jobs)
        .where(
          and(
            eq(tables.jobs.projectId, project.id),
            input.assetId ? eq(tables.jobs.assetId, input.assetId) : undefined,
          ),
        )
        .orderBy(desc(tables.jobs.createdAt))
        .limit(input.limit)
    }),

  get: authedProcedure.input(z.object({ id })).query(async ({ ctx, input }) => {
    const { orgId: _org, payload: _payload, ...job } = await loadJob(ctx, input.id, 'job.read')
    return job
  }),

  /** Stops a queued or running job; a running worker kills its ffmpeg. */
  cancel: authedProcedure.input(z.object({ id })).mutation(async ({ ctx, input }) => {
    const job = await loadJob(ctx, input.id, 'job.dispatch')
    if (TERMINAL_JOB_STATUSES.includes(job.status))
      throw apiError(
        ErrorCode.INVALID_STATE,
        `This job has already ${job.status === 'cancelled' ? 'been cancelled' : job.status}.`,
      )
    const media = mediaOf(ctx.services)
    const [updated] = await ctx.services.db.transaction(async (tx) => {
      const rows = await tx
        .update(tables.jobs)
        .set({ status: 'cancelled', finishedAt: new Date(), error: null })
        .where(and(eq(tables.jobs.id, job.id), inArray(tables.jobs.status, ['queued', 'running'])))
        .returning(jobColumns)
      if (rows.length && job.assetId && job.kind === 'export') await settleFailedExport(tx, job.assetId, 'cancelled', null)
      else if (rows.length && job.assetId && job.kind !== 'probe') await settleAsset(tx, job.assetId)
      if (rows.length && job.assetId && job.kind === 'probe') {
        await tx.update(tables.assets).set({ status: 'uploaded' }).where(eq(tables.assets.id, job.assetId))
      }
      return rows
    })
    media.nc.publish(Subjects.cancel(job.id))
    if (!updated) throw apiError(ErrorCode.INVALID_STATE, 'This job finished meanwhile.')
    return updated
  }),

  /** Runs a failed or cancelled job again as a new attempt on the same row. */
  retry: authedProcedure
    .use(rateLimit('jobs.retry', 200, 60 * 60))
    .input(z.object({ id }))
    .mutation(async ({ ctx, input }) => {
      const job = await loadJob(ctx, input.id, 'job.dispatch')
      if (job.status !== 'failed' && job.status !== 'cancelled') {
        throw apiError(
          ErrorCode.INVALID_STATE,
          `Only failed or cancelled jobs can be retried; this one is ${job.status}.`,
        )
      }
      await assertProcessingAllowed(ctx.services.db, job.orgId)
      const attempt = job.attempt + 1
      const payload = JobPayloadSchema.parse({ ...job.payload, attempt })
      const [updated] = await ctx.services.db.transaction(async (tx) => {
        await assertConcurrencyAllowed(tx, job.orgId, 1)
        const rows = await tx
          .update(tables.jobs)
          .set({
            status: 'queued',
            attempt,
            payload: payload as unknown as Record<string, unknown>,
            error: null,
            result: null,
            progress: 0,
            startedAt: null,
            finishedAt: null,
            dispatchedAt: null,
          })
          .where(
            and(
              eq(tables.jobs.id, job.id),
              eq(tables.jobs.attempt, job.attempt),
              inArray(tables.jobs.status, ['failed', 'cancelled']),
            ),
          )
          .returning(jobColumns)
        if (rows.length && job.assetId) {
          await tx
            .update(tables.assets)
            .set(job.kind === 'probe' ? { status: 'uploaded', error: null } : { status: 'processing', error: null })
            .where(eq(tables.assets.id, job.assetId))
        }
        return rows
      })
      if (!updated) throw apiError(ErrorCode.CONFLICT, 'This job was retried meanwhile.')
      const media = mediaOf(ctx.services)
      await media.js.publish(Subjects.job(payload.kind), JSON.stringify(payload), {
        msgID: jobMessageId(payload.jobId, attempt),
      })
      return updated
    }),

  /** Live progress ticks and status changes of one project's jobs (SSE), for progress bars. */
  progress: authedProcedure
    .input(z.object({ projectId: id, jobIds: z.array(id).max(200).optional() }))
    .subscription(async function* ({ ctx, input, signal }) {
      const { project } = await loadProjectForPrincipal(ctx, input.projectId, 'job.read')
      const media = mediaOf(ctx.services)
      const only = input.jobIds ? new Set(input.jobIds) : null
      const progress = media.nc.subscribe('progress.*')
      const events = media.nc.subscribe('events.job.>')
      const queue: JobUpdate[] = []
      let wake: (() => void) | null = null
      const push = (u: JobUpdate) => {
        if (only && !only.has(u.jobId)) return
        if (queue.length > 1000) queue.shift()
        queue.push(u)
        wake?.()
      }
      let ended = false
      const pump = async (sub: typeof progress, handle: (data: unknown) => void) => {
        for await (const m of sub) {
          try {
            handle(m.json())
          } catch {
            // a malformed message is someone else's bug; never end the subscription for it
          }
        }
        // the NATS connection closed (shutdown): end the stream so the HTTP response can finish
        ended = true
        wake?.()
      }
      void pump(progress, (data) => {
        const tick = JobProgressSchema.parse(data)
        if (tick.projectId !== project.id) return
        push({ type: 'progress', jobId: tick.jobId, kind: tick.kind, progress: tick.progress, stage: tick.stage })
      })
      void pump(events, (data) => {
        const ev = JobEventSchema.parse(data)
        if (ev.projectId !== project.id) return
        push({
          type: 'status',
          jobId: ev.jobId,
          kind: ev.kind,
          status: ev.status,
          assetId: ev.assetId,
          error: ev.error === undefined ? undefined : scrubMessage(ev.error),
          final: ev.final,
        })
      })
      const stop = () => {
        progress.unsubscribe()
        events.unsubscribe()
        wake?.()
      }
      signal?.addEventListener('abort', stop, { once: true })
      try {
        while (!signal?.aborted && !ended) {
          while (queue.length) yield queue.shift()!
          if (ended) break
          await new Promise<void>((r) => {
            wake = r
          })
          wake = null
        }
      } finally {
        stop()
      }
    }),
})
