import { fileURLToPath } from 'node:url'

/**
 * The folder of committed SQL migrations (drizzle-kit), applied by `npm start` and by test databases. Server code
 * imports it from `@cutroom/schema/migrations`; the package's main entry leaves it out, so the browser bundle,
 * which imports the main entry for contracts and models, never evaluates a Node-only path.
 */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url))
