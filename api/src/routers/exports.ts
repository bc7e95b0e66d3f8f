import {
  CAPTION_SOURCES,
  CAPTION_STYLES,
  type ExportCaptions,
  CutroomError,
  ErrorCode,
  type ExportInput,
  ExportPresetSchema,
  isUuid,
  PRESET_SIZES,
  tables,
} from '@cutroom/schema'
import { and, desc, eq, inArray, sql } from 'drizzle-orm'
import * as Y from 'yjs'
import { z } from 'zod'
import { resolveBrandKit } from '../brandKits/resolveBrandKit'
import { loadDocumentForPrincipal, loadProjectForPrincipal } from '../access'
import { apiError } from '../apiError'
import { writeAudit } from '../audit'
import { readDocumentState } from '../documents/readDocumentState'
import { timelineSnapshot } from '../exports/timelineSnapshot'
import { captionTranscripts, transcriptCaptions } from '../exports/transcriptCaptions'
import { idempotent } from '../idempotency'
import { assertConcurrencyAllowed, assertProcessingAllowed } from '../media/mediaQuota'
import { mediaOf } from '../media/mediaOf'
import { actorOf } from '../principal'
import { rateLimit } from '../rateLimit'
import { safeFileName, sourceKey } from '../storage/storageKeys'
import { authedProcedure, router } from '../trpc'
import { Id } from './inputs'

/** A job message must fit NATS' default 1 MiB payload with room for headers. */
const MAX_PAYLOAD_BYTES = 900_000
/** Asset statuses whose file is in storage and probed (the render needs to know what streams it has). */
const EXPORTABLE = ['processing', 'ready'] as const

interface ProbedMetadata {
  durationSeconds?: number
  hasVideo?: boolean
  hasAudio?: boolean
}

/** The stack id of the timeline's earlier exports (null before the first), from its export jobs. */
async function exportStackOf(db: Parameters<typeof readDocumentState>[0], projectId: string, documentId: string): Promise<string | null> {
  const [row] = await db
    .select({ stackId: tables.assets.stackId })
    .from(tables.jobs)
    .innerJoin(tables.assets, eq(tables.assets.id, tables.jobs.assetId))
    .where(
      and(
        eq(tables.jobs.projectId, projectId),
        eq(tables.jobs.kind, 'export'),
        sql`${tables.jobs.payload}->'input'->>'documentId' = ${documentId}`,
      ),
    )
    .orderBy(tables.assets.version)
    .limit(1)
  return row?.stackId ?? null
}

/** `exports.*`: renders of a timeline, each a new version of the timeline's export stack. */
export const exportsRouter = router({
  /**
   * Snapshots the timeline (live, or at `versionId`), checks every clip's media, and dispatches an `export` job
   * whose output becomes the next version of the timeline's export stack. Owners, admins and editors.
   */
  create: authedProcedure
    .use(rateLimit('exports.create', 200, 60 * 60))
    .use(idempotent)
    .input(
      z.object({
        documentId: Id,
        versionId: Id.optional(),
        preset: ExportPresetSchema,
        brandKitId: Id.optional(),
        /**
         * Burn in captions with this style, from the caption track (the default) or from the words of a transcript
         * of media the storyline plays, at their own times; absent or null for none.
         */
        captions: z
          .object({ style: z.enum(CAPTION_STYLES), source: z.enum(CAPTION_SOURCES).optional(), transcriptDocumentId: Id.optional() })
          .refine((c) => (c.source ?? 'track') !== 'transcript' || !!c.transcriptDocumentId, {
            message: 'Choose the transcript the captions come from.',
            path: ['transcriptDocumentId'],
          })
          .refine((c) => c.source !== 'track' || !c.transcriptDocumentId, {
            message: 'Captions from the caption track take no transcript; choose one source.',
            path: ['transcriptDocumentId'],
          })
          .nullable()
          .optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { document, project } = await loadDocumentForPrincipal(ctx, input.documentId, 'job.dispatch')
      if (document.kind !== 'timeline') throw apiError(ErrorCode.BAD_INPUT, 'Only timelines can be exported.')
      const db = ctx.services.db
      let doc: Y.Doc
      let versionName: string | null = null
      if (input.versionId) {
        const [version] = isUuid(input.versionId)
          ? await db
              .select({ state: tables.docVersions.state, name: tables.docVersions.name })
              .from(tables.docVersions)
              .where(and(eq(tables.docVersions.id, input.versionId), eq(tables.docVersions.docId, document.id)))
          : []
        if (!version) throw apiError(ErrorCode.NOT_FOUND, 'Version not found.')
        doc = new Y.Doc()
        Y.applyUpdate(doc, version.state)
        versionName = version.name
      } else doc = await readDocumentState(db, document.id)
      let snapshot: ReturnType<typeof timelineSnapshot>
      let captions: ExportCaptions | null = null
      try {
        snapshot = timelineSnapshot(doc)
        // the transcript is read right after the timeline: the render uses both as they are now
        const transcriptId = input.captions?.transcriptDocumentId
        if (input.captions)
          captions = transcriptId
            ? { style: input.captions.style, source: 'transcript', transcript: await transcriptCaptions(db, project.id, transcriptId, snapshot.timeline) }
            : { style: input.captions.style, source: 'track' }
      } catch (err) {
        if (err instanceof CutroomError) throw apiError(err.code, err.message)
        throw err
      } finally {
        doc.destroy()
      }
      // the kit's current version, resolved now: the job and its audit row record exactly what the render used
      const brandKit = input.brandKitId ? await resolveBrandKit(db, project.orgId, input.brandKitId) : null
      if (input.brandKitId && !brandKit) throw apiError(ErrorCode.NOT_FOUND, 'Brand kit not found in this organization.')

      const rows = await db
        .select({
          id: tables.assets.id,
          filename: tables.assets.filename,
          status: tables.assets.status,
          error: tables.assets.error,
          storageKey: tables.assets.storageKey,
          metadata: tables.assets.metadata,
        })
        .from(tables.assets)
        .where(and(eq(tables.assets.projectId, project.id), inArray(tables.assets.id, snapshot.assetIds.filter(isUuid))))
      const byId = new Map(rows.map((r) => [r.id, r]))
      const fps = snapshot.timeline.fps
      const nameOf = (assetId: string) => {
        const clip = snapshot.clips.find((c) => c.assetId === assetId)
        return clip ? `Clip "${clip.label}"` : 'An item on another track'
      }
      for (const assetId of snapshot.assetIds) {
        const asset = byId.get(assetId)
        if (!asset)
          throw apiError(ErrorCode.BAD_INPUT, `${nameOf(assetId)} plays media that is not in this project any more; replace or remove it, then export.`)
        if (asset.status === 'failed' || asset.status === 'rejected')
          throw apiError(
            ErrorCode.BAD_INPUT,
            `${nameOf(assetId)} plays ${asset.filename}, which ${asset.status === 'rejected' ? 'is not playable media' : 'failed to process'}; replace it, then export.`,
          )
        if (!(EXPORTABLE as readonly string[]).includes(asset.status) || !asset.metadata)
          throw apiError(ErrorCode.INVALID_STATE, `${nameOf(assetId)} plays ${asset.filename}, which is still ${asset.status}; export once it is ready.`)
      }
      for (const clip of snapshot.clips) {
        const meta = (byId.get(clip.assetId)!.metadata ?? {}) as ProbedMetadata
        const frames = Math.floor(((meta.durationSeconds ?? 0) * fps.num) / fps.den + 1e-6)
        if (meta.durationSeconds && clip.sourceOut > frames + 1)
          throw apiError(
            ErrorCode.BAD_INPUT,
            `Clip "${clip.label}" ends at frame ${clip.sourceOut} but ${byId.get(clip.assetId)!.filename} has ${frames} frames; trim the clip, then export.`,
          )
      }
      // synthesized narration plays its tts artifact: this organization's, made for this project
      const voices = snapshot.narrationArtifactIds.length
        ? await db
            .select({ id: tables.artifacts.id, storageKey: tables.artifacts.storageKey })
            .from(tables.artifacts)
            .where(
              and(
                inArray(tables.artifacts.id, snapshot.narrationArtifactIds),
                eq(tables.artifacts.orgId, project.orgId),
                eq(tables.artifacts.slot, 'narration'),
              ),
            )
        : []
      const voiceKeys = new Map(
        voices
          .filter((v) => v.storageKey.startsWith(`orgs/${project.orgId}/projects/${project.id}/`))
          .map((v) => [v.id, v.storageKey]),
      )
      const lostVoice = snapshot.timeline.anchored.find(
        (a) => a.assetId && snapshot.narrationArtifactIds.includes(a.assetId) && !voiceKeys.has(a.assetId),
      )
      if (lostVoice)
        throw apiError(
          ErrorCode.INVALID_STATE,
          `The narration ${lostVoice.text ? `"${lostVoice.text.slice(0, 40)}" ` : ''}has no audio in this project any more; synthesize it again, then export.`,
        )
      await assertProcessingAllowed(db, project.orgId)

      const preset = input.preset
      const size = PRESET_SIZES[preset]
      const extension = preset === 'audio-wav' ? 'wav' : 'mp4'
      const createdBy = actorOf(ctx.principal).userId
      const assetId: string = crypto.randomUUID()
      const media = mediaOf(ctx.services)
      const { payloads, version } = await db.transaction(async (tx) => {
        // locks the organization's row: two first exports of one timeline cannot both start a stack
        await assertConcurrencyAllowed(tx, project.orgId, 1)
        const existing = await exportStackOf(tx as unknown as typeof db, project.id, document.id)
        let stack = { stackId: assetId, version: 1 }
        if (existing) {
          // one new version of a stack at a time: the next number is read and taken under the same lock
          await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${existing}, 0))`)
          const [last] = await tx
            .select({ version: sql<number>`max(${tables.assets.version})`.mapWith(Number) })
            .from(tables.assets)
            .where(eq(tables.assets.stackId, existing))
          stack = { stackId: existing, version: (last?.version ?? 0) + 1 }
        }
        const filename = `${safeFileName(document.title).replace(/\.[^.]*$/, '').slice(0, 100)} export v${stack.version}.${extension}`
        const key = sourceKey(project.orgId, project.id, assetId, filename)
        await tx.insert(tables.assets).values({
          id: assetId,
          ...stack,
          orgId: project.orgId,
          projectId: project.id,
          filename,
          contentType: preset === 'audio-wav' ? 'audio/wav' : 'video/mp4',
          size: 0,
          status: 'processing',
          storageKey: key,
          createdBy,
        })
        const jobInput: ExportInput = {
          documentId: document.id,
          versionId: input.versionId ?? null,
          preset,
          assetId,
          outputKey: key,
          size,
          captions,
          brandKit: brandKit ? { id: brandKit.brandKitId, version: brandKit.version, spec: brandKit.spec } : null,
          timeline: snapshot.timeline,
          sources: [
            ...snapshot.assetIds.map((id) => {
              const a = byId.get(id)!
              const meta = (a.metadata ?? {}) as ProbedMetadata
              return { assetId: id, sourceKey: a.storageKey, filename: a.filename.slice(0, 255), hasVideo: !!meta.hasVideo, hasAudio: !!meta.hasAudio }
            }),
            ...[...voiceKeys].map(([id, key]) => ({ assetId: id, sourceKey: key, filename: 'narration.wav', hasVideo: false, hasAudio: true })),
          ],
        }
        if (JSON.stringify(jobInput).length > MAX_PAYLOAD_BYTES)
          throw apiError(ErrorCode.BAD_INPUT, 'This timeline is too large to export in one job; export it in parts.')
        const payloads = await media.dispatcher
          .insert(tx, [{ kind: 'export', orgId: project.orgId, projectId: project.id, assetId, input: jobInput, createdBy }])
          .catch((err: unknown) => {
            if (err instanceof z.ZodError)
              throw apiError(ErrorCode.BAD_INPUT, `This timeline cannot be exported: ${err.issues[0]?.message ?? 'it is not valid'}.`)
            throw err
          })
        await writeAudit(tx, ctx.principal, {
          orgId: project.orgId,
          action: 'export.create',
          targetType: 'document',
          targetId: document.id,
          details: {
            projectId: project.id,
            assetId,
            jobId: payloads[0]!.jobId,
            preset,
            versionId: input.versionId ?? null,
            versionName,
            captions: input.captions?.style ?? null,
            captionsSource: captions?.source ?? null,
            transcriptDocumentId: captions?.transcript?.documentId ?? null,
            brandKitId: brandKit?.brandKitId ?? null,
            brandKitVersion: brandKit?.version ?? null,
            stackId: stack.stackId,
            version: stack.version,
          },
        })
        return { payloads, version: stack.version }
      })
      await media.dispatcher.publish(payloads)
      return { jobId: payloads[0]!.jobId, assetId, version }
    }),

  /**
   * What an export of the timeline can take its captions from: the project's transcripts linked to media a
   * storyline clip plays (the caption track is always offered). Anyone who can read the timeline.
   */
  captionSources: authedProcedure.input(z.object({ documentId: Id })).query(async ({ ctx, input }) => {
    const { document, project } = await loadDocumentForPrincipal(ctx, input.documentId, 'document.read')
    if (document.kind !== 'timeline') throw apiError(ErrorCode.BAD_INPUT, 'Only timelines are exported.')
    const doc = await readDocumentState(ctx.services.db, document.id)
    let timeline: ReturnType<typeof timelineSnapshot>['timeline'] | null = null
    try {
      timeline = timelineSnapshot(doc).timeline
    } catch (err) {
      // an empty timeline has no media, so no transcript to offer
      if (!(err instanceof CutroomError)) throw err
    } finally {
      doc.destroy()
    }
    return { transcripts: timeline ? await captionTranscripts(ctx.services.db, project.id, timeline) : [] }
  }),

  /** The project's exports, newest first: the version, its job's state and progress. Anyone who can read the project. */
  list: authedProcedure.input(z.object({ projectId: Id })).query(async ({ ctx, input }) => {
    const { project } = await loadProjectForPrincipal(ctx, input.projectId, 'job.read')
    const rows = await ctx.services.db
      .select({
        jobId: tables.jobs.id,
        assetId: tables.assets.id,
        filename: tables.assets.filename,
        stackId: tables.assets.stackId,
        version: tables.assets.version,
        assetStatus: tables.assets.status,
        size: tables.assets.size,
        status: tables.jobs.status,
        progress: tables.jobs.progress,
        error: tables.jobs.error,
        startedAt: tables.jobs.startedAt,
        finishedAt: tables.jobs.finishedAt,
        createdAt: tables.jobs.createdAt,
        documentId: sql<string>`${tables.jobs.payload}->'input'->>'documentId'`,
        preset: sql<string>`${tables.jobs.payload}->'input'->>'preset'`,
      })
      .from(tables.jobs)
      .innerJoin(tables.assets, eq(tables.assets.id, tables.jobs.assetId))
      .where(and(eq(tables.jobs.projectId, project.id), eq(tables.jobs.kind, 'export')))
      .orderBy(desc(tables.jobs.createdAt))
      .limit(200)
    return rows
  }),
})
