import { ErrorCode, roleAtLeast, tables } from '@cutroom/schema'
import { desc, eq } from 'drizzle-orm'
import { z } from 'zod'
import { requireOrgRole } from '../access'
import { apiError } from '../apiError'
import { generateApiKey } from '../apiKeys'
import { writeAudit } from '../audit'
import { idempotent } from '../idempotency'
import { actorOf } from '../principal'
import { publishAccessChange } from '../publishAccessChange'
import { rateLimit } from '../rateLimit'
import { authedProcedure, router } from '../trpc'
import { DisplayName, Id, RoleInput } from './inputs'

const keyColumns = {
  id: tables.apiKeys.id,
  orgId: tables.apiKeys.orgId,
  name: tables.apiKeys.name,
  role: tables.apiKeys.role,
  createdBy: tables.apiKeys.createdBy,
  createdAt: tables.apiKeys.createdAt,
  lastUsedAt: tables.apiKeys.lastUsedAt,
  revokedAt: tables.apiKeys.revokedAt,
}

export const apiKeysRouter = router({
  /** Returns the key once as `key`; only its hash is kept. Its role is at most the creator's. */
  create: authedProcedure
    .use(rateLimit('apiKeys.create', 30, 60 * 60))
    .use(idempotent)
    .input(z.object({ orgId: Id, name: DisplayName, role: RoleInput }))
    .mutation(async ({ ctx, input }) => {
      const actor = await requireOrgRole(ctx, input.orgId, 'org.manageApiKeys')
      if (!roleAtLeast(actor, input.role)) {
        throw apiError(ErrorCode.FORBIDDEN_ROLE, `A key cannot have a role (${input.role}) above yours (${actor}).`)
      }
      const { id, key, secretHash } = generateApiKey()
      return ctx.services.db.transaction(async (tx) => {
        const [row] = await tx
          .insert(tables.apiKeys)
          .values({
            id,
            orgId: input.orgId,
            name: input.name,
            role: input.role,
            secretHash,
            createdBy: actorOf(ctx.principal).userId,
          })
          .returning(keyColumns)
        await writeAudit(tx, ctx.principal, {
          orgId: input.orgId,
          action: 'apiKey.create',
          targetType: 'apiKey',
          targetId: id,
          details: { name: input.name, role: input.role },
        })
        return { ...row!, key }
      })
    }),

  /** Keys of an organization, newest first, without secrets. */
  list: authedProcedure.input(z.object({ orgId: Id })).query(async ({ ctx, input }) => {
    await requireOrgRole(ctx, input.orgId, 'org.manageApiKeys')
    return ctx.services.db
      .select(keyColumns)
      .from(tables.apiKeys)
      .where(eq(tables.apiKeys.orgId, input.orgId))
      .orderBy(desc(tables.apiKeys.createdAt))
  }),

  /** Revokes a key at once; revoking a revoked key is a no-op. */
  revoke: authedProcedure.input(z.object({ id: Id })).mutation(async ({ ctx, input }) => {
    const notFound = () => apiError(ErrorCode.NOT_FOUND, 'API key not found.')
    const [key] = await ctx.services.db
      .select({ orgId: tables.apiKeys.orgId, revokedAt: tables.apiKeys.revokedAt })
      .from(tables.apiKeys)
      .where(eq(tables.apiKeys.id, input.id))
    if (!key) throw notFound()
    await requireOrgRole(ctx, key.orgId, 'org.manageApiKeys').catch((err) => {
      throw err?.cause?.code === ErrorCode.NOT_FOUND ? notFound() : err
    })
    if (!key.revokedAt) {
      await ctx.services.db.transaction(async (tx) => {
        await tx.update(tables.apiKeys).set({ revokedAt: new Date() }).where(eq(tables.apiKeys.id, input.id))
        await writeAudit(tx, ctx.principal, {
          orgId: key.orgId,
          action: 'apiKey.revoke',
          targetType: 'apiKey',
          targetId: input.id,
        })
      })
      // After the commit: collab closes the key's open connections.
      publishAccessChange(ctx.services, { orgId: key.orgId, apiKeyId: input.id, reason: 'key-revoked' })
    }
    return { ok: true as const }
  }),
})
