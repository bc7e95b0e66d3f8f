import { type ApiEnv, natsServers } from '@cutroom/schema'
import { type JetStreamClient, jetstream, jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import { connect } from '@nats-io/transport-node'
import type { Logger } from 'pino'
import type { Db } from '../db'
import { applyNarrationAudio } from '../jobs/applyNarrationAudio'
import { EventsRecorder } from '../jobs/EventsRecorder'
import { ensureStreams } from '../jobs/ensureStreams'
import { JobDispatcher } from '../jobs/JobDispatcher'
import { ProgressRecorder } from '../jobs/ProgressRecorder'
import { ObjectStorage } from '../storage/ObjectStorage'

/** The api's media pipeline: S3 presigning, job dispatch to JetStream, and the EVENTS recorder. */
export interface MediaServices {
  nc: NatsConnection
  js: JetStreamClient
  storage: ObjectStorage
  dispatcher: JobDispatcher
  recorder: EventsRecorder
  uploads: { multipartThresholdBytes: number; partSizeBytes: number }
  close(): Promise<void>
}

export async function startMediaServices(opts: { config: ApiEnv; db: Db; log: Logger; nc?: NatsConnection }): Promise<MediaServices> {
  const { config, db, log } = opts
  const nc = opts.nc ?? (await connect({ servers: natsServers(config.NATS_URL), name: 'api', maxReconnectAttempts: -1 }))
  const jsm = await jetstreamManager(nc)
  await ensureStreams(jsm, config.NATS_STREAM_REPLICAS)
  const js = jetstream(nc)
  const storage = new ObjectStorage(config)
  const dispatcher = new JobDispatcher(db, js, log)
  const recorder = new EventsRecorder(db, dispatcher, log, (event) => applyNarrationAudio(nc, log, event))
  await recorder.start(jsm, js)
  const progress = new ProgressRecorder(db, log)
  progress.start(nc)
  const stopSweep = dispatcher.startStrandedSweep()
  return {
    nc,
    js,
    storage,
    dispatcher,
    recorder,
    uploads: { multipartThresholdBytes: config.UPLOAD_MULTIPART_THRESHOLD_BYTES, partSizeBytes: config.UPLOAD_PART_SIZE_BYTES },
    async close() {
      stopSweep()
      progress.close()
      await recorder.close()
      if (!opts.nc) await nc.drain()
      storage.close()
    },
  }
}
