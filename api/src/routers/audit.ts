import { tables } from '@cutroom/schema'
import { and, desc, eq, lt } from 'drizzle-orm'
import { z } from 'zod'
import { requireOrgRole } from '../access'
import { authedProcedure, router } from '../trpc'
import { Id } from './inputs'

export const auditRouter = router({
  /** Newest first, in pages: pass the last row's id as `before` for the next page. */
  list: authedProcedure
    .input(
      z.object({
        orgId: Id,
        limit: z.number().int().min(1).max(200).default(50),
        before: z.number().int().positive().optional(),
      }),
    )
    .query(async ({ ctx, input }) => {
      await requireOrgRole(ctx, input.orgId, 'org.readAudit')
      const a = tables.auditLog
      return ctx.services.db
        .select({
          id: a.id,
          action: a.action,
          targetType: a.targetType,
          targetId: a.targetId,
          details: a.details,
          actorUserId: a.actorUserId,
          actorApiKeyId: a.actorApiKeyId,
          actorEmail: tables.users.email,
          createdAt: a.createdAt,
        })
        .from(a)
        .leftJoin(tables.users, eq(tables.users.id, a.actorUserId))
        .where(input.before ? and(eq(a.orgId, input.orgId), lt(a.id, input.before)) : eq(a.orgId, input.orgId))
        .orderBy(desc(a.id))
        .limit(input.limit)
    }),
})
