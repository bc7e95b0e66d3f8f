import type { IncomingHttpHeaders } from 'node:http'
import { createTestDatabase } from '@cutroom/infra'
import { ApiEnv, loadConfig } from '@cutroom/schema'
import pino from 'pino'
import { createContext } from '../context'
import { createDb } from '../db'
import { appRouter } from '../router'
import type { ApiServices } from '../services'
import { createCallerFactory } from '../trpc'

const createCaller = createCallerFactory(appRouter)

/**
 * A real migrated test database and the api's services on it, for router tests through createCaller.
 * argon2 runs with a low cost set explicitly through config, never a fake. With `DATABASE_URL` in `env`, it
 * uses that database and leaves it in place (two api instances over one database: replicas).
 */
export async function createTestApi(env: Record<string, string> = {}) {
  const database = env.DATABASE_URL ? { url: env.DATABASE_URL, drop: async () => {} } : await createTestDatabase()
  const config = loadConfig(ApiEnv, {
    NATS_URL: 'nats://127.0.0.1:4222',
    LOG_LEVEL: 'silent',
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
    ...env,
    DATABASE_URL: database.url,
  })
  const { sql, db } = createDb(config.DATABASE_URL, 5)
  const services: ApiServices = { config, db, log: pino({ level: 'silent' }) }
  let ipCounter = 0
  return {
    services,
    sql,
    /**
     * A caller as the bearer of `token` (session token or API key), or anonymous. Each gets its own address unless
     * `ip` names one (rate limits count per address).
     */
    async caller(token?: string | null, headers: IncomingHttpHeaders = {}, options: { ip?: string } = {}) {
      const all = token ? { authorization: `Bearer ${token}`, ...headers } : headers
      const ip = options.ip ?? `10.0.${Math.floor(++ipCounter / 250) % 250}.${ipCounter % 250}`
      const ctx = await createContext(services, { headers: all, ip })
      return createCaller(ctx)
    },
    async close() {
      await sql.end({ timeout: 5 })
      await database.drop()
    },
  }
}

export type TestApi = Awaited<ReturnType<typeof createTestApi>>
