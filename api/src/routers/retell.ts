import { randomUUID } from 'node:crypto'
import { ErrorCode, RETELL_LIMITS, transcript } from '@cutroom/schema'
import { z } from 'zod'
import { loadDocumentForPrincipal } from '../access'
import { apiError } from '../apiError'
import { writeAudit } from '../audit'
import { transcriptSentences } from '../clips/transcriptSentences'
import { readDocumentState } from '../documents/readDocumentState'
import { requestDocPatch } from '../documents/requestDocPatch'
import { assertConcurrencyAllowed, assertProcessingAllowed } from '../media/mediaQuota'
import { mediaOf } from '../media/mediaOf'
import { actorOf } from '../principal'
import { rateLimit } from '../rateLimit'
import { authedProcedure, router } from '../trpc'
import { Id } from './inputs'

/** Retell scripts drafted from transcripts. */
export const retellRouter = router({
  /**
   * Dispatches a `retell` job that drafts chapters, an outline and narration with shot references from the
   * transcript and appends them to the retell document as new blocks of one draft. Editors and up (write access to
   * the script, read access to the transcript, both in one project).
   */
  generate: authedProcedure
    .use(rateLimit('retell.generate', 100, 60 * 60))
    .input(
      z.object({
        documentId: Id,
        transcriptDocumentId: Id,
        targetMinutes: z
          .number()
          .finite()
          .min(RETELL_LIMITS.minMinutes, `A retell is at least ${RETELL_LIMITS.minMinutes} minutes long.`)
          .max(RETELL_LIMITS.maxMinutes, `A retell is at most ${RETELL_LIMITS.maxMinutes} minutes long.`),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { document, project, access, role } = await loadDocumentForPrincipal(ctx, input.documentId, 'document.read')
      if (document.kind !== 'retell') throw apiError(ErrorCode.BAD_INPUT, 'Drafts are generated into retell documents.')
      if (access !== 'write') throw apiError(ErrorCode.FORBIDDEN_ROLE, `A ${role} cannot change this script.`)
      const source = await loadDocumentForPrincipal(ctx, input.transcriptDocumentId, 'document.read')
      if (source.document.projectId !== project.id) throw apiError(ErrorCode.NOT_FOUND, 'Document not found.')
      if (source.document.kind !== 'transcript')
        throw apiError(ErrorCode.BAD_INPUT, 'A retell is drafted from a transcript document.')
      const doc = await readDocumentState(ctx.services.db, source.document.id)
      let assetId: string
      let sentences: ReturnType<typeof transcriptSentences>
      try {
        assetId = transcript.getMeta(doc).assetId
        sentences = transcriptSentences(doc)
      } finally {
        doc.destroy()
      }
      if (!assetId) throw apiError(ErrorCode.BAD_INPUT, 'This transcript is not linked to an asset, so a draft would have no shots.')
      if (sentences.length === 0)
        throw apiError(ErrorCode.INVALID_STATE, 'This transcript has no timed words yet; transcribe the asset first.')
      await assertProcessingAllowed(ctx.services.db, project.orgId)
      const draftId = randomUUID()
      const createdBy = actorOf(ctx.principal).userId
      const payloads = await ctx.services.db.transaction(async (tx) => {
        await assertConcurrencyAllowed(tx, project.orgId, 1)
        const payloads = await mediaOf(ctx.services).dispatcher.insert(tx, [
          {
            kind: 'retell',
            orgId: project.orgId,
            projectId: project.id,
            // the draft is a document change, not processing of the asset: the asset's status is not its business
            assetId: null,
            input: {
              documentId: document.id,
              transcriptDocumentId: source.document.id,
              draftId,
              targetMinutes: input.targetMinutes,
              assetId,
              fps: { num: project.fpsNum, den: project.fpsDen },
              sentences,
            },
            createdBy,
          },
        ])
        await writeAudit(tx, ctx.principal, {
          orgId: project.orgId,
          action: 'retell.generate',
          targetType: 'document',
          targetId: document.id,
          details: {
            jobId: payloads[0]!.jobId,
            draftId,
            transcriptDocumentId: source.document.id,
            targetMinutes: input.targetMinutes,
          },
        })
        return payloads
      })
      await mediaOf(ctx.services).dispatcher.publish(payloads)
      return { jobId: payloads[0]!.jobId, draftId }
    }),

  /** Removes one generated draft's blocks from the script, live for everyone, leaving people's blocks. Editors. */
  discardDraft: authedProcedure.input(z.object({ documentId: Id, draftId: z.string().uuid() })).mutation(async ({ ctx, input }) => {
    const { document, project, access, role } = await loadDocumentForPrincipal(ctx, input.documentId, 'document.read')
    if (document.kind !== 'retell') throw apiError(ErrorCode.BAD_INPUT, 'Drafts live in retell documents.')
    if (access !== 'write') throw apiError(ErrorCode.FORBIDDEN_ROLE, `A ${role} cannot change this script.`)
    const reply = await requestDocPatch(ctx, document.id, {
      type: 'retell-discard-draft',
      draftId: input.draftId,
      actorUserId: actorOf(ctx.principal).userId,
    })
    const removed = reply.removed ?? 0
    if (removed === 0) throw apiError(ErrorCode.NOT_FOUND, 'This draft is not in the script (already discarded?).')
    await writeAudit(ctx.services.db, ctx.principal, {
      orgId: project.orgId,
      action: 'retell.discardDraft',
      targetType: 'document',
      targetId: document.id,
      details: { draftId: input.draftId, removed },
    })
    return { removed }
  }),
})
