import { newMessageId, tables, type WebhookEvent } from '@cutroom/schema'
import { and, arrayContains, eq } from 'drizzle-orm'
import type { Db } from '../db'
import { notifyOutbox } from './notifyOutbox'

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]

/**
 * Queues `type` for every enabled endpoint of the organization that subscribes to it. Call it inside the
 * transaction that makes the change, so the event exists exactly when the change does (an outbox); the delivery
 * relays are notified on commit and send it.
 */
export async function emitWebhookEvent(
  db: Db | Tx,
  orgId: string,
  type: WebhookEvent,
  data: Record<string, unknown>,
): Promise<number> {
  const hooks = await db
    .select({ id: tables.webhooks.id })
    .from(tables.webhooks)
    .where(
      and(
        eq(tables.webhooks.orgId, orgId),
        eq(tables.webhooks.enabled, true),
        arrayContains(tables.webhooks.events, [type]),
      ),
    )
  if (hooks.length === 0) return 0
  const timestamp = new Date().toISOString()
  await db.insert(tables.webhookDeliveries).values(
    hooks.map((h) => ({
      id: newMessageId(),
      webhookId: h.id,
      orgId,
      event: type,
      payload: { type, timestamp, data },
      nextAttemptAt: new Date(),
    })),
  )
  await notifyOutbox(db)
  return hooks.length
}
