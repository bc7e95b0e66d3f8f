import type { Extension, onRequestPayload } from '@hocuspocus/server'
import type { CollabMetrics } from '../CollabMetrics'

export interface MetricsConfiguration {
  metrics: CollabMetrics
  path: string
}

/** Serves the collab server's metrics as Prometheus text at GET /metrics. */
export class MetricsExtension implements Extension {
  extensionName = 'Metrics'
  configuration: MetricsConfiguration

  constructor(configuration: Partial<MetricsConfiguration> & Pick<MetricsConfiguration, 'metrics'>) {
    this.configuration = { path: '/metrics', ...configuration }
  }

  async onRequest({ request, response, instance }: onRequestPayload): Promise<void> {
    if (request.url !== this.configuration.path) return
    const body = this.configuration.metrics.render({
      connections: instance.getConnectionsCount(),
      documents: instance.getDocumentsCount(),
    })
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
    response.end(body)
    // stop the default "Welcome to Hocuspocus" response
    throw null
  }
}
