import { z } from 'zod'
import type { BrandKitSpec } from './brandKit'

/** Export presets: three video sizes and a WAV of the mix. */
export const EXPORT_PRESETS = ['1080p', '720p', 'vertical-1080x1920', 'audio-wav'] as const
export type ExportPreset = (typeof EXPORT_PRESETS)[number]
export const ExportPresetSchema = z.enum(EXPORT_PRESETS)

export const CAPTION_STYLES = ['clean', 'bold', 'karaoke'] as const
export type CaptionStyle = (typeof CAPTION_STYLES)[number]
/** Where burned-in captions come from: the timeline's caption track, or a transcript's timed words. */
export const CAPTION_SOURCES = ['track', 'transcript'] as const
export type CaptionSource = (typeof CAPTION_SOURCES)[number]

/** Output picture size of a video preset; `audio-wav` has none. */
export const PRESET_SIZES: Record<ExportPreset, { width: number; height: number } | null> = {
  '1080p': { width: 1920, height: 1080 },
  '720p': { width: 1280, height: 720 },
  'vertical-1080x1920': { width: 1080, height: 1920 },
  'audio-wav': null,
}

/** Most items one export takes (storyline and anchored each); the render is segmented, so this bounds the plan, not memory. */
export const EXPORT_MAX_ITEMS = 5000

const uuid = z.string().uuid()
const frames = z.number().int().nonnegative()
const unit = z.number().min(0).max(1)
const s3Key = z.string().min(1).max(1024)
const color = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'Colours are #rrggbb.')

/** A crop box on the source picture, normalized to 0..1 (used by the vertical preset instead of the centre crop). */
export const CropBoxSchema = z
  .object({ x: unit, y: unit, w: z.number().gt(0).max(1), h: z.number().gt(0).max(1) })
  .refine((c) => c.x + c.w <= 1.0001 && c.y + c.h <= 1.0001, 'The crop box must lie inside the picture.')
export type CropBox = z.infer<typeof CropBoxSchema>

/** The timeline as it was at the exported version, flattened to absolute frames (a snapshot: later edits change nothing). */
export const ExportTimelineSchema = z.object({
  fps: z.object({ num: z.number().int().positive().max(1_000_000), den: z.number().int().positive().max(1_000_000) }),
  width: z.number().int().min(16).max(8192),
  height: z.number().int().min(16).max(8192),
  sampleRate: z.number().int().min(8000).max(192_000),
  storylineMuted: z.boolean().default(false),
  storyline: z
    .array(
      z.discriminatedUnion('kind', [
        z.object({
          kind: z.literal('clip'),
          id: z.string().min(1).max(64),
          assetId: uuid,
          sourceIn: frames,
          sourceOut: z.number().int().positive(),
          label: z.string().max(500).default(''),
          crop: CropBoxSchema.optional(),
        }),
        z.object({ kind: z.literal('gap'), id: z.string().min(1).max(64), duration: z.number().int().positive() }),
      ]),
    )
    .min(1)
    .max(EXPORT_MAX_ITEMS),
  /** Items of the other tracks at their absolute `start` (timeline frames), muted tracks left out. */
  anchored: z
    .array(
      z.object({
        id: z.string().min(1).max(64),
        track: z.enum(['video', 'audio', 'caption', 'narration']),
        start: z.number().int(),
        duration: z.number().int().positive(),
        assetId: uuid.optional(),
        sourceIn: frames.optional(),
        text: z.string().max(2000).optional(),
      }),
    )
    .max(EXPORT_MAX_ITEMS)
    .default([]),
})
export type ExportTimeline = z.infer<typeof ExportTimelineSchema>

/** Where the render reads each asset the timeline plays. */
export const ExportSourceSchema = z.object({
  assetId: uuid,
  sourceKey: s3Key,
  filename: z.string().max(255),
  hasVideo: z.boolean(),
  hasAudio: z.boolean(),
})
export type ExportSource = z.infer<typeof ExportSourceSchema>

export const BrandKitSpecSchema = z.object({
  logoKey: s3Key.optional(),
  watermark: z
    .object({
      key: s3Key,
      position: z.enum(['top-left', 'top-right', 'bottom-left', 'bottom-right']),
      opacity: z.number().min(0).max(1),
    })
    .optional(),
  fonts: z.array(z.object({ family: z.string().min(1).max(100), key: s3Key })).max(8).optional(),
  colors: z.object({ primary: color, secondary: color, text: color }).optional(),
  captionStyle: z.enum(CAPTION_STYLES).optional(),
  introKey: s3Key.optional(),
  outroKey: s3Key.optional(),
}) satisfies z.ZodType<BrandKitSpec>

/** Most transcript words one export carries (about ten hours of speech). */
export const EXPORT_MAX_CAPTION_WORDS = 100_000

/** A transcript word as the export renders it: integer samples of the transcribed asset at the transcript's rate. */
export const CaptionWordSchema = z.object({
  text: z.string().min(1).max(200),
  start: z.number().int().nonnegative(),
  end: z.number().int().nonnegative(),
})
export type CaptionWord = z.infer<typeof CaptionWordSchema>

/**
 * Captions of an export. `source` absent means the caption track (jobs queued before transcripts could be the
 * source). With `transcript`, the transcript's words as they were when the export was requested.
 */
export const ExportCaptionsSchema = z
  .object({
    style: z.enum(CAPTION_STYLES),
    source: z.enum(CAPTION_SOURCES).optional(),
    transcript: z
      .object({
        documentId: uuid,
        assetId: uuid,
        sampleRate: z.number().int().min(8000).max(192_000),
        words: z.array(CaptionWordSchema).max(EXPORT_MAX_CAPTION_WORDS),
      })
      .optional(),
  })
  .refine((c) => c.source !== 'transcript' || !!c.transcript, 'Captions from a transcript carry its words.')
export type ExportCaptions = z.infer<typeof ExportCaptionsSchema>

export const ExportInputSchema = z.object({
  documentId: uuid,
  /** The document version exported; null for the state at the time of the request. */
  versionId: uuid.nullable().default(null),
  preset: ExportPresetSchema,
  /** The asset (a new version of the timeline's export stack) whose source file the render becomes. */
  assetId: uuid,
  outputKey: s3Key,
  /** Output picture size (from the preset); absent for audio-only presets. */
  size: z
    .object({ width: z.number().int().min(16).max(4096).multipleOf(2), height: z.number().int().min(16).max(4096).multipleOf(2) })
    .nullable(),
  captions: ExportCaptionsSchema.nullable().default(null),
  brandKit: z
    .object({ id: uuid.nullable(), version: z.number().int().positive().nullable(), spec: BrandKitSpecSchema })
    .nullable()
    .default(null),
  timeline: ExportTimelineSchema,
  sources: z.array(ExportSourceSchema).max(EXPORT_MAX_ITEMS),
})
export type ExportInput = z.infer<typeof ExportInputSchema>

/** `result` of a succeeded export job. */
export const ExportResultSchema = z.object({
  assetId: uuid,
  key: s3Key,
  size: z.number().int().nonnegative(),
  contentType: z.string().max(100),
  preset: ExportPresetSchema,
  frames: frames,
  samples: frames,
  durationSeconds: z.number().nonnegative(),
  segments: z.number().int().nonnegative(),
  encoder: z.string().max(32),
  loudness: z.object({ target: z.number(), measured: z.number().nullable() }),
  brandKit: z.object({ id: uuid.nullable(), version: z.number().int().nullable() }).nullable(),
})
export type ExportResult = z.infer<typeof ExportResultSchema>
