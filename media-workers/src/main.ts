import { createServer } from 'node:http'
import { ConfigError, loadConfig, natsServers, WorkersEnv } from '@cutroom/schema'
import { connect } from '@nats-io/transport-node'
import { startTracing, traceLogMixin } from '@cutroom/telemetry'
import pino from 'pino'
import { AsrConfigError, type AsrEngine } from './asr/AsrEngine'
import { createAsrEngine } from './asr/createAsrEngine'
import { detectCapabilities } from './detectCapabilities'
import { FfmpegAdapter } from './FfmpegAdapter'
import { startMediaWorkers } from './MediaWorkers'
import { S3Storage } from './S3Storage'
import { createTtsEngine } from './tts/createTtsEngine'
import { TtsConfigError, type TtsEngine } from './tts/TtsEngine'

const log = pino({ name: 'media-workers', mixin: traceLogMixin })
let config: WorkersEnv
try {
  config = loadConfig(WorkersEnv)
} catch (err) {
  log.fatal(err instanceof ConfigError ? err.message : err)
  process.exit(78)
}
log.level = config.LOG_LEVEL
const tracing = startTracing({ serviceName: 'cutroom-media-workers', endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT })

const ffmpeg = new FfmpegAdapter(config.FFMPEG_PATH, config.FFPROBE_PATH)
const capabilities = await detectCapabilities(ffmpeg, config.WORKER_FORCE_CPU)
log.info({ capabilities }, 'capabilities detected')
// the speech engine is checked at boot: a missing program, model file or URL stops the worker with its reason
const servesSpeech = !config.WORKER_KINDS || config.WORKER_KINDS.split(',').some((k) => k.trim() === 'transcribe')
let asr: AsrEngine | null = null
if (servesSpeech) {
  try {
    asr = await createAsrEngine(config)
  } catch (err) {
    log.fatal(err instanceof AsrConfigError ? err.message : err)
    process.exit(78)
  }
  log.info({ engine: asr.name }, 'speech recognition ready')
}
// the same for speech synthesis: a missing program or an unreadable Piper voice stops the worker at boot
const servesTts = !config.WORKER_KINDS || config.WORKER_KINDS.split(',').some((k) => k.trim() === 'tts')
let tts: TtsEngine | null = null
if (servesTts) {
  try {
    tts = await createTtsEngine(config, { onnxProviders: capabilities.onnxProviders })
  } catch (err) {
    log.fatal(err instanceof TtsConfigError ? err.message : err)
    process.exit(78)
  }
  log.info({ engine: tts.name, voices: tts.voices.length }, 'speech synthesis ready')
}
const storage = new S3Storage(config)
const nc = await connect({ servers: natsServers(config.NATS_URL), name: 'media-workers', maxReconnectAttempts: -1 })
const llm = config.LLM_OPENAI_URL
  ? { url: config.LLM_OPENAI_URL, key: config.LLM_OPENAI_KEY, model: config.LLM_OPENAI_MODEL }
  : null
const workers = await startMediaWorkers({ config, nc, ffmpeg, storage, capabilities, log, asr, llm, tts, aligner: { binary: config.POCKETSPHINX_BATCH_PATH, modelDir: config.POCKETSPHINX_MODEL_DIR }, processMetrics: true })

const health = createServer(async (req, res) => {
  if (req.url === '/metrics') {
    res.writeHead(200, { 'content-type': workers.metrics.registry.contentType })
    return res.end(await workers.metrics.registry.metrics())
  }
  if (req.url !== '/healthz') return res.writeHead(404).end()
  const ok = !nc.isClosed()
  res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
  res.end(
    JSON.stringify({
      ok,
      dependencies: { nats: { ok } },
      capabilities,
      kinds: workers.kinds,
      running: workers.running().length,
      pid: process.pid,
    }),
  )
})
health.listen(config.WORKERS_HEALTH_PORT, config.WORKERS_HEALTH_HOST, () => {
  const address = health.address()
  const port = typeof address === 'object' && address ? address.port : config.WORKERS_HEALTH_PORT
  log.info({ port }, 'media workers ready')
})

let closing = false
async function shutdown(signal: string) {
  if (closing) return
  closing = true
  log.info({ signal }, 'media workers shutting down')
  health.close()
  await workers.close()
  await nc.drain()
  await asr?.close()
  await tts?.close()
  storage.close()
  await tracing.shutdown()
  process.exit(0)
}
process.on('SIGTERM', () => void shutdown('SIGTERM'))
process.on('SIGINT', () => void shutdown('SIGINT'))
