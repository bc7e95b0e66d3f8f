import { ApiEnv, ConfigError, loadConfig } from '@cutroom/schema'
import { startTracing, traceLogMixin } from '@cutroom/telemetry'
import { jetstreamManager } from '@nats-io/jetstream'
import pino from 'pino'
import { MeterPusher } from './billing/MeterPusher'
import { stripeClient } from './billing/stripeBilling'
import { ApiMetrics } from './ApiMetrics'
import { createDb } from './db'
import { WebhookDeliverer } from './webhooks/WebhookDeliverer'
import { startMediaServices } from './media/MediaServices'
import { createApiServer } from './server'

const log = pino({ name: 'api', mixin: traceLogMixin })
let config: ApiEnv
try {
  config = loadConfig(ApiEnv)
} catch (err) {
  log.fatal(err instanceof ConfigError ? err.message : err)
  process.exit(78)
}
log.level = config.LOG_LEVEL
const tracing = startTracing({ serviceName: 'cutroom-api', endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT })

const { sql, db } = createDb(config.DATABASE_URL, config.DATABASE_POOL_SIZE, config.DATABASE_PREPARED_STATEMENTS)
const media = await startMediaServices({ config, db, log })
// dedicated delivery processes (webhookWorkerMain.ts) can take this over: WEBHOOKS_DELIVERY=false
const webhooks = config.WEBHOOKS_DELIVERY
  ? new WebhookDeliverer({ db, sql, js: media.js, jsm: await jetstreamManager(media.nc), config, log })
  : undefined
await webhooks?.start()
const stripe = stripeClient(config)
const meter = stripe ? new MeterPusher(db, stripe, config.STRIPE_METER_EVENT, log) : null
meter?.start()
const server = createApiServer({ config, db, log, media, webhooks, metrics: new ApiMetrics({ processMetrics: true }) })
server.listen(config.API_PORT, config.API_HOST, () => log.info({ port: config.API_PORT }, 'api listening'))

let closing = false
async function shutdown(signal: string) {
  if (closing) return
  closing = true
  log.info({ signal }, 'api shutting down')
  server.closeIdleConnections()
  await new Promise((r) => server.close(r))
  await webhooks?.close()
  await media.close()
  await meter?.close()
  await sql.end({ timeout: 5 })
  await tracing.shutdown()
  process.exit(0)
}
process.on('SIGTERM', () => void shutdown('SIGTERM'))
process.on('SIGINT', () => void shutdown('SIGINT'))
