import { ErrorCode, tables } from '@cutroom/schema'
import { and, eq, lt } from 'drizzle-orm'
import { apiError } from './apiError'
import { principalKey } from './principal'
import { IDEMPOTENCY_TTL_HOURS } from './sweepStaleRows'
import { middleware } from './trpc'

/** Marks a key whose first request is still running. */
const PENDING = ''
const KEY_PATTERN = /^[\x21-\x7e]{1,200}$/

/**
 * Honours the `Idempotency-Key` header on create mutations: the first request with a key runs and its
 * response is stored; a repeat from the same principal gets that same response without running again. A key
 * reused for a different procedure is a CONFLICT, and so is a repeat while the first is still running. A failed
 * request frees its key so it can be retried. Keys are honoured for IDEMPOTENCY_TTL_HOURS.
 */
export const idempotent = middleware(async ({ ctx, path, next }) => {
  const key = ctx.idempotencyKey
  if (key === null || !ctx.principal) return next()
  if (!KEY_PATTERN.test(key)) {
    throw apiError(ErrorCode.BAD_INPUT, 'Idempotency-Key must be 1 to 200 visible ASCII characters.')
  }
  const db = ctx.services.db
  const principal = principalKey(ctx.principal)
  const where = and(eq(tables.idempotencyKeys.principal, principal), eq(tables.idempotencyKeys.key, key))
  // Past its lifetime a key is free again.
  await db
    .delete(tables.idempotencyKeys)
    .where(and(where, lt(tables.idempotencyKeys.createdAt, new Date(Date.now() - IDEMPOTENCY_TTL_HOURS * 3600_000))))
  const claimed = await db
    .insert(tables.idempotencyKeys)
    .values({ principal, key, procedure: path, response: PENDING })
    .onConflictDoNothing()
    .returning({ key: tables.idempotencyKeys.key })
  if (claimed.length === 0) {
    const [first] = await db
      .select({ procedure: tables.idempotencyKeys.procedure, response: tables.idempotencyKeys.response })
      .from(tables.idempotencyKeys)
      .where(where)
    if (!first) throw apiError(ErrorCode.CONFLICT, 'This Idempotency-Key is being reused; retry shortly.')
    if (first.procedure !== path) {
      throw apiError(ErrorCode.CONFLICT, `This Idempotency-Key was already used for ${first.procedure}; use a new key.`)
    }
    if (first.response === PENDING) {
      throw apiError(ErrorCode.CONFLICT, 'A request with this Idempotency-Key is still running; retry shortly.')
    }
    return { ok: true as const, data: JSON.parse(first.response) as unknown, marker: undefined as never }
  }
  const result = await next()
  if (result.ok) {
    await db
      .update(tables.idempotencyKeys)
      .set({ response: JSON.stringify(result.data ?? null) })
      .where(where)
  } else {
    await db.delete(tables.idempotencyKeys).where(where)
  }
  return result
})
