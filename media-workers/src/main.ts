import { createServer } from 'node:http'
import { ConfigError, loadConfig, WorkersEnv } from '@cutroom/schema'
import { connect } from '@nats-io/transport-node'
import pino from 'pino'

const log = pino({ name: 'media-workers' })
let config: WorkersEnv
try {
  config = loadConfig(WorkersEnv)
} catch (err) {
  log.fatal(err instanceof ConfigError ? err.message : err)
  process.exit(78)
}
log.level = config.LOG_LEVEL

const nc = await connect({ servers: config.NATS_URL, name: 'media-workers' })

const health = createServer((req, res) => {
  if (req.url !== '/healthz') return res.writeHead(404).end()
  const ok = !nc.isClosed()
  res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ ok, dependencies: { nats: { ok } } }))
})
health.listen(config.WORKERS_HEALTH_PORT, config.WORKERS_HEALTH_HOST)
log.info({ port: config.WORKERS_HEALTH_PORT }, 'media workers ready')

let closing = false
async function shutdown(signal: string) {
  if (closing) return
  closing = true
  log.info({ signal }, 'media workers shutting down')
  health.close()
  await nc.drain()
  process.exit(0)
}
process.on('SIGTERM', () => void shutdown('SIGTERM'))
process.on('SIGINT', () => void shutdown('SIGINT'))
