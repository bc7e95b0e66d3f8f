import {
  CutroomError,
  type CaptionWord,
  ErrorCode,
  type ExportCaptions,
  type ExportTimeline,
  isUuid,
  tables,
  transcript,
} from '@cutroom/schema'
import { and, eq, inArray } from 'drizzle-orm'
import type { Db } from '../db'
import { readDocumentState } from '../documents/readDocumentState'

/** Transcripts the export dialog offers at most. */
const MAX_LISTED = 200

/** A transcript of the project linked to media that a storyline clip plays. */
export interface CaptionTranscript {
  documentId: string
  title: string
  assetId: string
  filename: string
}

function storylineAssets(timeline: ExportTimeline): Set<string> {
  return new Set(timeline.storyline.flatMap((i) => (i.kind === 'clip' ? [i.assetId] : [])))
}

/** The project's transcripts whose media a storyline clip of `timeline` plays, by title. */
export async function captionTranscripts(
  db: Db,
  projectId: string,
  timeline: ExportTimeline,
): Promise<CaptionTranscript[]> {
  const used = storylineAssets(timeline)
  const docs = await db
    .select({ id: tables.documents.id, title: tables.documents.title })
    .from(tables.documents)
    .where(and(eq(tables.documents.projectId, projectId), eq(tables.documents.kind, 'transcript')))
    .orderBy(tables.documents.title)
    .limit(MAX_LISTED)
  const linked: { documentId: string; title: string; assetId: string }[] = []
  for (const d of docs) {
    const doc = await readDocumentState(db, d.id)
    try {
      const { assetId } = transcript.getMeta(doc)
      if (used.has(assetId)) linked.push({ documentId: d.id, title: d.title, assetId })
    } finally {
      doc.destroy()
    }
  }
  const ids = [...new Set(linked.map((l) => l.assetId))].filter(isUuid)
  const files = ids.length
    ? await db
        .select({ id: tables.assets.id, filename: tables.assets.filename })
        .from(tables.assets)
        .where(and(eq(tables.assets.projectId, projectId), inArray(tables.assets.id, ids)))
    : []
  const nameOf = new Map(files.map((f) => [f.id, f.filename]))
  return linked.flatMap((l) => (nameOf.has(l.assetId) ? [{ ...l, filename: nameOf.get(l.assetId)! }] : []))
}

/**
 * The words a transcript-captioned export renders, read now (the same moment the timeline is snapshotted, so
 * later edits of either change nothing in the render). Only words inside a storyline clip's source range of the
 * transcribed asset travel with the job. Refused with a clear message unless the transcript is in the project
 * and linked to media the storyline plays.
 */
export async function transcriptCaptions(
  db: Db,
  projectId: string,
  transcriptDocumentId: string,
  timeline: ExportTimeline,
): Promise<NonNullable<ExportCaptions['transcript']>> {
  const [row] = isUuid(transcriptDocumentId)
    ? await db
        .select({ id: tables.documents.id, kind: tables.documents.kind, title: tables.documents.title })
        .from(tables.documents)
        .where(and(eq(tables.documents.id, transcriptDocumentId), eq(tables.documents.projectId, projectId)))
    : []
  if (!row)
    throw new CutroomError(
      ErrorCode.NOT_FOUND,
      'Transcript not found in this project; choose one of its transcripts or the caption track.',
    )
  if (row.kind !== 'transcript')
    throw new CutroomError(
      ErrorCode.BAD_INPUT,
      `"${row.title}" is not a transcript; choose a transcript or the caption track.`,
    )
  const doc = await readDocumentState(db, row.id)
  let meta: transcript.TranscriptMeta
  let words: transcript.TimedWord[]
  try {
    meta = transcript.getMeta(doc)
    words = transcript.readWords(doc)
  } finally {
    doc.destroy()
  }
  if (!storylineAssets(timeline).has(meta.assetId))
    throw new CutroomError(
      ErrorCode.BAD_INPUT,
      `The transcript "${row.title}" is of media that no clip on this timeline's storyline plays; choose a transcript of the timeline's media, or the caption track.`,
    )
  if (words.length === 0)
    throw new CutroomError(
      ErrorCode.INVALID_STATE,
      `The transcript "${row.title}" has no timed words yet; export once it is transcribed.`,
    )
  // source ranges in samples of the transcript, so words far from every clip stay out of the job message
  const ranges = timeline.storyline.flatMap((i) =>
    i.kind === 'clip' && i.assetId === meta.assetId
      ? [
          [
            Math.floor((i.sourceIn * meta.sampleRate * timeline.fps.den) / timeline.fps.num),
            Math.ceil((i.sourceOut * meta.sampleRate * timeline.fps.den) / timeline.fps.num),
          ] as const,
        ]
      : [],
  )
  const kept: CaptionWord[] = words
    .filter((w) => w.text.trim() && ranges.some(([from, to]) => w.end >= from && w.start <= to))
    .map((w) => ({ text: w.text.trim().slice(0, 200), start: w.start, end: Math.max(w.start, w.end) }))
  return { documentId: row.id, assetId: meta.assetId, sampleRate: meta.sampleRate, words: kept }
}
