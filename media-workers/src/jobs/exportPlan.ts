import type { CropBox, ExportInput } from '@cutroom/schema'
import { captionLineChars, transcriptCaptions } from './transcriptCaptions'

/**
 * The render plan of an export: the timeline flattened to pieces on the output's frame grid (integer frames at
 * the timeline's rational rate, samples at 48 kHz), cut into segments that render independently. Pure data:
 * `exportGraph` turns a segment into ffmpeg arguments, so the same plan can be inspected, tested and run bare.
 */

/** Audio is always rendered at this rate. */
export const EXPORT_SAMPLE_RATE = 48_000
/** A still slate (an image intro or outro) lasts this long. */
export const STILL_SLATE_SECONDS = 3
/** Inputs one segment's ffmpeg opens at most (each is a demuxer and decoder). */
export const MAX_ITEMS_PER_SEGMENT = 40

export interface Rate {
  num: number
  den: number
}

/** A picture on the output storyline, `[start, start + frames)` in output frames. */
export interface PlanPiece {
  kind: 'clip' | 'gap' | 'still'
  start: number
  frames: number
  /** Key into the plan's sources (an asset id, or `brand:intro` / `brand:outro`). */
  source?: string
  /** First frame in the source, at the timeline rate. */
  sourceIn: number
  crop?: CropBox
  label: string
}

/** An anchored item that plays media over (video) or under (audio, narration) the storyline. */
export interface PlanLayer {
  kind: 'video' | 'audio' | 'narration'
  start: number
  frames: number
  source: string
  sourceIn: number
  label: string
}

export interface PlanCaption {
  start: number
  frames: number
  text: string
  /** The line's words at their own times (captions from a transcript); karaoke highlights exactly these. */
  words?: { start: number; frames: number; text: string }[]
}

export interface PlanSegment {
  index: number
  start: number
  frames: number
}

export interface RenderPlan {
  fps: Rate
  /** Null for audio-only presets. */
  size: { width: number; height: number } | null
  /** Cover (centre crop) for a portrait output of landscape media, fit (letterbox) otherwise. */
  fit: 'cover' | 'contain'
  totalFrames: number
  totalSamples: number
  pieces: PlanPiece[]
  layers: PlanLayer[]
  captions: PlanCaption[]
  segments: PlanSegment[]
  storylineMuted: boolean
}

export interface SlateInfo {
  kind: 'still' | 'clip'
  /** Frames at the timeline rate (a still lasts STILL_SLATE_SECONDS). */
  frames: number
}

export interface PlanOptions {
  intro?: SlateInfo | null
  outro?: SlateInfo | null
  /** How many segments render at once; the plan cuts at least this many when the timeline is long enough. */
  parallelism?: number
  /** Longest segment in seconds (bounds one ffmpeg's work, not its memory: that is bounded by the inputs). */
  maxSegmentSeconds?: number
  /** Shorter timelines render as one segment. */
  minSegmentSeconds?: number
}

/** Sample index of output frame `frame` (nearest sample), so segments and pieces add up to the total exactly. */
export function sampleAt(frame: number, fps: Rate): number {
  return Math.round((frame * EXPORT_SAMPLE_RATE * fps.den) / fps.num)
}

/** Seconds of `frames` frames, as ffmpeg reads them (microsecond precision). */
export function secondsOf(frames: number, fps: Rate): string {
  return ((frames * fps.den) / fps.num).toFixed(6)
}

export function stillFrames(fps: Rate): number {
  return Math.round((STILL_SLATE_SECONDS * fps.num) / fps.den)
}

/** Flattens the snapshot into pieces, layers and captions (offset by the intro) and cuts segments. */
export function compileRenderPlan(input: ExportInput, options: PlanOptions = {}): RenderPlan {
  const { timeline } = input
  const fps = timeline.fps
  const portrait = !!input.size && input.size.height > input.size.width
  const pieces: PlanPiece[] = []
  let at = 0
  const push = (p: Omit<PlanPiece, 'start'>) => {
    pieces.push({ ...p, start: at })
    at += p.frames
  }
  if (options.intro) push({ kind: options.intro.kind, frames: options.intro.frames, source: 'brand:intro', sourceIn: 0, label: 'intro slate' })
  const offset = at
  for (const item of timeline.storyline) {
    if (item.kind === 'gap') push({ kind: 'gap', frames: item.duration, sourceIn: 0, label: 'gap' })
    else
      push({
        kind: 'clip',
        frames: item.sourceOut - item.sourceIn,
        source: item.assetId,
        sourceIn: item.sourceIn,
        // a clip's crop box frames it for a portrait picture; landscape outputs show the whole frame
        crop: portrait ? item.crop : undefined,
        label: item.label || `clip ${item.id}`,
      })
  }
  const storyEnd = at
  if (options.outro) push({ kind: options.outro.kind, frames: options.outro.frames, source: 'brand:outro', sourceIn: 0, label: 'outro slate' })
  const totalFrames = at

  const layers: PlanLayer[] = []
  // captions from a transcript replace the caption track's
  const transcript = input.captions?.source === 'transcript' ? input.captions.transcript : undefined
  const fromTranscript = !!transcript
  const captions: PlanCaption[] = transcript ? transcriptCaptions(transcript, pieces, fps, captionLineChars(input.size)) : []
  for (const a of timeline.anchored) {
    // anchored items live within the storyline: whatever hangs before its start or past its end is not rendered
    let start = a.start + offset
    let frames = a.duration
    let sourceIn = a.sourceIn ?? 0
    if (start < offset) {
      frames -= offset - start
      sourceIn += offset - start
      start = offset
    }
    frames = Math.min(frames, storyEnd - start)
    if (frames <= 0) continue
    if (a.track === 'caption') {
      if (a.text?.trim() && !fromTranscript) captions.push({ start, frames, text: a.text.trim() })
    } else if (a.assetId) {
      layers.push({ kind: a.track, start, frames, source: a.assetId, sourceIn, label: a.text?.slice(0, 80) || `item ${a.id}` })
    }
  }
  captions.sort((x, y) => x.start - y.start)

  const size = input.size
  const landscapeSource = timeline.width >= timeline.height
  return {
    fps,
    size,
    fit: portrait && landscapeSource ? 'cover' : 'contain',
    totalFrames,
    totalSamples: sampleAt(totalFrames, fps),
    pieces,
    layers,
    captions,
    segments: cutSegments(pieces, totalFrames, fps, options),
    storylineMuted: timeline.storylineMuted,
  }
}

/**
 * Segment boundaries: about `total / parallelism` frames each, no longer than `maxSegmentSeconds`, and no more
 * than MAX_ITEMS_PER_SEGMENT pieces each, so a 10-minute timeline runs the same size of ffmpeg as a 1-minute one.
 * Boundaries may fall inside a piece (the piece is then read from two seeks).
 */
function cutSegments(pieces: PlanPiece[], total: number, fps: Rate, options: PlanOptions): PlanSegment[] {
  const perSecond = fps.num / fps.den
  const parallelism = Math.max(1, options.parallelism ?? 2)
  const minFrames = Math.round((options.minSegmentSeconds ?? 8) * perSecond)
  const maxFrames = Math.max(1, Math.round((options.maxSegmentSeconds ?? 60) * perSecond))
  const target = total < 2 * minFrames ? total : Math.min(maxFrames, Math.max(minFrames, Math.ceil(total / parallelism)))
  const segments: PlanSegment[] = []
  let start = 0
  let i = 0
  while (start < total) {
    let end = Math.min(total, start + target)
    // at most MAX_ITEMS_PER_SEGMENT pieces: end at the start of the piece after the limit
    while (i < pieces.length && pieces[i]!.start + pieces[i]!.frames <= start) i++
    const limit = pieces[i + MAX_ITEMS_PER_SEGMENT]
    if (limit && limit.start < end && limit.start > start) end = limit.start
    segments.push({ index: segments.length, start, frames: end - start })
    start = end
  }
  return segments
}

/** A part of a piece or layer that falls inside a segment, positioned relative to the segment's start. */
export interface SegmentPart<T> {
  item: T
  /** Frame within the segment where the part starts. */
  at: number
  frames: number
  /** Source frame the part starts at. */
  sourceIn: number
}

export function partsIn<T extends { start: number; frames: number; sourceIn: number }>(
  items: readonly T[],
  segment: PlanSegment,
): SegmentPart<T>[] {
  const out: SegmentPart<T>[] = []
  const segEnd = segment.start + segment.frames
  for (const item of items) {
    const from = Math.max(item.start, segment.start)
    const to = Math.min(item.start + item.frames, segEnd)
    if (to <= from) continue
    out.push({ item, at: from - segment.start, frames: to - from, sourceIn: item.sourceIn + (from - item.start) })
  }
  return out
}
