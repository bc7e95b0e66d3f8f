import { randomUUID } from 'node:crypto'
import {
  type JobKind,
  type JobPayload,
  JobPayloadSchema,
  jobMessageId,
  retryTransient,
  Subjects,
  tables,
} from '@cutroom/schema'
import { injectTraceContext, SpanKind, withSpan } from '@cutroom/telemetry'
import type { JetStreamClient } from '@nats-io/jetstream'
import { headers } from '@nats-io/nats-core'
import { and, asc, eq, isNull, lt, sql } from 'drizzle-orm'
import type { Logger } from 'pino'
import type { Db } from '../db'

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]

export interface NewJob {
  kind: JobKind
  orgId: string
  projectId: string
  assetId: string | null
  /** The payload's `input` for this kind. */
  input: Record<string, unknown>
  createdBy: string | null
}

/**
 * Job rows first (the source of truth), then the JetStream message with the job id as its message id, so a
 * repeated publish of the same attempt is stored once.
 */
export class JobDispatcher {
  constructor(
    private readonly db: Db,
    private readonly js: JetStreamClient,
    private readonly log: Logger,
    /** How long a publish is retried while JetStream is unavailable before the job is failed. */
    private readonly publishBudgetMs = 20_000,
  ) {}

  /** Inserts queued rows (inside the caller's transaction); publish them with `publish` after commit. */
  async insert(tx: Tx | Db, jobs: NewJob[]): Promise<JobPayload[]> {
    if (jobs.length === 0) return []
    const payloads = jobs.map((j) =>
      JobPayloadSchema.parse({ jobId: randomUUID(), orgId: j.orgId, projectId: j.projectId, attempt: 1, kind: j.kind, input: j.input }),
    )
    await tx.insert(tables.jobs).values(
      payloads.map((p, i) => ({
        id: p.jobId,
        orgId: p.orgId,
        projectId: p.projectId,
        assetId: jobs[i]!.assetId,
        kind: p.kind,
        attempt: 1,
        payload: p as unknown as Record<string, unknown>,
        createdBy: jobs[i]!.createdBy,
      })),
    )
    return payloads
  }

  /** Publishes to JOBS; a job that cannot be published is failed with a message saying to retry it. */
  async publish(payloads: JobPayload[]): Promise<void> {
    for (const p of payloads) {
      try {
        await withSpan(
          `jobs.dispatch ${p.kind}`,
          { kind: SpanKind.PRODUCER, attributes: { 'cutroom.job_id': p.jobId, 'cutroom.job_kind': p.kind, 'messaging.system': 'nats' } },
          async () => {
            // the worker continues this trace from the message's traceparent header
            const h = headers()
            injectTraceContext(h)
            // through a NATS node's death the stream elects a new leader (seconds); the message id keeps retries to
            // one stored copy
            await retryTransient(
              () => this.js.publish(Subjects.job(p.kind), JSON.stringify(p), { msgID: jobMessageId(p.jobId, p.attempt), headers: h }),
              {
                budgetMs: this.publishBudgetMs,
                onRetry: (err, n) => n === 1 && this.log.warn({ err, jobId: p.jobId }, 'publishing a job failed; retrying'),
              },
            )
          },
        )
        await this.db
          .update(tables.jobs)
          .set({ dispatchedAt: new Date() })
          .where(and(eq(tables.jobs.id, p.jobId), eq(tables.jobs.attempt, p.attempt)))
      } catch (err) {
        this.log.error({ err, jobId: p.jobId }, 'could not publish a job')
        await this.db
          .update(tables.jobs)
          .set({ status: 'failed', error: 'The job could not be queued (the job queue is unreachable). Retry it.', finishedAt: new Date() })
          .where(eq(tables.jobs.id, p.jobId))
      }
    }
  }

  /**
   * Publishes queued jobs whose row was committed more than `olderThanMs` ago but whose message was never stored
   * (the api that made them died between its commit and the publish). Publishing one that did reach JetStream is
   * a no-op within the stream's duplicate window, so every replica may run this. Returns how many it published.
   */
  async publishStranded(olderThanMs = 10_000, limit = 100): Promise<number> {
    const rows = await this.db
      .select({ payload: tables.jobs.payload })
      .from(tables.jobs)
      .where(
        and(
          eq(tables.jobs.status, 'queued'),
          isNull(tables.jobs.dispatchedAt),
          lt(tables.jobs.createdAt, sql`now() - make_interval(secs => ${olderThanMs / 1000})`),
        ),
      )
      .orderBy(asc(tables.jobs.createdAt))
      .limit(limit)
    const payloads = rows.flatMap((r) => {
      const parsed = JobPayloadSchema.safeParse(r.payload)
      return parsed.success ? [parsed.data] : []
    })
    if (payloads.length) {
      this.log.warn({ jobs: payloads.map((p) => p.jobId) }, 'publishing jobs whose dispatch was interrupted')
      await this.publish(payloads)
    }
    return payloads.length
  }

  /** Runs `publishStranded` every `everyMs` until the returned function is called. */
  startStrandedSweep(everyMs = 5_000): () => void {
    let running = false
    const timer = setInterval(() => {
      if (running) return
      running = true
      this.publishStranded()
        .catch((err) => this.log.warn({ err }, 'looking for interrupted dispatches failed'))
        .finally(() => {
          running = false
        })
    }, everyMs)
    timer.unref()
    return () => clearInterval(timer)
  }

  async dispatch(jobs: NewJob[]): Promise<JobPayload[]> {
    const payloads = await this.insert(this.db, jobs)
    await this.publish(payloads)
    return payloads
  }
}
