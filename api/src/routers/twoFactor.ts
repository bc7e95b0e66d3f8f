import { ErrorCode, tables } from '@cutroom/schema'
import { and, eq, isNotNull, isNull } from 'drizzle-orm'
import { z } from 'zod'
import { apiError } from '../apiError'
import { writeAccountAudit } from '../audit'
import type { Context } from '../context'
import { PASSWORD_MAX_LENGTH, passwordCostOf, verifyPassword } from '../passwords'
import { hashRecoveryCode, newRecoveryCodes } from '../recoveryCodes'
import { acceptTotpCode, clearCodeAttempts, recoveryCodesLeft, throttleCodeAttempt } from '../secondFactor'
import { matchTotpStep, newTotpKey, totpEnrollment } from '../totp'
import { router, userProcedure } from '../trpc'
import type { Db } from '../db'
import type { Principal } from '../principal'

export const TotpCode = z
  .string()
  .trim()
  .regex(/^\d{6}$/, 'Enter the 6-digit code from your authenticator app.')
export const RecoveryCodeInput = z.string().trim().min(1, 'Enter a recovery code.').max(64)

/** Re-authentication for turning two-factor off or replacing recovery codes: a current code or the password. */
const Proof = z
  .object({ code: TotpCode.optional(), password: z.string().min(1).max(PASSWORD_MAX_LENGTH).optional() })
  .refine((p) => (p.code === undefined) !== (p.password === undefined), 'Give either a code or your password.')

type UserCtx = Context & { principal: Extract<Principal, { kind: 'user' }> }

const auditMeta = (ctx: Context) => ({ ip: ctx.ip, userAgent: ctx.userAgent })

async function twoFactorState(db: Db, userId: string) {
  const [row] = await db
    .select({
      enabledAt: tables.users.totpEnabledAt,
      on: tables.users.totpSecret,
      passwordHash: tables.users.passwordHash,
    })
    .from(tables.users)
    .where(eq(tables.users.id, userId))
  if (!row) throw apiError(ErrorCode.UNAUTHENTICATED, 'Your account no longer exists.')
  return { enabled: row.on !== null, enabledAt: row.enabledAt, passwordHash: row.passwordHash }
}

/** Checks a code or the password (counted against the code limits); throws INVALID_CREDENTIALS when wrong. */
async function requireProof(ctx: UserCtx, proof: z.infer<typeof Proof>) {
  const userId = ctx.principal.user.id
  const state = await twoFactorState(ctx.services.db, userId)
  if (!state.enabled) throw apiError(ErrorCode.INVALID_STATE, 'Two-factor sign-in is not on for your account.')
  await throttleCodeAttempt(ctx, userId)
  const ok = proof.code
    ? await acceptTotpCode(ctx, userId, proof.code)
    : await verifyPassword(state.passwordHash, proof.password!, passwordCostOf(ctx.services.config))
  if (!ok) {
    throw apiError(
      ErrorCode.INVALID_CREDENTIALS,
      proof.code ? 'That code is wrong or was already used. Wait for the next one.' : 'The password is wrong.',
    )
  }
  await clearCodeAttempts(ctx, userId)
}

/** Replaces every recovery code of the account with ten new ones; returns them (the only time they are seen). */
async function replaceRecoveryCodes(tx: Pick<Db, 'delete' | 'insert'>, userId: string): Promise<string[]> {
  const codes = newRecoveryCodes()
  await tx.delete(tables.recoveryCodes).where(eq(tables.recoveryCodes.userId, userId))
  await tx.insert(tables.recoveryCodes).values(codes.map((c) => ({ userId, codeHash: hashRecoveryCode(c) })))
  return codes
}

export const totpRouter = router({
  /** Whether two-factor sign-in is on, since when, and how many recovery codes are left. */
  status: userProcedure.query(async ({ ctx }) => {
    const userId = ctx.principal.user.id
    const state = await twoFactorState(ctx.services.db, userId)
    return {
      enabled: state.enabled,
      enabledAt: state.enabledAt,
      recoveryCodesLeft: state.enabled ? await recoveryCodesLeft(ctx, userId) : 0,
    }
  }),

  /**
   * Starts enrolment: a new key, kept pending until `enable` confirms a code from it. Calling it again replaces
   * the pending key. `{ secret (base32), uri (otpauth://) }`.
   */
  setup: userProcedure.mutation(async ({ ctx }) => {
    const { user } = ctx.principal
    const key = newTotpKey()
    const updated = await ctx.services.db
      .update(tables.users)
      .set({ totpPendingSecret: key })
      .where(and(eq(tables.users.id, user.id), isNull(tables.users.totpSecret)))
      .returning({ id: tables.users.id })
    if (updated.length === 0) {
      throw apiError(ErrorCode.INVALID_STATE, 'Two-factor sign-in is already on. Turn it off first to use a new key.')
    }
    return totpEnrollment(key, user.email)
  }),

  /** Confirms the pending key with a valid code and turns two-factor on: `{ recoveryCodes }`, shown once. */
  enable: userProcedure.input(z.object({ code: TotpCode })).mutation(async ({ ctx, input }) => {
    const { db } = ctx.services
    const userId = ctx.principal.user.id
    const [row] = await db
      .select({ pending: tables.users.totpPendingSecret, on: tables.users.totpSecret })
      .from(tables.users)
      .where(eq(tables.users.id, userId))
    if (row?.on) throw apiError(ErrorCode.INVALID_STATE, 'Two-factor sign-in is already on.')
    if (!row?.pending)
      throw apiError(ErrorCode.INVALID_STATE, 'Start the setup first: no key is waiting to be confirmed.')
    await throttleCodeAttempt(ctx, userId)
    const step = matchTotpStep(row.pending, input.code)
    if (step === null) {
      throw apiError(
        ErrorCode.INVALID_CREDENTIALS,
        'That code is wrong. Check the key in your app and try the current code.',
      )
    }
    const codes = await db.transaction(async (tx) => {
      const on = await tx
        .update(tables.users)
        .set({ totpSecret: row.pending, totpPendingSecret: null, totpEnabledAt: new Date(), totpLastStep: step })
        .where(
          and(eq(tables.users.id, userId), isNull(tables.users.totpSecret), isNotNull(tables.users.totpPendingSecret)),
        )
        .returning({ id: tables.users.id })
      if (on.length === 0) throw apiError(ErrorCode.INVALID_STATE, 'Two-factor sign-in is already on.')
      const codes = await replaceRecoveryCodes(tx, userId)
      await writeAccountAudit(tx, { userId, actorUserId: userId, action: 'account.2fa.enabled', ...auditMeta(ctx) })
      return codes
    })
    await clearCodeAttempts(ctx, userId)
    return { recoveryCodes: codes }
  }),

  /** Turns two-factor off, with a current code or the password; recovery codes are deleted. */
  disable: userProcedure.input(Proof).mutation(async ({ ctx, input }) => {
    const userId = ctx.principal.user.id
    await requireProof(ctx, input)
    await ctx.services.db.transaction(async (tx) => {
      await tx
        .update(tables.users)
        .set({ totpSecret: null, totpPendingSecret: null, totpEnabledAt: null, totpLastStep: null })
        .where(eq(tables.users.id, userId))
      await tx.delete(tables.recoveryCodes).where(eq(tables.recoveryCodes.userId, userId))
      await tx.delete(tables.signInChallenges).where(eq(tables.signInChallenges.userId, userId))
      await writeAccountAudit(tx, {
        userId,
        actorUserId: userId,
        action: 'account.2fa.disabled',
        details: { with: input.code ? 'code' : 'password' },
        ...auditMeta(ctx),
      })
    })
    return { ok: true as const }
  }),
})

export const recoveryCodesRouter = router({
  /** Ten new recovery codes (the old ones stop working), with a current code or the password. */
  regenerate: userProcedure.input(Proof).mutation(async ({ ctx, input }) => {
    const userId = ctx.principal.user.id
    await requireProof(ctx, input)
    const codes = await ctx.services.db.transaction(async (tx) => {
      const codes = await replaceRecoveryCodes(tx, userId)
      await writeAccountAudit(tx, {
        userId,
        actorUserId: userId,
        action: 'account.recovery_codes.regenerated',
        ...auditMeta(ctx),
      })
      return codes
    })
    return { recoveryCodes: codes }
  }),
})
