import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'

const CLIENT = path.resolve(import.meta.dirname, '../../client')
/** The built client the api serves to these tests. */
export const CLIENT_DIST = path.join(CLIENT, 'dist')

function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs)
  }
  return newest
}

/** Builds the client when dist is missing or older than its sources, so a test never runs stale pages. */
export function ensureClientBuilt(): void {
  const index = path.join(CLIENT_DIST, 'index.html')
  if (existsSync(index) && statSync(index).mtimeMs >= newestMtime(path.join(CLIENT, 'src'))) return
  execFileSync(process.execPath, [path.join(CLIENT, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: CLIENT,
    stdio: 'inherit',
  })
}
