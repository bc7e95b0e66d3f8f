import {
  DISCOVER_LIMITS,
  DiscoverKeywordsSchema,
  DiscoverResultSchema,
  ErrorCode,
  isUuid,
  MAX_PATCH_UPDATE_BASE64,
  SERVER_ORIGIN,
  tables,
  timeline,
} from '@cutroom/schema'
import { and, asc, desc, eq, ne, sql } from 'drizzle-orm'
import * as Y from 'yjs'
import { z } from 'zod'
import { loadDocumentForPrincipal, loadProjectForPrincipal } from '../access'
import { apiError } from '../apiError'
import { writeAudit } from '../audit'
import { transcriptSentences } from '../clips/transcriptSentences'
import type { Context } from '../context'
import { readDocumentState } from '../documents/readDocumentState'
import { requestDocPatch } from '../documents/requestDocPatch'
import { assertConcurrencyAllowed, assertProcessingAllowed } from '../media/mediaQuota'
import { mediaOf } from '../media/mediaOf'
import { actorOf, type Principal } from '../principal'
import { rateLimit } from '../rateLimit'
import { authedProcedure, router } from '../trpc'
import { Id } from './inputs'

type Authed = Pick<Context, 'services'> & { principal: Principal }

/** Statuses in which an asset's bytes are in storage and can be analysed. */
const ANALYSABLE = ['uploaded', 'processing', 'ready'] as const

const Seconds = z
  .number()
  .finite()
  .min(DISCOVER_LIMITS.minSeconds, `Clips are at least ${DISCOVER_LIMITS.minSeconds} s long.`)
  .max(DISCOVER_LIMITS.maxSeconds, `Clips are at most ${DISCOVER_LIMITS.maxSeconds} s long.`)

const suggestionColumns = {
  id: tables.clipSuggestions.id,
  jobId: tables.clipSuggestions.jobId,
  assetId: tables.clipSuggestions.assetId,
  rank: tables.clipSuggestions.rank,
  startMs: tables.clipSuggestions.startMs,
  endMs: tables.clipSuggestions.endMs,
  score: tables.clipSuggestions.score,
  subScores: tables.clipSuggestions.subScores,
  reasons: tables.clipSuggestions.reasons,
  text: tables.clipSuggestions.text,
  status: tables.clipSuggestions.status,
  acceptedDocumentId: tables.clipSuggestions.acceptedDocumentId,
  decidedBy: tables.clipSuggestions.decidedBy,
  decidedAt: tables.clipSuggestions.decidedAt,
}

/** An asset the principal may take `action` on, with its project; another tenant's and a missing one: NOT_FOUND. */
async function loadAsset(ctx: Authed, assetId: string, action: 'job.dispatch' | 'asset.read') {
  const notFound = () => apiError(ErrorCode.NOT_FOUND, 'Asset not found.')
  if (!isUuid(assetId)) throw notFound()
  const [asset] = await ctx.services.db
    .select({
      id: tables.assets.id,
      projectId: tables.assets.projectId,
      filename: tables.assets.filename,
      status: tables.assets.status,
      storageKey: tables.assets.storageKey,
      metadata: tables.assets.metadata,
    })
    .from(tables.assets)
    .where(eq(tables.assets.id, assetId))
  if (!asset) throw notFound()
  const { project, role } = await loadProjectForPrincipal(ctx, asset.projectId, action).catch((err) => {
    throw (err as { cause?: { code?: string } }).cause?.code === ErrorCode.NOT_FOUND ? notFound() : err
  })
  return { asset, project, role }
}

/** A suggestion with its asset's project, for a principal who may take `action` there. */
async function loadSuggestion(ctx: Authed, suggestionId: string, action: 'job.dispatch') {
  const notFound = () => apiError(ErrorCode.NOT_FOUND, 'Suggestion not found.')
  if (!isUuid(suggestionId)) throw notFound()
  const [row] = await ctx.services.db
    .select({ ...suggestionColumns, projectId: tables.clipSuggestions.projectId })
    .from(tables.clipSuggestions)
    .where(eq(tables.clipSuggestions.id, suggestionId))
  if (!row) throw notFound()
  const { project, role } = await loadProjectForPrincipal(ctx, row.projectId, action).catch((err) => {
    throw (err as { cause?: { code?: string } }).cause?.code === ErrorCode.NOT_FOUND ? notFound() : err
  })
  return { suggestion: row, project, role }
}

/** The newest transcript made from the asset (by its transcribe job) that still exists, or null. */
async function transcriptOf(ctx: Authed, assetId: string): Promise<string | null> {
  const rows = await ctx.services.db
    .select({ documentId: sql<string | null>`${tables.jobs.payload}->'input'->>'documentId'` })
    .from(tables.jobs)
    .innerJoin(
      tables.documents,
      sql`${tables.documents.id}::text = ${tables.jobs.payload}->'input'->>'documentId'`,
    )
    .where(and(eq(tables.jobs.assetId, assetId), eq(tables.jobs.kind, 'transcribe'), eq(tables.documents.kind, 'transcript')))
    .orderBy(desc(tables.jobs.createdAt))
    .limit(1)
  return rows[0]?.documentId ?? null
}

/** Clip discovery: ranked highlight suggestions of an asset, accepted into timelines or dismissed. */
export const clipsRouter = router({
  /**
   * Dispatches a `discover` job on the asset: windows of `minSeconds..maxSeconds` scored from scene cuts, loudness,
   * speech and, when the asset has a transcript, its sentences, hooks, fillers and the keywords. Editors and up.
   */
  discover: authedProcedure
    .use(rateLimit('clips.discover', 100, 60 * 60))
    .input(
      z
        .object({
          assetId: Id,
          minSeconds: Seconds,
          maxSeconds: Seconds,
          count: z.number().int().min(1).max(DISCOVER_LIMITS.maxCount),
          keywords: DiscoverKeywordsSchema.optional(),
        })
        .refine((i) => i.minSeconds <= i.maxSeconds, {
          message: 'The shortest clip is longer than the longest: give a minimum no greater than the maximum.',
          path: ['maxSeconds'],
        }),
    )
    .mutation(async ({ ctx, input }) => {
      const { asset, project } = await loadAsset(ctx, input.assetId, 'job.dispatch')
      if (!(ANALYSABLE as readonly string[]).includes(asset.status))
        throw apiError(ErrorCode.INVALID_STATE, `${asset.filename} is ${asset.status}; wait for its upload to complete.`)
      const duration = Number((asset.metadata as { durationSeconds?: unknown } | null)?.durationSeconds)
      if (Number.isFinite(duration) && duration > 0 && duration < input.minSeconds)
        throw apiError(
          ErrorCode.BAD_INPUT,
          `${asset.filename} is ${duration.toFixed(1)} s long; ask for clips of at most that length.`,
        )
      await assertProcessingAllowed(ctx.services.db, project.orgId)
      const transcriptDocumentId = await transcriptOf(ctx, asset.id)
      let sentences: ReturnType<typeof transcriptSentences> = []
      if (transcriptDocumentId) {
        const doc = await readDocumentState(ctx.services.db, transcriptDocumentId)
        try {
          sentences = transcriptSentences(doc)
        } finally {
          doc.destroy()
        }
      }
      const keywords = [...new Set((input.keywords ?? []).map((k) => k.toLowerCase()))]
      const createdBy = actorOf(ctx.principal).userId
      const payloads = await ctx.services.db.transaction(async (tx) => {
        await assertConcurrencyAllowed(tx, project.orgId, 1)
        const payloads = await mediaOf(ctx.services).dispatcher.insert(tx, [
          {
            kind: 'discover',
            orgId: project.orgId,
            projectId: project.id,
            assetId: asset.id,
            input: {
              assetId: asset.id,
              sourceKey: asset.storageKey,
              minSeconds: input.minSeconds,
              maxSeconds: input.maxSeconds,
              count: input.count,
              keywords,
              transcript:
                transcriptDocumentId && sentences.length ? { documentId: transcriptDocumentId, sentences } : undefined,
            },
            createdBy,
          },
        ])
        await writeAudit(tx, ctx.principal, {
          orgId: project.orgId,
          action: 'clips.discover',
          targetType: 'asset',
          targetId: asset.id,
          details: {
            jobId: payloads[0]!.jobId,
            minSeconds: input.minSeconds,
            maxSeconds: input.maxSeconds,
            count: input.count,
            keywords,
            transcriptDocumentId,
          },
        })
        return payloads
      })
      await mediaOf(ctx.services).dispatcher.publish(payloads)
      return { jobId: payloads[0]!.jobId, transcriptDocumentId, sentences: sentences.length }
    }),

  /**
   * The newest discover job of the asset and its suggestions in rank order (dismissed ones left out unless asked),
   * with what the job could not use. Anyone who can read the asset.
   */
  suggestions: authedProcedure
    .input(z.object({ assetId: Id, includeDismissed: z.boolean().optional() }))
    .query(async ({ ctx, input }) => {
      const { asset } = await loadAsset(ctx, input.assetId, 'asset.read')
      const [job] = await ctx.services.db
        .select({
          id: tables.jobs.id,
          status: tables.jobs.status,
          progress: tables.jobs.progress,
          error: tables.jobs.error,
          result: tables.jobs.result,
          createdAt: tables.jobs.createdAt,
          finishedAt: tables.jobs.finishedAt,
        })
        .from(tables.jobs)
        .where(and(eq(tables.jobs.assetId, asset.id), eq(tables.jobs.kind, 'discover')))
        .orderBy(desc(tables.jobs.createdAt))
        .limit(1)
      if (!job) return { job: null, suggestions: [] }
      const parsed = DiscoverResultSchema.safeParse(job.result)
      const summary = parsed.success
        ? {
            durationSeconds: parsed.data.durationSeconds,
            signals: parsed.data.signals,
            missing: parsed.data.missing,
            sceneCuts: parsed.data.sceneCuts.length,
            windowsScored: parsed.data.windowsScored,
            note: parsed.data.note ?? null,
          }
        : null
      const suggestions = await ctx.services.db
        .select(suggestionColumns)
        .from(tables.clipSuggestions)
        .where(
          and(
            eq(tables.clipSuggestions.jobId, job.id),
            input.includeDismissed ? undefined : ne(tables.clipSuggestions.status, 'dismissed'),
          ),
        )
        .orderBy(asc(tables.clipSuggestions.rank))
        .limit(DISCOVER_LIMITS.maxCount)
      return {
        job: {
          id: job.id,
          status: job.status,
          progress: job.progress,
          error: job.error,
          createdAt: job.createdAt,
          finishedAt: job.finishedAt,
          summary,
        },
        suggestions,
      }
    }),

  /**
   * Puts the suggestion at the end of the timeline's storyline, as a server change every open editor of the
   * timeline sees at once; the suggestion is marked accepted. Editors and up, with write access to the timeline.
   */
  accept: authedProcedure
    .use(rateLimit('clips.accept', 600, 60 * 60))
    .input(z.object({ suggestionId: Id, documentId: Id }))
    .mutation(async ({ ctx, input }) => {
      const { suggestion, project } = await loadSuggestion(ctx, input.suggestionId, 'job.dispatch')
      const { document, access, role } = await loadDocumentForPrincipal(ctx, input.documentId, 'document.read')
      if (document.projectId !== project.id) throw apiError(ErrorCode.NOT_FOUND, 'Document not found.')
      if (document.kind !== 'timeline') throw apiError(ErrorCode.BAD_INPUT, 'Clips are accepted into timelines.')
      if (access !== 'write') throw apiError(ErrorCode.FORBIDDEN_ROLE, `A ${role} cannot change this timeline.`)
      if (suggestion.status === 'accepted' && suggestion.acceptedDocumentId === document.id)
        throw apiError(ErrorCode.INVALID_STATE, 'This clip is already in that timeline.')
      const doc = await readDocumentState(ctx.services.db, document.id)
      let clipId: string
      let sourceIn: number
      let sourceOut: number
      let update: string
      try {
        const { fps } = timeline.getMeta(doc)
        sourceIn = Math.floor((suggestion.startMs * fps.num) / (1000 * fps.den))
        sourceOut = Math.max(sourceIn + 1, Math.round((suggestion.endMs * fps.num) / (1000 * fps.den)))
        const before = Y.encodeStateVector(doc)
        const label = `Highlight ${suggestion.rank}${suggestion.text ? `: ${suggestion.text}` : ''}`.slice(0, 200)
        clipId = timeline.insertClip(
          doc,
          {
            at: { index: timeline.storylineLayout(doc).length },
            assetId: suggestion.assetId,
            sourceIn,
            sourceOut,
            label,
          },
          SERVER_ORIGIN,
        )
        update = Buffer.from(Y.encodeStateAsUpdate(doc, before)).toString('base64')
      } finally {
        doc.destroy()
      }
      if (update.length > MAX_PATCH_UPDATE_BASE64)
        throw apiError(ErrorCode.PAYLOAD_TOO_LARGE, 'The clip could not be added to this timeline.')
      await requestDocPatch(ctx, document.id, { type: 'yjs-update', update, actorUserId: actorOf(ctx.principal).userId })
      const decidedBy = actorOf(ctx.principal).userId
      await ctx.services.db.transaction(async (tx) => {
        await tx
          .update(tables.clipSuggestions)
          .set({ status: 'accepted', acceptedDocumentId: document.id, decidedBy, decidedAt: new Date() })
          .where(eq(tables.clipSuggestions.id, suggestion.id))
        await writeAudit(tx, ctx.principal, {
          orgId: project.orgId,
          action: 'clips.accept',
          targetType: 'clip_suggestion',
          targetId: suggestion.id,
          details: { documentId: document.id, clipId, assetId: suggestion.assetId, sourceIn, sourceOut },
        })
      })
      return { clipId, documentId: document.id, sourceIn, sourceOut }
    }),

  /** Hides the suggestion from the list (it stays recorded as dismissed, by whom and when). Editors and up. */
  dismiss: authedProcedure.input(z.object({ suggestionId: Id })).mutation(async ({ ctx, input }) => {
    const { suggestion, project } = await loadSuggestion(ctx, input.suggestionId, 'job.dispatch')
    if (suggestion.status === 'dismissed') return { changed: false }
    await ctx.services.db.transaction(async (tx) => {
      await tx
        .update(tables.clipSuggestions)
        .set({ status: 'dismissed', decidedBy: actorOf(ctx.principal).userId, decidedAt: new Date() })
        .where(eq(tables.clipSuggestions.id, suggestion.id))
      await writeAudit(tx, ctx.principal, {
        orgId: project.orgId,
        action: 'clips.dismiss',
        targetType: 'clip_suggestion',
        targetId: suggestion.id,
        details: { assetId: suggestion.assetId, rank: suggestion.rank },
      })
    })
    return { changed: true }
  }),
})
