import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { type DocPatchRequest, ErrorCode, type TranscribeResult } from '@cutroom/schema'
import { ASR_SAMPLE_RATE, type AsrWord, openAsrSession } from '../asr/AsrEngine'
import { writeWav } from '../asr/writeWav'
import type { JobHandler } from '../JobContext'
import { PermanentJobError } from '../JobErrors'
import type { SpeechSegment } from '../vad/SpeechSegmenter'
import { type SpeechChunk, streamSpeech } from '../vad/streamSpeech'

/** The speaker of every paragraph until there is diarization. */
export const DEFAULT_SPEAKER = 'Speaker 1'

/** Words of one segment on the source's sample grid, in time order, each inside the segment. */
export function placeWords(words: readonly AsrWord[], segment: SpeechSegment, sourceRate: number): AsrWord[] {
  const toSource = (s16k: number) => Math.round((s16k * sourceRate) / ASR_SAMPLE_RATE)
  const segStart = toSource(segment.start)
  const segEnd = toSource(segment.end)
  let floor = segStart
  return [...words]
    .sort((a, b) => a.start - b.start)
    .map((w) => {
      const start = Math.min(segEnd, Math.max(floor, toSource(segment.start + w.start)))
      const end = Math.min(segEnd, Math.max(start, toSource(segment.start + w.end)))
      floor = start
      return { text: w.text, start, end, confidence: w.confidence }
    })
}

/**
 * Speech to text, live: ffmpeg streams 16 kHz PCM, Silero VAD finds the speech segments as they pass, each closed
 * segment goes to the ASR engine at once and its words are patched into the transcript document as one paragraph
 * (a server change every open page sees), so the transcript fills in while the rest is still decoding.
 */
export const transcribe: JobHandler<'transcribe'> = async (ctx) => {
  const { payload } = ctx
  const engine = ctx.asr
  if (!engine) throw new Error('This worker has no speech recognition engine.')
  const language = (payload.input.language ?? 'en').toLowerCase().split(/[-_]/)[0]!
  if (engine.languages && !engine.languages.includes(language))
    throw new PermanentJobError(
      ErrorCode.BAD_INPUT,
      `The ${engine.name} engine has no model for language "${language}"; it has: ${engine.languages.join(', ')}.`,
    )
  const source = await ctx.source()
  const info = await ctx.mediaInfo()
  if (!info.audio)
    throw new PermanentJobError(
      ErrorCode.UNSUPPORTED_MEDIA,
      'This file has no audio stream to transcribe; upload a clip with sound.',
    )
  const sourceRate = info.audio.sampleRate
  const totalSamples16k = Math.max(1, Math.round(info.durationSeconds * ASR_SAMPLE_RATE))
  const documentId = payload.input.documentId
  const meta = { assetId: payload.input.assetId, language, source: engine.name, sampleRate: sourceRate }

  let segments = 0
  let words = 0
  let speechSamples = 0

  const handleSegment = async ({ segment, pcm }: SpeechChunk) => {
    const wavPath = join(ctx.workDir, `segment-${segments}.wav`)
    await writeWav(wavPath, pcm, ASR_SAMPLE_RATE)
    const recognised = await session.transcribe({ wavPath, samples: pcm.length })
    await rm(wavPath, { force: true })
    speechSamples += pcm.length
    const placed = placeWords(recognised, segment, sourceRate)
    if (placed.length === 0) return
    segments++
    words += placed.length
    if (!documentId) return
    const request: DocPatchRequest = {
      type: 'transcript-segment',
      meta,
      segment: {
        speaker: DEFAULT_SPEAKER,
        start: Math.round((segment.start * sourceRate) / ASR_SAMPLE_RATE),
        end: Math.round((segment.end * sourceRate) / ASR_SAMPLE_RATE),
        words: placed,
      },
      actorUserId: null,
    }
    const reply = await ctx.patchDocument(documentId, request)
    if (!reply.ok) {
      if (reply.code === ErrorCode.NOT_FOUND || reply.code === ErrorCode.BAD_INPUT)
        throw new PermanentJobError(reply.code, `The transcript could not be written: ${reply.message}`)
      throw new Error(`The transcript could not be written (${reply.code}): ${reply.message}`)
    }
  }

  const speech = streamSpeech(ctx.ffmpeg, source, {
    signal: ctx.signal,
    onnxProviders: ctx.capabilities.onnxProviders,
    onDecoded: (n) => ctx.progress(Math.min(0.99, n / totalSamples16k), 'transcribing'),
  })
  // one session for the job: the built-in engine keeps one decoder process with its models loaded
  const session = await openAsrSession(engine, { language, signal: ctx.signal, workDir: ctx.workDir })
  try {
    for await (const chunk of speech) await handleSegment(chunk)
  } finally {
    await session.close().catch(() => {})
  }

  const result: TranscribeResult = {
    documentId,
    engine: engine.name,
    language,
    sampleRate: sourceRate,
    segments,
    words,
    speechSeconds: speechSamples / ASR_SAMPLE_RATE,
    durationSeconds: info.durationSeconds,
    note: words === 0 ? 'No speech was found in this audio; the transcript is empty.' : undefined,
  }
  ctx.progress(1, 'done')
  return {
    artifacts: [],
    usage: [{ metric: 'media_seconds', quantity: info.durationSeconds }],
    result: JSON.parse(JSON.stringify(result)),
  }
}
