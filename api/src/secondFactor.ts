import { tables } from '@cutroom/schema'
import { and, eq, isNull, lt, or, sql } from 'drizzle-orm'
import type { Context } from './context'
import { consumeRateLimit, resetRateLimit, withRetryAfter } from './rateLimit'
import { hashRecoveryCode } from './recoveryCodes'
import { matchTotpStep } from './totp'

/** Code attempts (TOTP, recovery code or the password that turns two-factor off): per account, per address. */
const PER_ACCOUNT = { limit: 5, windowSeconds: 15 * 60 }
const PER_ADDRESS = { limit: 50, windowSeconds: 15 * 60 }

const accountBucket = (userId: string) => `2fa:account:${userId}`

/** Counts one code attempt; throws RATE_LIMITED (with Retry-After) once either limit is reached. */
export async function throttleCodeAttempt(ctx: Pick<Context, 'services' | 'ip' | 'setHeader'>, userId: string) {
  await withRetryAfter(ctx, async () => {
    await consumeRateLimit(
      ctx.services,
      `2fa:ip:${ctx.ip ?? 'unknown'}`,
      PER_ADDRESS.limit,
      PER_ADDRESS.windowSeconds,
      'code attempts from your address',
    )
    await consumeRateLimit(
      ctx.services,
      accountBucket(userId),
      PER_ACCOUNT.limit,
      PER_ACCOUNT.windowSeconds,
      'code attempts for this account',
    )
  })
}

/** A right code clears the account's failure count. */
export async function clearCodeAttempts(ctx: Pick<Context, 'services'>, userId: string) {
  await resetRateLimit(ctx.services.db, accountBucket(userId))
}

/**
 * Checks a TOTP code against the account's enabled key and records its step, in one conditional update, so
 * the same code (or an older one) is refused afterwards even when two requests race.
 */
export async function acceptTotpCode(ctx: Pick<Context, 'services'>, userId: string, code: string): Promise<boolean> {
  const { db } = ctx.services
  const [row] = await db
    .select({ secret: tables.users.totpSecret })
    .from(tables.users)
    .where(eq(tables.users.id, userId))
  if (!row?.secret) return false
  const step = matchTotpStep(row.secret, code)
  if (step === null) return false
  const updated = await db
    .update(tables.users)
    .set({ totpLastStep: step })
    .where(and(eq(tables.users.id, userId), or(isNull(tables.users.totpLastStep), lt(tables.users.totpLastStep, step))))
    .returning({ id: tables.users.id })
  return updated.length === 1
}

/** Consumes one unused recovery code of the account; false when it is unknown or already used. */
export async function consumeRecoveryCode(
  ctx: Pick<Context, 'services'>,
  userId: string,
  code: string,
): Promise<boolean> {
  const used = await ctx.services.db
    .update(tables.recoveryCodes)
    .set({ usedAt: sql`now()` })
    .where(
      and(
        eq(tables.recoveryCodes.userId, userId),
        eq(tables.recoveryCodes.codeHash, hashRecoveryCode(code)),
        isNull(tables.recoveryCodes.usedAt),
      ),
    )
    .returning({ id: tables.recoveryCodes.id })
  return used.length === 1
}

/** How many unused recovery codes the account has left. */
export async function recoveryCodesLeft(ctx: Pick<Context, 'services'>, userId: string): Promise<number> {
  const [row] = await ctx.services.db
    .select({ n: sql<number>`count(*)::int` })
    .from(tables.recoveryCodes)
    .where(and(eq(tables.recoveryCodes.userId, userId), isNull(tables.recoveryCodes.usedAt)))
  return row?.n ?? 0
}
