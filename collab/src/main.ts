import { CollabEnv, ConfigError, loadConfig } from '@cutroom/schema'
import { startTracing, traceLogMixin } from '@cutroom/telemetry'
import pino from 'pino'
import postgres from 'postgres'
import { createCollabServer } from './createCollabServer'

const log = pino({ name: 'collab', mixin: traceLogMixin })
let config: CollabEnv
try {
  config = loadConfig(CollabEnv)
} catch (err) {
  log.fatal(err instanceof ConfigError ? err.message : err)
  process.exit(78)
}
log.level = config.LOG_LEVEL
const tracing = startTracing({ serviceName: 'cutroom-collab', endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT })

const sql = postgres(config.DATABASE_URL, {
  max: config.DATABASE_POOL_SIZE,
  prepare: config.DATABASE_PREPARED_STATEMENTS,
  onnotice: () => {},
})
const collab = createCollabServer({ config, sql, log })
const { port } = await collab.listen()
log.info({ port, redis: Boolean(config.REDIS_URL) }, 'collab listening')

let closing = false
async function shutdown(signal: string) {
  if (closing) return
  closing = true
  log.info({ signal }, 'collab shutting down')
  await collab.destroy()
  await sql.end({ timeout: 5 })
  await tracing.shutdown()
  process.exit(0)
}
process.on('SIGTERM', () => void shutdown('SIGTERM'))
process.on('SIGINT', () => void shutdown('SIGINT'))
