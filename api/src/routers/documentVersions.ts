import { ErrorCode, isUuid, tables } from '@cutroom/schema'
import { TRPCError } from '@trpc/server'
import { desc, eq } from 'drizzle-orm'
import { z } from 'zod'
import { loadDocumentForPrincipal } from '../access'
import { apiError, stableCodeOf } from '../apiError'
import { writeAudit } from '../audit'
import { requestDocPatch } from '../documents/requestDocPatch'
import { actorOf } from '../principal'
import { rateLimit } from '../rateLimit'
import { authedProcedure, router } from '../trpc'
import { Id } from './inputs'

const versionColumns = {
  id: tables.docVersions.id,
  documentId: tables.docVersions.docId,
  name: tables.docVersions.name,
  createdBy: tables.docVersions.createdBy,
  createdAt: tables.docVersions.createdAt,
}

/**
 * `documents.versions.*`: named checkpoints of a document. The collab server reads the live state and applies
 * restores as a new change (live, history never rewritten); this router checks roles and writes the audit trail.
 */
export const documentVersionsRouter = router({
  /** Keeps the live state of a document as a named version. Needs write access to the document kind. */
  create: authedProcedure
    .use(rateLimit('documents.versions.create', 300, 60 * 60))
    .input(z.object({ documentId: Id, name: z.string().trim().min(1, 'Name the version.').max(200) }))
    .mutation(async ({ ctx, input }) => {
      const { document, project, access } = await loadDocumentForPrincipal(ctx, input.documentId, 'document.read')
      if (access !== 'write')
        throw apiError(
          ErrorCode.FORBIDDEN_ROLE,
          `Your role cannot change this ${document.kind} document, so it cannot version it.`,
        )
      const reply = await requestDocPatch(ctx, document.id, {
        type: 'create-version',
        name: input.name,
        actorUserId: actorOf(ctx.principal).userId,
      })
      const [version] = await ctx.services.db
        .select(versionColumns)
        .from(tables.docVersions)
        .where(eq(tables.docVersions.id, reply.versionId!))
      await writeAudit(ctx.services.db, ctx.principal, {
        orgId: project.orgId,
        action: 'document.version.create',
        targetType: 'document',
        targetId: document.id,
        details: { versionId: reply.versionId, name: input.name },
      })
      return version!
    }),

  /** Versions of a document, newest first. */
  list: authedProcedure.input(z.object({ documentId: Id })).query(async ({ ctx, input }) => {
    const { document } = await loadDocumentForPrincipal(ctx, input.documentId, 'document.read')
    return ctx.services.db
      .select(versionColumns)
      .from(tables.docVersions)
      .where(eq(tables.docVersions.docId, document.id))
      .orderBy(desc(tables.docVersions.createdAt))
      .limit(500)
  }),

  /**
   * Makes the document equal to a version again, as a new change everyone sees live. Needs write access to the
   * document kind. `undoVersionId` is the state from just before: restoring it undoes the restore.
   */
  restore: authedProcedure
    .use(rateLimit('documents.versions.restore', 100, 60 * 60))
    .input(z.object({ versionId: Id }))
    .mutation(async ({ ctx, input }) => {
      const notFound = () => apiError(ErrorCode.NOT_FOUND, 'Version not found.')
      if (!isUuid(input.versionId)) throw notFound()
      const [row] = await ctx.services.db
        .select({ documentId: tables.docVersions.docId, name: tables.docVersions.name })
        .from(tables.docVersions)
        .where(eq(tables.docVersions.id, input.versionId))
      if (!row) throw notFound()
      // Another tenant's version answers exactly like a missing one.
      const { document, project, access } = await loadDocumentForPrincipal(ctx, row.documentId, 'document.read').catch(
        (err) => {
          throw err instanceof TRPCError && stableCodeOf(err) === ErrorCode.NOT_FOUND ? notFound() : err
        },
      )
      if (access !== 'write')
        throw apiError(
          ErrorCode.FORBIDDEN_ROLE,
          `Your role cannot change this ${document.kind} document, so it cannot restore it.`,
        )
      const reply = await requestDocPatch(ctx, document.id, {
        type: 'restore-version',
        versionId: input.versionId,
        actorUserId: actorOf(ctx.principal).userId,
      })
      await writeAudit(ctx.services.db, ctx.principal, {
        orgId: project.orgId,
        action: 'document.version.restore',
        targetType: 'document',
        targetId: document.id,
        details: { versionId: input.versionId, name: row.name, undoVersionId: reply.undoVersionId ?? null },
      })
      return { documentId: document.id, changed: reply.changed, undoVersionId: reply.undoVersionId ?? null }
    }),
})
