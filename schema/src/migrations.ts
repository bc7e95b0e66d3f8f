import { fileURLToPath } from 'node:url'

/**
 * The folder of committed SQL migrations (drizzle-kit), applied by `npm start` and by test databases.
 * Empty in a browser bundle, where `node:url` is an empty stub: the client imports this package for its contracts
 * and models, and must not crash on a Node-only path.
 */
export const MIGRATIONS_DIR = typeof fileURLToPath === 'function' ? fileURLToPath(new URL('../migrations', import.meta.url)) : ''
