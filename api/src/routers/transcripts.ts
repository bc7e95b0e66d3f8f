import {
  CutroomError,
  documentAccess,
  documentName,
  ErrorCode,
  isUuid,
  MAX_ALIGN_WORDS,
  MAX_PATCH_UPDATE_BASE64,
  SERVER_ORIGIN,
  tables,
  transcript,
} from '@cutroom/schema'
import { and, eq } from 'drizzle-orm'
import * as Y from 'yjs'
import { z } from 'zod'
import { loadDocumentForPrincipal, loadProjectForPrincipal } from '../access'
import { apiError } from '../apiError'
import { readDocumentState } from '../documents/readDocumentState'
import { requestDocPatch } from '../documents/requestDocPatch'
import { writeAudit } from '../audit'
import { idempotent } from '../idempotency'
import { assertProcessingAllowed } from '../media/mediaQuota'
import { mediaOf } from '../media/mediaOf'
import { actorOf } from '../principal'
import { rateLimit } from '../rateLimit'
import { authedProcedure, router } from '../trpc'
import { cuesFromWords, formatSubtitles, MAX_SUBTITLE_CHARS, parseSubtitles } from '../transcripts/subtitles'
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

type Services = Parameters<typeof mediaOf>[0]

/** The transcript's linked asset, if its bytes are in storage (what an align job reads). */
async function linkedAsset(db: Services['db'], projectId: string, assetId: string) {
  if (!isUuid(assetId)) return null
  const [asset] = await db
    .select({ id: tables.assets.id, status: tables.assets.status, storageKey: tables.assets.storageKey })
    .from(tables.assets)
    .where(and(eq(tables.assets.projectId, projectId), eq(tables.assets.id, assetId)))
  return asset && (TRANSCRIBABLE as readonly string[]).includes(asset.status) ? asset : null
}

/** Dispatches an align job for these spans of the document (in the caller's transaction with its audit row). */
async function dispatchAlign(
  services: Services,
  project: { id: string; orgId: string },
  asset: { id: string; storageKey: string },
  documentId: string,
  reason: 'import' | 'realign',
  sampleRate: number,
  chunks: transcript.AlignSpan[],
  createdBy: string | null,
  audit: (tx: Parameters<Parameters<Services['db']['transaction']>[0]>[0], jobId: string) => Promise<void>,
): Promise<string> {
  const dispatcher = mediaOf(services).dispatcher
  const payloads = await services.db.transaction(async (tx) => {
    const payloads = await dispatcher.insert(tx, [
      {
        kind: 'align',
        orgId: project.orgId,
        projectId: project.id,
        assetId: asset.id,
        input: { assetId: asset.id, sourceKey: asset.storageKey, documentId, reason, sampleRate, chunks },
        createdBy,
      },
    ])
    await audit(tx, payloads[0]!.jobId)
    return payloads
  })
  await dispatcher.publish(payloads)
  return payloads[0]!.jobId
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
  /**
   * Transcribes an asset into an existing, empty transcript (the "Transcribe" action of a transcript that opened
   * empty): links the transcript to the asset, live, and dispatches a `transcribe` job that fills it in. Owners,
   * admins and editors. A transcript that already has text is refused (make a new one instead).
   */
  transcribe: authedProcedure
    .use(rateLimit('transcripts.create', 200, 60 * 60))
    .use(idempotent)
    .input(
      z.object({
        documentId: Id,
        assetId: Id,
        language: z
          .string()
          .regex(/^[a-z]{2,3}(-[A-Za-z]{2,4})?$/, 'Give the language as a code like en or en-US.')
          .optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { document, project, access, role } = await loadDocumentForPrincipal(ctx, input.documentId, 'document.read')
      if (access !== 'write')
        throw apiError(ErrorCode.FORBIDDEN_ROLE, `A ${role} cannot transcribe into this transcript.`)
      if (document.kind !== 'transcript') throw apiError(ErrorCode.BAD_INPUT, 'Only transcripts are transcribed into.')
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
      const doc = await readDocumentState(ctx.services.db, document.id)
      let update: string
      try {
        if (transcript.readParagraphs(doc).some((p) => p.text.trim()))
          throw apiError(
            ErrorCode.INVALID_STATE,
            'This transcript already has text; transcribe the asset into a new transcript instead.',
          )
        const before = Y.encodeStateVector(doc)
        doc.transact(() => {
          const meta = transcript.metaOf(doc)
          meta.set('assetId', asset.id)
          meta.set('language', input.language ?? 'en')
          meta.set('source', 'transcribe')
        }, SERVER_ORIGIN)
        update = Buffer.from(Y.encodeStateAsUpdate(doc, before)).toString('base64')
      } finally {
        doc.destroy()
      }
      await assertProcessingAllowed(ctx.services.db, project.orgId)
      const language = input.language ?? 'en'
      const createdBy = actorOf(ctx.principal).userId
      await requestDocPatch(ctx, document.id, { type: 'yjs-update', update, actorUserId: createdBy })
      const media = mediaOf(ctx.services)
      const payloads = await ctx.services.db.transaction(async (tx) => {
        const inserted = await media.dispatcher.insert(tx, [
          {
            kind: 'transcribe',
            orgId: project.orgId,
            projectId: project.id,
            assetId: asset.id,
            input: { assetId: asset.id, sourceKey: asset.storageKey, language, documentId: document.id },
            createdBy,
          },
        ])
        await writeAudit(tx, ctx.principal, {
          orgId: project.orgId,
          action: 'transcript.transcribe',
          targetType: 'document',
          targetId: document.id,
          details: { projectId: project.id, assetId: asset.id, language, jobId: inserted[0]!.jobId },
        })
        return inserted
      })
      await media.dispatcher.publish(payloads)
      return { jobId: payloads[0]!.jobId }
    }),

  /** The transcript's timed words as subtitles (SRT, WebVTT or ASS), by the line rules. Anyone who can read it. */
  exportSubtitles: authedProcedure
    .input(
      z.object({
        documentId: Id,
        format: z.enum(['srt', 'vtt', 'ass']),
        maxChars: z.number().int().min(10).max(100).optional(),
        maxLines: z.number().int().min(1).max(4).optional(),
      }),
    )
    .query(async ({ ctx, input }) => {
      const { document } = await loadDocumentForPrincipal(ctx, input.documentId, 'document.read')
      if (document.kind !== 'transcript')
        throw apiError(ErrorCode.BAD_INPUT, 'Subtitles come from transcript documents.')
      const doc = await readDocumentState(ctx.services.db, document.id)
      try {
        const { sampleRate } = transcript.getMeta(doc)
        const ms = (samples: number) => Math.round((samples * 1000) / sampleRate)
        const paragraphs: { text: string; start: number; end: number }[][] = []
        for (const w of transcript.readWords(doc)) {
          paragraphs[w.paragraph] ??= []
          paragraphs[w.paragraph]!.push({ text: w.text, start: ms(w.start), end: ms(w.end) })
        }
        const cues = cuesFromWords(paragraphs.filter(Boolean), { maxChars: input.maxChars, maxLines: input.maxLines })
        return { format: input.format, cues: cues.length, text: formatSubtitles(cues, input.format) }
      } finally {
        doc.destroy()
      }
    }),

  /**
   * Replaces the transcript's text with the cues of an SRT or WebVTT file, one paragraph per cue. Word times are
   * spread over each cue by their length until the words are aligned to the audio; they carry confidence 0 so the
   * editor shows them as untimed. Editors and up; malformed files are refused with the line number.
   */
  importSubtitles: authedProcedure
    .use(rateLimit('transcripts.importSubtitles', 100, 60 * 60))
    .input(
      z.object({ documentId: Id, format: z.enum(['srt', 'vtt']), text: z.string().min(1).max(MAX_SUBTITLE_CHARS) }),
    )
    .mutation(async ({ ctx, input }) => {
      const { document, project, access, role } = await loadDocumentForPrincipal(ctx, input.documentId, 'document.read')
      if (access !== 'write') throw apiError(ErrorCode.FORBIDDEN_ROLE, `A ${role} cannot change this transcript.`)
      if (document.kind !== 'transcript')
        throw apiError(ErrorCode.BAD_INPUT, 'Subtitles are imported into transcript documents.')
      let cues: ReturnType<typeof parseSubtitles>
      try {
        cues = parseSubtitles(input.text, input.format)
      } catch (err) {
        if (err instanceof CutroomError) throw apiError(err.code, err.message)
        throw err
      }
      const doc = await readDocumentState(ctx.services.db, document.id)
      try {
        const { sampleRate } = transcript.getMeta(doc)
        const samples = (ms: number) => Math.round((ms * sampleRate) / 1000)
        const segments = cues.map((c) => {
          const words = c.text.split(/\s+/).filter(Boolean)
          const total = words.reduce((n, w) => n + w.length, 0) || 1
          let at = samples(c.start)
          const span = samples(c.end) - samples(c.start)
          return {
            speaker: '',
            start: samples(c.start),
            end: samples(c.end),
            words: words.map((text) => {
              const start = at
              at = Math.min(samples(c.end), at + Math.round((span * text.length) / total))
              return { text, start, end: at, confidence: 0 }
            }),
          }
        })
        const wordCount = segments.reduce((n, s) => n + s.words.length, 0)
        if (wordCount > MAX_ALIGN_WORDS)
          throw apiError(
            ErrorCode.PAYLOAD_TOO_LARGE,
            `These subtitles hold ${wordCount} words; import at most ${MAX_ALIGN_WORDS} at once (split the file).`,
          )
        const asset = await linkedAsset(ctx.services.db, project.id, transcript.getMeta(doc).assetId)
        if (asset) await assertProcessingAllowed(ctx.services.db, project.orgId)
        const before = Y.encodeStateVector(doc)
        transcript.buildTranscript(doc, { source: 'subtitles', segments }, SERVER_ORIGIN)
        const update = Buffer.from(Y.encodeStateAsUpdate(doc, before)).toString('base64')
        if (update.length > MAX_PATCH_UPDATE_BASE64)
          throw apiError(ErrorCode.PAYLOAD_TOO_LARGE, 'These subtitles are too long to import at once; split the file.')
        await requestDocPatch(ctx, document.id, {
          type: 'yjs-update',
          update,
          actorUserId: actorOf(ctx.principal).userId,
        })
        const details = { format: input.format, cues: cues.length }
        // every imported word gets its time from the audio, when the transcript has audio
        const alignJobId = asset
          ? await dispatchAlign(
              ctx.services,
              project,
              asset,
              document.id,
              'import',
              sampleRate,
              transcript.alignSpansForAll(doc),
              actorOf(ctx.principal).userId,
              (tx, jobId) =>
                writeAudit(tx, ctx.principal, {
                  orgId: project.orgId,
                  action: 'transcript.importSubtitles',
                  targetType: 'document',
                  targetId: document.id,
                  details: { ...details, jobId },
                }),
            )
          : null
        if (!alignJobId)
          await writeAudit(ctx.services.db, ctx.principal, {
            orgId: project.orgId,
            action: 'transcript.importSubtitles',
            targetType: 'document',
            targetId: document.id,
            details,
          })
        return { cues: cues.length, words: wordCount, alignJobId }
      } finally {
        doc.destroy()
      }
    }),

  /**
   * Re-times the words a person corrected (and words never timed from the audio) with an `align` job; every other
   * word keeps its timing. Editors and up. `jobId` is null when there is nothing to re-time.
   */
  realign: authedProcedure
    .use(rateLimit('transcripts.realign', 300, 60 * 60))
    .input(z.object({ documentId: Id }))
    .mutation(async ({ ctx, input }) => {
      const { document, project, access, role } = await loadDocumentForPrincipal(ctx, input.documentId, 'document.read')
      if (access !== 'write') throw apiError(ErrorCode.FORBIDDEN_ROLE, `A ${role} cannot change this transcript.`)
      if (document.kind !== 'transcript') throw apiError(ErrorCode.BAD_INPUT, 'Only transcripts are realigned.')
      const doc = await readDocumentState(ctx.services.db, document.id)
      try {
        const meta = transcript.getMeta(doc)
        const spans = transcript.alignSpansForCorrected(doc)
        const words = spans.reduce((n, s) => n + s.words.length, 0)
        if (words === 0) return { jobId: null, words: 0 }
        if (words > MAX_ALIGN_WORDS)
          throw apiError(
            ErrorCode.PAYLOAD_TOO_LARGE,
            `${words} words need new times; realign at most ${MAX_ALIGN_WORDS} at once.`,
          )
        const asset = await linkedAsset(ctx.services.db, project.id, meta.assetId)
        if (!asset)
          throw apiError(
            ErrorCode.INVALID_STATE,
            'This transcript has no uploaded asset to align its words to; create it from an asset.',
          )
        await assertProcessingAllowed(ctx.services.db, project.orgId)
        const jobId = await dispatchAlign(
          ctx.services,
          project,
          asset,
          document.id,
          'realign',
          meta.sampleRate,
          spans,
          actorOf(ctx.principal).userId,
          (tx, id) =>
            writeAudit(tx, ctx.principal, {
              orgId: project.orgId,
              action: 'transcript.realign',
              targetType: 'document',
              targetId: document.id,
              details: { jobId: id, words, spans: spans.length },
            }),
        )
        return { jobId, words }
      } finally {
        doc.destroy()
      }
    }),
})
