import type { ApiEnv } from '@cutroom/schema'
import type { Logger } from 'pino'
import type { ApiMetrics } from './ApiMetrics'
import type { Db } from './db'
import type { MediaServices } from './media/MediaServices'
import type { WebhookDeliverer } from './webhooks/WebhookDeliverer'

/** Long-lived dependencies, created once at boot and passed down. */
export interface ApiServices {
  config: ApiEnv
  db: Db
  log: Logger
  /** NATS + S3 for assets and jobs; absent in tests that do not need the media pipeline. */
  media?: MediaServices
  /** The outbound webhook delivery loop, when this process runs one (poked after an event is queued). */
  webhooks?: WebhookDeliverer
  /** Prometheus metrics served at /metrics; the server creates them when absent. */
  metrics?: ApiMetrics
}
