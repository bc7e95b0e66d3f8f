import type { ApiEnv } from '@cutroom/schema'
import { sql } from 'drizzle-orm'
import type { Logger } from 'pino'
import type { Db } from '../db'
import { sendWebhook } from './sendWebhook'
import { decryptSecret, signWebhook } from './webhookSecrets'

/** How long a claimed delivery stays invisible to other replicas: longer than any one attempt can take. */
const LEASE_MS = 60_000

type Claimed = {
  id: string
  webhook_id: string
  org_id: string
  event: string
  payload: Record<string, unknown>
  attempts: number
  url: string
  secret_ciphertext: string
  enabled: boolean
  failing_since: string | null
}

/**
 * The delivery loop: drains `webhook_deliveries` (the outbox that events are written to in the transaction of
 * their change). Due rows are claimed with `for update skip locked` and leased, so several api replicas share the
 * work without sending a row twice at once, and a process killed mid-delivery leaves a lease that runs out and
 * the row is sent again (same `webhook-id`, so receivers can drop the repeat). Failed attempts are retried on
 * WEBHOOKS_RETRY_SCHEDULE_MS; a 410 or a day of failures disables the endpoint with an audit row.
 */
export class WebhookDeliverer {
  private timer: NodeJS.Timeout | null = null
  private running: Promise<void> | null = null
  private stopped = true

  constructor(
    private readonly db: Db,
    private readonly config: ApiEnv,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.stopped = false
    this.schedule(0)
  }

  /** Looks for due deliveries now (after an event was queued by this process). */
  poke(): void {
    if (!this.stopped && !this.running) this.schedule(0)
  }

  private schedule(ms: number) {
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = null
      this.running = this.drain()
        .then(() => undefined)
        .catch((err) => this.log.error({ err }, 'webhook delivery loop failed; retrying'))
        .finally(() => {
          this.running = null
          if (!this.stopped) this.schedule(this.config.WEBHOOKS_POLL_MS)
        })
    }, ms)
  }

  /** Delivers every due row, batch after batch. Returns how many attempts were made. */
  async drain(): Promise<number> {
    let total = 0
    for (;;) {
      const batch = await this.claim(20)
      if (batch.length === 0) return total
      await Promise.all(batch.map((d) => this.attempt(d)))
      total += batch.length
      if (this.stopped) return total
    }
  }

  private async claim(limit: number): Promise<Claimed[]> {
    return this.db.execute<Claimed>(sql`
      with due as (
        select id from webhook_deliveries
        where status = 'pending' and next_attempt_at <= now()
        order by next_attempt_at
        limit ${limit}
        for update skip locked
      )
      update webhook_deliveries d
      set next_attempt_at = now() + ${`${LEASE_MS} milliseconds`}::interval, attempts = d.attempts + 1
      from due, webhooks w
      where d.id = due.id and w.id = d.webhook_id
      returning d.id, d.webhook_id, d.org_id, d.event, d.payload, d.attempts, w.url, w.secret_ciphertext, w.enabled,
        w.failing_since`)
  }

  private async attempt(d: Claimed): Promise<void> {
    if (!d.enabled) {
      await this.db.execute(sql`
        update webhook_deliveries set status = 'failed', last_error = 'The endpoint is disabled.', next_attempt_at = null
        where id = ${d.id}`)
      return
    }
    const key = this.config.WEBHOOKS_ENCRYPTION_KEY
    const body = JSON.stringify(d.payload)
    const timestamp = Math.floor(Date.now() / 1000)
    let result: Awaited<ReturnType<typeof sendWebhook>>
    if (!key) {
      result = {
        statusCode: null,
        durationMs: 0,
        error: 'WEBHOOKS_ENCRYPTION_KEY is not set; the secret cannot be read.',
      }
    } else {
      const secret = decryptSecret(d.secret_ciphertext, key)
      result = await sendWebhook(
        d.url,
        {
          'webhook-id': d.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(secret, d.id, timestamp, body),
        },
        body,
        { timeoutMs: this.config.WEBHOOKS_TIMEOUT_MS, allowPrivate: this.config.WEBHOOKS_ALLOW_PRIVATE },
      )
    }
    const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300
    const gone = result.statusCode === 410
    const schedule = this.config.WEBHOOKS_RETRY_SCHEDULE_MS
    const exhausted = d.attempts > schedule.length
    const delay = schedule[Math.min(d.attempts - 1, schedule.length - 1)] ?? 0
    const error = ok ? null : (result.error ?? `The endpoint answered ${result.statusCode}.`)
    await this.db.transaction(async (tx) => {
      await tx.execute(sql`
        insert into webhook_attempts (delivery_id, attempt, status_code, duration_ms, error)
        values (${d.id}, (select count(*) + 1 from webhook_attempts where delivery_id = ${d.id}), ${result.statusCode},
          ${result.durationMs}, ${error})`)
      const status = ok ? 'succeeded' : gone || exhausted ? 'failed' : 'pending'
      await tx.execute(sql`
        update webhook_deliveries set
          status = ${status},
          last_status_code = ${result.statusCode},
          last_duration_ms = ${result.durationMs},
          last_error = ${error},
          delivered_at = ${ok ? sql`now()` : sql`delivered_at`},
          next_attempt_at = ${status === 'pending' ? sql`now() + ${`${delay} milliseconds`}::interval` : null}
        where id = ${d.id}`)
      if (ok) {
        await tx.execute(
          sql`update webhooks set failing_since = null where id = ${d.webhook_id} and failing_since is not null`,
        )
        return
      }
      const failingFor = d.failing_since ? Date.now() - new Date(d.failing_since).getTime() : 0
      const reason = gone
        ? 'The endpoint answered 410 Gone.'
        : failingFor >= this.config.WEBHOOKS_DISABLE_AFTER_MS
          ? 'Every delivery failed for too long.'
          : null
      if (!reason) {
        await tx.execute(
          sql`update webhooks set failing_since = coalesce(failing_since, now()) where id = ${d.webhook_id}`,
        )
        return
      }
      const disabled = await tx.execute(sql`
        update webhooks set enabled = false, disabled_reason = ${reason} where id = ${d.webhook_id} and enabled returning id`)
      if (disabled.length === 0) return
      await tx.execute(sql`
        insert into audit_log (org_id, action, target_type, target_id, details)
        values (${d.org_id}, 'webhook.disabled', 'webhook', ${d.webhook_id}, ${JSON.stringify({ reason, lastStatusCode: result.statusCode })}::jsonb)`)
    })
  }

  async close(): Promise<void> {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    await this.running
  }
}
