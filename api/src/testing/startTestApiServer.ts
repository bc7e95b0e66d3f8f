import type { AddressInfo } from 'node:net'
import { createTestDatabase } from '@cutroom/infra'
import { ApiEnv, loadConfig } from '@cutroom/schema'
import pino from 'pino'
import { createDb } from '../db'
import { createApiServer } from '../server'
import type { ApiServices } from '../services'

/**
 * The real api HTTP server on a free port over a fresh migrated test database. argon2 runs with a low cost
 * set explicitly through config. `env` adds or overrides variables (CLIENT_DIST, COLLAB_PUBLIC_URL, ...).
 */
export async function startTestApiServer(env: Record<string, string> = {}) {
  const database = await createTestDatabase()
  const config = loadConfig(ApiEnv, {
    DATABASE_URL: database.url,
    NATS_URL: 'nats://127.0.0.1:4222',
    LOG_LEVEL: 'silent',
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
    API_PORT: '0',
    ...env,
  })
  const { sql, db } = createDb(config.DATABASE_URL, 5)
  const services: ApiServices = { config, db, log: pino({ level: 'silent' }) }
  const server = createApiServer(services)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    services,
    databaseUrl: database.url,
    async close() {
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
      await sql.end({ timeout: 5 })
      await database.drop()
    },
  }
}

export type TestApiServer = Awaited<ReturnType<typeof startTestApiServer>>
