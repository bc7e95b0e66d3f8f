import { join } from 'node:path'
import { type AlignResult, type DocPatchRequest, ErrorCode } from '@cutroom/schema'
import { ForcedAligner } from '../align/ForcedAligner'
import { PronouncingDictionary } from '../align/PronouncingDictionary'
import { ASR_SAMPLE_RATE } from '../asr/AsrEngine'
import type { JobHandler } from '../JobContext'
import { PermanentJobError } from '../JobErrors'
import { SPEECH_PCM_OPTIONS } from '../vad/streamSpeech'

/** Imported cues are often a little early or late: their audio is taken with this much on each side. */
const IMPORT_PAD_SECONDS = 0.3
/** Samples per read from ffmpeg (0.1 s at 16 kHz). */
const READ = 1600

/**
 * Forced alignment of known words: the document's words arrive in the payload as chunks (a subtitle cue, or the
 * gap between untouched words around corrected ones). ffmpeg streams the audio at 16 kHz once; each chunk's audio
 * goes to one pocketsphinx_batch process as soon as it has passed, and the words' new times are patched into the
 * transcript at once (live in every open page). Words that cannot be aligned keep their range and are flagged
 * with confidence 0. Memory holds only the chunks still open.
 */
export const align: JobHandler<'align'> = async (ctx) => {
  const { input } = ctx.payload
  const source = await ctx.source()
  const info = await ctx.mediaInfo()
  if (!info.audio)
    throw new PermanentJobError(
      ErrorCode.UNSUPPORTED_MEDIA,
      'This file has no audio stream to align the words to; link the transcript to a clip with sound.',
    )
  const rate = input.sampleRate
  const to16k = (s: number) => Math.round((s * ASR_SAMPLE_RATE) / rate)
  const fromSource16k = (s: number) => Math.round((s * rate) / ASR_SAMPLE_RATE)
  const pad = input.reason === 'import' ? Math.round(IMPORT_PAD_SECONDS * ASR_SAMPLE_RATE) : 0
  const total16k = Math.round(info.durationSeconds * ASR_SAMPLE_RATE)
  const chunks = input.chunks
    .map((c, i) => {
      const start = Math.max(0, to16k(c.start) - pad)
      return {
        ...c,
        index: i,
        start16k: start,
        end16k: Math.max(start, Math.min(total16k || Infinity, to16k(c.end) + pad)),
      }
    })
    .sort((a, b) => a.start16k - b.start16k || a.index - b.index)

  const dictionary = await PronouncingDictionary.load(join(ctx.aligner.modelDir, 'cmudict-en-us.dict'))
  const aligner = new ForcedAligner({ ...ctx.aligner, workDir: ctx.workDir, signal: ctx.signal }, dictionary)
  await aligner.start(chunks.map((c) => ({ words: c.words.map((w) => w[0]), samples: c.end16k - c.start16k })))

  let aligned = 0
  let unaligned = 0
  let done = 0
  const finish = async (chunk: (typeof chunks)[number], pcm: Int16Array) => {
    const times = await aligner.align(done, pcm)
    done++
    const words: Extract<DocPatchRequest, { type: 'transcript-word-times' }>['words'] = chunk.words.map(
      ([text, start, end], i) => {
        const t = times[i]
        if (!t) {
          unaligned++
          return { text, from: { start, end }, start, end, confidence: 0 }
        }
        aligned++
        const s = fromSource16k(chunk.start16k + t.start)
        return {
          text,
          from: { start, end },
          start: s,
          end: Math.max(s, fromSource16k(chunk.start16k + t.end)),
          confidence: 1,
        }
      },
    )
    const reply = await ctx.patchDocument(input.documentId, {
      type: 'transcript-word-times',
      paragraphStart: chunk.paragraphStart,
      words,
      actorUserId: null,
    })
    if (!reply.ok) {
      if (reply.code === ErrorCode.NOT_FOUND || reply.code === ErrorCode.BAD_INPUT)
        throw new PermanentJobError(reply.code, `The transcript could not be written: ${reply.message}`)
      throw new Error(`The transcript could not be written (${reply.code}): ${reply.message}`)
    }
    ctx.progress(Math.min(0.99, done / chunks.length), 'aligning')
  }

  // chunks in start order; the open ones collect samples as they stream past
  const open: { chunk: (typeof chunks)[number]; pcm: Int16Array }[] = []
  let next = 0
  let at = 0
  try {
    for await (const frame of ctx.ffmpeg.rawFrames(
      { inputs: [{ path: source }], outputOptions: SPEECH_PCM_OPTIONS },
      READ * 2,
      { signal: ctx.signal, bufferFrames: 16 },
    )) {
      const pcm = new Int16Array(frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.byteLength))
      const end = at + pcm.length
      while (next < chunks.length && chunks[next]!.start16k < end) {
        const c = chunks[next++]!
        open.push({ chunk: c, pcm: new Int16Array(c.end16k - c.start16k) })
      }
      for (const o of open) {
        const from = Math.max(at, o.chunk.start16k)
        const to = Math.min(end, o.chunk.end16k)
        if (to > from) o.pcm.set(pcm.subarray(from - at, to - at), from - o.chunk.start16k)
      }
      at = end
      // chunks are finished in start order, so results come back in the order the grammars were written
      while (open.length && open[0]!.chunk.end16k <= at) {
        const o = open.shift()!
        await finish(o.chunk, o.pcm)
      }
    }
    while (open.length) {
      const o = open.shift()!
      await finish(o.chunk, o.pcm.subarray(0, Math.max(0, Math.min(o.pcm.length, at - o.chunk.start16k))))
    }
    // chunks that start after the audio ends
    while (next < chunks.length) await finish(chunks[next++]!, new Int16Array(0))
    await aligner.close()
  } finally {
    aligner.kill()
  }

  const result: AlignResult = {
    documentId: input.documentId,
    reason: input.reason,
    chunks: chunks.length,
    aligned,
    unaligned,
    guessedPronunciations: aligner.guessed.size,
    audioSeconds: info.durationSeconds,
  }
  ctx.progress(1, 'done')
  return {
    artifacts: [],
    usage: [{ metric: 'media_seconds', quantity: info.durationSeconds }],
    result: JSON.parse(JSON.stringify(result)),
  }
}
