import { sql } from 'drizzle-orm'
import type { Db } from './db'
import type { Logger } from 'pino'

/** How long a stored Idempotency-Key response is honoured. */
export const IDEMPOTENCY_TTL_HOURS = 24

/**
 * Deletes rows that can no longer matter: expired sessions and review-link guests, sign-in challenges and reset links, brand kit uploads never completed, rate-limit windows older than a day (every window
 * is shorter) and idempotency responses past their lifetime. Cheap with the primary keys and indexes; run
 * occasionally rather than on a timer so every replica shares the work without coordination.
 */
export async function sweepStaleRows(db: Db): Promise<void> {
  await db.execute(sql`delete from sessions where expires_at < now()`)
  await db.execute(sql`delete from review_guests where expires_at < now()`)
  await db.execute(sql`delete from sign_in_challenges where expires_at < now()`)
  await db.execute(sql`delete from password_reset_tokens where expires_at < now() - interval '1 day'`)
  await db.execute(sql`delete from rate_limits where window_start < now() - interval '1 day'`)
  // a brand kit upload never completed: its presigned URL expired long ago, and no kit can use it
  await db.execute(sql`delete from brand_kit_files where status = 'uploading' and created_at < now() - interval '1 day'`)
  await db.execute(
    sql`delete from idempotency_keys where created_at < now() - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS})`,
  )
}

/** Runs the sweep on roughly one request in `every`, in the background. */
export function maybeSweepStaleRows(db: Db, log: Logger, every = 500): void {
  if (Math.random() * every >= 1) return
  sweepStaleRows(db).catch((err) => log.warn({ err }, 'sweeping stale rows failed'))
}
