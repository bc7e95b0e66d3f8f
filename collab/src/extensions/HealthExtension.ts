import { scrubMessage } from '@cutroom/schema'
import type { Extension, onRequestPayload } from '@hocuspocus/server'

export interface HealthConfiguration {
  /** Dependency checks: each resolves when healthy. */
  checks: Record<string, () => Promise<unknown>>
  timeoutMs: number
}

/** Answers GET /healthz with the state of each dependency (200 when all are healthy, else 503). */
export class HealthExtension implements Extension {
  configuration: HealthConfiguration
  constructor(configuration: Partial<HealthConfiguration>) {
    this.configuration = { checks: {}, timeoutMs: 2000, ...configuration }
  }

  async onRequest({ request, response, instance }: onRequestPayload): Promise<void> {
    if (request.url !== '/healthz') return
    const results: Record<string, { ok: boolean; error?: string }> = {}
    await Promise.all(
      Object.entries(this.configuration.checks).map(async ([name, check]) => {
        try {
          await Promise.race([
            check(),
            new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), this.configuration.timeoutMs)),
          ])
          results[name] = { ok: true }
        } catch (err) {
          // public endpoint: the reason without addresses or credentials
          results[name] = { ok: false, error: scrubMessage(err) }
        }
      }),
    )
    const ok = Object.values(results).every((r) => r.ok)
    response.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
    response.end(
      JSON.stringify({
        ok,
        dependencies: results,
        documents: instance.getDocumentsCount(),
        connections: instance.getConnectionsCount(),
      }),
    )
    // stop the default "Welcome to Hocuspocus" response
    throw null
  }
}
