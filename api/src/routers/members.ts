import { type Action, can, ErrorCode, type Role, roleAtLeast, tables } from '@cutroom/schema'
import { and, asc, eq, sql } from 'drizzle-orm'
import { z } from 'zod'
import { requireOrgRole } from '../access'
import { apiError } from '../apiError'
import { announceQuotaWarnings } from '../billing/quotaWarnings'
import { recordGauges } from '../billing/usageLedger'
import { assertSeatAvailable } from '../media/mediaQuota'
import { writeAudit } from '../audit'
import type { Db } from '../db'
import type { Principal } from '../principal'
import { publishAccessChange } from '../publishAccessChange'
import { rateLimit } from '../rateLimit'
import { authedProcedure, router } from '../trpc'
import { Id, RoleInput } from './inputs'

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]

const memberNotFound = () => apiError(ErrorCode.NOT_FOUND, 'That person is not a member of this organization.')

/** Only an owner grants, changes or removes the owner role; nobody grants a role above their own. */
function checkRoleChange(actor: Role, from: Role | null, to: Role | null) {
  if ((from === 'owner' || to === 'owner') && actor !== 'owner') {
    throw apiError(ErrorCode.FORBIDDEN_ROLE, 'Only an owner can grant, change or remove the owner role.')
  }
  if (to && !roleAtLeast(actor, to)) {
    throw apiError(ErrorCode.FORBIDDEN_ROLE, `You cannot grant ${to}, which is above your role (${actor}).`)
  }
}

/**
 * Serializes membership changes of one organization, so two owners demoting each other at once cannot both
 * pass the last-owner check (and row locks taken in different orders cannot deadlock).
 */
async function lockOrg(tx: Tx, orgId: string) {
  await tx.execute(sql`select id from organizations where id = ${orgId} for update`)
}

/**
 * The actor's role read again under the organization lock: a role changed by a concurrent request (say, this
 * admin was just demoted) counts, not the one seen before the transaction.
 */
async function lockedActorRole(tx: Tx, principal: Principal, orgId: string, action: Action): Promise<Role> {
  if (principal.kind === 'apiKey') return principal.role
  const role = await memberRole(tx, orgId, principal.user.id)
  if (!role) throw apiError(ErrorCode.NOT_FOUND, 'Organization not found.')
  if (!can(role, action)) throw apiError(ErrorCode.FORBIDDEN_ROLE, `Your role (${role}) cannot manage members.`)
  return role
}

/** Locks the organization's owner rows and refuses to take away the last one. */
async function ensureAnotherOwner(tx: Tx, orgId: string, userId: string) {
  const owners = await tx.execute<{ user_id: string }>(
    sql`select user_id from memberships where org_id = ${orgId} and role = 'owner' for update`,
  )
  if (!owners.some((o) => o.user_id !== userId)) {
    throw apiError(ErrorCode.LAST_OWNER, 'This is the last owner. Make someone else an owner first.')
  }
}

async function memberRole(tx: Tx, orgId: string, userId: string): Promise<Role | null> {
  if (!z.uuid().safeParse(userId).success) return null
  const [row] = await tx
    .select({ role: tables.memberships.role })
    .from(tables.memberships)
    .where(and(eq(tables.memberships.orgId, orgId), eq(tables.memberships.userId, userId)))
    .for('update')
  return row?.role ?? null
}

export const membersRouter = router({
  list: authedProcedure.input(z.object({ orgId: Id })).query(async ({ ctx, input }) => {
    await requireOrgRole(ctx, input.orgId, 'org.read')
    return ctx.services.db
      .select({
        userId: tables.users.id,
        email: tables.users.email,
        name: tables.users.name,
        role: tables.memberships.role,
        createdAt: tables.memberships.createdAt,
      })
      .from(tables.memberships)
      .innerJoin(tables.users, eq(tables.users.id, tables.memberships.userId))
      .where(eq(tables.memberships.orgId, input.orgId))
      .orderBy(asc(tables.memberships.createdAt))
  }),

  /** Adds an existing account by email. */
  add: authedProcedure
    .use(rateLimit('orgs.members.add', 200, 60 * 60))
    .input(z.object({ orgId: Id, email: z.string().trim().toLowerCase().max(254), role: RoleInput }))
    .mutation(async ({ ctx, input }) => {
      checkRoleChange(await requireOrgRole(ctx, input.orgId, 'org.manageMembers'), null, input.role)
      const member = await ctx.services.db.transaction(async (tx) => {
        await lockOrg(tx, input.orgId)
        checkRoleChange(await lockedActorRole(tx, ctx.principal, input.orgId, 'org.manageMembers'), null, input.role)
        const [user] = await tx
          .select({ id: tables.users.id, email: tables.users.email, name: tables.users.name })
          .from(tables.users)
          .where(eq(tables.users.email, input.email))
        if (!user) {
          throw apiError(
            ErrorCode.NOT_FOUND,
            `No account uses ${input.email}. Ask them to sign up first, then add them.`,
          )
        }
        // someone already in the organization is a conflict, whether or not the seats are full
        if ((await memberRole(tx, input.orgId, user.id)) !== null)
          throw apiError(ErrorCode.CONFLICT, `${input.email} is already a member.`)
        await assertSeatAvailable(tx, input.orgId)
        const added = await tx
          .insert(tables.memberships)
          .values({ orgId: input.orgId, userId: user.id, role: input.role })
          .onConflictDoNothing()
          .returning({ createdAt: tables.memberships.createdAt })
        if (added.length === 0) throw apiError(ErrorCode.CONFLICT, `${input.email} is already a member.`)
        await writeAudit(tx, ctx.principal, {
          orgId: input.orgId,
          action: 'member.add',
          targetType: 'user',
          targetId: user.id,
          details: { email: user.email, role: input.role },
        })
        return { userId: user.id, email: user.email, name: user.name, role: input.role, createdAt: added[0]!.createdAt }
      })
      await announceQuotaWarnings(ctx.services, input.orgId)
      return member
    }),

  setRole: authedProcedure
    .input(z.object({ orgId: Id, userId: Id, role: RoleInput }))
    .mutation(async ({ ctx, input }) => {
      await requireOrgRole(ctx, input.orgId, 'org.manageMembers')
      let changed = false
      const result = await ctx.services.db.transaction(async (tx) => {
        await lockOrg(tx, input.orgId)
        const actor = await lockedActorRole(tx, ctx.principal, input.orgId, 'org.manageMembers')
        const current = await memberRole(tx, input.orgId, input.userId)
        if (!current) throw memberNotFound()
        checkRoleChange(actor, current, input.role)
        if (current === input.role) return { userId: input.userId, role: input.role }
        changed = true
        if (current === 'owner') await ensureAnotherOwner(tx, input.orgId, input.userId)
        await tx
          .update(tables.memberships)
          .set({ role: input.role })
          .where(and(eq(tables.memberships.orgId, input.orgId), eq(tables.memberships.userId, input.userId)))
        await writeAudit(tx, ctx.principal, {
          orgId: input.orgId,
          action: 'member.setRole',
          targetType: 'user',
          targetId: input.userId,
          details: { from: current, to: input.role },
        })
        return { userId: input.userId, role: input.role }
      })
      // After the commit: open collab connections of this person are re-checked (a demoted editor turns read-only).
      if (changed)
        publishAccessChange(ctx.services, { orgId: input.orgId, userId: input.userId, reason: 'role-changed' })
      return result
    }),

  /** Removes a member; any member may remove themselves (leave), except the last owner. */
  remove: authedProcedure.input(z.object({ orgId: Id, userId: Id })).mutation(async ({ ctx, input }) => {
    const p = ctx.principal
    const leaving = p.kind === 'user' && p.user.id === input.userId
    const action = leaving ? 'org.read' : 'org.manageMembers'
    await requireOrgRole(ctx, input.orgId, action)
    const result = await ctx.services.db.transaction(async (tx) => {
      await lockOrg(tx, input.orgId)
      const actor = await lockedActorRole(tx, ctx.principal, input.orgId, action)
      const current = await memberRole(tx, input.orgId, input.userId)
      if (!current) throw memberNotFound()
      if (!leaving) checkRoleChange(actor, current, null)
      if (current === 'owner') await ensureAnotherOwner(tx, input.orgId, input.userId)
      await tx
        .delete(tables.memberships)
        .where(and(eq(tables.memberships.orgId, input.orgId), eq(tables.memberships.userId, input.userId)))
      await writeAudit(tx, ctx.principal, {
        orgId: input.orgId,
        action: leaving ? 'member.leave' : 'member.remove',
        targetType: 'user',
        targetId: input.userId,
        details: { role: current },
      })
      return { ok: true as const }
    })
    // After the commit: their open collab connections to this organization's documents are closed.
    publishAccessChange(ctx.services, { orgId: input.orgId, userId: input.userId, reason: 'removed' })
    await recordGauges(ctx.services.db, input.orgId).catch((err) =>
      ctx.services.log.error({ err }, 'could not record the seat gauge'),
    )
    return result
  }),
})
