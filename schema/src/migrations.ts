import { fileURLToPath } from 'node:url'

/** The folder of committed SQL migrations (drizzle-kit), applied by `npm start` and by test databases. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url))
