import { z } from 'zod'
import { DiscoverSentenceSchema } from './discover'

/** Retell generation: what a `retell` job is asked for and what it answers. */
export const RETELL_LIMITS = { minMinutes: 0.25, maxMinutes: 120, maxSentences: 20_000 } as const

const uuid = z.string().uuid()
const frame = z.number().int().nonnegative()

/** The job's `input`: the retell document, the transcript's sentences (ms) and the frame grid of the shots. */
export const RetellJobInputSchema = z.object({
  documentId: uuid,
  transcriptDocumentId: uuid,
  /** The id every block of this draft carries, so "Discard draft" removes exactly these. */
  draftId: uuid,
  targetMinutes: z.number().min(RETELL_LIMITS.minMinutes).max(RETELL_LIMITS.maxMinutes),
  assetId: uuid,
  /** Shots are source frames at this rate (the project's). */
  fps: z.object({ num: z.number().int().positive(), den: z.number().int().positive() }),
  sentences: z.array(DiscoverSentenceSchema).min(1).max(RETELL_LIMITS.maxSentences),
})
export type RetellJobInput = z.infer<typeof RetellJobInputSchema>

const range = z.object({ assetId: uuid, sourceIn: frame, sourceOut: frame })

/** One block of a draft as the job sends it to the collab server (`retell-draft` patch). */
export const DraftBlockSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('chapter'), title: z.string().max(500), sources: z.array(range).max(100) }),
  z.object({ type: z.literal('narration'), text: z.string().max(20_000), id: z.string().max(100).optional() }),
  z.object({ type: z.literal('shot'), label: z.string().max(500), assetId: uuid, sourceIn: frame, sourceOut: frame }),
  z.object({ type: z.literal('paragraph'), text: z.string().max(20_000) }),
])

/** `result` of a succeeded retell job. */
export const RetellResultSchema = z.object({
  documentId: uuid,
  draftId: uuid,
  engine: z.enum(['extractive', 'openai']),
  chapters: z.array(
    z.object({ title: z.string(), startMs: z.number().int(), endMs: z.number().int(), sentences: z.number().int() }),
  ),
  outline: z.array(z.string()),
  narrationWords: z.number().int().nonnegative(),
  blocks: z.number().int().nonnegative(),
  /** With a chat endpoint: the prompt sent and the text it answered, as they were. */
  prompt: z.string().optional(),
  output: z.string().optional(),
})
export type RetellResult = z.infer<typeof RetellResultSchema>
export type DraftBlock = z.infer<typeof DraftBlockSchema>
