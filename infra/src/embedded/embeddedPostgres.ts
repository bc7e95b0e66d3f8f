import { mkdirSync } from 'node:fs'
import { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'
import { freePort } from '../freePort'

export interface EmbeddedService {
  url: string
  stop(): Promise<void>
}

/**
 * PGlite (Postgres compiled to WebAssembly) served over the Postgres wire protocol, so every service
 * connects with postgres.js exactly as it would to a real server. Data lives in `dataDir`.
 */
export async function startEmbeddedPostgres(dataDir: string, preferredPort = 54329): Promise<EmbeddedService> {
  mkdirSync(dataDir, { recursive: true })
  const db = await PGlite.create({ dataDir })
  const port = await freePort(preferredPort)
  const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', maxConnections: 64 })
  await server.start()
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await server.stop()
      await db.close()
    },
  }
}
