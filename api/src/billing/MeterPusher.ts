import { sql } from 'drizzle-orm'
import type { Logger } from 'pino'
import type Stripe from 'stripe'
import type { Db } from '../db'

/**
 * Drains the usage ledger into Stripe meter events: every media-seconds row of an organization with a Stripe
 * customer, once, with the ledger row id as the meter event's `identifier` (Stripe drops a repeated identifier,
 * so a crash between sending and marking sends nothing twice). Rows are claimed with `skip locked`, so api
 * replicas share the work.
 */
export class MeterPusher {
  private timer: NodeJS.Timeout | null = null
  private running: Promise<void> | null = null

  constructor(
    private readonly db: Db,
    private readonly stripe: Stripe,
    private readonly eventName: string,
    private readonly log: Logger,
    private readonly intervalMs = 10_000,
  ) {}

  start(): void {
    const tick = () => {
      this.running = this.pushOnce()
        .then(() => undefined)
        .catch((err) => this.log.error({ err }, 'could not push usage to Stripe'))
        .finally(() => {
          if (this.timer !== null) this.timer = setTimeout(tick, this.intervalMs)
        })
    }
    this.timer = setTimeout(tick, 0)
  }

  /** Pushes one batch; returns how many rows reached Stripe. */
  async pushOnce(limit = 100): Promise<number> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.execute<{ id: string; customer: string; quantity: number; created_at: string }>(
        sqlBatch(limit),
      )
      let pushed = 0
      for (const row of rows) {
        try {
          await this.stripe.billing.meterEvents.create({
            event_name: this.eventName,
            identifier: row.id,
            timestamp: Math.floor(new Date(row.created_at).getTime() / 1000),
            payload: {
              stripe_customer_id: row.customer,
              value: String(Math.round((Number(row.quantity) / 60) * 1000) / 1000),
            },
          })
        } catch (err) {
          this.log.warn({ err, usageId: row.id }, 'Stripe refused a meter event; it stays in the outbox')
          continue
        }
        await tx.execute(markPushed(row.id))
        pushed++
      }
      return pushed
    })
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    await this.running
  }
}

function sqlBatch(limit: number) {
  return sql`
    select u.id, o.stripe_customer_id as customer, u.quantity, u.created_at
    from usage_events u join organizations o on o.id = u.org_id
    where u.meter_pushed_at is null and u.metric = 'media_seconds' and o.stripe_customer_id is not null
    order by u.created_at
    limit ${limit}
    for update of u skip locked`
}

function markPushed(id: string) {
  return sql`update usage_events set meter_pushed_at = now() where id = ${id}`
}
