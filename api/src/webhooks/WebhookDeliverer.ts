import { type ApiEnv, OUTBOX_CHANNEL, Streams, Subjects } from '@cutroom/schema'
import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream'
import { nanos } from '@nats-io/nats-core'
import { sql } from 'drizzle-orm'
import type { Logger } from 'pino'
import type postgres from 'postgres'
import { z } from 'zod'
import type { Db } from '../db'
import { sendWebhook } from './sendWebhook'
import { decryptSecret, signWebhook } from './webhookSecrets'

export const WEBHOOK_CONSUMER = 'webhook-deliverer'

/** Due rows the relay publishes per pass. */
const RELAY_BATCH = 500
/** How long a published row waits for its message to be consumed before the relay publishes it again. */
const RELAY_LEASE_MS = 2 * 60_000

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

/** What the relay publishes: which delivery is due, and at which attempt count (a stale copy claims nothing). */
const DueMessage = z.object({ id: z.string().min(1).max(64), attempts: z.number().int().min(0) })

export interface WebhookDelivererOptions {
  db: Db
  /** The postgres.js client, for LISTEN (a dedicated connection); without it the relay only polls. */
  sql?: postgres.Sql
  js: JetStreamClient
  jsm: JetStreamManager
  config: ApiEnv
  log: Logger
}

/**
 * Outbound webhook delivery, in two parts that every delivery process (api replicas, or dedicated ones) runs:
 *
 * - the relay reads `webhook_deliveries` (the outbox events are written to in the transaction of their change)
 *   and publishes each due row to the WEBHOOKS stream, once (see `relay`). It runs when a commit notifies
 *   `webhook_outbox` (Postgres NOTIFY is sent on commit only) and every WEBHOOKS_POLL_MS, which picks up
 *   retries that came due, notifications that were missed and leases that ran out.
 * - a JetStream durable consumer (work queue, shared by all processes) claims the row (only if it is still
 *   pending at the attempt count the message names, which drops stale and repeated copies), leases it, sends it
 *   signed per Standard Webhooks, records the attempt, and acks. A process killed mid-delivery leaves a lease
 *   that runs out, and the relay publishes the row again: same `webhook-id`, so receivers can drop a repeat.
 *
 * Failed attempts are retried on WEBHOOKS_RETRY_SCHEDULE_MS; a 410 or a day of failures disables the endpoint
 * with an audit row.
 */
export class WebhookDeliverer {
  private timer: NodeJS.Timeout | null = null
  private relaying: Promise<void> | null = null
  private relayAgain = false
  private messages: ConsumerMessages | null = null
  private loop: Promise<void> | null = null
  private readonly inFlight = new Set<Promise<void>>()
  private unlisten: (() => Promise<void>) | null = null
  private stopped = true
  private readonly db: Db
  private readonly config: ApiEnv
  private readonly log: Logger

  constructor(private readonly opts: WebhookDelivererOptions) {
    this.db = opts.db
    this.config = opts.config
    this.log = opts.log
  }

  async start(): Promise<void> {
    this.stopped = false
    await this.opts.jsm.consumers
      .add(Streams.WEBHOOKS, {
        durable_name: WEBHOOK_CONSUMER,
        filter_subject: Subjects.webhookDelivery,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: nanos(this.config.WEBHOOKS_TIMEOUT_MS + 20_000),
        max_deliver: -1,
      })
      .catch((err: Error) => {
        if (!/already (exists|in use)/i.test(err.message)) throw err
      })
    const consumer = await this.opts.js.consumers.get(Streams.WEBHOOKS, WEBHOOK_CONSUMER)
    const concurrency = this.config.WEBHOOKS_CONCURRENCY
    this.messages = await consumer.consume({ max_messages: concurrency })
    this.loop = (async () => {
      for await (const msg of this.messages!) {
        while (this.inFlight.size >= concurrency) await Promise.race(this.inFlight)
        const p = this.handle(msg).finally(() => this.inFlight.delete(p))
        this.inFlight.add(p)
      }
    })()
    if (this.opts.sql && this.config.WEBHOOKS_LISTEN) {
      try {
        const { unlisten } = await this.opts.sql.listen(OUTBOX_CHANNEL, () => this.poke())
        this.unlisten = unlisten
      } catch (err) {
        this.log.warn({ err }, 'cannot listen for webhook outbox commits; polling only')
      }
    }
    this.schedule(0)
  }

  /** Relays due deliveries now (after an event was queued). */
  poke(): void {
    if (this.stopped) return
    if (this.relaying) this.relayAgain = true
    else this.schedule(0)
  }

  private schedule(ms: number) {
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = null
      this.relaying = this.relay()
        .then(() => undefined)
        .catch((err) => this.log.error({ err }, 'webhook relay failed; retrying'))
        .finally(() => {
          this.relaying = null
          if (this.stopped) return
          const again = this.relayAgain
          this.relayAgain = false
          this.schedule(again ? 0 : this.config.WEBHOOKS_POLL_MS)
        })
    }, ms)
  }

  /**
   * Publishes every due delivery to the WEBHOOKS stream, once: one statement takes the due rows (`skip locked`,
   * so relays in other processes take other rows) and moves them RELAY_LEASE_MS forward, then they are published.
   * Nothing stays locked while publishing, so consumers claim at once. A relay that dies between the two, or a
   * message the stream lost, leaves the rows to come due again when the lease runs out. Returns how many.
   */
  async relay(): Promise<number> {
    const due = await this.db.execute<{ id: string; attempts: number; due: string }>(sql`
      with due as (
        select id, next_attempt_at from webhook_deliveries
        where status = 'pending' and next_attempt_at <= now()
        order by next_attempt_at
        limit ${RELAY_BATCH}
        for update skip locked
      )
      update webhook_deliveries d
      set next_attempt_at = now() + ${`${RELAY_LEASE_MS} milliseconds`}::interval
      from due
      where d.id = due.id
      returning d.id, d.attempts, (extract(epoch from due.next_attempt_at) * 1000000)::bigint::text as due`)
    await Promise.all(
      due.map((d) =>
        this.opts.js.publish(Subjects.webhookDelivery, JSON.stringify({ id: d.id, attempts: d.attempts }), {
          msgID: `${d.id}:${d.attempts}:${d.due}`,
        }),
      ),
    )
    return due.length
  }

  private async handle(msg: JsMsg): Promise<void> {
    let due: z.infer<typeof DueMessage>
    try {
      due = DueMessage.parse(msg.json())
    } catch {
      this.log.error({ subject: msg.subject }, 'dropping a webhook message that does not match the contract')
      msg.term()
      return
    }
    try {
      const [claimed] = await this.claim(due.id, due.attempts)
      // a copy of a delivery already claimed, sent, or reset by redeliver: nothing to do
      if (claimed) await this.attempt(claimed)
      msg.ack()
    } catch (err) {
      // redelivered later: if the claim went through, the copy claims nothing, the lease runs out and the relay
      // publishes the row again under a new message id
      this.log.error({ err, deliveryId: due.id }, 'webhook delivery failed to run; it will be retried')
      msg.nak(Math.min(30_000, 1000 * msg.info.deliveryCount))
    }
  }

  /** How long a claimed delivery stays invisible to the relay: longer than any one attempt can take. */
  private leaseMs(): number {
    return 2 * this.config.WEBHOOKS_TIMEOUT_MS + 2_000
  }

  private async claim(id: string, attempts: number): Promise<Claimed[]> {
    return this.db.execute<Claimed>(sql`
      update webhook_deliveries d
      set next_attempt_at = now() + ${`${this.leaseMs()} milliseconds`}::interval, attempts = d.attempts + 1
      from webhooks w
      where d.id = ${id} and w.id = d.webhook_id and d.status = 'pending' and d.attempts = ${attempts}
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
    const error = result.error ?? `The endpoint answered ${result.statusCode}.`
    if (ok) {
      // the common case in one statement (one round trip): the attempt, the delivery, the endpoint's failure run
      await this.db.execute(sql`
        with attempt as (
          insert into webhook_attempts (delivery_id, attempt, status_code, duration_ms, error)
          values (${d.id}, (select count(*) + 1 from webhook_attempts where delivery_id = ${d.id}),
            ${result.statusCode}, ${result.durationMs}, null)
        ), delivery as (
          update webhook_deliveries set status = 'succeeded', last_status_code = ${result.statusCode},
            last_duration_ms = ${result.durationMs}, last_error = null, delivered_at = now(), next_attempt_at = null
          where id = ${d.id}
        )
        update webhooks set failing_since = null where id = ${d.webhook_id} and failing_since is not null`)
      return
    }
    await this.db.transaction(async (tx) => {
      await tx.execute(sql`
        insert into webhook_attempts (delivery_id, attempt, status_code, duration_ms, error)
        values (${d.id}, (select count(*) + 1 from webhook_attempts where delivery_id = ${d.id}), ${result.statusCode},
          ${result.durationMs}, ${error})`)
      const status = gone || exhausted ? 'failed' : 'pending'
      await tx.execute(sql`
        update webhook_deliveries set
          status = ${status},
          last_status_code = ${result.statusCode},
          last_duration_ms = ${result.durationMs},
          last_error = ${error},
          next_attempt_at = ${status === 'pending' ? sql`now() + ${`${delay} milliseconds`}::interval` : null}
        where id = ${d.id}`)
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
    await this.unlisten?.().catch(() => {})
    await this.relaying
    await this.messages?.close()
    await this.loop
    await Promise.all(this.inFlight)
  }
}
