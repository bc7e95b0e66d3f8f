import type { AddressInfo } from 'node:net'
import { createTestDatabase, startTestNats, startTestS3, type TestNats, type TestS3 } from '@cutroom/infra'
import { ApiEnv, loadConfig } from '@cutroom/schema'
import { jetstreamManager } from '@nats-io/jetstream'
import pino from 'pino'
import { createDb } from '../db'
import { createApiServer } from '../server'
import type { ApiServices } from '../services'
import { WebhookDeliverer } from '../webhooks/WebhookDeliverer'
import { startMediaServices } from './MediaServices'

/**
 * The real api HTTP server with its media pipeline on a fresh test database, its own NATS JetStream and its
 * own s3rver bucket. Workers are not included: start them against `nats.url` and `s3.env`. With
 * WEBHOOKS_ENCRYPTION_KEY in `env` it delivers outbound webhooks too, as the api process does.
 */
export async function startMediaTestApi(env: Record<string, string> = {}) {
  const [database, nats, s3] = await Promise.all([createTestDatabase(), startTestNats(), startTestS3()])
  const config = loadConfig(ApiEnv, {
    DATABASE_URL: database.url,
    NATS_URL: nats.url,
    ...s3.env,
    LOG_LEVEL: 'silent',
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
    API_PORT: '0',
    ...env,
  })
  const { sql, db } = createDb(config.DATABASE_URL, 5)
  const log = pino({ level: config.LOG_LEVEL })
  const media = await startMediaServices({ config, db, log })
  const webhooks = env.WEBHOOKS_ENCRYPTION_KEY
    ? new WebhookDeliverer({ db, sql, js: media.js, jsm: await jetstreamManager(media.nc), config, log })
    : undefined
  await webhooks?.start()
  const services: ApiServices = { config, db, log, media, ...(webhooks ? { webhooks } : {}) }
  const server = createApiServer(services)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    services,
    sql,
    databaseUrl: database.url,
    nats: nats as TestNats,
    s3: s3 as TestS3,
    async close() {
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
      await webhooks?.close()
      await media.close()
      await sql.end({ timeout: 5 })
      await Promise.all([database.drop(), nats.stop(), s3.stop()])
    },
  }
}

export type MediaTestApi = Awaited<ReturnType<typeof startMediaTestApi>>
