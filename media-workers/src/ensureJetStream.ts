import { type JetStreamManager, type StreamConfig } from '@nats-io/jetstream'
import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream'
import { nanos } from '@nats-io/nats-core'
import { consumerName, type JobKind, StreamConfigs, Streams, Subjects } from '@cutroom/schema'

/**
 * Creates JOBS and EVENTS, or brings their settings up to date; safe to run from every process at start.
 * `replicas` is NATS_STREAM_REPLICAS (3 on a three-node cluster).
 */
export async function ensureStreams(jsm: JetStreamManager, replicas = 1): Promise<void> {
  for (const def of Object.values(StreamConfigs)) {
    const config: Partial<StreamConfig> & { name: string } = {
      name: def.name,
      subjects: [...def.subjects],
      retention: def.retention,
      storage: def.storage,
      duplicate_window: nanos(def.duplicateWindowMs),
      num_replicas: replicas,
      ...('maxAgeMs' in def ? { max_age: nanos(def.maxAgeMs) } : {}),
    }
    try {
      await jsm.streams.info(def.name)
      const { storage: _fixed, retention: _fixedToo, ...updatable } = config
      await jsm.streams.update(def.name, updatable)
    } catch (err) {
      if (!isNotFound(err)) throw err
      await jsm.streams.add(config).catch(async (e) => {
        // another process created it between our info and add
        if (!String(e).includes('already in use')) throw e
      })
    }
  }
}

export interface ConsumerSettings {
  ackWaitMs: number
}

/**
 * The durable pull consumer of one job kind. Deliveries are not capped here: the worker bounds the attempts itself
 * (a delivery after the last attempt fails the job with a clear error). A cap would drop the job silently when
 * publishing that failure is what failed, e.g. while a NATS node is down and its streams elect a new leader.
 */
export async function ensureJobConsumer(jsm: JetStreamManager, kind: JobKind, settings: ConsumerSettings): Promise<void> {
  const name = consumerName(kind)
  const config = {
    durable_name: name,
    filter_subject: Subjects.job(kind),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(settings.ackWaitMs),
    max_deliver: -1,
    max_ack_pending: 1000,
  }
  try {
    await jsm.consumers.info(Streams.JOBS, name)
    await jsm.consumers.update(Streams.JOBS, name, {
      ack_wait: config.ack_wait,
      max_deliver: config.max_deliver,
      max_ack_pending: config.max_ack_pending,
    })
  } catch (err) {
    if (!isNotFound(err)) throw err
    await jsm.consumers.add(Streams.JOBS, config)
  }
}

function isNotFound(err: unknown): boolean {
  const text = `${(err as Error)?.name ?? ''} ${(err as Error)?.message ?? ''} ${(err as { code?: unknown })?.code ?? ''}`
  return /not found|404|10059|10014/i.test(text)
}
