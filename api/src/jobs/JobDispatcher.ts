import { randomUUID } from 'node:crypto'
import {
  type JobKind,
  type JobPayload,
  JobPayloadSchema,
  jobMessageId,
  Subjects,
  tables,
} from '@cutroom/schema'
import { injectTraceContext, SpanKind, withSpan } from '@cutroom/telemetry'
import type { JetStreamClient } from '@nats-io/jetstream'
import { headers } from '@nats-io/nats-core'
import { eq } from 'drizzle-orm'
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
            await this.js.publish(Subjects.job(p.kind), JSON.stringify(p), { msgID: jobMessageId(p.jobId, p.attempt), headers: h })
          },
        )
      } catch (err) {
        this.log.error({ err, jobId: p.jobId }, 'could not publish a job')
        await this.db
          .update(tables.jobs)
          .set({ status: 'failed', error: 'The job could not be queued (the job queue is unreachable). Retry it.', finishedAt: new Date() })
          .where(eq(tables.jobs.id, p.jobId))
      }
    }
  }

  async dispatch(jobs: NewJob[]): Promise<JobPayload[]> {
    const payloads = await this.insert(this.db, jobs)
    await this.publish(payloads)
    return payloads
  }
}
