/**
 * Outbound webhook delivery benchmark: events are queued the way the api queues them (a transaction writes the
 * outbox rows and notifies the relays on commit), delivered by 1 or 2 dedicated delivery processes
 * (api/src/webhookWorkerMain.ts: outbox relay -> WEBHOOKS JetStream stream -> durable consumer -> signed POST) to a
 * local HTTP receiver. Reports deliveries per second and the latency from the event (the start of its transaction)
 * to the receiver getting the request, at a steady 100 events/s; then how fast a backlog drains. A run with
 * polling only (no NOTIFY, the relay's 500 ms interval) shows what the notification buys. Writes the `webhooks`
 * section of docs/benchmarks.md.
 *
 *   npm run bench webhooks
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { loadavg } from 'node:os'
import path from 'node:path'
import { createDb, emitWebhookEvent } from '@cutroom/api'
import { createTestApi } from '@cutroom/api/testing'
import { createTestDatabase, startTestNats } from '@cutroom/infra'
import { percentile, writeBenchSection } from './report'

const ROOT = path.resolve(import.meta.dirname, '../..')
const RATE = 100
const SECONDS = Number(process.env.WEBHOOKS_BENCH_SECONDS ?? 20)
const BACKLOG = Number(process.env.WEBHOOKS_BENCH_BACKLOG ?? 3000)
const KEY = 'cd'.repeat(32)
const log = (s: string) => process.stdout.write(`${s}\n`)
const now = () => performance.timeOrigin + performance.now()

const [database, nats] = await Promise.all([createTestDatabase(), startTestNats()])
// enough connections that the emitter's own transactions do not queue behind each other
const { sql, db } = createDb(database.url, 30)

const api = await createTestApi({
  DATABASE_URL: database.url,
  NATS_URL: nats.url,
  WEBHOOKS_ENCRYPTION_KEY: KEY,
  WEBHOOKS_ALLOW_PRIVATE: 'true',
})

// the receiver: when each event (by its sequence number) first arrived, and how many requests came in all
const arrived = new Map<number, number>()
let requests = 0
const receiver = createServer((req, res) => {
  const at = now()
  requests++
  let body = ''
  req.on('data', (c) => {
    body += c
  })
  req.on('end', () => {
    const seq = (JSON.parse(body) as { data: { seq: number } }).data.seq
    if (!arrived.has(seq)) arrived.set(seq, at)
    res.writeHead(204).end()
  })
})
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`

const anonymous = await api.caller()
const { token } = await anonymous.auth.signUp({
  email: 'bench@example.com',
  password: 'correct horse 42',
  name: 'Bench',
})
const owner = await api.caller(token)
const org = await owner.orgs.create({ name: 'Webhook bench' })
await owner.webhooks.create({ orgId: org.id, url: receiverUrl, events: ['job.succeeded'] })

async function startDeliverers(count: number, env: Record<string, string>): Promise<ChildProcess[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'api/src/webhookWorkerMain.ts')], {
        cwd: ROOT,
        env: {
          ...process.env,
          DATABASE_URL: database.url,
          NATS_URL: nats.url,
          WEBHOOKS_ENCRYPTION_KEY: KEY,
          WEBHOOKS_ALLOW_PRIVATE: 'true',
          LOG_LEVEL: 'info',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      await new Promise<void>((resolve, reject) => {
        let out = ''
        child.stdout!.on('data', (d) => {
          out += d
          if (out.includes('webhook worker delivering')) resolve()
        })
        child.once('exit', (code) => reject(new Error(`a delivery process exited (${code}) at start:\n${out}`)))
      })
      child.stdout!.resume()
      return child
    }),
  )
}

function stop(children: ChildProcess[]): Promise<void[]> {
  return Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null) return resolve()
          c.once('exit', () => resolve())
          c.kill('SIGTERM')
        }),
    ),
  )
}

let seq = 0
/** One event, queued as the api queues one: its own transaction, outbox row and notification. */
async function emit(): Promise<{ id: number; at: number; committed: number }> {
  const id = ++seq
  const at = now()
  await db.transaction((tx) => emitWebhookEvent(tx, org.id, 'job.succeeded', { jobId: crypto.randomUUID(), seq: id }))
  return { id, at, committed: now() }
}

async function until(what: string, f: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!f()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

interface Row {
  setup: string
  events: number
  delivered: number
  perSecond: number
  p50: number
  p99: number
  max: number
  commitP50: number
  commitP99: number
  extra: number
}

/** A steady RATE events/s for SECONDS, emitted on schedule whatever the previous ones are doing. */
async function steady(setup: string, processes: number, env: Record<string, string> = {}): Promise<Row> {
  const children = await startDeliverers(processes, env)
  try {
    const requestsBefore = requests
    const sent: Array<Promise<{ id: number; at: number; committed: number }>> = []
    const started = now()
    const total = RATE * SECONDS
    for (let i = 0; i < total; i++) {
      const wait = started + (i * 1000) / RATE - now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      sent.push(emit())
    }
    const events = await Promise.all(sent)
    await until(`${setup}: every delivery`, () => events.every((e) => arrived.has(e.id)), 120_000)
    const latencies = events.map((e) => arrived.get(e.id)! - e.at)
    // from the commit returning to the emitter (the receiver can be first: the notification leaves at commit)
    const fromCommit = events.map((e) => arrived.get(e.id)! - e.committed)
    const first = Math.min(...events.map((e) => arrived.get(e.id)!))
    const last = Math.max(...events.map((e) => arrived.get(e.id)!))
    return {
      setup,
      events: total,
      delivered: events.length,
      perSecond: events.length / ((last - first) / 1000),
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: Math.max(...latencies),
      commitP50: percentile(fromCommit, 50),
      commitP99: percentile(fromCommit, 99),
      extra: requests - requestsBefore - events.length,
    }
  } finally {
    await stop(children)
  }
}

/** BACKLOG events queued while no delivery process runs; then the processes start and drain it. */
async function backlog(processes: number): Promise<{ processes: number; perSecond: number; seconds: number }> {
  const events: Array<{ id: number; at: number; committed: number }> = []
  for (let i = 0; i < BACKLOG; i += 50) events.push(...(await Promise.all(Array.from({ length: 50 }, emit))))
  const children = await startDeliverers(processes, {})
  try {
    await until(`a backlog of ${BACKLOG}`, () => events.every((e) => arrived.has(e.id)), 300_000)
    const times = events.map((e) => arrived.get(e.id)!)
    const seconds = (Math.max(...times) - Math.min(...times)) / 1000
    return { processes, perSecond: events.length / seconds, seconds }
  } finally {
    await stop(children)
  }
}

const loadBefore = loadavg()
try {
  const rows: Row[] = []
  for (const [setup, processes, env] of [
    ['1 process', 1, {}],
    ['2 processes', 2, {}],
    ['1 process, polling only (no NOTIFY), 500 ms', 1, { WEBHOOKS_LISTEN: 'false', WEBHOOKS_POLL_MS: '500' }],
  ] as const) {
    log(`${setup}: ${RATE} events/s for ${SECONDS} s...`)
    const row = await steady(setup, processes, env)
    log(
      `  ${row.delivered}/${row.events} delivered, ${row.perSecond.toFixed(0)}/s, p50 ${row.p50.toFixed(1)} ms, p99 ${row.p99.toFixed(1)} ms, max ${row.max.toFixed(0)} ms (from commit p50 ${row.commitP50.toFixed(1)}, p99 ${row.commitP99.toFixed(1)}), repeated requests ${row.extra}`,
    )
    rows.push(row)
  }
  const drains = []
  for (const processes of [1, 2]) {
    log(`backlog of ${BACKLOG} with ${processes} process(es)...`)
    const d = await backlog(processes)
    log(`  ${d.perSecond.toFixed(0)} deliveries/s (${d.seconds.toFixed(1)} s from the first delivery to the last)`)
    drains.push(d)
  }
  const loadAfter = loadavg()
  const fmt = (v: number) => v.toFixed(1)
  writeBenchSection(
    'webhooks',
    `## Outbound webhooks

\`npm run bench webhooks\`: events queued as the api queues them (a transaction writes the outbox row and a
NOTIFY that Postgres sends on commit), delivered by dedicated delivery processes (\`api/src/webhookWorkerMain.ts\`:
outbox relay -> WEBHOOKS JetStream stream -> durable consumer -> Standard Webhooks signed POST) to a local HTTP
receiver on the same machine. Latency is from the start of the event's transaction to the receiver reading the
request (and, in its own column, from the commit returning to the emitter). Target: p99 under 250 ms at ${RATE} events/s.

| setup | events (${RATE}/s for ${SECONDS} s) | delivered | deliveries/s | p50 ms | p99 ms | max ms | p50 / p99 ms from commit | repeated requests |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.map((r) => `| ${r.setup} | ${r.events} | ${r.delivered} | ${r.perSecond.toFixed(0)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${r.max.toFixed(0)} | ${fmt(r.commitP50)} / ${fmt(r.commitP99)} | ${r.extra} |`).join('\n')}

Target (p99 under 250 ms at ${RATE} events/s, from the start of the event's transaction): ${rows
      .slice(0, 2)
      .map((r) => `${r.setup}: ${r.p99 < 250 ? 'met' : 'missed'} (${fmt(r.p99)} ms)`)
      .join('; ')}.

Draining a backlog of ${BACKLOG} events queued while no delivery process ran (first delivery to last):

| delivery processes | deliveries/s | seconds |
| ---: | ---: | ---: |
${drains.map((d) => `| ${d.processes} | ${d.perSecond.toFixed(0)} | ${d.seconds.toFixed(1)} |`).join('\n')}

Before the relay listened for commits, a new event waited for the next poll of the outbox (then every 500 ms, and
the delivery loop ran only in the api): the polling-only row shows that wait. The machine is shared with other
work (load average ${loadBefore.map((l) => l.toFixed(1)).join(' / ')} before, ${loadAfter.map((l) => l.toFixed(1)).join(' / ')} after), and the
receiver, Postgres, NATS and the emitter share its cores with the delivery processes.`,
  )
} finally {
  receiver.close()
  await api.close().catch(() => {})
  await sql.end({ timeout: 5 })
  await nats.stop()
  await database.drop().catch(() => {})
}
