import { OUTBOX_CHANNEL } from '@cutroom/schema'
import { sql } from 'drizzle-orm'
import type { Db } from '../db'

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]

/**
 * Tells the webhook relays that deliveries were queued. Postgres sends a NOTIFY when the transaction commits
 * (and never if it rolls back), so a relay never looks before the rows are visible.
 */
export async function notifyOutbox(db: Db | Tx): Promise<void> {
  await db.execute(sql`select pg_notify(${OUTBOX_CHANNEL}, '')`)
}
