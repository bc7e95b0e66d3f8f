import { ErrorCode, generateToken, hashToken, tables } from '@cutroom/schema'
import { and, eq, gt, isNull, ne } from 'drizzle-orm'
import { z } from 'zod'
import { apiError } from '../apiError'
import { writeAccountAudit } from '../audit'
import { createMailer, type Mailer } from '../mailer'
import { hashPassword, PASSWORD_MAX_LENGTH, passwordCostOf, passwordWeakness } from '../passwords'
import { publishAccessChange } from '../publishAccessChange'
import { consumeRateLimit, withRetryAfter } from '../rateLimit'
import type { ApiServices } from '../services'
import { invalidateUserSessions } from '../sessions'
import { publicProcedure, router } from '../trpc'

/** How long a reset link works. */
export const RESET_TOKEN_TTL_MINUTES = 30

const Email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email({ message: 'Enter a valid email address.' }))
/** Reset tokens are 32 base32 characters; the bound only stops junk. */
const ResetToken = z.string().trim().min(16, 'This reset link is incomplete.').max(128)

const REQUESTS_PER_ADDRESS = { limit: 20, windowSeconds: 60 * 60 }
const REQUESTS_PER_ACCOUNT = { limit: 5, windowSeconds: 60 * 60 }
const COMPLETIONS_PER_ADDRESS = { limit: 30, windowSeconds: 60 * 60 }

const mailers = new WeakMap<ApiServices, Mailer | null>()
/** One SMTP transport per api process (null without SMTP_URL). */
function mailerOf(services: ApiServices): Mailer | null {
  if (!mailers.has(services)) mailers.set(services, createMailer(services.config, services.log))
  return mailers.get(services)!
}

function resetLink(services: ApiServices, token: string): string {
  const base = services.config.PUBLIC_URL ?? `http://${services.config.API_HOST}:${services.config.API_PORT}`
  return `${base.replace(/\/+$/, '')}/reset-password?token=${encodeURIComponent(token)}`
}

/**
 * Delivers the link: by SMTP when SMTP_URL is set; otherwise, outside production, in the api log (so a
 * developer without a mail server can still reset a password). Runs after the answer, so its time never tells
 * whether the account exists; a failure is logged.
 */
function deliverResetLink(services: ApiServices, email: string, token: string): void {
  const link = resetLink(services, token)
  const mailer = mailerOf(services)
  if (!mailer) {
    if (services.config.NODE_ENV === 'production') {
      services.log.warn('a password reset was requested but SMTP_URL is unset: no mail was sent')
    } else {
      services.log.info({ email, link }, 'password reset link (SMTP_URL is unset, so it is logged instead of mailed)')
    }
    return
  }
  mailer
    .send({
      to: email,
      subject: 'Reset your Cutroom password',
      text: [
        'Someone (hopefully you) asked to reset the password of your Cutroom account.',
        '',
        `Open this link within ${RESET_TOKEN_TTL_MINUTES} minutes to choose a new password:`,
        link,
        '',
        'If you did not ask for this, ignore this mail: your password stays as it is.',
      ].join('\n'),
    })
    .catch((err) => services.log.error({ err }, 'could not send a password reset mail'))
}

export const passwordResetRouter = router({
  /**
   * Sends a reset link to the address when an account has it. The answer is the same whether or not it does,
   * and so is the rate limit (per address and per email).
   */
  request: publicProcedure.input(z.object({ email: Email })).mutation(async ({ ctx, input }) => {
    const { db } = ctx.services
    await withRetryAfter(ctx, async () => {
      await consumeRateLimit(
        ctx.services,
        `reset:ip:${ctx.ip ?? 'unknown'}`,
        REQUESTS_PER_ADDRESS.limit,
        REQUESTS_PER_ADDRESS.windowSeconds,
        'password reset requests from your address',
      )
      await consumeRateLimit(
        ctx.services,
        `reset:account:${input.email}`,
        REQUESTS_PER_ACCOUNT.limit,
        REQUESTS_PER_ACCOUNT.windowSeconds,
        'password reset requests for this email',
      )
    })
    const [user] = await db
      .select({ id: tables.users.id, email: tables.users.email })
      .from(tables.users)
      .where(eq(tables.users.email, input.email))
    if (user) {
      const token = generateToken()
      await db.transaction(async (tx) => {
        await tx.insert(tables.passwordResetTokens).values({
          id: hashToken(token),
          userId: user.id,
          expiresAt: new Date(Date.now() + RESET_TOKEN_TTL_MINUTES * 60 * 1000),
        })
        await writeAccountAudit(tx, {
          userId: user.id,
          actorUserId: null,
          action: 'account.password_reset.requested',
          ip: ctx.ip,
          userAgent: ctx.userAgent,
        })
      })
      deliverResetLink(ctx.services, user.email, token)
    }
    return {
      ok: true as const,
      message: `If an account uses this email, a link to reset its password is on its way. It works for ${RESET_TOKEN_TTL_MINUTES} minutes.`,
    }
  }),

  /**
   * Sets a new password with the token from the link. The token is consumed, every other reset link of the
   * account stops working, and every session of the person ends (live). Sign in afterwards.
   */
  complete: publicProcedure
    .input(z.object({ token: ResetToken, password: z.string().min(1, 'Enter a password.').max(PASSWORD_MAX_LENGTH) }))
    .mutation(async ({ ctx, input }) => {
      const { db } = ctx.services
      await withRetryAfter(ctx, () =>
        consumeRateLimit(
          ctx.services,
          `reset-complete:ip:${ctx.ip ?? 'unknown'}`,
          COMPLETIONS_PER_ADDRESS.limit,
          COMPLETIONS_PER_ADDRESS.windowSeconds,
          'password reset attempts from your address',
        ),
      )
      const t = tables.passwordResetTokens
      const id = hashToken(input.token)
      const invalid = () =>
        apiError(ErrorCode.INVALID_CREDENTIALS, 'This reset link is invalid, used or expired. Ask for a new one.')
      const [row] = await db
        .select({ userId: t.userId, email: tables.users.email })
        .from(t)
        .innerJoin(tables.users, eq(tables.users.id, t.userId))
        .where(and(eq(t.id, id), isNull(t.usedAt), gt(t.expiresAt, new Date())))
      if (!row) throw invalid()
      const weakness = passwordWeakness(input.password, row.email)
      if (weakness) throw apiError(ErrorCode.WEAK_PASSWORD, `Password too weak: ${weakness}`)
      const passwordHash = await hashPassword(input.password, passwordCostOf(ctx.services.config))
      await db.transaction(async (tx) => {
        // The conditional update makes the token single-use even when two requests race.
        const used = await tx
          .update(t)
          .set({ usedAt: new Date() })
          .where(and(eq(t.id, id), isNull(t.usedAt), gt(t.expiresAt, new Date())))
          .returning({ id: t.id })
        if (used.length === 0) throw invalid()
        await tx.delete(t).where(and(eq(t.userId, row.userId), ne(t.id, id)))
        await tx
          .update(tables.users)
          .set({ passwordHash, passwordChangedAt: new Date() })
          .where(eq(tables.users.id, row.userId))
        await tx.delete(tables.signInChallenges).where(eq(tables.signInChallenges.userId, row.userId))
        await invalidateUserSessions(tx, row.userId)
        await writeAccountAudit(tx, {
          userId: row.userId,
          actorUserId: null,
          action: 'account.password_reset.completed',
          ip: ctx.ip,
          userAgent: ctx.userAgent,
        })
      })
      publishAccessChange(ctx.services, { userId: row.userId, reason: 'signed-out' })
      return { ok: true as const }
    }),
})
