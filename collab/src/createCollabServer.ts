import type { CollabEnv } from '@cutroom/schema'
import { type Extension, Server } from '@hocuspocus/server'
import type { Logger } from 'pino'
import type postgres from 'postgres'
import { HealthExtension } from './extensions/HealthExtension'

export interface CollabServerOptions {
  config: CollabEnv
  sql: postgres.Sql
  log: Logger
}

/** The collab server: Hocuspocus assembled from small extensions. */
export function createCollabServer({ config, sql, log }: CollabServerOptions): Server {
  const extensions: Extension[] = [new HealthExtension({ checks: { postgres: () => sql`select 1` } })]
  return new Server({
    port: config.COLLAB_PORT,
    address: config.COLLAB_HOST,
    quiet: true,
    stopOnSignals: false,
    extensions,
    onDestroy: async () => {
      log.info('collab server destroyed')
    },
  })
}
