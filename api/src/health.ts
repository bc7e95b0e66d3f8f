import { scrubMessage } from '@cutroom/schema'

/** A dependency check for /healthz: resolves when healthy, rejects with the reason otherwise. */
export type HealthCheck = () => Promise<unknown>

/** Runs every check with a timeout; `ok` only when all pass. */
export async function runHealthChecks(checks: Record<string, HealthCheck>, timeoutMs = 2000) {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      const started = Date.now()
      try {
        const detail = await Promise.race([
          check(),
          new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs)),
        ])
        return [name, { ok: true, ms: Date.now() - started, ...(isPlainObject(detail) ? detail : {}) }] as const
      } catch (err) {
        // /healthz is public: the reason without addresses or credentials ("connect ECONNREFUSED [address]")
        return [name, { ok: false, ms: Date.now() - started, error: scrubMessage(err) }] as const
      }
    }),
  )
  const dependencies = Object.fromEntries(entries)
  return { ok: entries.every(([, v]) => v.ok), dependencies }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
