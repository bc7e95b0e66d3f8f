import { randomUUID } from 'node:crypto'
import {
  documentAccess,
  documentName,
  ErrorCode,
  EXPORT_MAX_ITEMS,
  isUuid,
  MAX_NARRATION_CHARS,
  retell,
  RETELL_LIMITS,
  SERVER_ORIGIN,
  tables,
  transcript,
} from '@cutroom/schema'
import { and, eq, inArray } from 'drizzle-orm'
import { z } from 'zod'
import { loadDocumentForPrincipal } from '../access'
import { apiError } from '../apiError'
import { writeAudit } from '../audit'
import { transcriptSentences } from '../clips/transcriptSentences'
import { readDocumentState } from '../documents/readDocumentState'
import { requestDocPatch } from '../documents/requestDocPatch'
import { timelineFirstUpdate } from '../documents/timelineFirstUpdate'
import { idempotent } from '../idempotency'
import { mediaOf } from '../media/mediaOf'
import { assertConcurrencyAllowed, assertProcessingAllowed } from '../media/mediaQuota'
import { actorOf } from '../principal'
import { rateLimit } from '../rateLimit'
import { type AssemblySummary, assembleTimeline } from '../retell/assembleTimeline'
import { excerpt } from '../retell/excerpt'
import { authedProcedure, router } from '../trpc'
import { Id } from './inputs'

/** Most narration blocks one call synthesizes (a long script is synthesized in parts). */
export const MAX_SYNTHESIZE_BLOCKS = 100
/** Most shots an assembled timeline holds: what one export renders. */
export const MAX_ASSEMBLE_SHOTS = EXPORT_MAX_ITEMS

/** Asset statuses whose media is in storage, so a clip of it can play and be exported. */
const PLAYABLE = ['uploaded', 'processing', 'ready'] as const

const shotName = (i: number, label: string) => `Shot ${i + 1}${label.trim() ? ` (${excerpt(label)})` : ''}`

/** Retell (narration) scripts: drafts generated from transcripts, synthesized narration. */
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
  /**
   * Builds a new timeline from the script: its shots in order on the storyline, each synthesized narration block on
   * the narration track at the start of the shots that follow it, a marker at each chapter's start. The script is
   * not changed (its linked timeline stays the one it was). Refused, with nothing created, when the script has no
   * shots, a shot plays media that is missing or failed, or a narration block with text has no current audio
   * (synthesize first: a timeline that silently lacks its voice-over is not what anyone asks for). Editors and up.
   */
  assemble: authedProcedure
    .use(rateLimit('retell.assemble', 200, 60 * 60))
    .use(idempotent)
    .input(z.object({ documentId: Id }))
    .mutation(async ({ ctx, input }) => {
      const { document, project, access, role } = await loadDocumentForPrincipal(ctx, input.documentId, 'document.read')
      if (document.kind !== 'retell')
        throw apiError(
          ErrorCode.BAD_INPUT,
          `This document is a ${document.kind}, not a retell script; timelines are assembled from retell scripts.`,
        )
      if (access !== 'write')
        throw apiError(ErrorCode.FORBIDDEN_ROLE, `A ${role} cannot assemble a timeline from this script.`)
      const db = ctx.services.db
      const doc = await readDocumentState(db, document.id)
      let blocks: retell.RetellBlock[]
      let sampleRate: number
      try {
        blocks = retell.readBlocks(doc)
        sampleRate = retell.metaOf(doc).get('sampleRate') as number
      } finally {
        doc.destroy()
      }
      const shots = blocks.filter((b) => b.type === 'shot')
      if (shots.length === 0)
        throw apiError(
          ErrorCode.BAD_INPUT,
          'This script has no shots to assemble; insert shots from a timeline or draft it from a transcript first.',
        )
      if (shots.length > MAX_ASSEMBLE_SHOTS)
        throw apiError(
          ErrorCode.PAYLOAD_TOO_LARGE,
          `This script has ${shots.length} shots; a timeline is assembled from at most ${MAX_ASSEMBLE_SHOTS}.`,
        )
      const narration = blocks.filter(
        (b): b is Extract<retell.RetellBlock, { type: 'narration' }> => b.type === 'narration' && b.text.trim() !== '',
      )
      const silent = narration.filter((b) => !b.audioArtifactId || !b.duration)
      if (silent.length)
        throw apiError(
          ErrorCode.INVALID_STATE,
          `${silent.length === 1 ? 'A narration block has' : `${silent.length} narration blocks have`} no synthesized audio yet (${excerpt(silent[0]!.text)}); click Synthesize all, then assemble.`,
        )
      const stale = narration.filter((b) => retell.isNarrationStale(b))
      if (stale.length)
        throw apiError(
          ErrorCode.INVALID_STATE,
          `${stale.length === 1 ? 'A narration block was edited after its' : `${stale.length} narration blocks were edited after their`} audio was made (${excerpt(stale[0]!.text)}); synthesize again, then assemble.`,
        )
      // the audio must be this organization's narration (a script is editable: its ids are not trusted)
      const audioIds = [...new Set(narration.map((b) => b.audioArtifactId!))]
      const known = new Set(
        (audioIds.every(isUuid) && audioIds.length
          ? await db
              .select({ id: tables.artifacts.id })
              .from(tables.artifacts)
              .where(
                and(
                  inArray(tables.artifacts.id, audioIds),
                  eq(tables.artifacts.orgId, project.orgId),
                  eq(tables.artifacts.slot, 'narration'),
                ),
              )
          : []
        ).map((r) => r.id),
      )
      const lost = narration.find((b) => !known.has(b.audioArtifactId!))
      if (lost)
        throw apiError(
          ErrorCode.INVALID_STATE,
          `The audio of narration ${excerpt(lost.text)} is not available any more; synthesize it again, then assemble.`,
        )
      const assetIds = [...new Set(shots.map((s) => s.assetId))]
      const assets = new Map(
        (
          await db
            .select({
              id: tables.assets.id,
              filename: tables.assets.filename,
              status: tables.assets.status,
              metadata: tables.assets.metadata,
            })
            .from(tables.assets)
            .where(and(eq(tables.assets.projectId, project.id), inArray(tables.assets.id, assetIds.filter(isUuid))))
        ).map((a) => [a.id, a]),
      )
      const fps = { num: project.fpsNum, den: project.fpsDen }
      shots.forEach((s, i) => {
        const asset = assets.get(s.assetId)
        if (!asset)
          throw apiError(
            ErrorCode.BAD_INPUT,
            `${shotName(i, s.label)} plays media that is not in this project; remove the shot or insert it again from a timeline.`,
          )
        if (asset.status === 'failed' || asset.status === 'rejected')
          throw apiError(
            ErrorCode.BAD_INPUT,
            `${shotName(i, s.label)} plays ${asset.filename}, which ${asset.status === 'rejected' ? 'is not playable media' : 'failed to process'}; remove the shot or upload the media again.`,
          )
        if (!(PLAYABLE as readonly string[]).includes(asset.status))
          throw apiError(
            ErrorCode.INVALID_STATE,
            `${shotName(i, s.label)} plays ${asset.filename}, which is still uploading; assemble once its upload completes.`,
          )
        const seconds = (asset.metadata as { durationSeconds?: unknown } | null)?.durationSeconds
        const frames = typeof seconds === 'number' ? Math.floor((seconds * fps.num) / fps.den + 1e-6) : null
        if (frames !== null && s.sourceOut > frames + 1)
          throw apiError(
            ErrorCode.BAD_INPUT,
            `${shotName(i, s.label)} ends at frame ${s.sourceOut} but ${asset.filename} has ${frames} frames; trim the shot, then assemble.`,
          )
      })

      let summary: AssemblySummary | undefined
      const update = timelineFirstUpdate(project, (d) => {
        summary = assembleTimeline(d, blocks, { id: document.id, sampleRate }, SERVER_ORIGIN)
      })
      const result = summary!
      const title = `${document.title} (assembled)`.slice(0, 200)
      const createdBy = actorOf(ctx.principal).userId
      const row = await db.transaction(async (tx) => {
        const [row] = await tx
          .insert(tables.documents)
          .values({ projectId: project.id, kind: 'timeline', title, createdBy })
          .returning({ id: tables.documents.id, title: tables.documents.title, kind: tables.documents.kind })
        // the whole timeline is seq 1 of its log, written with its row: it never exists half assembled
        await tx.insert(tables.docUpdates).values({ docId: row!.id, seq: 1, update, userId: createdBy })
        await writeAudit(tx, ctx.principal, {
          orgId: project.orgId,
          action: 'retell.assemble',
          targetType: 'document',
          targetId: document.id,
          details: {
            projectId: project.id,
            timelineId: row!.id,
            clips: result.clips,
            durationFrames: result.durationFrames,
            narration: result.narration,
            markers: result.markers,
          },
        })
        return row!
      })
      return {
        documentId: row.id,
        name: documentName(row.id),
        title: row.title,
        access: documentAccess(role, row.kind),
        fps,
        ...result,
      }
    }),
})
