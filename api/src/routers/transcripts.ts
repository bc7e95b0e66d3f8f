import { documentAccess, documentName, ErrorCode, isUuid, SERVER_ORIGIN, tables, transcript } from '@cutroom/schema'
import { and, eq } from 'drizzle-orm'
import * as Y from 'yjs'
import { z } from 'zod'
import { loadProjectForPrincipal } from '../access'
import { apiError } from '../apiError'
import { writeAudit } from '../audit'
import { idempotent } from '../idempotency'
import { assertProcessingAllowed } from '../media/mediaQuota'
import { mediaOf } from '../media/mediaOf'
import { actorOf } from '../principal'
import { rateLimit } from '../rateLimit'
import { authedProcedure, router } from '../trpc'
import { Id } from './inputs'

/** Statuses in which an asset's bytes are in storage and can be transcribed. */
const TRANSCRIBABLE = ['uploaded', 'processing', 'ready'] as const

/** Seq 1 of a new transcript: the model's genesis with the asset and language it transcribes. */
function transcriptFirstUpdate(assetId: string, language: string): Uint8Array {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, transcript.genesis())
  doc.transact(() => {
    const meta = transcript.metaOf(doc)
    meta.set('assetId', assetId)
    meta.set('language', language)
    meta.set('source', 'transcribe')
  }, SERVER_ORIGIN)
  const update = Y.encodeStateAsUpdate(doc)
  doc.destroy()
  return update
}

/** Transcripts made from media: the document and the transcribe job that fills it in live. */
export const transcriptsRouter = router({
  /**
   * Creates a transcript document linked to the asset and dispatches a `transcribe` job that patches each
   * recognised speech segment into it as a paragraph while it runs. Owners, admins and editors.
   */
  create: authedProcedure
    .use(rateLimit('transcripts.create', 200, 60 * 60))
    .use(idempotent)
    .input(
      z.object({
        projectId: Id,
        assetId: Id,
        /** ISO 639-1, optionally with a region (`en`, `en-US`); the engine refuses a language it has no model for. */
        language: z
          .string()
          .regex(/^[a-z]{2,3}(-[A-Za-z]{2,4})?$/, 'Give the language as a code like en or en-US.')
          .optional(),
        title: z.string().trim().min(1).max(200).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { project, role } = await loadProjectForPrincipal(ctx, input.projectId, 'document.create')
      const [asset] = isUuid(input.assetId)
        ? await ctx.services.db
            .select({
              id: tables.assets.id,
              filename: tables.assets.filename,
              status: tables.assets.status,
              storageKey: tables.assets.storageKey,
            })
            .from(tables.assets)
            .where(and(eq(tables.assets.projectId, project.id), eq(tables.assets.id, input.assetId)))
        : []
      if (!asset) throw apiError(ErrorCode.NOT_FOUND, 'Asset not found in this project.')
      if (!(TRANSCRIBABLE as readonly string[]).includes(asset.status))
        throw apiError(
          ErrorCode.INVALID_STATE,
          `${asset.filename} is ${asset.status}; transcribe an asset whose upload has completed.`,
        )
      await assertProcessingAllowed(ctx.services.db, project.orgId)
      const language = input.language ?? 'en'
      const createdBy = actorOf(ctx.principal).userId
      const title = input.title ?? `${asset.filename} — transcript`.slice(0, 200)
      const { documentId, payloads } = await ctx.services.db.transaction(async (tx) => {
        const [doc] = await tx
          .insert(tables.documents)
          .values({ projectId: project.id, kind: 'transcript', title, createdBy })
          .returning({ id: tables.documents.id })
        await tx
          .insert(tables.docUpdates)
          .values({ docId: doc!.id, seq: 1, update: transcriptFirstUpdate(asset.id, language), userId: null })
        const payloads = await mediaOf(ctx.services).dispatcher.insert(tx, [
          {
            kind: 'transcribe',
            orgId: project.orgId,
            projectId: project.id,
            assetId: asset.id,
            input: { assetId: asset.id, sourceKey: asset.storageKey, language, documentId: doc!.id },
            createdBy,
          },
        ])
        await writeAudit(tx, ctx.principal, {
          orgId: project.orgId,
          action: 'transcript.create',
          targetType: 'document',
          targetId: doc!.id,
          details: { projectId: project.id, assetId: asset.id, language, jobId: payloads[0]!.jobId },
        })
        return { documentId: doc!.id, payloads }
      })
      await mediaOf(ctx.services).dispatcher.publish(payloads)
      return {
        documentId,
        jobId: payloads[0]!.jobId,
        name: documentName(documentId),
        access: documentAccess(role, 'transcript'),
      }
    }),
})
