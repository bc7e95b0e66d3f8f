import { ApiEnv, ConfigError, loadConfig } from '@cutroom/schema'
import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import pino from 'pino'
import { createDb } from './db'
import { ensureStreams } from './jobs/ensureStreams'
import { WebhookDeliverer } from './webhooks/WebhookDeliverer'

/**
 * A process that only delivers outbound webhooks (the relay and the WEBHOOKS consumer), for deployments that
 * scale delivery apart from the api (then run the api with WEBHOOKS_DELIVERY=false). Same configuration as the api.
 */
const log = pino({ name: 'webhook-worker' })
let config: ApiEnv
try {
  config = loadConfig(ApiEnv)
} catch (err) {
  log.fatal(err instanceof ConfigError ? err.message : err)
  process.exit(78)
}
log.level = config.LOG_LEVEL

const { sql, db } = createDb(config.DATABASE_URL, config.DATABASE_POOL_SIZE, config.DATABASE_PREPARED_STATEMENTS)
const nc = await connect({ servers: config.NATS_URL, name: 'webhook-worker', maxReconnectAttempts: -1 })
const jsm = await jetstreamManager(nc)
await ensureStreams(jsm, config.NATS_STREAM_REPLICAS)
const deliverer = new WebhookDeliverer({ db, sql, js: jetstream(nc), jsm, config, log })
await deliverer.start()
log.info('webhook worker delivering')

let closing = false
async function shutdown(signal: string) {
  if (closing) return
  closing = true
  log.info({ signal }, 'webhook worker shutting down')
  await deliverer.close()
  await nc.drain()
  await sql.end({ timeout: 5 })
  process.exit(0)
}
process.on('SIGTERM', () => void shutdown('SIGTERM'))
process.on('SIGINT', () => void shutdown('SIGINT'))
