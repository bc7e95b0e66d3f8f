import { z } from 'zod'
import { DiscoverOptionsSchema } from './discover'
import { RetellJobInputSchema } from './retellDraft'
import { ExportInputSchema } from './exports'

/** Every kind of media job; each has its own subject `jobs.<kind>` and durable consumer. */
export const JOB_KINDS = [
  'probe',
  'transcode',
  'thumbnails',
  'waveform',
  'framediff',
  'transcribe',
  'align',
  'tts',
  'export',
  'discover',
  'retell',
] as const
export type JobKind = (typeof JOB_KINDS)[number]
export const JobKindSchema = z.enum(JOB_KINDS)

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const
export type JobStatus = (typeof JOB_STATUSES)[number]
/** Statuses after which a job never changes again (retry makes a new attempt on the same row). */
export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled']

/** NATS names. Streams use file storage; JOBS has work-queue retention. */
export const Streams = { JOBS: 'JOBS', EVENTS: 'EVENTS', WEBHOOKS: 'WEBHOOKS' } as const
export const Subjects = {
  job: (kind: JobKind) => `jobs.${kind}`,
  allJobs: 'jobs.>',
  event: (kind: JobKind, status: JobStatus) => `events.job.${kind}.${status}`,
  allEvents: 'events.>',
  progress: (jobId: string) => `progress.${jobId}`,
  cancel: (jobId: string) => `control.cancel.${jobId}`,
  allCancels: 'control.cancel.*',
  /** Server-side document patches (api -> collab), core NATS request/reply. */
  docPatch: (documentId: string) => `patches.doc.${documentId}`,
  allDocPatches: 'patches.doc.*',
  /** Outbound webhook deliveries that are due (api relay -> delivery consumers); the outbox row is the truth. */
  webhookDelivery: 'webhooks.deliver',
} as const
export const consumerName = (kind: JobKind) => `worker-${kind}`

/**
 * The NATS message id of a dispatch: the job id for the first attempt, `<jobId>:<attempt>` for retries, so a
 * duplicate publish of the same attempt is dropped by the stream while a retry still goes through.
 */
export const jobMessageId = (jobId: string, attempt: number) => (attempt <= 1 ? jobId : `${jobId}:${attempt}`)

/**
 * Stream settings shared by everyone who creates the streams (api, workers, collab): whoever starts first
 * creates them, the others find them. Plain values so this file stays free of I/O dependencies.
 */
export const StreamConfigs = {
  JOBS: {
    name: Streams.JOBS,
    subjects: [Subjects.allJobs],
    retention: 'workqueue',
    storage: 'file',
    /** Dispatches with the same message id within this window are stored once. */
    duplicateWindowMs: 10 * 60_000,
  },
  EVENTS: {
    name: Streams.EVENTS,
    subjects: [Subjects.allEvents],
    retention: 'limits',
    storage: 'file',
    duplicateWindowMs: 10 * 60_000,
    /** Results are kept a week so a consumer that was down catches up. */
    maxAgeMs: 7 * 24 * 3600_000,
  },
  WEBHOOKS: {
    name: Streams.WEBHOOKS,
    subjects: ['webhooks.>'],
    retention: 'workqueue',
    storage: 'file',
    /** The relay publishes a due delivery under `<id>:<attempts>:<due>`: a repeat within this window is stored once. */
    duplicateWindowMs: 10 * 60_000,
  },
} as const

const uuid = z.string().uuid()

/** Longest narration text one tts job synthesizes (a narration block's limit in the retell model). */
export const MAX_NARRATION_CHARS = 20_000

/** What every job message carries; the NATS message id is `jobId`, so dispatch is idempotent. */
const JobBase = z.object({
  jobId: uuid,
  orgId: uuid,
  projectId: uuid,
  /** 1-based attempt number of this dispatch (retry increments it). */
  attempt: z.number().int().min(1).default(1),
})

const AssetInput = z.object({
  assetId: uuid,
  /** S3 key of the source file. */
  sourceKey: z.string().min(1).max(1024),
})

/** Most words one align job takes (the payload stays well under NATS' 1 MiB). */
export const MAX_ALIGN_WORDS = 15_000

/**
 * A stretch of audio and the words known to be spoken in it, in order: a subtitle cue, or the gap between two
 * untouched words around corrected ones. `paragraphStart` names the transcript paragraph (its `start`); each word
 * is `[text, start, end]` as the document has it now, which is how the result finds it again.
 */
export const AlignChunkSchema = z.object({
  paragraphStart: z.number().int().nonnegative(),
  start: z.number().int().nonnegative(),
  end: z.number().int().nonnegative(),
  words: z
    .array(z.tuple([z.string().min(1).max(200), z.number().int().nonnegative(), z.number().int().nonnegative()]))
    .min(1)
    .max(MAX_ALIGN_WORDS),
})
export type AlignChunk = z.infer<typeof AlignChunkSchema>

export const JobPayloadSchema = z.discriminatedUnion('kind', [
  JobBase.extend({ kind: z.literal('probe'), input: AssetInput }),
  JobBase.extend({
    kind: z.literal('transcode'),
    input: AssetInput.extend({
      heights: z.array(z.number().int().positive()).max(8).default([360, 720]),
      /**
       * A fast first rendition: the lowest requested height alone, at the encoder's fastest preset, so a proxy
       * plays a few seconds after the upload; the api dispatches the full ladder when it lands, which replaces it.
       */
      preview: z.boolean().default(false),
    }),
  }),
  JobBase.extend({
    kind: z.literal('thumbnails'),
    input: AssetInput.extend({
      intervalFrames: z.number().int().positive().optional(),
      tileWidth: z.number().int().positive().max(640).default(160),
    }),
  }),
  JobBase.extend({ kind: z.literal('waveform'), input: AssetInput }),
  JobBase.extend({
    kind: z.literal('framediff'),
    input: z.object({
      /** The earlier version; its frame grid (rate, size) is the one both are compared on. */
      assetA: AssetInput,
      assetB: AssetInput,
      /** The review's qa document: the collab server writes the overlay and suggested findings into it. */
      documentId: uuid.optional(),
      /** Frames whose mean SSIM is below this become suggested findings (default 0.98). */
      threshold: z.number().min(0).max(1).optional(),
      /** Local SSIM below which a cell counts as changed for the region boxes (default 0.75). */
      regionThreshold: z.number().min(0).max(1).optional(),
      /** Proxy height both versions are decoded at (default 360, never above version A's height). */
      height: z.number().int().min(32).max(1080).optional(),
    }),
  }),
  JobBase.extend({
    kind: z.literal('transcribe'),
    input: AssetInput.extend({
      language: z.string().max(16).optional(),
      /** The transcript document the segments are patched into, live, as each one is recognised. */
      documentId: uuid.optional(),
    }),
  }),
  JobBase.extend({
    kind: z.literal('align'),
    input: AssetInput.extend({
      documentId: uuid,
      /** Why: every word of imported subtitles, or the words a person corrected. */
      reason: z.enum(['import', 'realign']),
      /** Sample rate of the transcript's times (its `meta.sampleRate`). */
      sampleRate: z.number().int().positive().max(384_000),
      chunks: z.array(AlignChunkSchema).max(MAX_ALIGN_WORDS),
    }),
  }),
  JobBase.extend({
    kind: z.literal('tts'),
    input: z.object({
      text: z.string().trim().min(1).max(MAX_NARRATION_CHARS),
      /** A voice of the worker's engine; `narrator` (the block default) is the engine's default voice. */
      voice: z.string().min(1).max(64).default('narrator'),
      /** The retell document and narration block the audio is for (patched in when the job succeeds). */
      documentId: uuid.optional(),
      blockId: z.string().min(1).max(100).optional(),
      /** `retell.narrationFingerprint` of the text and voice synthesized: the block is stale once it differs. */
      fingerprint: z.string().max(32).optional(),
    }),
  }),
  JobBase.extend({ kind: z.literal('export'), input: ExportInputSchema }),
  JobBase.extend({ kind: z.literal('discover'), input: z.intersection(AssetInput, DiscoverOptionsSchema) }),
  JobBase.extend({ kind: z.literal('retell'), input: RetellJobInputSchema }),
])
export type JobPayload = z.infer<typeof JobPayloadSchema>
export type JobPayloadOf<K extends JobKind> = Extract<JobPayload, { kind: K }>

/** One S3 object a job made. */
export const ArtifactRefSchema = z.object({
  id: uuid,
  /** What the artifact is for, e.g. `hls`, `thumbnails`, `waveform`. One asset has one artifact per slot. */
  slot: z.string().min(1).max(64),
  key: z.string().min(1).max(1024),
  contentType: z.string().max(255),
  size: z.number().int().nonnegative(),
  metadata: z.record(z.string(), z.unknown()).default({}),
})
export type ArtifactRef = z.infer<typeof ArtifactRefSchema>

/** Most one job may report: a week of media, 10 TiB written. The api records nothing above (a worker bug). */
export const USAGE_MAX = { media_seconds: 7 * 24 * 3600, storage_bytes: 10 * 1024 ** 4 } as const

export const UsageSchema = z.object({
  metric: z.enum(['media_seconds', 'storage_bytes']),
  quantity: z.number().finite().nonnegative(),
})
export type Usage = z.infer<typeof UsageSchema>

const unit = z.number().min(0).max(1)
const rate = z.object({ num: z.number().int().positive(), den: z.number().int().positive() })
const frameIndex = z.number().int().nonnegative()

/** A frame range a framediff proposes as a finding (frames of version A), with a stable id per job and range. */
export const FramediffSuggestionSchema = z.object({
  id: uuid,
  frame: frameIndex,
  frameEnd: frameIndex,
  worstFrame: frameIndex,
  worstSsim: z.number().min(-1).max(1),
  region: z.object({ x: unit, y: unit, w: unit, h: unit }).nullable(),
})
export type FramediffSuggestion = z.infer<typeof FramediffSuggestionSchema>

/** `result` of a succeeded framediff job: what was compared, the score summary and the suggested findings. */
export const FramediffResultSchema = z.object({
  documentId: uuid.optional(),
  versionA: z.object({
    assetId: uuid,
    frames: frameIndex,
    fps: rate,
    width: z.number().int(),
    height: z.number().int(),
  }),
  versionB: z.object({
    assetId: uuid,
    frames: frameIndex,
    fps: rate,
    width: z.number().int(),
    height: z.number().int(),
  }),
  /** Frames `from..to` (inclusive) of version A's grid were compared, at the proxy size. */
  compared: z.object({
    from: frameIndex,
    to: frameIndex,
    frames: frameIndex,
    fps: rate,
    width: z.number().int(),
    height: z.number().int(),
  }),
  resampled: z.boolean(),
  rescaled: z.boolean(),
  lengthsDiffer: z.boolean(),
  notes: z.array(z.string().max(500)).max(10),
  summary: z.object({
    meanSsim: z.number(),
    minSsim: z.number(),
    worstFrame: frameIndex,
    framesBelowThreshold: frameIndex,
    threshold: unit,
  }),
  suggestions: z.array(FramediffSuggestionSchema).max(100),
})
export type FramediffResult = z.infer<typeof FramediffResultSchema>

/** `result` of a succeeded transcribe job. Times are samples at `sampleRate` (the source's audio rate). */
export const TranscribeResultSchema = z.object({
  documentId: uuid.optional(),
  engine: z.string().max(32),
  language: z.string().max(16),
  sampleRate: z.number().int().positive(),
  segments: z.number().int().nonnegative(),
  words: z.number().int().nonnegative(),
  /** Seconds of audio the engine was given (the speech segments), and of the whole source. */
  speechSeconds: z.number().nonnegative(),
  durationSeconds: z.number().nonnegative(),
  /** Said in words when there was nothing to transcribe. */
  note: z.string().max(500).optional(),
})
export type TranscribeResult = z.infer<typeof TranscribeResultSchema>

/** Sample rate of every synthesized narration file (the retell model's and the export's rate). */
export const TTS_SAMPLE_RATE = 48_000

/** `result` of a succeeded tts job: the 48 kHz WAV artifact, its length and its loudness (EBU R128). */
export const TtsResultSchema = z.object({
  documentId: uuid.optional(),
  blockId: z.string().max(100).optional(),
  fingerprint: z.string().max(32).optional(),
  engine: z.string().max(32),
  voice: z.string().max(64),
  artifactId: uuid,
  sampleRate: z.number().int().positive(),
  /** Length in samples at `sampleRate`. */
  samples: z.number().int().nonnegative(),
  durationSeconds: z.number().nonnegative(),
  loudness: z.object({
    /** Integrated loudness, LUFS. */
    integratedLufs: z.number(),
    /** True peak, dBTP. */
    truePeakDb: z.number(),
    /** Loudness range, LU. */
    rangeLu: z.number(),
  }),
})
export type TtsResult = z.infer<typeof TtsResultSchema>

/** `result` of a succeeded align job. */
export const AlignResultSchema = z.object({
  documentId: uuid,
  reason: z.enum(['import', 'realign']),
  chunks: z.number().int().nonnegative(),
  /** Words given a time from the audio, and words that could not be aligned (they keep their range, flagged). */
  aligned: z.number().int().nonnegative(),
  unaligned: z.number().int().nonnegative(),
  /** Words not in the pronouncing dictionary, spelled out by the letter-to-sound rules. */
  guessedPronunciations: z.number().int().nonnegative(),
  audioSeconds: z.number().nonnegative(),
})
export type AlignResult = z.infer<typeof AlignResultSchema>

/** A result on stream EVENTS, subject `events.job.<kind>.<status>`. */
export const JobEventSchema = z.object({
  jobId: uuid,
  kind: JobKindSchema,
  status: z.enum(['running', 'succeeded', 'failed', 'cancelled']),
  orgId: uuid,
  projectId: uuid,
  assetId: uuid.optional(),
  attempt: z.number().int().min(1),
  artifacts: z.array(ArtifactRefSchema).default([]),
  usage: z.array(UsageSchema).default([]),
  result: z.record(z.string(), z.unknown()).optional(),
  error: z.string().max(8192).optional(),
  /** Whether the failure is final (no more redeliveries). */
  final: z.boolean().default(true),
  at: z.string(),
})
export type JobEvent = z.infer<typeof JobEventSchema>

/** A progress tick on core NATS `progress.<jobId>` (ephemeral, throttled). */
export const JobProgressSchema = z.object({
  jobId: uuid,
  /** Lets relays filter ticks by project without a lookup. */
  projectId: uuid.optional(),
  kind: JobKindSchema,
  /** 0..1 */
  progress: z.number().min(0).max(1),
  stage: z.string().max(64).optional(),
  at: z.string(),
})
export type JobProgress = z.infer<typeof JobProgressSchema>
