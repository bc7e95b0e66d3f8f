import { ErrorCode, tables } from '@cutroom/schema'
import { and, desc, eq, gt, ne } from 'drizzle-orm'
import { z } from 'zod'
import { apiError } from '../apiError'
import { writeAccountAudit } from '../audit'
import { publishAccessChange } from '../publishAccessChange'
import { rateLimit } from '../rateLimit'
import { router, userProcedure } from '../trpc'

/** The most session ids one access-change event names; beyond that collab re-checks all of the person's. */
const MAX_NAMED_SESSIONS = 1000

/** The signed-in person's own sessions ("where you are signed in"). */
export const accountSessionsRouter = router({
  /** Newest first: id, created, last seen, user agent, address, and which one is this session. */
  list: userProcedure.query(async ({ ctx }) => {
    const s = tables.sessions
    const rows = await ctx.services.db
      .select({
        id: s.id,
        createdAt: s.createdAt,
        lastSeenAt: s.lastSeenAt,
        expiresAt: s.expiresAt,
        userAgent: s.userAgent,
        ip: s.ip,
      })
      .from(s)
      .where(and(eq(s.userId, ctx.principal.user.id), gt(s.expiresAt, new Date())))
      .orderBy(desc(s.lastSeenAt), desc(s.createdAt))
      .limit(200)
    return rows.map((r) => ({ ...r, current: r.id === ctx.principal.sessionId }))
  }),

  /** Ends one of the person's sessions (its open collab connections close). Revoking this one signs out here. */
  revoke: userProcedure
    .use(rateLimit('auth.sessions.revoke', 60, 15 * 60))
    .input(z.object({ id: z.string().min(1).max(128) }))
    .mutation(async ({ ctx, input }) => {
      const userId = ctx.principal.user.id
      const gone = await ctx.services.db.transaction(async (tx) => {
        const gone = await tx
          .delete(tables.sessions)
          .where(and(eq(tables.sessions.id, input.id), eq(tables.sessions.userId, userId)))
          .returning({ id: tables.sessions.id })
        if (gone.length === 0) return gone
        await writeAccountAudit(tx, {
          userId,
          actorUserId: userId,
          action: 'account.session.revoked',
          details: { current: input.id === ctx.principal.sessionId },
          ip: ctx.ip,
          userAgent: ctx.userAgent,
        })
        return gone
      })
      if (gone.length === 0) throw apiError(ErrorCode.NOT_FOUND, 'No such session: it may have ended already.')
      publishAccessChange(ctx.services, { userId, sessionIds: [input.id], reason: 'signed-out' })
      if (input.id === ctx.principal.sessionId) ctx.clearSessionCookie()
      return { ok: true as const }
    }),

  /** "Sign out other sessions": ends every session of the person except this one. `{ revoked }` counts them. */
  revokeOthers: userProcedure.use(rateLimit('auth.sessions.revokeOthers', 30, 15 * 60)).mutation(async ({ ctx }) => {
    const userId = ctx.principal.user.id
    const gone = await ctx.services.db.transaction(async (tx) => {
      const gone = await tx
        .delete(tables.sessions)
        .where(and(eq(tables.sessions.userId, userId), ne(tables.sessions.id, ctx.principal.sessionId)))
        .returning({ id: tables.sessions.id })
      await writeAccountAudit(tx, {
        userId,
        actorUserId: userId,
        action: 'account.sessions.revoked_others',
        details: { count: gone.length },
        ip: ctx.ip,
        userAgent: ctx.userAgent,
      })
      return gone
    })
    if (gone.length > 0) {
      publishAccessChange(ctx.services, {
        userId,
        // Without names collab re-checks every connection of the person; this session stays valid.
        sessionIds: gone.length <= MAX_NAMED_SESSIONS ? gone.map((g) => g.id) : undefined,
        reason: 'signed-out',
      })
    }
    return { revoked: gone.length }
  }),
})
