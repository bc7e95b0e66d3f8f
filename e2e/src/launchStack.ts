import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'
import { freePort } from '@cutroom/infra'

const ROOT = path.resolve(import.meta.dirname, '../..')

export interface LaunchedStack {
  process: ChildProcess
  /** Everything the launcher printed so far. */
  output: () => string
  apiUrl: string
  collabUrl: string
  workersHealthUrl: string
  /** The embedded Postgres URL as printed in the launcher's table. */
  databaseUrl: string
  /** Sends Ctrl-C (SIGINT) and resolves with the exit code once every child stopped. */
  stop(): Promise<number | null>
}

/**
 * Runs the launcher exactly as `npm start` does (after the bootstrap), with its state in `dataDir` and the
 * api, collab and worker ports on free ports so it never collides with a running stack.
 */
export async function launchStack(dataDir: string, extraEnv: Record<string, string> = {}): Promise<LaunchedStack> {
  const [api, collab, workers] = [await freePort(), await freePort(), await freePort()]
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    API_PORT: String(api),
    COLLAB_PORT: String(collab),
    WORKERS_HEALTH_PORT: String(workers),
    NODE_ENV: 'development',
    ...extraEnv,
  }
  for (const k of ['DATABASE_URL', 'NATS_URL', 'S3_ENDPOINT', 'REDIS_URL']) if (!(k in extraEnv)) delete env[k]
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'infra/src/main.ts'), 'start'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.on('data', (d) => {
    out += d
  })
  child.stderr!.on('data', (d) => {
    out += d
  })
  const deadline = Date.now() + 120_000
  while (!out.includes('Ctrl-C stops everything')) {
    if (child.exitCode !== null) throw new Error(`launcher exited with ${child.exitCode}:\n${out}`)
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`launcher did not come up in 120 s:\n${out}`)
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  const databaseUrl = /postgres:\/\/\S+/.exec(out)?.[0] ?? ''
  return {
    process: child,
    output: () => out,
    apiUrl: `http://127.0.0.1:${api}`,
    collabUrl: `ws://127.0.0.1:${collab}`,
    workersHealthUrl: `http://127.0.0.1:${workers}/healthz`,
    databaseUrl,
    stop() {
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode)
        child.once('exit', (code) => resolve(code))
        child.kill('SIGINT')
      })
    },
  }
}
