import { ErrorCode, MAX_NARRATION_CHARS, retell } from '@cutroom/schema'
import { z } from 'zod'
import { loadDocumentForPrincipal } from '../access'
import { apiError } from '../apiError'
import { writeAudit } from '../audit'
import { readDocumentState } from '../documents/readDocumentState'
import { idempotent } from '../idempotency'
import { assertProcessingAllowed } from '../media/mediaQuota'
import { mediaOf } from '../media/mediaOf'
import { actorOf } from '../principal'
import { rateLimit } from '../rateLimit'
import { authedProcedure, router } from '../trpc'
import { Id } from './inputs'

/** Most narration blocks one call synthesizes (a long script is synthesized in parts). */
export const MAX_SYNTHESIZE_BLOCKS = 100

/** Retell (narration) scripts: synthesized narration. */
export const retellRouter = router({
  /**
   * Dispatches one `tts` job per narration block (all blocks with text, or the `blockIds` named). When a job
   * succeeds, its audio and duration are patched into the block, live for everyone, and the linked timeline's
   * narration track follows. Owners, admins and editors.
   */
  synthesize: authedProcedure
    .use(rateLimit('retell.synthesize', 300, 60 * 60))
    .use(idempotent)
    .input(
      z.object({
        documentId: Id,
        blockIds: z.array(z.string().min(1).max(100)).min(1).max(MAX_SYNTHESIZE_BLOCKS).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { document, project, access, role } = await loadDocumentForPrincipal(ctx, input.documentId, 'document.read')
      if (access !== 'write')
        throw apiError(ErrorCode.FORBIDDEN_ROLE, `A ${role} cannot synthesize this script's narration.`)
      if (document.kind !== 'retell')
        throw apiError(ErrorCode.BAD_INPUT, 'Narration is synthesized from retell scripts.')
      const doc = await readDocumentState(ctx.services.db, document.id)
      let blocks: Extract<retell.RetellBlock, { type: 'narration' }>[]
      try {
        blocks = retell.readBlocks(doc).filter((b) => b.type === 'narration')
      } finally {
        doc.destroy()
      }
      if (input.blockIds) {
        const byId = new Map(blocks.map((b) => [b.id, b]))
        const missing = input.blockIds.find((id) => !byId.has(id))
        if (missing !== undefined)
          throw apiError(ErrorCode.NOT_FOUND, `This script has no narration block ${missing.slice(0, 100)}.`)
        blocks = [...new Set(input.blockIds)].map((id) => byId.get(id)!)
        const empty = blocks.find((b) => !retell.normalizeNarrationText(b.text))
        if (empty)
          throw apiError(ErrorCode.BAD_INPUT, 'That narration block has no text yet; write what the voice says first.')
      } else {
        blocks = blocks.filter((b) => b.id && retell.normalizeNarrationText(b.text))
        if (blocks.length === 0)
          throw apiError(ErrorCode.BAD_INPUT, 'This script has no narration with text to synthesize yet.')
        if (blocks.length > MAX_SYNTHESIZE_BLOCKS)
          throw apiError(
            ErrorCode.BAD_INPUT,
            `This script has ${blocks.length} narration blocks; synthesize at most ${MAX_SYNTHESIZE_BLOCKS} at once by naming them.`,
          )
      }
      const long = blocks.find((b) => b.text.length > MAX_NARRATION_CHARS)
      if (long)
        throw apiError(
          ErrorCode.PAYLOAD_TOO_LARGE,
          `A narration block is longer than ${MAX_NARRATION_CHARS} characters; split it.`,
        )
      await assertProcessingAllowed(ctx.services.db, project.orgId)
      const createdBy = actorOf(ctx.principal).userId
      const media = mediaOf(ctx.services)
      const payloads = await ctx.services.db.transaction(async (tx) => {
        const inserted = await media.dispatcher.insert(
          tx,
          blocks.map((b) => ({
            kind: 'tts' as const,
            orgId: project.orgId,
            projectId: project.id,
            assetId: null,
            input: {
              text: retell.normalizeNarrationText(b.text),
              voice: b.voice,
              documentId: document.id,
              blockId: b.id,
              fingerprint: retell.narrationFingerprint(b.text, b.voice),
            },
            createdBy,
          })),
        )
        await writeAudit(tx, ctx.principal, {
          orgId: project.orgId,
          action: 'retell.synthesize',
          targetType: 'document',
          targetId: document.id,
          details: { projectId: project.id, blocks: blocks.length, jobIds: inserted.map((p) => p.jobId).slice(0, 20) },
        })
        return inserted
      })
      await media.dispatcher.publish(payloads)
      return { jobs: payloads.map((p, i) => ({ blockId: blocks[i]!.id, jobId: p.jobId })) }
    }),
})
