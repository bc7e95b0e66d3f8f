import { type JetStreamManager, type StreamConfig } from '@nats-io/jetstream'
import { nanos } from '@nats-io/nats-core'
import { StreamConfigs } from '@cutroom/schema'

/**
 * Creates JOBS and EVENTS when missing (whichever of api, workers and collab starts first does it), with
 * `replicas` copies (NATS_STREAM_REPLICAS: 3 on a three-node cluster).
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
    const exists = await jsm.streams.info(def.name).then(
      () => true,
      (err: Error) => {
        if (/not found/i.test(err.message)) return false
        throw err
      },
    )
    if (!exists) {
      await jsm.streams.add(config).catch((e: Error) => {
        if (!/already in use/i.test(e.message)) throw e
      })
    }
  }
}
