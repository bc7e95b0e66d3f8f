import { DOCUMENT_KINDS, documentAccess, documentName, tables } from '@cutroom/schema'
import { asc, eq } from 'drizzle-orm'
import { z } from 'zod'
import { loadDocumentForPrincipal, loadProjectForPrincipal } from '../access'
import { writeAudit } from '../audit'
import { timelineFirstUpdate } from '../documents/timelineFirstUpdate'
import { idempotent } from '../idempotency'
import { actorOf } from '../principal'
import { rateLimit } from '../rateLimit'
import { authedProcedure, router } from '../trpc'
import { documentVersionsRouter } from './documentVersions'
import { Id } from './inputs'

const documentColumns = {
  id: tables.documents.id,
  projectId: tables.documents.projectId,
  kind: tables.documents.kind,
  title: tables.documents.title,
  createdAt: tables.documents.createdAt,
  updatedAt: tables.documents.updatedAt,
}

/** The documents registry: each row is a Yjs document served by collab as `doc:<uuid>`. */
export const documentsRouter = router({
  versions: documentVersionsRouter,
  create: authedProcedure
    .use(rateLimit('documents.create', 500, 60 * 60))
    .use(idempotent)
    .input(
      z.object({
        projectId: Id,
        kind: z.enum(DOCUMENT_KINDS),
        title: z.string().trim().min(1, 'Enter a title.').max(200),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { project, role } = await loadProjectForPrincipal(ctx, input.projectId, 'document.create')
      const doc = await ctx.services.db.transaction(async (tx) => {
        const [row] = await tx
          .insert(tables.documents)
          .values({
            projectId: project.id,
            kind: input.kind,
            title: input.title,
            createdBy: actorOf(ctx.principal).userId,
          })
          .returning(documentColumns)
        if (input.kind === 'timeline') {
          // seq 1 of the collab server's update log (it appends after the highest seq it finds)
          await tx.insert(tables.docUpdates).values({ docId: row!.id, seq: 1, update: timelineFirstUpdate(project), userId: null })
        }
        await writeAudit(tx, ctx.principal, {
          orgId: project.orgId,
          action: 'document.create',
          targetType: 'document',
          targetId: row!.id,
          details: { projectId: project.id, kind: input.kind, title: input.title },
        })
        return row!
      })
      return { ...doc, name: documentName(doc.id), access: documentAccess(role, doc.kind) }
    }),

  list: authedProcedure.input(z.object({ projectId: Id })).query(async ({ ctx, input }) => {
    const { project, role } = await loadProjectForPrincipal(ctx, input.projectId, 'document.read')
    const rows = await ctx.services.db
      .select(documentColumns)
      .from(tables.documents)
      .where(eq(tables.documents.projectId, project.id))
      .orderBy(asc(tables.documents.createdAt))
    return rows.map((d) => ({ ...d, name: documentName(d.id), access: documentAccess(role, d.kind) }))
  }),

  /** The document, its collab name, and what the caller may do with it (`access`: read | write). */
  get: authedProcedure.input(z.object({ id: Id })).query(async ({ ctx, input }) => {
    const { document, project, role, access } = await loadDocumentForPrincipal(ctx, input.id, 'document.read')
    return { ...document, name: documentName(document.id), orgId: project.orgId, role, access }
  }),
})
