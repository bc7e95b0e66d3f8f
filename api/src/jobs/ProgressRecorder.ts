import { JobProgressSchema, tables } from '@cutroom/schema'
import type { NatsConnection, Subscription } from '@nats-io/nats-core'
import { and, eq, lt } from 'drizzle-orm'
import type { Logger } from 'pino'
import type { Db } from '../db'

/** A job's row takes its latest progress at most this often (the live bar uses jobs.progress instead). */
const WRITE_EVERY_MS = 2_000

/**
 * Copies progress ticks into `jobs.progress`, throttled per job, so clients that poll jobs.get / jobs.list
 * (API scripts, a page opened mid-job) see how far a job is without the subscription.
 */
export class ProgressRecorder {
  private sub: Subscription | null = null
  private readonly lastWrite = new Map<string, number>()

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
  ) {}

  start(nc: NatsConnection): void {
    this.sub = nc.subscribe('progress.*', {
      callback: (_err, msg) => {
        let tick: ReturnType<typeof JobProgressSchema.parse>
        try {
          tick = JobProgressSchema.parse(msg.json())
        } catch {
          return
        }
        const now = Date.now()
        if (now - (this.lastWrite.get(tick.jobId) ?? 0) < WRITE_EVERY_MS) return
        this.lastWrite.set(tick.jobId, now)
        if (this.lastWrite.size > 10_000) this.lastWrite.clear()
        // only forward: a late tick never moves a bar back or touches a finished job's 1.0
        void this.db
          .update(tables.jobs)
          .set({ progress: tick.progress })
          .where(and(eq(tables.jobs.id, tick.jobId), eq(tables.jobs.status, 'running'), lt(tables.jobs.progress, tick.progress)))
          .catch((err: Error) => this.log.warn({ err, jobId: tick.jobId }, 'could not record job progress'))
      },
    })
  }

  close(): void {
    this.sub?.unsubscribe()
  }
}
