import { tables } from '@cutroom/schema'
import { asc, eq } from 'drizzle-orm'
import { z } from 'zod'
import { requireOrgRole } from '../access'
import { writeAudit } from '../audit'
import { idempotent } from '../idempotency'
import { rateLimit } from '../rateLimit'
import { authedProcedure, router, userProcedure } from '../trpc'
import { DisplayName, Id } from './inputs'
import { membersRouter } from './members'

const orgColumns = { id: tables.organizations.id, name: tables.organizations.name, plan: tables.organizations.plan }

export const orgsRouter = router({
  /** Creates an organization with the caller as its owner. */
  create: userProcedure
    .use(rateLimit('orgs.create', 20, 60 * 60))
    .use(idempotent)
    .input(z.object({ name: DisplayName }))
    .mutation(async ({ ctx, input }) => {
      const userId = ctx.principal.user.id
      return ctx.services.db.transaction(async (tx) => {
        const [org] = await tx.insert(tables.organizations).values({ name: input.name }).returning(orgColumns)
        await tx.insert(tables.memberships).values({ orgId: org!.id, userId, role: 'owner' })
        await writeAudit(tx, ctx.principal, {
          orgId: org!.id,
          action: 'org.create',
          targetType: 'org',
          targetId: org!.id,
          details: { name: input.name },
        })
        return { ...org!, role: 'owner' as const }
      })
    }),

  /** The caller's organizations with its role in each; an API key sees its own organization. */
  list: authedProcedure.query(async ({ ctx }) => {
    const p = ctx.principal
    const { db } = ctx.services
    if (p.kind === 'apiKey') {
      const rows = await db.select(orgColumns).from(tables.organizations).where(eq(tables.organizations.id, p.orgId))
      return rows.map((o) => ({ ...o, role: p.role }))
    }
    return db
      .select({ ...orgColumns, role: tables.memberships.role })
      .from(tables.memberships)
      .innerJoin(tables.organizations, eq(tables.organizations.id, tables.memberships.orgId))
      .where(eq(tables.memberships.userId, p.user.id))
      .orderBy(asc(tables.organizations.createdAt))
  }),

  get: authedProcedure.input(z.object({ id: Id })).query(async ({ ctx, input }) => {
    const role = await requireOrgRole(ctx, input.id, 'org.read')
    const [org] = await ctx.services.db
      .select(orgColumns)
      .from(tables.organizations)
      .where(eq(tables.organizations.id, input.id))
    return { ...org!, role }
  }),

  members: membersRouter,
})
