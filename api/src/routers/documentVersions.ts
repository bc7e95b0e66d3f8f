import {
  type DocPatchReply,
  DocPatchReplySchema,
  type DocPatchRequest,
  ErrorCode,
  isUuid,
  Subjects,
  tables,
} from '@cutroom/schema'
import { TRPCError } from '@trpc/server'
import { desc, eq } from 'drizzle-orm'
import { z } from 'zod'
import { loadDocumentForPrincipal } from '../access'
import { apiError, stableCodeOf } from '../apiError'
import { writeAudit } from '../audit'
import type { Context } from '../context'
import { actorOf } from '../principal'
import { authedProcedure, router } from '../trpc'
import { Id } from './inputs'

const PATCH_TIMEOUT_MS = 15_000

const versionColumns = {
  id: tables.docVersions.id,
  documentId: tables.docVersions.docId,
  name: tables.docVersions.name,
  createdBy: tables.docVersions.createdBy,
  createdAt: tables.docVersions.createdAt,
}

/**
 * Sends a patch to the collab server that holds the live document (core NATS request/reply on
 * `patches.doc.<id>`); the collab instances answer in one queue group.
 */
async function requestPatch(ctx: Pick<Context, 'services'>, documentId: string, request: DocPatchRequest) {
  const nc = ctx.services.media?.nc
  if (!nc) throw apiError(ErrorCode.UNAVAILABLE, 'Versions are unavailable: the api has no connection to NATS.')
  let reply: DocPatchReply
  try {
    const msg = await nc.request(Subjects.docPatch(documentId), JSON.stringify(request), { timeout: PATCH_TIMEOUT_MS })
    reply = DocPatchReplySchema.parse(msg.json())
  } catch (err) {
    ctx.services.log.error({ err, documentId, type: request.type }, 'document patch request failed')
    throw apiError(ErrorCode.UNAVAILABLE, 'The collaboration server did not answer; try again in a moment.')
  }
  if (!reply.ok) throw apiError(reply.code, reply.message)
  return reply
}

/**
 * `documents.versions.*`: named checkpoints of a document. The collab server reads the live state and applies
 * restores as a new change (live, history never rewritten); this router checks roles and writes the audit trail.
 */
export const documentVersionsRouter = router({
  /** Keeps the live state of a document as a named version. Needs write access to the document kind. */
  create: authedProcedure
    .input(z.object({ documentId: Id, name: z.string().trim().min(1, 'Name the version.').max(200) }))
    .mutation(async ({ ctx, input }) => {
      const { document, project, access } = await loadDocumentForPrincipal(ctx, input.documentId, 'document.read')
      if (access !== 'write')
        throw apiError(
          ErrorCode.FORBIDDEN_ROLE,
          `Your role cannot change this ${document.kind} document, so it cannot version it.`,
        )
      const reply = await requestPatch(ctx, document.id, {
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
  restore: authedProcedure.input(z.object({ versionId: Id })).mutation(async ({ ctx, input }) => {
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
    const reply = await requestPatch(ctx, document.id, {
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
