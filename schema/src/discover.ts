import { z } from 'zod'

/**
 * Clip discovery: what a `discover` job is asked for and what it answers. Times are integer milliseconds of the
 * source (the job knows no project frame rate); `clips.accept` turns them into frames of the timeline it lands in.
 */

/** Shortest and longest clip a person may ask for, and how many suggestions at most. */
export const DISCOVER_LIMITS = {
  minSeconds: 1,
  maxSeconds: 600,
  maxCount: 50,
  maxKeywords: 20,
  maxKeywordLength: 64,
  /** Sentences of a transcript sent with the job (a long interview has a few thousand). */
  maxSentences: 20_000,
  maxSentenceChars: 2_000,
} as const

const ms = z.number().int().nonnegative()

/** One sentence of the asset's transcript (split at . ? ! and at paragraph ends), as the api read it at dispatch. */
export const DiscoverSentenceSchema = z.object({
  startMs: ms,
  endMs: ms,
  text: z.string().max(DISCOVER_LIMITS.maxSentenceChars),
})
export type DiscoverSentence = z.infer<typeof DiscoverSentenceSchema>

export const DiscoverKeywordsSchema = z
  .array(z.string().trim().min(1).max(DISCOVER_LIMITS.maxKeywordLength))
  .max(DISCOVER_LIMITS.maxKeywords)

/** The job's `input` beyond the asset: the duration range, the count, keywords and the transcript if there is one. */
export const DiscoverOptionsSchema = z
  .object({
    minSeconds: z.number().min(DISCOVER_LIMITS.minSeconds).max(DISCOVER_LIMITS.maxSeconds),
    maxSeconds: z.number().min(DISCOVER_LIMITS.minSeconds).max(DISCOVER_LIMITS.maxSeconds),
    count: z.number().int().min(1).max(DISCOVER_LIMITS.maxCount),
    keywords: DiscoverKeywordsSchema.default([]),
    transcript: z
      .object({
        documentId: z.string().uuid(),
        sentences: z.array(DiscoverSentenceSchema).max(DISCOVER_LIMITS.maxSentences),
      })
      .optional(),
  })
  .refine((o) => o.minSeconds <= o.maxSeconds, {
    message: 'The shortest clip must not be longer than the longest.',
    path: ['maxSeconds'],
  })
export type DiscoverOptions = z.infer<typeof DiscoverOptionsSchema>

/** The signals a score may be made of; each is 0..1, or null when the recording cannot give it. */
export const DISCOVER_SIGNALS = [
  'scene',
  'energy',
  'peaks',
  'speech',
  'sentences',
  'hook',
  'keywords',
  'fluency',
] as const
export type DiscoverSignal = (typeof DISCOVER_SIGNALS)[number]

const unitOrNull = z.number().min(0).max(1).nullable()
export const SubScoresSchema = z.object(
  Object.fromEntries(DISCOVER_SIGNALS.map((s) => [s, unitOrNull])) as Record<DiscoverSignal, typeof unitOrNull>,
)
export type SubScores = z.infer<typeof SubScoresSchema>

export const ClipSuggestionSchema = z.object({
  id: z.string().uuid(),
  /** 1 is the best. */
  rank: z.number().int().min(1),
  startMs: ms,
  endMs: ms,
  score: z.number().min(0).max(1),
  subScores: SubScoresSchema,
  /** Why, in words: the strongest signals of this window ("3 scene cuts", "asks a question and answers it"). */
  reasons: z.array(z.string().max(200)).max(10),
  /** What is said in the window when there is a transcript (for the list). */
  text: z.string().max(1000).default(''),
})
export type ClipSuggestion = z.infer<typeof ClipSuggestionSchema>

/** `result` of a succeeded discover job. */
export const DiscoverResultSchema = z.object({
  durationSeconds: z.number().nonnegative(),
  /** Which signals the recording had; `missing` says in words what could not be used and why. */
  signals: z.object({ scenes: z.boolean(), audio: z.boolean(), speech: z.boolean(), transcript: z.boolean() }),
  missing: z.array(z.string().max(300)).max(10),
  /** Scene cuts found: the first frame of each new shot (frames of the source's rate), the first 2000. */
  sceneCuts: z.array(z.number().int().nonnegative()).max(2000),
  fps: z.object({ num: z.number().int().positive(), den: z.number().int().positive() }).nullable(),
  /** Candidate windows scored before overlap suppression. */
  windowsScored: z.number().int().nonnegative(),
  suggestions: z.array(ClipSuggestionSchema).max(DISCOVER_LIMITS.maxCount),
  note: z.string().max(500).optional(),
})
export type DiscoverResult = z.infer<typeof DiscoverResultSchema>
