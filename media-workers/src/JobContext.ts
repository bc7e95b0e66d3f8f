import type { ArtifactRef, DocPatchReply, DocPatchRequest, JobKind, JobPayloadOf, Usage } from '@cutroom/schema'
import type { Logger } from 'pino'
import type { AsrEngine } from './asr/AsrEngine'
import type { ChatEndpoint } from './retell/ChatEndpoint'
import type { WorkerCapabilities } from './detectCapabilities'
import type { FfmpegAdapter } from './FfmpegAdapter'
import type { MediaInfo } from './jobs/mediaInfo'
import type { S3Storage } from './S3Storage'
import type { TtsEngine } from './tts/TtsEngine'

/** What a job module gets: its validated payload, scratch space, the adapters, and progress reporting. */
export interface JobContext<K extends JobKind = JobKind> {
  payload: JobPayloadOf<K>
  /** Aborted on cancel or shutdown; pass it to every ffmpeg run. */
  signal: AbortSignal
  /** A fresh folder removed after the job. */
  workDir: string
  ffmpeg: FfmpegAdapter
  storage: S3Storage
  capabilities: WorkerCapabilities
  log: Logger
  /** 0..1, throttled before it reaches NATS. */
  progress(fraction: number, stage?: string): void
  /** Where ffmpeg reads the source (for kinds with an asset input): a presigned S3 URL, checked once. */
  source(): Promise<string>
  /** ffprobe of the source, once. */
  mediaInfo(): Promise<MediaInfo>
  /** Like `source()` for any object key of the job (e.g. both versions of a framediff), checked once per key. */
  sourceAt(sourceKey: string): Promise<string>
  /** Like `mediaInfo()` for any object key of the job, once per key. */
  mediaInfoAt(sourceKey: string): Promise<MediaInfo>
  /** The speech recogniser the worker booted with (null when it serves no speech kinds). */
  asr: AsrEngine | null
  /** The chat endpoint retell drafts are written with (null: extractive drafts). */
  llm: ChatEndpoint | null
  /** The speech synthesizer the worker booted with (null when it serves no tts jobs). */
  tts: TtsEngine | null
  /** pocketsphinx_batch and the model the align job uses. */
  aligner: { binary: string; modelDir: string }
  /** A server-side change of a document (request/reply to the collab server on `patches.doc.<id>`). */
  patchDocument(documentId: string, request: DocPatchRequest): Promise<DocPatchReply>
}

export interface JobOutcome {
  artifacts: ArtifactRef[]
  usage: Usage[]
  result?: Record<string, unknown>
}

export type JobHandler<K extends JobKind = JobKind> = (ctx: JobContext<K>) => Promise<JobOutcome>
