/**
 * A Postgres of the benchmark's own: a fresh data directory under the system temp dir, started with Debian's
 * PostgreSQL binaries on a free loopback port, so checkpoints forced by other work on the shared server (every
 * CREATE/DROP DATABASE of a test suite) do not land in the figures. Stopped and deleted by `stop()`.
 */
import { execFile } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { freePort } from '@cutroom/infra'

const run = promisify(execFile)

export interface OwnPostgres {
  /** Superuser URL of its `postgres` database (what TEST_DATABASE_URL expects). */
  url: string
  stop(): Promise<void>
}

function binDir(): string {
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : []
  for (const v of versions) if (existsSync(path.join(root, v, 'bin', 'initdb'))) return path.join(root, v, 'bin')
  throw new Error('PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql')
}

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const bin = binDir()
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cutroom-bench-pg-'))
  const data = path.join(dir, 'data')
  // Postgres refuses to run as root: run it as the `postgres` system user when we are root.
  const asRoot = process.getuid?.() === 0
  const { uid, gid } = asRoot ? await postgresUser() : { uid: -1, gid: -1 }
  if (asRoot) chownSync(dir, uid, gid)
  const exec = (cmd: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args]) : run(path.join(bin, cmd), args)
  const port = await freePort()
  await exec('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions'])
  await exec('pg_ctl', [
    ...['-D', data, '-l', path.join(dir, 'postgres.log'), '-w', 'start'],
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200`,
  ])
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await exec('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => {})
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const { stdout } = await run('id', ['-u', 'postgres'])
  const { stdout: g } = await run('id', ['-g', 'postgres'])
  return { uid: Number(stdout.trim()), gid: Number(g.trim()) }
}
