import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { z } from 'zod'
import { JobCancelledError } from '../JobErrors'
import { ASR_SAMPLE_RATE, type AsrChunk, type AsrEngine, type AsrWord } from './AsrEngine'

export interface OpenAiEngineOptions {
  /** Base URL, e.g. `https://api.openai.com` or a self-hosted server; `/v1/audio/transcriptions` is appended. */
  url: string
  key?: string
  model: string
  /** One request may take this long. */
  timeoutMs?: number
}

/** The documented `verbose_json` answer with `timestamp_granularities[]=word` (fields we use). */
const VerboseJson = z.object({
  text: z.string().default(''),
  words: z
    .array(z.object({ word: z.string(), start: z.number().nonnegative(), end: z.number().nonnegative() }))
    .default([]),
  segments: z.array(z.object({ start: z.number(), end: z.number(), avg_logprob: z.number().optional() })).default([]),
})

/** Words of a `verbose_json` answer; a word's confidence is its segment's mean token probability when given. */
export function wordsFromVerboseJson(body: unknown): AsrWord[] {
  const parsed = VerboseJson.parse(body)
  const confidenceAt = (t: number) => {
    const s = parsed.segments.find((seg) => t >= seg.start && t < seg.end)
    return s?.avg_logprob === undefined ? 1 : Math.min(1, Math.max(0, Math.exp(s.avg_logprob)))
  }
  const words: AsrWord[] = []
  for (const w of parsed.words) {
    // the transcript holds words without spaces; a "word" with inner spaces becomes several with its times
    for (const text of w.word.trim().split(/\s+/).filter(Boolean)) {
      const start = Math.round(w.start * ASR_SAMPLE_RATE)
      words.push({
        text,
        start,
        end: Math.max(start, Math.round(w.end * ASR_SAMPLE_RATE)),
        confidence: confidenceAt(w.start),
      })
    }
  }
  return words
}

/** An OpenAI-compatible speech-to-text endpoint. Error messages never carry the URL or the key. */
export class OpenAiEngine implements AsrEngine {
  readonly name = 'openai' as const
  readonly languages = null
  private readonly endpoint: string

  constructor(private readonly options: OpenAiEngineOptions) {
    this.endpoint = `${options.url.replace(/\/+$/, '').replace(/\/v1$/, '')}/v1/audio/transcriptions`
  }

  async transcribe(
    chunk: AsrChunk,
    { language, signal }: { language: string; signal: AbortSignal },
  ): Promise<AsrWord[]> {
    if (signal.aborted) throw new JobCancelledError()
    const form = new FormData()
    form.set('file', new Blob([await readFile(chunk.wavPath)], { type: 'audio/wav' }), basename(chunk.wavPath))
    form.set('model', this.options.model)
    form.set('response_format', 'verbose_json')
    form.append('timestamp_granularities[]', 'word')
    form.append('timestamp_granularities[]', 'segment')
    if (language) form.set('language', language)
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 120_000)
    let res: Response
    try {
      res = await fetch(this.endpoint, {
        method: 'POST',
        body: form,
        headers: this.options.key ? { authorization: `Bearer ${this.options.key}` } : {},
        signal: AbortSignal.any([signal, timeout]),
      })
    } catch (err) {
      if (signal.aborted) throw new JobCancelledError()
      if (timeout.aborted) throw new Error('The speech recognition service did not answer in time.')
      throw new Error(`The speech recognition service could not be reached (${(err as Error).name}).`)
    }
    if (!res.ok) {
      await res.body?.cancel()
      throw new Error(
        res.status === 401 || res.status === 403
          ? `The speech recognition service refused the key (HTTP ${res.status}); check ASR_OPENAI_KEY.`
          : `The speech recognition service answered HTTP ${res.status}.`,
      )
    }
    let body: unknown
    try {
      body = await res.json()
      return wordsFromVerboseJson(body).filter((w) => w.start < chunk.samples)
    } catch {
      throw new Error('The speech recognition service answered with something other than verbose_json.')
    }
  }

  async close(): Promise<void> {}
}
