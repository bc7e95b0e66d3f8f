import { mkdirSync } from 'node:fs'
import { PGlite } from '@electric-sql/pglite'
import { freePort } from '../freePort'
import { PgliteWireServer } from './PgliteWireServer'

export interface EmbeddedService {
  url: string
  stop(): Promise<void>
}

/**
 * PGlite (Postgres compiled to WebAssembly) served over the Postgres wire protocol, so every service
 * connects with postgres.js as it would to a real server (with `prepare: false`: the clients share one
 * backend session). Data lives in `dataDir`.
 */
export async function startEmbeddedPostgres(dataDir: string, preferredPort = 54329): Promise<EmbeddedService> {
  mkdirSync(dataDir, { recursive: true })
  const db = await PGlite.create({ dataDir })
  const port = await freePort(preferredPort)
  const server = new PgliteWireServer(db)
  await server.listen(port, '127.0.0.1')
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await server.close()
      await db.close()
    },
  }
}
