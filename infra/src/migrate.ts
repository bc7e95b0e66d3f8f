import { MIGRATIONS_DIR } from '@cutroom/schema/migrations'
import { drizzle } from 'drizzle-orm/postgres-js'
import { migrate } from 'drizzle-orm/postgres-js/migrator'
import postgres from 'postgres'

/** Applies every committed migration that the database has not seen yet. Safe to run concurrently. */
export async function migrateDatabase(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, prepare: false, onnotice: () => {} })
  try {
    await migrate(drizzle(sql), { migrationsFolder: MIGRATIONS_DIR })
  } finally {
    await sql.end({ timeout: 5 })
  }
}
