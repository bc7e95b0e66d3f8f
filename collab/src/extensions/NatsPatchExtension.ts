import {
  COLLAB_ARTIFACTS_CONSUMER,
  DOC_PATCH_QUEUE,
  type DocPatchReply,
  ErrorCode,
  isUuid,
  JobEventSchema,
  natsServers,
  StreamConfigs,
  Streams,
  Subjects,
} from '@cutroom/schema'
import { extractTraceContext, SpanKind, withSpan } from '@cutroom/telemetry'
import type { Extension } from '@hocuspocus/server'
import { AckPolicy, type ConsumerMessages, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream'
import { type NatsConnection, nanos, type Subscription } from '@nats-io/nats-core'
import { connect } from '@nats-io/transport-node'
import type { Logger } from 'pino'
import type { DocPatcher } from '../DocPatcher'

export interface NatsPatchConfiguration {
  natsUrl: string
  patcher: DocPatcher
  log?: Logger
  /** Redelivery delay of an event whose patch failed. */
  retryDelayMs: number
  /** Replicas of stream EVENTS when this instance creates it (NATS_STREAM_REPLICAS). */
  streamReplicas: number
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/**
 * Receives server-side patches over NATS: api requests on `patches.doc.<docId>` (core request/reply, one queue
 * group for all instances) and job results on stream EVENTS (durable consumer `collab-artifacts`), whose artifact
 * references it sets into the timelines that use the asset.
 */
export class NatsPatchExtension implements Extension {
  extensionName = 'NatsPatch'
  configuration: NatsPatchConfiguration
  nc: NatsConnection | null = null
  private subscription: Subscription | null = null
  private messages: ConsumerMessages | null = null
  private readonly loops: Promise<void>[] = []

  constructor(configuration: Partial<NatsPatchConfiguration> & Pick<NatsPatchConfiguration, 'natsUrl' | 'patcher'>) {
    this.configuration = { retryDelayMs: 2000, streamReplicas: 1, ...configuration }
  }

  async onListen(): Promise<void> {
    const { natsUrl, log } = this.configuration
    this.nc = await connect({ servers: natsServers(natsUrl), name: 'cutroom-collab', maxReconnectAttempts: -1 })
    this.subscription = this.nc.subscribe(Subjects.allDocPatches, { queue: DOC_PATCH_QUEUE })
    this.loops.push(this.servePatches(this.subscription))
    const jsm = await jetstreamManager(this.nc)
    await ensureEventsStream(jsm, this.configuration.streamReplicas)
    await ensureArtifactsConsumer(jsm)
    const messages = await jetstream(this.nc)
      .consumers.get(Streams.EVENTS, COLLAB_ARTIFACTS_CONSUMER)
      .then((c) => c.consume())
    this.messages = messages
    this.loops.push(this.serveEvents(messages))
    log?.info('patches over NATS ready')
  }

  /** For /healthz. */
  async check(): Promise<void> {
    if (!this.nc || this.nc.isClosed()) throw new Error('not connected')
    await this.nc.flush()
  }

  async onDestroy(): Promise<void> {
    this.subscription?.unsubscribe()
    await this.messages?.close()
    await Promise.allSettled(this.loops)
    await this.nc?.drain().catch(() => {})
  }

  private async servePatches(sub: Subscription): Promise<void> {
    for await (const msg of sub) {
      const documentId = msg.subject.slice('patches.doc.'.length)
      let reply: DocPatchReply
      if (!isUuid(documentId)) reply = { ok: false, code: ErrorCode.NOT_FOUND, message: 'No such document.' }
      else {
        let body: unknown
        try {
          body = JSON.parse(decoder.decode(msg.data))
        } catch {
          body = undefined
        }
        reply =
          body === undefined
            ? { ok: false, code: ErrorCode.BAD_INPUT, message: 'The patch is not JSON.' }
            : await this.configuration.patcher.handle(documentId.toLowerCase(), body)
      }
      if (msg.reply) msg.respond(encoder.encode(JSON.stringify(reply)))
    }
  }

  private async serveEvents(messages: ConsumerMessages): Promise<void> {
    const { patcher, log, retryDelayMs } = this.configuration
    for await (const msg of messages) {
      let event: ReturnType<typeof JobEventSchema.parse>
      try {
        event = JobEventSchema.parse(msg.json())
      } catch (err) {
        // Malformed events are not ours to fix; acknowledge so they do not block the consumer.
        log?.warn({ err, subject: msg.subject }, 'ignoring a malformed job event')
        msg.ack()
        continue
      }
      try {
        // the span continues the trace the worker's result event carries (upload -> job -> patch)
        await withSpan(
          'collab patch artifacts',
          { kind: SpanKind.CONSUMER, parent: extractTraceContext(msg.headers), attributes: { 'cutroom.job_id': event.jobId, 'cutroom.job_kind': event.kind } },
          () => patcher.applyJobArtifacts(event),
        )
        msg.ack()
      } catch (err) {
        log?.error({ err, jobId: event.jobId }, 'patching artifacts failed; will retry')
        msg.nak(retryDelayMs)
      }
    }
  }
}

/** Creates stream EVENTS or brings its settings up to date (every service may be first to start). */
export async function ensureEventsStream(jsm: Awaited<ReturnType<typeof jetstreamManager>>, replicas = 1): Promise<void> {
  const def = StreamConfigs.EVENTS
  const config = {
    name: def.name,
    subjects: [...def.subjects],
    retention: def.retention,
    storage: def.storage,
    duplicate_window: nanos(def.duplicateWindowMs),
    num_replicas: replicas,
    max_age: nanos(def.maxAgeMs),
  }
  try {
    await jsm.streams.info(def.name)
    const { storage: _storage, retention: _retention, ...updatable } = config
    await jsm.streams.update(def.name, updatable)
  } catch (err) {
    if (!isNotFound(err)) throw err
    await jsm.streams.add(config).catch((e) => {
      if (!String(e).includes('already in use')) throw e
    })
  }
}

async function ensureArtifactsConsumer(jsm: Awaited<ReturnType<typeof jetstreamManager>>): Promise<void> {
  const config = {
    durable_name: COLLAB_ARTIFACTS_CONSUMER,
    // Only results can carry artifacts.
    filter_subject: 'events.job.*.succeeded',
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(30_000),
    max_ack_pending: 100,
  }
  try {
    await jsm.consumers.info(Streams.EVENTS, COLLAB_ARTIFACTS_CONSUMER)
  } catch (err) {
    if (!isNotFound(err)) throw err
    await jsm.consumers.add(Streams.EVENTS, config).catch((e) => {
      if (!String(e).includes('already')) throw e
    })
  }
}

function isNotFound(err: unknown): boolean {
  const text = `${(err as Error)?.name ?? ''} ${(err as Error)?.message ?? ''} ${(err as { code?: unknown })?.code ?? ''}`
  return /not found|404|10059|10014/i.test(text)
}
