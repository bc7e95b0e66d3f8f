import { ErrorCode, generateToken, hashToken, tables } from '@cutroom/schema'
import { and, eq, gt } from 'drizzle-orm'
import { z } from 'zod'
import { apiError } from '../apiError'
import { consumeRateLimit, rateLimit, resetRateLimit, withRetryAfter } from '../rateLimit'
import type { ApiServices } from '../services'
import { publishAccessChange } from '../publishAccessChange'
import { createSession, invalidateSession, invalidateUserSessions } from '../sessions'
import { hashPassword, PASSWORD_MAX_LENGTH, passwordWeakness, verifyPassword } from '../passwords'
import { publicProcedure, router, userProcedure } from '../trpc'
import { writeAccountAudit } from '../audit'
import { acceptTotpCode, clearCodeAttempts, consumeRecoveryCode, throttleCodeAttempt } from '../secondFactor'
import { accountSessionsRouter } from './accountSessions'
import { passwordResetRouter } from './passwordReset'
import { RecoveryCodeInput, recoveryCodesRouter, TotpCode, totpRouter } from './twoFactor'

/** Emails are compared trimmed and lower-cased. */
const Email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email({ message: 'Enter a valid email address.' }))
const Password = z.string().min(1, 'Enter a password.').max(PASSWORD_MAX_LENGTH)
const Name = z.string().trim().min(1, 'Enter your name.').max(100)

/** Sign-in throttling: failures per account, attempts per address. */
export const SIGN_IN_PER_ACCOUNT = { limit: 10, windowSeconds: 15 * 60 }
export const SIGN_IN_PER_IP = { limit: 100, windowSeconds: 15 * 60 }
/** Sign-up throttling: attempts per address (the middleware) and per email asked for, from any address. */
export const SIGN_UP_PER_IP = { limit: 30, windowSeconds: 60 * 60 }
export const SIGN_UP_PER_EMAIL = { limit: 5, windowSeconds: 60 * 60 }
/** How long the second step of a two-factor sign-in may take. */
const CHALLENGE_TTL_MS = 5 * 60 * 1000

const userColumns = { id: tables.users.id, email: tables.users.email, name: tables.users.name }

function cost(services: ApiServices) {
  return { memoryKib: services.config.ARGON2_MEMORY_KIB, timeCost: services.config.ARGON2_TIME_COST }
}

function rejectWeak(password: string, email: string) {
  const weakness = passwordWeakness(password, email)
  if (weakness) throw apiError(ErrorCode.WEAK_PASSWORD, `Password too weak: ${weakness}`)
}

export const authRouter = router({
  /** Creates an account and signs it in: `{ user, token }` plus the session cookie. */
  signUp: publicProcedure
    .use(rateLimit('auth.signUp', SIGN_UP_PER_IP.limit, SIGN_UP_PER_IP.windowSeconds))
    .input(z.object({ email: Email, password: Password, name: Name }))
    .mutation(async ({ ctx, input }) => {
      const { db } = ctx.services
      // Per target account too: many addresses probing one email (EMAIL_TAKEN tells that it exists) are bounded.
      await withRetryAfter(ctx, () =>
        consumeRateLimit(
          ctx.services,
          `auth.signUp:email:${input.email}`,
          SIGN_UP_PER_EMAIL.limit,
          SIGN_UP_PER_EMAIL.windowSeconds,
          'sign-up attempts for this email',
        ),
      )
      rejectWeak(input.password, input.email)
      const passwordHash = await hashPassword(input.password, cost(ctx.services))
      const [user] = await db
        .insert(tables.users)
        .values({ email: input.email, name: input.name, passwordHash })
        .onConflictDoNothing({ target: tables.users.email })
        .returning(userColumns)
      if (!user) throw apiError(ErrorCode.EMAIL_TAKEN, 'An account with this email already exists. Sign in instead.')
      const session = await createSession(db, user.id, ctx.services.config.SESSION_TTL_DAYS, ctx)
      ctx.setSessionCookie(session.token, session.expiresAt)
      return { user, token: session.token }
    }),

  /**
   * `{ twoFactorRequired: false, user, token }` plus the session cookie. Unknown email and wrong password get the
   * same answer. With two-factor on, the password alone gives `{ twoFactorRequired: true, challenge }`: finish
   * with `auth.signIn2fa`.
   */
  signIn: publicProcedure.input(z.object({ email: Email, password: Password })).mutation(async ({ ctx, input }) => {
    const { db } = ctx.services
    const accountBucket = `signin:account:${input.email}`
    await withRetryAfter(ctx, async () => {
      await consumeRateLimit(
        ctx.services,
        `signin:ip:${ctx.ip ?? 'unknown'}`,
        SIGN_IN_PER_IP.limit,
        SIGN_IN_PER_IP.windowSeconds,
        'sign-in attempts from your address',
      )
      await consumeRateLimit(
        ctx.services,
        accountBucket,
        SIGN_IN_PER_ACCOUNT.limit,
        SIGN_IN_PER_ACCOUNT.windowSeconds,
        'sign-in attempts for this account',
      )
    })
    const [row] = await db
      .select({ ...userColumns, passwordHash: tables.users.passwordHash, totpSecret: tables.users.totpSecret })
      .from(tables.users)
      .where(eq(tables.users.email, input.email))
    const ok = await verifyPassword(row?.passwordHash ?? null, input.password, cost(ctx.services))
    if (!row || !ok) throw apiError(ErrorCode.INVALID_CREDENTIALS, 'Wrong email or password.')
    await resetRateLimit(db, accountBucket)
    if (row.totpSecret) {
      const challenge = generateToken()
      await db.insert(tables.signInChallenges).values({
        id: hashToken(challenge),
        userId: row.id,
        expiresAt: new Date(Date.now() + CHALLENGE_TTL_MS),
      })
      return { twoFactorRequired: true as const, challenge }
    }
    const session = await createSession(db, row.id, ctx.services.config.SESSION_TTL_DAYS, ctx)
    ctx.setSessionCookie(session.token, session.expiresAt)
    return {
      twoFactorRequired: false as const,
      user: { id: row.id, email: row.email, name: row.name },
      token: session.token,
    }
  }),

  /**
   * The second step: the challenge from `signIn` and a code from the authenticator app, or one recovery code
   * (consumed). `{ user, token, recoveryCodesLeft? }` plus the session cookie. The challenge works once.
   */
  signIn2fa: publicProcedure
    .input(
      z
        .object({
          challenge: z.string().trim().min(1).max(128),
          code: TotpCode.optional(),
          recoveryCode: RecoveryCodeInput.optional(),
        })
        .refine((i) => (i.code === undefined) !== (i.recoveryCode === undefined), {
          message: 'Enter either the code from your app or a recovery code.',
        }),
    )
    .mutation(async ({ ctx, input }) => {
      const { db } = ctx.services
      const c = tables.signInChallenges
      const challengeId = hashToken(input.challenge)
      const expired = () =>
        apiError(ErrorCode.UNAUTHENTICATED, 'This sign-in has expired or was already finished. Sign in again.')
      const [row] = await db
        .select({ userId: c.userId, ...userColumns })
        .from(c)
        .innerJoin(tables.users, eq(tables.users.id, c.userId))
        .where(and(eq(c.id, challengeId), gt(c.expiresAt, new Date())))
      if (!row) throw expired()
      await throttleCodeAttempt(ctx, row.userId)
      const ok = input.code
        ? await acceptTotpCode(ctx, row.userId, input.code)
        : await consumeRecoveryCode(ctx, row.userId, input.recoveryCode!)
      if (!ok) {
        throw apiError(
          ErrorCode.INVALID_CREDENTIALS,
          input.code
            ? 'That code is wrong or was already used. Wait for the next one from your app.'
            : 'That recovery code is wrong or was already used.',
        )
      }
      // Single use: only the request that deletes the challenge gets a session.
      const used = await db.delete(c).where(eq(c.id, challengeId)).returning({ id: c.id })
      if (used.length === 0) throw expired()
      await clearCodeAttempts(ctx, row.userId)
      if (input.recoveryCode) {
        await writeAccountAudit(db, {
          userId: row.userId,
          actorUserId: row.userId,
          action: 'account.recovery_code.used',
          ip: ctx.ip,
          userAgent: ctx.userAgent,
        })
      }
      const session = await createSession(db, row.userId, ctx.services.config.SESSION_TTL_DAYS, ctx)
      ctx.setSessionCookie(session.token, session.expiresAt)
      return {
        twoFactorRequired: false as const,
        user: { id: row.id, email: row.email, name: row.name },
        token: session.token,
      }
    }),

  /** Ends this session (or every session of the account with `everywhere`) and clears the cookie. */
  signOut: publicProcedure
    .input(z.object({ everywhere: z.boolean().default(false) }).optional())
    .mutation(async ({ ctx, input }) => {
      const p = ctx.principal
      if (p?.kind === 'user') {
        if (input?.everywhere) await invalidateUserSessions(ctx.services.db, p.user.id)
        else await invalidateSession(ctx.services.db, p.sessionId)
        // Collab closes the ended sessions' open document connections.
        publishAccessChange(ctx.services, {
          userId: p.user.id,
          sessionIds: input?.everywhere ? undefined : [p.sessionId],
          reason: 'signed-out',
        })
      }
      ctx.clearSessionCookie()
      return { ok: true as const }
    }),

  /** The signed-in person, or null. For an API key: the key's organization and role. */
  me: publicProcedure.query(({ ctx }) => {
    const p = ctx.principal
    if (!p) return null
    if (p.kind === 'user') return { kind: 'user' as const, user: p.user }
    return { kind: 'apiKey' as const, apiKey: { id: p.apiKeyId, orgId: p.orgId, role: p.role } }
  }),

  /**
   * Changes the password after checking the current one. Every session of the account is revoked; this
   * client gets a fresh session (new token and cookie).
   */
  changePassword: userProcedure
    .use(rateLimit('auth.changePassword', 10, 15 * 60))
    .input(z.object({ currentPassword: Password, newPassword: Password }))
    .mutation(async ({ ctx, input }) => {
      const { db } = ctx.services
      const userId = ctx.principal.user.id
      const [row] = await db
        .select({ passwordHash: tables.users.passwordHash, email: tables.users.email })
        .from(tables.users)
        .where(eq(tables.users.id, userId))
      if (!row) throw apiError(ErrorCode.UNAUTHENTICATED, 'Your account no longer exists.')
      if (!(await verifyPassword(row.passwordHash, input.currentPassword, cost(ctx.services)))) {
        throw apiError(ErrorCode.INVALID_CREDENTIALS, 'The current password is wrong.')
      }
      rejectWeak(input.newPassword, row.email)
      const passwordHash = await hashPassword(input.newPassword, cost(ctx.services))
      await db
        .update(tables.users)
        .set({ passwordHash, passwordChangedAt: new Date() })
        .where(eq(tables.users.id, userId))
      await invalidateUserSessions(db, userId)
      publishAccessChange(ctx.services, { userId, reason: 'signed-out' })
      const session = await createSession(db, userId, ctx.services.config.SESSION_TTL_DAYS, ctx)
      ctx.setSessionCookie(session.token, session.expiresAt)
      return { token: session.token }
    }),

  totp: totpRouter,
  recoveryCodes: recoveryCodesRouter,
  sessions: accountSessionsRouter,
  passwordReset: passwordResetRouter,
})
