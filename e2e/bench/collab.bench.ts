/**
 * `npm run bench collab`: Cutroom's collab server (durable Postgres log) side by side with bare Hocuspocus 4 (in
 * memory) and @y/websocket-server 0.1.1, in one run:
 * - edit propagation latency (p50, p99) and throughput with 50, 200 and 1,000 providers over 1, 10 and 100
 *   documents;
 * - cold load of a two-hour transcript (20,000 timed words) against a bare Y.applyUpdate of the same state;
 * - server memory per connection and per loaded document.
 * Each server runs in its own process and all providers in another, on loopback. Writes the `collab` section of
 * docs/benchmarks.md.
 */
import { type ChildProcess, fork } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import {
  type ClientReply,
  type ClientRequest,
  type ColdLoadReport,
  type LatencyReport,
  type MemoryReport,
  SERVER_KINDS,
  SERVER_LABELS,
  type ServerKind,
  type ServerReady,
  type ServerReply,
  type ServerRequest,
  type ThroughputReport,
} from './collabBenchProtocol'
import { TEST_POSTGRES_URL } from '@cutroom/infra'
import postgres from 'postgres'
import { type OwnPostgres, startOwnPostgres } from './ownPostgres'
import { percentile, writeBenchSection } from './report'

const PROVIDERS = [50, 200, 1000] as const
const DOCS = [1, 10, 100] as const
const LATENCY_SECONDS = 4
const MAX_EDITS_PER_SECOND = 100
const COLD_RUNS = 5
const HARD_LIMIT_MS = 30 * 60_000
/** `COLLAB_BENCH_ONLY=1000x10,200x10`: run only these providers x docs scenarios (the section is then not written). */
const ONLY = (process.env.COLLAB_BENCH_ONLY ?? '').split(',').filter(Boolean)
/** `COLLAB_BENCH_CPU_PROF=<dir>`: a V8 CPU profile of each server during each latency run, written there (see cpuProfileSummary.ts). */
const CPU_PROF = process.env.COLLAB_BENCH_CPU_PROF

const dir = import.meta.dirname
const children = new Set<ChildProcess>()
const hardStop = setTimeout(() => {
  process.stderr.write(`collab bench: over ${HARD_LIMIT_MS / 60_000} minutes, stopping\n`)
  for (const c of children) c.kill('SIGKILL')
  process.exit(1)
}, HARD_LIMIT_MS)

function start(file: string, args: string[], gc: boolean, env?: NodeJS.ProcessEnv): ChildProcess {
  const child = fork(path.join(dir, file), args, {
    env: env ?? process.env,
    execArgv: [...(gc ? ['--expose-gc'] : []), '--max-old-space-size=3072', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  children.add(child)
  child.on('exit', () => children.delete(child))
  return child
}

/** Sends `request` (if any) and resolves with the child's next message of type `type`. */
function ask<R>(
  child: ChildProcess,
  request: ServerRequest | ClientRequest | null,
  type: string,
  timeoutMs: number,
): Promise<R> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`no ${type} reply within ${timeoutMs} ms`)), timeoutMs)
    const onMessage = (m: ServerReply | ClientReply) => {
      if (m.type === 'error') done(new Error(m.message))
      else if (m.type === type) done(null, m as unknown as R)
    }
    const onExit = (code: number | null) => done(new Error(`child exited with ${code} while waiting for ${type}`))
    const done = (error: Error | null, value?: R) => {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
      if (error) reject(error)
      else resolve(value!)
    }
    child.on('message', onMessage)
    child.on('exit', onExit)
    if (request) child.send(request)
  })
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.send({ type: 'stop' })
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
  await exited
  clearTimeout(timer)
}

interface Scenario {
  providers: number
  docs: number
  fanout: number
  latency?: LatencyReport
  throughput?: ThroughputReport
  memory?: MemoryReport
  connectMs?: number
  /** Postgres checkpoints during the latency run. */
  checkpoints?: number
  error?: string
}
interface ServerResult {
  kind: ServerKind
  scenarios: Scenario[]
  idle: MemoryReport
  cold: ColdLoadReport
  coldOpenMs: number[]
  transcriptBytes: number
}

const median = (xs: number[]) => percentile(xs, 50)

let pg = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {} })
/** Checkpoints the Postgres in use has run so far (CREATE/DROP DATABASE by other work forces one each). */
async function checkpoints(): Promise<number | null> {
  try {
    const [row] = await pg<
      { n: string }[]
    >`select (checkpoints_timed + checkpoints_req)::text as n from pg_stat_bgwriter`
    return Number(row!.n)
  } catch {
    return null
  }
}

async function benchServer(kind: ServerKind): Promise<ServerResult> {
  process.stdout.write(`\n${SERVER_LABELS[kind]}\n`)
  let own: OwnPostgres | null = null
  const shared = pg
  if (kind === 'cutroom-own-pg') {
    own = await startOwnPostgres()
    pg = postgres(own.url, { max: 1, onnotice: () => {} })
  }
  const server = start(
    'collabBenchServer.ts',
    [kind],
    true,
    own ? { ...process.env, TEST_DATABASE_URL: own.url } : undefined,
  )
  const ready = await ask<ServerReady>(server, null, 'ready', 120_000)
  const client = start('collabBenchClients.ts', [kind, ready.url, ready.token, JSON.stringify(ready.docNames)], false)
  try {
    const idle = await ask<MemoryReport>(server, { type: 'memory' }, 'memory', 30_000)
    const cold = await ask<ColdLoadReport>(server, { type: 'coldLoad', runs: COLD_RUNS }, 'coldLoad', 120_000)
    const open = await ask<{ ms: number[] }>(
      client,
      { type: 'open', name: ready.transcriptName, runs: 3 },
      'open',
      120_000,
    )
    process.stdout.write(
      `  cold load: server ${median(cold.serverLoadMs).toFixed(1)} ms, applyUpdate ${median(cold.applyUpdateMs).toFixed(1)} ms, client open ${median(open.ms).toFixed(1)} ms\n`,
    )
    const scenarios: Scenario[] = []
    for (const docs of DOCS)
      for (const providers of PROVIDERS) {
        const fanout = Math.floor(providers / docs) - 1
        if (ONLY.length && !ONLY.includes(`${providers}x${docs}`)) continue
        const s: Scenario = { providers, docs, fanout }
        scenarios.push(s)
        if (fanout < 1) {
          s.error = 'fewer than two providers per document'
          continue
        }
        try {
          const connected = await ask<{ ms: number }>(
            client,
            { type: 'connect', providers, docs },
            'connected',
            180_000,
          )
          s.connectMs = connected.ms
          s.memory = await ask<MemoryReport>(server, { type: 'memory' }, 'memory', 30_000)
          // Paced to about 1,000 deliveries per second (1 to 100 edits per second): latency, not a queue. The cap of
          // 100 gives a p99 over a few hundred independent edits where receivers are few.
          const rate = Math.max(1, Math.min(MAX_EDITS_PER_SECOND, Math.round(1000 / fanout)))
          const checkpointsBefore = await checkpoints()
          if (CPU_PROF) await ask(server, { type: 'profile', action: 'start' }, 'profile', 30_000)
          s.latency = await ask<LatencyReport>(
            client,
            { type: 'latency', seconds: LATENCY_SECONDS, rate },
            'latency',
            60_000,
          )
          if (CPU_PROF)
            await ask(
              server,
              {
                type: 'profile',
                action: 'stop',
                file: path.resolve(CPU_PROF, `${kind}-${providers}x${docs}.cpuprofile`),
              },
              'profile',
              30_000,
            )
          const checkpointsAfter = await checkpoints()
          if (checkpointsBefore !== null && checkpointsAfter !== null)
            s.checkpoints = checkpointsAfter - checkpointsBefore
          const edits = Math.max(50, Math.min(3000, Math.floor(40_000 / fanout)))
          s.throughput = await ask<ThroughputReport>(
            client,
            { type: 'throughput', edits, timeoutMs: 20_000 },
            'throughput',
            60_000,
          )
          process.stdout.write(
            `  ${providers} providers / ${docs} docs: p50 ${s.latency.p50.toFixed(1)} ms, p99 ${s.latency.p99.toFixed(1)} ms, ` +
              `${(s.throughput.edits / s.throughput.seconds).toFixed(0)} edits/s, heap ${mib(s.memory.heapUsed)} MiB\n`,
          )
        } catch (e) {
          s.error = e instanceof Error ? e.message : String(e)
          process.stdout.write(`  ${providers} providers / ${docs} docs: ${s.error}\n`)
        }
      }
    return { kind, scenarios, idle, cold, coldOpenMs: open.ms, transcriptBytes: ready.transcriptBytes }
  } finally {
    await stop(client)
    await stop(server)
    if (own) {
      await pg.end({ timeout: 2 })
      pg = shared
      await own.stop()
    }
  }
}

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1)
const ms = (v: number | undefined) =>
  v === undefined || Number.isNaN(v) ? 'n/a' : v < 10 ? v.toFixed(2) : v.toFixed(1)
/** Memory a server holds: V8 heap plus buffers outside it (socket and update buffers). */
const held = (m: MemoryReport) => m.heapUsed + m.external

function scenario(r: ServerResult, providers: number, docs: number): Scenario | undefined {
  return r.scenarios.find((s) => s.providers === providers && s.docs === docs)
}

/** Memory per added connection between the smallest and the largest measured crowd on `docs` documents. */
function perConnection(r: ServerResult, docs: number): number | null {
  const measured = r.scenarios.filter((s) => s.docs === docs && s.memory)
  const a = measured[0]
  const b = measured[measured.length - 1]
  return a && b && b.providers > a.providers ? (held(b.memory!) - held(a.memory!)) / (b.providers - a.providers) : null
}

function perSmallDoc(r: ServerResult): number | null {
  const one = scenario(r, 1000, 1)?.memory
  const hundred = scenario(r, 1000, 100)?.memory
  return one && hundred ? (held(hundred) - held(one)) / 99 : null
}

const kib = (v: number | null) => (v === null ? 'n/a' : `${(v / 1024).toFixed(1)} KiB`)

function render(results: ServerResult[]): string {
  const by = (kind: ServerKind) => results.find((r) => r.kind === kind)
  const present = SERVER_KINDS.filter((k) => by(k))
  const lines: string[] = []
  lines.push('## Collab server (`npm run bench collab`)', '')
  lines.push(
    'Each server runs in its own Node process; all providers run in one other process (HocuspocusProvider for the',
    'Hocuspocus servers, a y-websocket protocol client for @y/websocket-server; awareness off everywhere), over',
    'loopback. Cutroom is `createCollabServer` with auth and the durable Postgres update log on a fresh database: by',
    "default an update is relayed to the other connections at once while its append commits, and only the sender's",
    'acknowledgement waits for the commit; "commit before relay" is the earlier behaviour (`COLLAB_RELAY_BEFORE_COMMIT=false`),',
    'where nobody sees an update before it is committed. "Shared Postgres" is the machine\'s server, which other work uses',
    'too; "bench\'s own Postgres" is one this run starts for itself (its own data directory, default settings, fsync on).',
    'Bare Hocuspocus and @y/websocket-server',
    "keep documents in memory. An edit is one `Y.Map` set; latency is from the sender's local change to each other",
    'provider of that document observing it (same process clock), paced to about 1,000 deliveries per second (one edit',
    `per second at 999 receivers, at most ${MAX_EDITS_PER_SECOND} edits per second) for ${LATENCY_SECONDS} seconds.`,
    'Throughput is a burst of edits until every delivery arrived.',
    '',
  )
  lines.push('### Edit propagation latency, p50 / p99 (ms)', '')
  lines.push(`| providers | docs | receivers per edit | ${present.map((k) => SERVER_LABELS[k]).join(' | ')} |`)
  lines.push(`| --- | --- | --- | ${present.map(() => '---').join(' | ')} |`)
  for (const docs of DOCS)
    for (const providers of PROVIDERS) {
      const cells = present.map((k) => {
        const s = scenario(by(k)!, providers, docs)
        if (!s?.latency) return s?.error ? `n/a (${s.error})` : 'n/a'
        const lost = s.latency.samples < s.latency.expected ? ` (${s.latency.expected - s.latency.samples} late)` : ''
        const cp = s.checkpoints ? `, ${s.checkpoints} Postgres checkpoint${s.checkpoints > 1 ? 's' : ''} during` : ''
        return `${ms(s.latency.p50)} / ${ms(s.latency.p99)}${lost}${cp}`
      })
      lines.push(`| ${providers} | ${docs} | ${Math.max(0, Math.floor(providers / docs) - 1)} | ${cells.join(' | ')} |`)
    }
  lines.push('', '### Throughput: edits per second fully delivered (deliveries per second)', '')
  lines.push(`| providers | docs | ${present.map((k) => SERVER_LABELS[k]).join(' | ')} |`)
  lines.push(`| --- | --- | ${present.map(() => '---').join(' | ')} |`)
  for (const docs of DOCS)
    for (const providers of PROVIDERS) {
      const cells = present.map((k) => {
        const t = scenario(by(k)!, providers, docs)?.throughput
        if (!t) return 'n/a'
        const partial = t.delivered < t.deliveries ? `, ${t.deliveries - t.delivered} undelivered at timeout` : ''
        return `${(t.edits / t.seconds).toFixed(0)} (${(t.delivered / t.seconds).toFixed(0)}${partial})`
      })
      lines.push(`| ${providers} | ${docs} | ${cells.join(' | ')} |`)
    }
  lines.push('', '### Memory (server process, V8 heap + external buffers, after GC)', '')
  lines.push(`| | ${present.map((k) => SERVER_LABELS[k]).join(' | ')} |`)
  lines.push(`| --- | ${present.map(() => '---').join(' | ')} |`)
  lines.push(`| idle | ${present.map((k) => `${mib(held(by(k)!.idle))} MiB`).join(' | ')} |`)
  lines.push(
    `| 1,000 providers on 10 docs | ${present.map((k) => ((m) => (m ? `${mib(held(m))} MiB` : 'n/a'))(scenario(by(k)!, 1000, 10)?.memory)).join(' | ')} |`,
  )
  lines.push(
    `| per connection (1 doc: 1,000 vs 50 providers) | ${present.map((k) => kib(perConnection(by(k)!, 1))).join(' | ')} |`,
  )
  lines.push(
    `| per connection (100 docs: 1,000 vs 200 providers) | ${present.map((k) => kib(perConnection(by(k)!, 100))).join(' | ')} |`,
  )
  lines.push(
    `| per loaded small document (1,000 providers: 100 vs 1 doc) | ${present.map((k) => kib(perSmallDoc(by(k)!))).join(' | ')} |`,
  )
  lines.push(
    `| per loaded two-hour transcript (heap) | ${present.map((k) => `${mib(by(k)!.cold.loadedDocBytes)} MiB`).join(' | ')} |`,
  )
  const anyR = results[0]
  lines.push(
    '',
    `### Cold load of a two-hour transcript (20,000 words with timings, ${anyR ? (anyR.transcriptBytes / 1024).toFixed(0) : '?'} KiB of Yjs state), median ms`,
    '',
  )
  lines.push(`| | ${present.map((k) => SERVER_LABELS[k]).join(' | ')} |`)
  lines.push(`| --- | ${present.map(() => '---').join(' | ')} |`)
  lines.push(
    `| bare \`Y.applyUpdate\` of the state (in the server process) | ${present.map((k) => ms(median(by(k)!.cold.applyUpdateMs))).join(' | ')} |`,
  )
  lines.push(
    `| server-side load: \`openDirectConnection\` until the document is loaded (storage read + apply${by('cutroom') ? '; Cutroom: Postgres snapshot + tail, apply, model prepare' : ''}) | ${present.map((k) => ms(median(by(k)!.cold.serverLoadMs))).join(' | ')} |`,
  )
  lines.push(`| a new provider: connect to synced | ${present.map((k) => ms(median(by(k)!.coldOpenMs))).join(' | ')} |`)
  lines.push(
    `| server-side load, each run in order | ${present
      .map((k) =>
        by(k)!
          .cold.serverLoadMs.map((v) => v.toFixed(0))
          .join(', '),
      )
      .join(' | ')} |`,
  )
  lines.push('', '### Reading the figures', '')
  lines.push(
    '- Bare Hocuspocus 4 coalesces the broadcasts of one event-loop turn into one message per connection; @y/websocket-server',
    '  sends every update on its own. Cutroom runs the same Hocuspocus and appends every incoming update to Postgres',
    "  (group-committed); relaying before the commit keeps that commit out of the receivers' latency, while in the",
    '  commit-before-relay column every delivery includes it.',
    '- The machine is shared (load average below): figures move between runs, p99 most of all. Compare columns of one run.',
    '- The Postgres is shared too: every CREATE/DROP DATABASE of other work (test databases) forces an immediate',
    '  checkpoint, whose fsyncs stall every commit for tens to hundreds of ms; a durable log acknowledges no edit before',
    '  its commit, so such a stall lands in its p99. A latency cell says when checkpoints ran during it.',
    '- Cold load: every server holds the same state (Cutroom: one snapshot row in Postgres, as compaction leaves a settled',
    "  document; the others: the update in memory). The server-side load is the server's own load path through",
    '  `openDirectConnection` until the document is loaded (Cutroom: read snapshot + log tail in one Postgres transaction,',
    '  apply, model prepare; the others: apply from memory), timed in the server process from a collected heap; the bare',
    '  `Y.applyUpdate` applies the same state to a fresh `Y.Doc` in the same process, alternating with the loads. The target',
    '  compares these two medians. "Connect to synced" is measured on a client: a new provider opening the unloaded',
    '  document until its `synced` event (authentication, load, and the first sync of the whole state over the socket).',
  )
  lines.push('', '### Targets', '')
  const hp = by('hocuspocus')
  for (const kind of ['cutroom', 'cutroom-own-pg'] as const) {
    const cut = by(kind)
    if (!cut || !hp) continue
    const misses: string[] = []
    let rows = 0
    for (const docs of DOCS)
      for (const providers of PROVIDERS) {
        const a = scenario(cut, providers, docs)?.latency?.p99
        const b = scenario(hp, providers, docs)?.latency?.p99
        if (a === undefined || b === undefined) continue
        rows++
        if (a / b > 1.2) misses.push(`${providers}/${docs}: ${ms(a)} vs ${ms(b)} ms = ${(a / b).toFixed(2)}x`)
      }
    lines.push(
      `- ${SERVER_LABELS[kind]}: p99 within 1.2x of bare Hocuspocus on every row: ${misses.length ? `missed on ${misses.length} of ${rows} rows (providers/docs: ${misses.join('; ')})` : `met on all ${rows} rows`}.`,
    )
    const mine = perSmallDoc(cut)
    const theirs = perSmallDoc(hp)
    if (mine !== null && theirs !== null)
      lines.push(
        `- ${SERVER_LABELS[kind]}: memory per loaded small document within 1.5x of bare Hocuspocus: ${kib(mine)} vs ${kib(theirs)} = ${(mine / theirs).toFixed(2)}x — ${mine / theirs <= 1.5 ? 'met' : 'missed'}.`,
      )
    const load = median(cut.cold.serverLoadMs)
    const apply = median(cut.cold.applyUpdateMs)
    const r = load / apply
    lines.push(
      `- ${SERVER_LABELS[kind]}: cold load of the two-hour transcript within 1.5x of a bare \`Y.applyUpdate\`: ${ms(load)} vs ${ms(apply)} ms = ${r.toFixed(2)}x — ${r <= 1.5 ? 'met' : 'missed'}.`,
    )
  }
  return lines.join('\n')
}

const loadBefore = os.loadavg()[0] ?? 0
const wanted = process.argv.slice(2).filter((a): a is ServerKind => (SERVER_KINDS as readonly string[]).includes(a))
const results: ServerResult[] = []
for (const kind of wanted.length ? wanted : SERVER_KINDS) results.push(await benchServer(kind))
const loadAfter = os.loadavg()[0] ?? 0
const markdown = `${render(results)}\n\nLoad average (1 min) on the machine: ${loadBefore.toFixed(1)} at the start, ${loadAfter.toFixed(1)} at the end of the run; other work shared the cores.`
process.stdout.write(`\n${markdown}\n`)
if (!wanted.length && !ONLY.length && !CPU_PROF) writeBenchSection('collab', markdown)
await pg.end({ timeout: 2 })
clearTimeout(hardStop)
