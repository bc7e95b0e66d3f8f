import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { type Consumer, type JetStreamClient, type JsMsg, jetstream, jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection, Subscription } from '@nats-io/nats-core'
import {
  DocPatchReplySchema,
  ErrorCode,
  type JobEvent,
  JobEventSchema,
  type JobKind,
  type JobPayload,
  JobPayloadSchema,
  type JobProgress,
  Streams,
  Subjects,
  consumerName,
  retryTransient,
  scrubMessage,
  type WorkersEnv,
} from '@cutroom/schema'
import { extractTraceContext, injectTraceContext, SpanKind, withSpan } from '@cutroom/telemetry'
import { headers } from '@nats-io/nats-core'
import type { Logger } from 'pino'
import type { AsrEngine } from './asr/AsrEngine'
import type { ChatEndpoint } from './retell/ChatEndpoint'
import type { TtsEngine } from './tts/TtsEngine'
import type { WorkerCapabilities } from './detectCapabilities'
import { ensureJobConsumer, ensureStreams } from './ensureJetStream'
import type { FfmpegAdapter } from './FfmpegAdapter'
import type { JobContext, JobHandler, JobOutcome } from './JobContext'
import { JobCancelledError, PermanentJobError } from './JobErrors'
import { JOB_HANDLERS } from './jobs/handlers'
import { type MediaInfo, mediaInfoFrom } from './jobs/mediaInfo'
import type { S3Storage } from './S3Storage'
import { type JobOutcomeLabel, WorkerMetrics } from './WorkerMetrics'

export type MediaWorkersConfig = Pick<
  WorkersEnv,
  'WORKER_KINDS' | 'NATS_STREAM_REPLICAS' | 'WORKER_CONCURRENCY' | 'WORKER_MAX_ATTEMPTS' | 'WORKER_ACK_WAIT_MS' | 'WORKER_RETRY_BACKOFF_MS' | 'WORKER_TMP_DIR'
>

export interface MediaWorkersDeps {
  config: MediaWorkersConfig
  nc: NatsConnection
  ffmpeg: FfmpegAdapter
  storage: S3Storage
  capabilities: WorkerCapabilities
  log: Logger
  /** Also count the process' CPU, memory and event loop in /metrics (the real process; not tests). */
  processMetrics?: boolean
  /** The speech recogniser of the transcribe job (required when the worker serves it). */
  asr?: AsrEngine | null
  /** The OpenAI-compatible chat endpoint of the retell job, when LLM_OPENAI_URL is set. */
  llm?: ChatEndpoint | null
  /** The speech synthesizer of the tts job (required when the worker serves it). */
  tts?: TtsEngine | null
  /** pocketsphinx_batch and the model of the align job (Debian's paths when not given). */
  aligner?: { binary: string; modelDir: string }
  /** How long a document patch may wait for the collab server's reply. */
  patchTimeoutMs?: number
  /** How long one pull waits for a job; also the longest `close()` waits. */
  pullExpiresMs?: number
  /** Handlers used instead of the built-in ones for some kinds (tests and benchmarks tune the export job). */
  handlers?: Partial<{ [K in JobKind]: JobHandler<K> }>
}

export interface MediaWorkers {
  kinds: JobKind[]
  /** Served at /metrics; also told ffmpeg's and ONNX Runtime's timings. */
  metrics: WorkerMetrics
  /** Jobs being worked on right now. */
  running(): string[]
  /** Stops pulling, hands running jobs back to JetStream for another worker, and waits for the loops. */
  close(): Promise<void>
}

const PROGRESS_INTERVAL_MS = 500
/**
 * How long a result may take to publish: through a NATS node's death and the stream's leader election (seconds),
 * with the job message held by heartbeats meanwhile. Only then does the job count the attempt as failed.
 */
const EVENT_PUBLISH_BUDGET_MS = 30_000
/** Cancels that arrive before a job starts are remembered this long. */
const CANCEL_MEMORY_MS = 15 * 60_000

/** Starts one pull loop per served job kind against its durable consumer. */
export async function startMediaWorkers(deps: MediaWorkersDeps): Promise<MediaWorkers> {
  const { config, nc, log } = deps
  const kinds = servedKinds(config.WORKER_KINDS)
  const pullExpiresMs = deps.pullExpiresMs ?? 5_000
  const jsm = await jetstreamManager(nc)
  await ensureStreams(jsm, config.NATS_STREAM_REPLICAS)
  for (const kind of kinds) {
    await ensureJobConsumer(jsm, kind, { ackWaitMs: config.WORKER_ACK_WAIT_MS })
  }
  const js = jetstream(nc)
  const metrics = new WorkerMetrics({ kinds, capabilities: deps.capabilities, jsm, processMetrics: deps.processMetrics })
  deps.ffmpeg.timer = metrics.timer
  const slots = new Semaphore(config.WORKER_CONCURRENCY)
  const running = new Map<string, AbortController>()
  const cancelledEarly = new Map<string, number>()
  let stopping = false

  const cancels: Subscription = nc.subscribe(Subjects.allCancels, {
    callback: (_err, msg) => {
      const jobId = msg.subject.split('.').pop() ?? ''
      const job = running.get(jobId)
      if (job) job.abort('cancel')
      else {
        const now = Date.now()
        for (const [id, at] of cancelledEarly) if (now - at > CANCEL_MEMORY_MS) cancelledEarly.delete(id)
        cancelledEarly.set(jobId, now)
      }
    },
  })

  const publishEvent = async (event: Omit<JobEvent, 'at'>, msgId: string, signal?: AbortSignal) => {
    // the one way out for a job's error: whatever a job module or library threw, people see it scrubbed
    const error = event.error === undefined ? undefined : scrubMessage(event.error, { redact: deps.storage.redactions })
    const checked = JobEventSchema.parse({ ...event, error, at: new Date().toISOString() })
    // the result carries the job's trace on to the api's recorder and the collab patch
    const h = headers()
    injectTraceContext(h)
    // the same message id on every attempt: EVENTS stores one copy however often this is retried
    await retryTransient(
      () => js.publish(Subjects.event(checked.kind, checked.status), JSON.stringify(checked), { msgID: msgId, headers: h }),
      {
        budgetMs: EVENT_PUBLISH_BUDGET_MS,
        signal,
        onRetry: (err, n) => n === 1 && log.warn({ err, jobId: checked.jobId, status: checked.status }, 'publishing a job event failed; retrying'),
      },
    )
  }

  /** Settles a job without running it; if the event cannot be published, the message comes back later to try again. */
  const settleUnrun = async (msg: JsMsg, event: Omit<JobEvent, 'at'>, msgId: string, reason: string): Promise<boolean> => {
    try {
      await publishEvent(event, msgId)
      terminate(msg, reason, event.jobId)
      return true
    } catch (err) {
      log.error({ err, jobId: event.jobId }, 'could not publish the outcome of a job; it will come back')
      msg.nak(config.WORKER_RETRY_BACKOFF_MS)
      return false
    }
  }

  const handle = (kind: JobKind, msg: JsMsg) =>
    withSpan(`job ${kind}`, { kind: SpanKind.CONSUMER, parent: extractTraceContext(msg.headers), attributes: { 'cutroom.job_kind': kind } }, () =>
      measured(kind, msg),
    )

  /**
   * Ends a message for good. Without a reason: nats-server before 2.10 (Debian 12 ships 2.9) ignores `+TERM <reason>`,
   * which left the message in the work queue to be delivered again after the ack wait.
   */
  const terminate = (msg: JsMsg, reason: string, jobId?: string) => {
    log.debug({ jobId, reason }, 'job message terminated')
    msg.term()
  }

  const measured = async (kind: JobKind, msg: JsMsg) => {
    const started = performance.now()
    metrics.running.inc({ kind })
    let outcome: JobOutcomeLabel = 'failed'
    try {
      outcome = await work(kind, msg)
    } finally {
      metrics.running.dec({ kind })
      metrics.recordJob(kind, outcome, (performance.now() - started) / 1000)
    }
  }

  const work = async (kind: JobKind, msg: JsMsg): Promise<JobOutcomeLabel> => {
    const handler = (deps.handlers?.[kind] ?? JOB_HANDLERS[kind]) as JobHandler | undefined
    let payload: JobPayload
    try {
      payload = JobPayloadSchema.parse(JSON.parse(msg.string()))
      if (payload.kind !== kind) throw new Error(`a ${payload.kind} job on the ${kind} subject`)
    } catch (err) {
      log.error({ err, subject: msg.subject }, 'dropping a job message that does not match the contract')
      terminate(msg, 'invalid payload')
      return 'invalid'
    }
    const delivery = msg.info.deliveryCount
    const base = {
      jobId: payload.jobId,
      kind,
      orgId: payload.orgId,
      projectId: payload.projectId,
      assetId: assetIdOf(payload),
      attempt: payload.attempt,
    }
    const eventId = (status: string) => `${payload.jobId}:${payload.attempt}:${status}`
    const jlog = log.child({ jobId: payload.jobId, kind, attempt: payload.attempt, delivery })

    if (cancelledEarly.has(payload.jobId)) {
      const settled = await settleUnrun(msg, { ...base, status: 'cancelled', artifacts: [], usage: [], final: true }, eventId('cancelled'), 'cancelled')
      if (settled) cancelledEarly.delete(payload.jobId)
      return settled ? 'cancelled' : 'retried'
    }
    if (!handler) {
      const settled = await settleUnrun(
        msg,
        { ...base, status: 'failed', artifacts: [], usage: [], final: true, error: `No worker handles ${kind} jobs.` },
        eventId('failed'),
        'no handler',
      )
      return settled ? 'failed' : 'retried'
    }
    if (delivery > config.WORKER_MAX_ATTEMPTS) {
      // the previous delivery never answered: its worker died or hung on the last attempt
      const settled = await settleUnrun(
        msg,
        {
          ...base,
          status: 'failed',
          artifacts: [],
          usage: [],
          final: true,
          error: `The worker stopped responding on each of ${config.WORKER_MAX_ATTEMPTS} attempts.`,
        },
        eventId('failed'),
        'attempts exhausted',
      )
      return settled ? 'failed' : 'retried'
    }

    const controller = new AbortController()
    running.set(payload.jobId, controller)
    const heartbeat = setInterval(() => msg.working(), Math.max(500, Math.floor(config.WORKER_ACK_WAIT_MS / 3)))
    const workRoot = config.WORKER_TMP_DIR ?? tmpdir()
    await mkdir(workRoot, { recursive: true })
    const workDir = await mkdtemp(path.join(workRoot, `cutroom-${kind}-`))
    try {
      await publishEvent({ ...base, status: 'running', artifacts: [], usage: [], final: false }, `${eventId('running')}:${delivery}`, controller.signal)
      const outcome: JobOutcome = await handler(jobContext(payload, workDir, controller.signal, jlog))
      await publishEvent({ ...base, status: 'succeeded', ...outcome, final: true }, eventId('succeeded'), controller.signal)
      msg.ack()
      jlog.info('job succeeded')
      return 'succeeded'
    } catch (err) {
      const reason = controller.signal.reason
      if (reason === 'shutdown') {
        // not the job's fault: hand it straight to another worker without spending an attempt's backoff
        msg.nak(0)
        return 'handed_back'
      } else if (err instanceof JobCancelledError || reason === 'cancel') {
        await publishEvent({ ...base, status: 'cancelled', artifacts: [], usage: [], final: true }, eventId('cancelled'))
        terminate(msg, 'cancelled', payload.jobId)
        jlog.info('job cancelled')
        return 'cancelled'
      } else {
        const permanent = err instanceof PermanentJobError
        const final = permanent || delivery >= config.WORKER_MAX_ATTEMPTS
        const error = permanent ? `${(err as PermanentJobError).code}: ${(err as Error).message}` : (err as Error).message
        const published = await publishEvent(
          {
            ...base,
            status: 'failed',
            artifacts: [],
            usage: [],
            final,
            error,
            result: permanent ? { code: (err as PermanentJobError).code } : undefined,
          },
          final ? eventId('failed') : `${eventId('failed')}:${delivery}`,
        ).then(
          () => true,
          (e) => {
            jlog.error({ err: e }, 'could not publish the failure')
            return false
          },
        )
        // a final failure nobody heard of must come back (and fail again, audibly) rather than vanish
        if (final && published) terminate(msg, 'failed', payload.jobId)
        else msg.nak(config.WORKER_RETRY_BACKOFF_MS * 2 ** (delivery - 1))
        jlog.warn({ err, final }, 'job failed')
        return final ? 'failed' : 'retried'
      }
    } finally {
      clearInterval(heartbeat)
      running.delete(payload.jobId)
      await rm(workDir, { recursive: true, force: true })
    }
  }

  const jobContext = (payload: JobPayload, workDir: string, signal: AbortSignal, jlog: Logger): JobContext => {
    const sources = new Map<string, Promise<string>>()
    const infos = new Map<string, Promise<MediaInfo>>()
    let lastSent = 0
    const input = 'input' in payload && 'sourceKey' in payload.input ? payload.input : null
    const ctx: JobContext = {
      payload,
      signal,
      workDir,
      ffmpeg: deps.ffmpeg,
      storage: deps.storage,
      capabilities: deps.capabilities,
      log: jlog,
      asr: deps.asr ?? null,
      llm: deps.llm ?? null,
      tts: deps.tts ?? null,
      aligner: deps.aligner ?? { binary: 'pocketsphinx_batch', modelDir: '/usr/share/pocketsphinx/model/en-us' },
      async patchDocument(documentId, request) {
        const msg = await nc
          .request(Subjects.docPatch(documentId), JSON.stringify(request), { timeout: deps.patchTimeoutMs ?? 15_000 })
          .catch((err: Error) => {
            throw new Error(`The collab server did not take the document change (${err.message}).`)
          })
        return DocPatchReplySchema.parse(msg.json())
      },
      progress(fraction, stage) {
        const now = Date.now()
        if (fraction < 1 && now - lastSent < PROGRESS_INTERVAL_MS) return
        lastSent = now
        const tick: JobProgress = { jobId: payload.jobId, projectId: payload.projectId, kind: payload.kind, progress: fraction, stage, at: new Date(now).toISOString() }
        nc.publish(Subjects.progress(payload.jobId), JSON.stringify(tick))
      },
      source() {
        if (!input) return Promise.reject(new Error(`${payload.kind} jobs have no source file`))
        return ctx.sourceAt(input.sourceKey)
      },
      mediaInfo() {
        if (!input) return Promise.reject(new Error(`${payload.kind} jobs have no source file`))
        return ctx.mediaInfoAt(input.sourceKey)
      },
      sourceAt(key) {
        let url = sources.get(key)
        if (!url) {
          url = (async () => {
            // a missing object or unreachable S3 fails here, as a retryable error, before ffprobe could call
            // the file unplayable
            await deps.storage.sizeOf(key).catch((err: Error) => {
              throw new Error(`The source file could not be read from storage (${err.name}: ${err.message}).`)
            })
            return deps.storage.readUrl(key)
          })()
          sources.set(key, url)
        }
        return url
      },
      mediaInfoAt(key) {
        let info = infos.get(key)
        if (!info) {
          info = ctx.sourceAt(key).then(async (file) => {
            const data = await deps.ffmpeg.probe(file).catch((err: Error) => {
              // the adapter names the source by its file name and keeps ffprobe's reason
              throw new PermanentJobError(
                ErrorCode.UNSUPPORTED_MEDIA,
                `This file is not playable media (${err.message}); upload a video or audio file.`,
              )
            })
            return mediaInfoFrom(data)
          })
          infos.set(key, info)
        }
        return info
      },
    }
    return ctx
  }

  const loop = async (kind: JobKind) => {
    let consumer: Consumer | null = null
    while (!stopping) {
      try {
        consumer ??= await js.consumers.get(Streams.JOBS, consumerName(kind))
        const msg = await consumer.next({ expires: pullExpiresMs })
        if (!msg) continue
        // hold the message (heartbeating) until a slot frees up, so one kind cannot starve the others
        const holding = setInterval(() => msg.working(), Math.max(500, Math.floor(config.WORKER_ACK_WAIT_MS / 3)))
        await slots.acquire()
        clearInterval(holding)
        if (stopping) {
          slots.release()
          msg.nak(0)
          break
        }
        void handle(kind, msg)
          .catch((err) => log.error({ err, kind }, 'job handling failed'))
          .finally(() => slots.release())
      } catch (err) {
        if (stopping || nc.isClosed()) break
        log.warn({ err, kind }, 'pull failed; retrying')
        consumer = null
        await new Promise((r) => setTimeout(r, 1000))
      }
    }
  }
  const loops = kinds.map((k) => loop(k))
  log.info({ kinds, concurrency: config.WORKER_CONCURRENCY }, 'media workers pulling')

  return {
    kinds,
    metrics,
    running: () => [...running.keys()],
    async close() {
      stopping = true
      for (const c of running.values()) c.abort('shutdown')
      cancels.unsubscribe()
      slots.wake()
      // wait for open pulls to expire: a message one of them got would otherwise come back with a delivery
      // spent, which counts against the job's attempts
      await Promise.race([Promise.all(loops), new Promise((r) => setTimeout(r, pullExpiresMs + 1000))])
      await slots.drain()
    },
  }
}

function servedKinds(list: string | undefined): JobKind[] {
  const implemented = Object.keys(JOB_HANDLERS) as JobKind[]
  if (!list) return implemented
  const wanted = list.split(',').map((s) => s.trim()).filter(Boolean)
  const unknown = wanted.filter((k) => !implemented.includes(k as JobKind))
  if (unknown.length) throw new Error(`WORKER_KINDS names kinds this worker does not implement: ${unknown.join(', ')} (it has ${implemented.join(', ')})`)
  return wanted as JobKind[]
}

function assetIdOf(payload: JobPayload): string | undefined {
  return 'input' in payload && 'assetId' in payload.input ? payload.input.assetId : undefined
}

/** A counting semaphore; `drain` waits until every permit is back. */
class Semaphore {
  private waiters: (() => void)[] = []
  private idle: (() => void)[] = []
  private used = 0
  constructor(private readonly size: number) {}
  acquire(): Promise<void> {
    if (this.used < this.size) {
      this.used++
      return Promise.resolve()
    }
    return new Promise((resolve) => this.waiters.push(() => (this.used++, resolve())))
  }
  release(): void {
    this.used--
    this.waiters.shift()?.()
    if (this.used === 0) for (const f of this.idle.splice(0)) f()
  }
  /** Lets blocked acquirers through (at shutdown; they check `stopping` and give their message back). */
  wake(): void {
    for (const w of this.waiters.splice(0)) w()
  }
  drain(): Promise<void> {
    return this.used <= 0 ? Promise.resolve() : new Promise((r) => this.idle.push(r))
  }
}
