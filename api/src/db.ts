import { tables } from '@cutroom/schema'
import { drizzle } from 'drizzle-orm/postgres-js'
import postgres from 'postgres'

export type Db = ReturnType<typeof createDb>['db']

/** One postgres.js pool and its Drizzle wrapper for this process. */
export function createDb(url: string, max = 10, prepare = true) {
  const sql = postgres(url, { max, prepare, onnotice: () => {} })
  const db = drizzle(sql, { schema: tables })
  return { sql, db }
}
