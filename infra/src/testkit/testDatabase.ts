import { randomBytes } from 'node:crypto'
import postgres from 'postgres'
import { migrateDatabase } from '../migrate'

export interface TestDatabase {
  /** Connection URL of the new, migrated database. */
  url: string
  drop(): Promise<void>
}

/** The server integration tests run against: real Postgres, not PGlite. */
export const TEST_POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/** Creates a database of its own for one suite, applies the migrations, and drops it on `drop()`. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `cutroom_t_${randomBytes(6).toString('hex')}`
  const admin = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {} })
  await admin.unsafe(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(TEST_POSTGRES_URL)
  url.pathname = `/${name}`
  await migrateDatabase(url.toString())
  return {
    url: url.toString(),
    async drop() {
      const a = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {} })
      await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await a.end()
    },
  }
}
