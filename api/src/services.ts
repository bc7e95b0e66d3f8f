import type { ApiEnv } from '@cutroom/schema'
import type { Logger } from 'pino'
import type { Db } from './db'

/** Long-lived dependencies, created once at boot and passed down. */
export interface ApiServices {
  config: ApiEnv
  db: Db
  log: Logger
}
