import { ErrorCode, type FrameRate, isUuid, tables, timeline } from '@cutroom/schema'
import { and, eq, inArray } from 'drizzle-orm'
import { z } from 'zod'
import { loadDocumentForPrincipal } from '../access'
import { apiError } from '../apiError'
import { readDocumentState } from '../documents/readDocumentState'
import { MAX_EDL_EVENTS } from '../interchange/edlText'
import { type CutAsset, MissingAssetError, readTimelineCut } from '../interchange/timelineCut'
import { edlEventCount, timelineEdl } from '../interchange/timelineEdl'
import { timelineFcpxml } from '../interchange/timelineFcpxml'
import { timelineOtio } from '../interchange/timelineOtio'
import { rateLimit } from '../rateLimit'
import { authedProcedure, router } from '../trpc'
import { Id } from './inputs'

export const INTERCHANGE_FORMATS = ['otio', 'edl', 'fcpxml'] as const

const CONTENT_TYPES: Record<(typeof INTERCHANGE_FORMATS)[number], string> = {
  otio: 'application/json',
  edl: 'text/plain',
  fcpxml: 'application/xml',
}

/** An asset's length in frames at the timeline's rate, from its probe (null when not probed). */
function durationAt(metadata: Record<string, unknown> | null, fps: FrameRate): number | null {
  if (!metadata) return null
  const video = metadata.video as { fps?: FrameRate; durationFrames?: number } | null | undefined
  if (video?.fps && video.fps.num * fps.den === fps.num * video.fps.den && Number.isInteger(video.durationFrames))
    return video.durationFrames!
  const seconds = metadata.durationSeconds
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0
    ? Math.floor((seconds * fps.num) / fps.den + 1e-6)
    : null
}

/** Procedures on timeline documents that go beyond the generic document registry. */
export const timelinesRouter = router({
  /**
   * The timeline as an interchange file for another NLE: OpenTimelineIO JSON, CMX3600 EDL or FCPXML, every time
   * on the timeline's frame grid. Anyone who can read the timeline may download it (viewers too): the file says
   * what the timeline shows, with file names, and carries no media, links or keys.
   */
  interchange: authedProcedure
    .use(rateLimit('timelines.interchange', 600, 60 * 60))
    .input(z.object({ documentId: Id, format: z.enum(INTERCHANGE_FORMATS) }))
    .query(async ({ ctx, input }) => {
      const { document, project } = await loadDocumentForPrincipal(ctx, input.documentId, 'document.read')
      if (document.kind !== 'timeline')
        throw apiError(
          ErrorCode.BAD_INPUT,
          `This document is a ${document.kind}, not a timeline; pick a timeline to download.`,
        )
      const db = ctx.services.db
      const doc = await readDocumentState(db, document.id)
      try {
        const fps: FrameRate = timeline.getMeta(doc).fps
        const ids = timeline.assetIdsUsed(doc).filter(isUuid)
        const rows = ids.length
          ? await db
              .select({ id: tables.assets.id, filename: tables.assets.filename, metadata: tables.assets.metadata })
              .from(tables.assets)
              .where(and(eq(tables.assets.projectId, project.id), inArray(tables.assets.id, ids)))
          : []
        const assets = new Map<string, CutAsset>(
          rows.map((r) => [
            r.id,
            {
              id: r.id,
              filename: r.filename,
              durationFrames: durationAt(r.metadata ?? null, fps),
              hasVideo: r.metadata?.hasVideo !== false,
              hasAudio: r.metadata?.hasAudio !== false,
            },
          ]),
        )
        let cut: ReturnType<typeof readTimelineCut>
        try {
          cut = readTimelineCut(doc, document.title, assets)
        } catch (err) {
          if (err instanceof MissingAssetError) throw apiError(ErrorCode.BAD_INPUT, err.message)
          throw err
        }
        if (input.format === 'edl' && edlEventCount(cut) > MAX_EDL_EVENTS)
          throw apiError(
            ErrorCode.PAYLOAD_TOO_LARGE,
            `A CMX3600 EDL holds at most ${MAX_EDL_EVENTS} events and this storyline has ${edlEventCount(cut)}; download OTIO or FCPXML.`,
          )
        const text =
          input.format === 'otio'
            ? timelineOtio(cut, document.id)
            : input.format === 'edl'
              ? timelineEdl(cut)
              : timelineFcpxml(cut)
        const base = document.title.replace(/[^\w.-]+/g, '_').slice(0, 80) || 'timeline'
        return {
          format: input.format,
          contentType: CONTENT_TYPES[input.format],
          filename: `${base}.${input.format}`,
          fps,
          clips: cut.storyline.filter((i) => i.kind === 'clip').length,
          markers: cut.markers.length,
          text,
        }
      } finally {
        doc.destroy()
      }
    }),
})
