import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { LauncherEnv, loadConfig } from '@cutroom/schema'
import { type EmbeddedService, startEmbeddedPostgres } from './embedded/embeddedPostgres'
import { startEmbeddedNats } from './embedded/embeddedNats'
import { startEmbeddedS3 } from './embedded/embeddedS3'
import { migrateDatabase } from './migrate'

const ROOT = path.resolve(import.meta.dirname, '../..')

interface Row {
  service: string
  url: string
  mode: 'embedded' | 'external' | 'process'
}

interface ServiceSpec {
  name: string
  entry: string
  healthUrl: string
}

const LEVEL_NAMES: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' }

/** Prints a child's JSON log lines of level warn and above; keeps every line in .data/logs/<name>.log. */
function relayLogs(name: string, child: ChildProcess, logDir: string): void {
  const file = createWriteStream(path.join(logDir, `${name}.log`), { flags: 'a' })
  const onChunk = (stream: 'out' | 'err') => {
    let rest = ''
    return (chunk: Buffer) => {
      rest += chunk.toString()
      const lines = rest.split('\n')
      rest = lines.pop() ?? ''
      for (const line of lines) {
        if (!line) continue
        file.write(`${line}\n`)
        let level = stream === 'err' ? 50 : 30
        let msg = line
        try {
          const j = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } }
          level = j.level ?? level
          msg = [j.msg, j.err?.message].filter(Boolean).join(': ')
        } catch {}
        if (level >= 40) process.stderr.write(`[${name}] ${LEVEL_NAMES[level] ?? level}: ${msg}\n`)
      }
    }
  }
  child.stdout?.on('data', onChunk('out'))
  child.stderr?.on('data', onChunk('err'))
  child.once('exit', () => file.end())
}

async function waitHealthy(url: string, child: ChildProcess, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode} before it was ready`)
    try {
      const res = await fetch(url)
      if (res.ok) return
    } catch {}
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`${url} was not healthy after ${timeoutMs / 1000} s`)
}

function printTable(rows: Row[]): void {
  const w1 = Math.max(7, ...rows.map((r) => r.service.length))
  const w2 = Math.max(3, ...rows.map((r) => r.url.length))
  const line = (a: string, b: string, c: string) => `  ${a.padEnd(w1)}  ${b.padEnd(w2)}  ${c}`
  const out = [
    '',
    line('service', 'url', 'mode'),
    line('-'.repeat(w1), '-'.repeat(w2), '--------'),
    ...rows.map((r) => line(r.service, r.url, r.mode)),
    '',
    `  Open ${rows[0]?.url ?? ''} in your browser. Ctrl-C stops everything.`,
    '',
  ]
  process.stdout.write(`${out.join('\n')}\n`)
}

/** `npm start`: brings up the whole stack on embedded defaults or the services named in the environment. */
export async function launch(): Promise<void> {
  const env = loadConfig(LauncherEnv)
  const dataDir = path.resolve(ROOT, env.DATA_DIR)
  const logDir = path.join(dataDir, 'logs')
  mkdirSync(logDir, { recursive: true })
  const embedded: EmbeddedService[] = []
  const infraRows: Row[] = []
  const children = new Map<string, ChildProcess>()
  let stopping = false

  const shutdown = async (code: number) => {
    if (stopping) return
    stopping = true
    process.stdout.write('\nStopping Cutroom...\n')
    await Promise.all(
      [...children.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve()
            const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
            child.once('exit', () => {
              clearTimeout(timer)
              resolve()
            })
            child.kill('SIGTERM')
          }),
      ),
    )
    for (const service of embedded.reverse()) await service.stop().catch(() => {})
    process.stdout.write('Stopped.\n')
    process.exit(code)
  }
  process.on('SIGINT', () => void shutdown(0))
  process.on('SIGTERM', () => void shutdown(0))

  let databaseUrl = env.DATABASE_URL
  if (databaseUrl) infraRows.push({ service: 'postgres', url: redact(databaseUrl), mode: 'external' })
  else {
    const pg = await startEmbeddedPostgres(path.join(dataDir, 'postgres'))
    embedded.push(pg)
    databaseUrl = pg.url
    infraRows.push({ service: 'postgres (PGlite)', url: pg.url, mode: 'embedded' })
  }
  let natsUrl = env.NATS_URL
  if (natsUrl) infraRows.push({ service: 'nats', url: natsUrl, mode: 'external' })
  else {
    const nats = await startEmbeddedNats(path.join(dataDir, 'nats'))
    embedded.push(nats)
    natsUrl = nats.url
    nats.process.once('exit', (code) => {
      if (!stopping) process.stderr.write(`[nats-server] exited unexpectedly with code ${code}\n`)
    })
    infraRows.push({ service: 'nats (JetStream)', url: nats.url, mode: 'embedded' })
  }
  let s3Endpoint = env.S3_ENDPOINT
  if (s3Endpoint) infraRows.push({ service: 's3', url: `${s3Endpoint}/${env.S3_BUCKET}`, mode: 'external' })
  else {
    const s3 = await startEmbeddedS3(path.join(dataDir, 's3'), env.S3_BUCKET)
    embedded.push(s3)
    s3Endpoint = s3.url
    infraRows.push({ service: 's3 (s3rver)', url: `${s3.url}/${env.S3_BUCKET}`, mode: 'embedded' })
  }
  if (env.REDIS_URL) infraRows.push({ service: 'redis', url: env.REDIS_URL, mode: 'external' })

  await migrateDatabase(databaseUrl)

  const apiUrl = `http://127.0.0.1:${env.API_PORT}`
  const collabUrl = `ws://127.0.0.1:${env.COLLAB_PORT}`
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    NATS_URL: natsUrl,
    S3_ENDPOINT: s3Endpoint,
    S3_BUCKET: env.S3_BUCKET,
    API_PORT: String(env.API_PORT),
    COLLAB_PORT: String(env.COLLAB_PORT),
    WORKERS_HEALTH_PORT: String(env.WORKERS_HEALTH_PORT),
    COLLAB_PUBLIC_URL: process.env.COLLAB_PUBLIC_URL ?? collabUrl,
    // the collab server accepts cookie-authenticated sockets only from the app's pages, not from another port
    ...(process.env.PUBLIC_URL || process.env.ALLOWED_ORIGINS ? {} : { ALLOWED_ORIGINS: apiUrl }),
    CLIENT_DIST: path.join(ROOT, 'client/dist'),
    // embedded PGlite serves one query at a time; a small pool per service is plenty
    DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE ?? (env.DATABASE_URL ? '10' : '4'),
    // the embedded database's clients share one backend session, where statement names would collide
    DATABASE_PREPARED_STATEMENTS: env.DATABASE_URL ? (process.env.DATABASE_PREPARED_STATEMENTS ?? 'true') : 'false',
    // webhook signing secrets are encrypted at rest; locally the key is made once and kept with the data
    WEBHOOKS_ENCRYPTION_KEY: process.env.WEBHOOKS_ENCRYPTION_KEY ?? localSecretKey(path.join(dataDir, 'webhooks.key')),
    // the embedded database's clients share one session: a LISTEN there would hear for everyone; the relay polls
    WEBHOOKS_LISTEN: env.DATABASE_URL ? (process.env.WEBHOOKS_LISTEN ?? 'true') : 'false',
    // self-hosted without Stripe: owners set the plan themselves
    BILLING_MODE: process.env.BILLING_MODE ?? (process.env.STRIPE_SECRET_KEY ? 'stripe' : 'manual'),
  }
  const specs: ServiceSpec[] = [
    { name: 'api', entry: 'api/src/main.ts', healthUrl: `${apiUrl}/healthz` },
    { name: 'collab', entry: 'collab/src/main.ts', healthUrl: `http://127.0.0.1:${env.COLLAB_PORT}/healthz` },
    {
      name: 'media-workers',
      entry: 'media-workers/src/main.ts',
      healthUrl: `http://127.0.0.1:${env.WORKERS_HEALTH_PORT}/healthz`,
    },
  ]

  const restarts = new Map<string, number[]>()
  const startChild = (spec: ServiceSpec): ChildProcess => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, spec.entry)], {
      cwd: ROOT,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.set(spec.name, child)
    relayLogs(spec.name, child, logDir)
    child.once('exit', (code, signal) => {
      if (stopping) return
      const how = signal ? `signal ${signal}` : `code ${code}`
      const recent = (restarts.get(spec.name) ?? []).filter((t) => Date.now() - t < 60_000)
      if (recent.length >= 5) {
        process.stderr.write(`[${spec.name}] exited (${how}) 5 times within a minute; stopping Cutroom. See ${logDir}/${spec.name}.log\n`)
        void shutdown(1)
        return
      }
      recent.push(Date.now())
      restarts.set(spec.name, recent)
      process.stderr.write(`[${spec.name}] exited unexpectedly (${how}); restarting (${recent.length}/5). See ${logDir}/${spec.name}.log\n`)
      setTimeout(() => !stopping && startChild(spec), 1000)
    })
    return child
  }

  try {
    await Promise.all(
      specs.map(async (spec) => {
        const child = startChild(spec)
        try {
          await waitHealthy(spec.healthUrl, child)
        } catch (err) {
          throw new Error(`${spec.name} did not start: ${(err as Error).message}. See ${logDir}/${spec.name}.log`)
        }
      }),
    )
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`)
    await shutdown(1)
    return
  }

  printTable([
    { service: 'web client + api', url: apiUrl, mode: 'process' },
    { service: 'collab', url: collabUrl, mode: 'process' },
    { service: 'media-workers', url: `http://127.0.0.1:${env.WORKERS_HEALTH_PORT}/healthz`, mode: 'process' },
    ...infraRows,
  ])
}

function redact(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return url
  }
}

/** A 32-byte hex key kept in `file` (made on first use, readable only by the owner). */
function localSecretKey(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim()
  const key = randomBytes(32).toString('hex')
  writeFileSync(file, `${key}\n`, { mode: 0o600 })
  return key
}
