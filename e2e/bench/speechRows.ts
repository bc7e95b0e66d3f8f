/**
 * The rows of the speech benchmark, each measured by running the real job code (the `transcribe` and `align`
 * handlers of media-workers, with ffmpeg, Silero VAD on ONNX Runtime and pocketsphinx) on local files: a job
 * context whose source is the file and whose document patches land in a local transcript. Only NATS and S3 are
 * left out, so the figures are the speech work itself. Exported so other rows (TTS) join the same run.
 */
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import {
  type AsrEngine,
  align,
  detectCapabilities,
  FfmpegAdapter,
  type JobContext,
  mediaInfoFrom,
  normalizeWords,
  streamSpeech,
  transcribe,
  wordErrorRate,
} from '@cutroom/media-workers'
import {
  type DocPatchReply,
  type DocPatchRequest,
  type JobKind,
  type JobPayloadOf,
  transcript,
  WORKER_PATCH_ORIGIN,
} from '@cutroom/schema'
import * as Y from 'yjs'

const ffmpeg = new FfmpegAdapter()
const quiet = () => {}
/** The jobs log nothing the benchmark reads. */
const silentLog = {
  trace: quiet,
  debug: quiet,
  info: quiet,
  warn: quiet,
  error: quiet,
  fatal: quiet,
} as unknown as JobContext['log']
;(silentLog as { child: unknown }).child = () => silentLog
const ORG = randomUUID()
const PROJECT = randomUUID()

export interface TranscriptionRow {
  engine: string
  input: string
  audioSeconds: number
  seconds: number
  rtf: number
  wer: number
  words: number
}

export interface AlignmentRow {
  input: string
  audioSeconds: number
  seconds: number
  rtf: number
  words: number
  aligned: number
  meanStartErrorMs: number
  maxStartErrorMs: number
}

export interface VadRow {
  input: string
  audioSeconds: number
  seconds: number
  rtf: number
  secondsPerMinute: number
  segments: number
}

/** Runs one job handler on a local file, its patches applied to `doc` as the collab server applies them. */
async function runJob<K extends JobKind>(
  handler: (ctx: JobContext<K>) => Promise<unknown>,
  payload: JobPayloadOf<K>,
  file: string,
  doc: Y.Doc,
  asr: AsrEngine | null,
): Promise<number> {
  const workDir = mkdtempSync(path.join(tmpdir(), 'cutroom-speech-row-'))
  const capabilities = await detectCapabilities(ffmpeg, true)
  let info: ReturnType<typeof mediaInfoFrom> | null = null
  const ctx: JobContext<K> = {
    payload,
    signal: new AbortController().signal,
    workDir,
    ffmpeg,
    storage: null as never,
    capabilities,
    log: silentLog,
    progress: () => {},
    source: async () => file,
    mediaInfo: async () => (info ??= mediaInfoFrom(await ffmpeg.probe(file))),
    sourceAt: async () => file,
    mediaInfoAt: async () => (info ??= mediaInfoFrom(await ffmpeg.probe(file))),
    asr,
    llm: null,
    tts: null,
    aligner: { binary: 'pocketsphinx_batch', modelDir: '/usr/share/pocketsphinx/model/en-us' },
    async patchDocument(_id: string, request: DocPatchRequest): Promise<DocPatchReply> {
      if (request.type === 'transcript-segment')
        return { ok: true, changed: transcript.addSegment(doc, request.meta, request.segment, WORKER_PATCH_ORIGIN) }
      if (request.type === 'transcript-word-times')
        return {
          ok: true,
          changed: transcript.setWordTimes(doc, request.paragraphStart, request.words, WORKER_PATCH_ORIGIN) > 0,
        }
      return { ok: false, code: 'BAD_INPUT', message: 'unexpected patch' }
    },
  }
  const started = performance.now()
  try {
    await handler(ctx)
  } finally {
    rmSync(workDir, { recursive: true, force: true })
  }
  return (performance.now() - started) / 1000
}

function emptyTranscript(): Y.Doc {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, transcript.genesis())
  return doc
}

/** RTF and WER of `engine` on `file` through the transcribe job (VAD, then the engine segment by segment). */
export async function measureTranscription(
  engine: AsrEngine,
  input: string,
  file: string,
  reference: readonly string[],
): Promise<TranscriptionRow> {
  const doc = emptyTranscript()
  const audioSeconds = mediaInfoFrom(await ffmpeg.probe(file)).durationSeconds
  const payload: JobPayloadOf<'transcribe'> = {
    kind: 'transcribe',
    jobId: randomUUID(),
    orgId: ORG,
    projectId: PROJECT,
    attempt: 1,
    input: { assetId: randomUUID(), sourceKey: 'bench', language: 'en', documentId: randomUUID() },
  }
  const seconds = await runJob(transcribe, payload, file, doc, engine)
  const words = transcript.readWords(doc).map((w) => w.text.toLowerCase())
  const wer = wordErrorRate(normalizeWords(reference.join(' ')), normalizeWords(words.join(' ')))
  doc.destroy()
  return { engine: engine.name, input, audioSeconds, seconds, rtf: seconds / audioSeconds, wer, words: words.length }
}

/** Seconds of ffmpeg decoding and Silero VAD over `file`, with no recognition. */
export async function measureVad(input: string, file: string): Promise<VadRow> {
  const audioSeconds = mediaInfoFrom(await ffmpeg.probe(file)).durationSeconds
  const started = performance.now()
  let segments = 0
  for await (const _ of streamSpeech(ffmpeg, file, { signal: new AbortController().signal })) segments++
  const seconds = (performance.now() - started) / 1000
  return {
    input,
    audioSeconds,
    seconds,
    rtf: seconds / audioSeconds,
    secondsPerMinute: (seconds * 60) / audioSeconds,
    segments,
  }
}

/**
 * The align job on `file` with one cue per utterance (a little early and late, to the nearest 100 ms, the way
 * subtitle files are), against reference word starts in seconds (pocketsphinx_batch's own segmentation).
 */
export async function measureAlignment(
  input: string,
  file: string,
  utterances: readonly { words: readonly string[]; offset: number; duration: number; starts: readonly number[] }[],
): Promise<AlignmentRow> {
  const info = mediaInfoFrom(await ffmpeg.probe(file))
  const rate = info.audio?.sampleRate ?? 16000
  const doc = emptyTranscript()
  const at = (s: number) => Math.round(s * 10) * (rate / 10)
  transcript.buildTranscript(doc, {
    sampleRate: rate,
    source: 'subtitles',
    segments: utterances.map((u) => {
      const start = at(Math.max(0, u.offset - 0.2))
      const end = at(u.offset + u.duration + 0.1)
      const span = (end - start) / u.words.length
      return {
        speaker: '',
        start,
        end,
        words: u.words.map((text, i) => ({
          text,
          start: Math.round(start + i * span),
          end: Math.round(start + (i + 1) * span),
          confidence: 0,
        })),
      }
    }),
  })
  const payload: JobPayloadOf<'align'> = {
    kind: 'align',
    jobId: randomUUID(),
    orgId: ORG,
    projectId: PROJECT,
    attempt: 1,
    input: {
      assetId: randomUUID(),
      sourceKey: 'bench',
      documentId: randomUUID(),
      reason: 'import',
      sampleRate: rate,
      chunks: transcript.alignSpansForAll(doc),
    },
  }
  const seconds = await runJob(align, payload, file, doc, null)
  const words = transcript.readWords(doc)
  const refs = utterances.flatMap((u) => u.starts.map((s) => u.offset + s))
  const errors = refs.map((r, i) => Math.abs((words[i]?.start ?? 0) / rate - r) * 1000)
  doc.destroy()
  return {
    input,
    audioSeconds: info.durationSeconds,
    seconds,
    rtf: seconds / info.durationSeconds,
    words: refs.length,
    aligned: words.filter((w) => w.confidence > 0).length,
    meanStartErrorMs: errors.reduce((a, b) => a + b, 0) / errors.length,
    maxStartErrorMs: Math.max(...errors),
  }
}
