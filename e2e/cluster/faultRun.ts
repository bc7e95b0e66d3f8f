import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import { UpdateLog } from '@cutroom/collab'
import { retryTransient, Streams, TERMINAL_JOB_STATUSES } from '@cutroom/schema'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import postgres from 'postgres'
import * as Y from 'yjs'
import { ApiTraffic, EDITOR_ATTRIBUTE, SimulatedEditor, seedStudio, Uploader } from './ClusterLoad'
import { ClusterStack } from './ClusterStack'
import type { ServiceProcess } from './ServiceProcess'

const run = promisify(execFile)

export interface FaultRunOptions {
  editors: number
  documents: number
  /** Milliseconds between one editor's keystrokes. */
  typingIntervalMs: number
  /** Uploads at most (one at a time, through the whole run). */
  uploads: number
  /** Load between two faults, and how long a killed process stays down. */
  gapMs: number
  downMs: number
  log?: (line: string) => void
  keepDir?: boolean
}

export interface FaultRecord {
  target: string
  /** From SIGKILL until the restarted process (and, for NATS, every stream replica) was healthy again. */
  recoveredMs: number
  /** Collab faults: how long the editors connected to the killed instance took to be synced again (via the other). */
  reconnectMs?: { editors: number; p50: number; max: number }
}

export interface ClusterFigures {
  topology: string
  durationS: number
  edits: { editors: number; documents: number; written: number; acknowledged: number; lost: number; refusals: number }
  jobs: { dispatched: number; succeeded: number; failed: number; cancelled: number; unfinished: number; duplicated: number }
  uploads: { completed: number; ready: number }
  artifacts: { objects: number; rows: number; orphaned: number; missing: number }
  api: { requests: number; errors: number; p99Ms: number }
  faults: FaultRecord[]
  /** Where the logs are (kept only with keepDir). */
  dir: string
  /** Problems that make the run a failure, in words. */
  problems: string[]
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

/** An H.264/AAC clip small enough that its four jobs take a moment each. */
async function makeSmallClip(file: string): Promise<void> {
  await run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=1'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=1'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-t', '1', file],
  ])
}

/**
 * The multi-node fault run: a NATS cluster of three, two api, two collab and two worker processes under a bounded
 * load of editors, uploads and api reads, while one NATS node (the JOBS stream leader), one collab, one api and one
 * worker (one busy with a job, when there is one) are SIGKILLed and restarted in turn. Then it checks, from
 * Postgres, S3 and JetStream themselves, that no acknowledged edit, no job and no artifact went astray.
 */
export async function runFaultRun(o: FaultRunOptions): Promise<ClusterFigures> {
  const log = o.log ?? (() => {})
  const began = Date.now()
  const stack = await ClusterStack.start({ keepDir: o.keepDir })
  log(`stack up: 3 NATS nodes, 2 api, 2 collab, 2 workers (logs in ${stack.logDir})`)
  const editors: SimulatedEditor[] = []
  const problems: string[] = []
  const faults: FaultRecord[] = []
  let failed = true
  let traffic: ApiTraffic | null = null
  let uploader: Uploader | null = null
  try {
    const studio = await seedStudio(stack.apiUrl, o.documents, 'cluster')
    const clip = path.join(stack.dir, 'clip.mp4')
    await makeSmallClip(clip)
    for (let i = 0; i < o.editors; i++) {
      const docId = studio.documentIds[i % studio.documentIds.length]!
      editors.push(new SimulatedEditor(stack.collabUrl, studio.token, docId, `e${i}`, o.typingIntervalMs))
    }
    await waitFor('every editor to sync', () => editors.every((e) => e.everSynced), 60_000)
    // one upload per gap, so jobs are being dispatched and run through every fault
    uploader = new Uploader(studio, clip, o.uploads, o.gapMs)
    traffic = new ApiTraffic(studio, 100)
    await waitFor('a first upload', () => uploader!.uploads.length > 0, 60_000)

    const restartAfterKill = async (target: string, kill: () => Promise<void>, restart: () => Promise<void>) => {
      await sleep(o.gapMs)
      const killedAt = Date.now()
      log(`SIGKILL ${target}`)
      await kill()
      await sleep(o.downMs)
      await restart()
      await stack.nats.waitHealthy(120_000, stack.streams())
      const record: FaultRecord = { target, recoveredMs: Date.now() - killedAt }
      faults.push(record)
      log(`${target} back after ${(record.recoveredMs / 1000).toFixed(1)} s`)
      return { record, killedAt }
    }

    // 1. the node leading JOBS, while uploads dispatch jobs
    const leader = await stack.nats.leaderOf(Streams.JOBS)
    await restartAfterKill(
      `nats ${leader.name} (JOBS leader)`,
      () => stack.nats.kill(leader),
      () => stack.nats.restart(leader),
    )
    // 2. a collab instance, mid-typing: its editors reconnect through the balancer to the other
    const collab = stack.collab[0]!
    const { record, killedAt } = await restartAfterKill(collab.name, () => collab.kill(), () => collab.start())
    const reconnects = editors
      .flatMap((e) => e.stats.outages)
      .filter((x) => x.downAt >= killedAt && x.downAt < killedAt + 5000)
      .map((x) => (x.upAt ?? Number.POSITIVE_INFINITY) - killedAt)
    record.reconnectMs = { editors: reconnects.length, p50: percentile(reconnects, 50), max: Math.max(0, ...reconnects) }
    // 3. an api replica, under reads and uploads
    const api = stack.api[0]!
    await restartAfterKill(api.name, () => api.kill(), () => api.start())
    // 4. a worker, preferably one running a job (the job must be redelivered to the other and finish once)
    const busy = await busyWorker(stack.workers, 10_000)
    await restartAfterKill(`${busy.name}${(await runningOn(busy)) ? ' (mid-job)' : ''}`, () => busy.kill(), () => busy.start())
    await sleep(o.gapMs)

    uploader.stop()
    await uploader.done
    traffic.stop()
    await traffic.done
    for (const e of editors) e.pause()
    // what was typed reaches the server once the connections settle; keystrokes never acknowledged are not counted
    await waitFor('the editors to be saved', () => editors.every((e) => e.unsynced === 0), 60_000).catch(() =>
      problems.push('some editors still had unsaved keystrokes after 60 s'),
    )
    for (const e of editors) {
      if (e.unsynced === 0) e.stats.acknowledged = e.stats.written
      e.close()
    }

    const sql = postgres(stack.db.url, { max: 2, onnotice: () => {} })
    try {
      const unfinished = async () =>
        (await sql<{ n: number }[]>`select count(*)::int as n from jobs where status <> all(${[...TERMINAL_JOB_STATUSES]})`)[0]!.n
      await waitFor('every job to reach a final state', async () => (await unfinished()) === 0, 180_000).catch(() => {})
      const figures = await verify(stack, sql, editors, uploader, traffic)
      figures.faults = faults
      figures.durationS = Math.round((Date.now() - began) / 1000)
      figures.problems.unshift(...problems)
      failed = figures.problems.length > 0
      if (failed) figures.problems.push(`logs kept in ${stack.logDir}`)
      return figures
    } finally {
      await sql.end()
    }
  } finally {
    for (const e of editors) e.close()
    uploader?.stop()
    traffic?.stop()
    // a failed run keeps its logs for a look
    await stack.stop(failed)
    if (failed) log(`logs kept in ${stack.logDir}`)
  }
}

async function runningOn(worker: ServiceProcess): Promise<number> {
  const res = await fetch(worker.spec.healthUrl).catch(() => null)
  if (!res?.ok) return 0
  return ((await res.json()) as { running: number }).running
}

async function busyWorker(workers: ServiceProcess[], timeoutMs: number): Promise<ServiceProcess> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    for (const w of workers) if ((await runningOn(w)) > 0) return w
    await sleep(50)
  }
  return workers[0]!
}

async function verify(
  stack: ClusterStack,
  sql: postgres.Sql,
  editors: SimulatedEditor[],
  uploader: Uploader,
  traffic: ApiTraffic,
): Promise<ClusterFigures> {
  const problems: string[] = []
  // edits: each editor's paragraph, rebuilt from Postgres alone (snapshot + log), holds every acknowledged keystroke
  const updateLog = new UpdateLog({ sql, snapshotEvery: Number.MAX_SAFE_INTEGER })
  const stored = new Map<string, string>()
  for (const docId of new Set(editors.map((e) => e.documentId))) {
    const doc = new Y.Doc()
    for (const u of (await updateLog.load(docId)).updates) Y.applyUpdate(doc, u)
    for (const node of doc.getXmlFragment('body').toArray()) {
      if (!(node instanceof Y.XmlElement)) continue
      const id = node.getAttribute(EDITOR_ATTRIBUTE)
      const text = node.toArray().find((c) => c instanceof Y.XmlText) as Y.XmlText | undefined
      if (typeof id === 'string') stored.set(id, (stored.get(id) ?? '') + (text?.toString() ?? ''))
    }
  }
  let lost = 0
  for (const e of editors) {
    const have = stored.get(e.stats.id) ?? ''
    let prefix = 0
    while (prefix < have.length && prefix < e.stats.text.length && have[prefix] === e.stats.text[prefix]) prefix++
    lost += Math.max(0, e.stats.acknowledged - prefix)
  }
  if (lost) problems.push(`${lost} acknowledged keystrokes are not in Postgres`)

  // jobs: every row final; exactly one final event per job attempt; one job of each kind per asset
  // a transcode is either an upload's preview rendition or the ladder after it: one of each per asset
  const jobs = await sql<{ id: string; kind: string; status: string; asset_id: string | null; attempt: number }[]>`
    select id, case when kind = 'transcode' and (payload->'input'->>'preview')::boolean then 'transcode-preview'
      else kind end as kind, status, asset_id, attempt from jobs`
  const count = (s: string) => jobs.filter((j) => j.status === s).length
  const unfinished = jobs.filter((j) => !TERMINAL_JOB_STATUSES.includes(j.status as never)).length
  const perAssetKind = new Map<string, number>()
  for (const j of jobs) if (j.asset_id) perAssetKind.set(`${j.asset_id}:${j.kind}`, (perAssetKind.get(`${j.asset_id}:${j.kind}`) ?? 0) + 1)
  const finalEvents = await finalEventsPerAttempt(stack.nats.url)
  const duplicated =
    [...perAssetKind.values()].filter((n) => n > 1).length + [...finalEvents.values()].filter((n) => n > 1).length
  if (unfinished) problems.push(`${unfinished} jobs never reached a final state`)
  if (duplicated) problems.push(`${duplicated} jobs were dispatched or finished more than once`)
  if (count('failed')) {
    const errors = await sql<{ kind: string; error: string | null }[]>`select kind, error from jobs where status = 'failed' limit 3`
    problems.push(`${count('failed')} jobs failed: ${errors.map((e) => `${e.kind}: ${e.error}`).join('; ')}`)
  }
  if (unfinished) {
    const open = jobs.filter((j) => !TERMINAL_JOB_STATUSES.includes(j.status as never)).slice(0, 5)
    problems.push(`unfinished: ${open.map((j) => `${j.kind} ${j.id} ${j.status} attempt ${j.attempt}`).join('; ')}`)
  }
  for (const j of jobs)
    if (TERMINAL_JOB_STATUSES.includes(j.status as never) && j.status !== 'cancelled' && !finalEvents.has(`${j.id}:${j.attempt}`))
      problems.push(`job ${j.id} (${j.kind}) is ${j.status} without a result event`)

  // uploads: each completed upload's asset became ready
  const assets = await sql<{ id: string; status: string }[]>`select id, status from assets`
  const byId = new Map(assets.map((a) => [a.id, a.status]))
  const ready = uploader.uploads.filter((u) => byId.get(u.assetId) === 'ready').length
  if (ready < uploader.uploads.length) problems.push(`${uploader.uploads.length - ready} completed uploads are not ready`)

  // artifacts: every object under an artifacts/ prefix has its row, every row its object
  const rows = await sql<{ id: string }[]>`select id from artifacts`
  const rowIds = new Set(rows.map((r) => r.id))
  const objectIds = new Set<string>()
  let objects = 0
  const s3 = new S3Client({
    endpoint: stack.s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  })
  let token: string | undefined
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: stack.s3.bucket, ContinuationToken: token }))
    for (const o of page.Contents ?? []) {
      const id = /\/artifacts\/([0-9a-f-]{36})\//.exec(o.Key ?? '')?.[1]
      if (!id) continue
      objects++
      objectIds.add(id)
    }
    token = page.NextContinuationToken
  } while (token)
  s3.destroy()
  const orphaned = [...objectIds].filter((id) => !rowIds.has(id)).length
  const missing = [...rowIds].filter((id) => !objectIds.has(id)).length
  if (orphaned) problems.push(`${orphaned} artifacts in S3 have no row`)
  if (missing) problems.push(`${missing} artifact rows have no object in S3`)

  const written = editors.reduce((n, e) => n + e.stats.written, 0)
  const acknowledged = editors.reduce((n, e) => n + e.stats.acknowledged, 0)
  const refusals = editors.reduce((n, e) => n + e.stats.refusals, 0)
  if (refusals) problems.push(`the collab servers refused editors ${refusals} times`)
  return {
    topology: '3 NATS (R3), 2 api, 2 collab (Redis), 2 workers, 1 Postgres, 1 s3rver',
    durationS: 0,
    edits: { editors: editors.length, documents: new Set(editors.map((e) => e.documentId)).size, written, acknowledged, lost, refusals },
    jobs: {
      dispatched: jobs.length,
      succeeded: count('succeeded'),
      failed: count('failed'),
      cancelled: count('cancelled'),
      unfinished,
      duplicated,
    },
    uploads: { completed: uploader.uploads.length, ready },
    artifacts: { objects: objectIds.size, rows: rows.length, orphaned, missing },
    api: { requests: traffic.requests, errors: traffic.errors + uploader.errors.count, p99Ms: Math.round(percentile(traffic.latencies, 99)) },
    faults: [],
    dir: stack.dir,
    problems,
  }
}

/** How many final results (succeeded, failed, cancelled) EVENTS holds per job attempt. */
async function finalEventsPerAttempt(natsUrl: string): Promise<Map<string, number>> {
  const nc = await connect({ servers: natsUrl.split(',') })
  const out = new Map<string, number>()
  try {
    const jsm = await jetstreamManager(nc)
    // a loaded machine answers slowly: a timeout is asked again, only a missing message is skipped
    const budget = { budgetMs: 30_000 }
    const info = await retryTransient(() => jsm.streams.info(Streams.EVENTS), budget)
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await retryTransient(() => jsm.streams.getMessage(Streams.EVENTS, { seq }), budget)
      if (!m || !/\.(succeeded|failed|cancelled)$/.test(m.subject)) continue
      const e = m.json<{ jobId: string; attempt: number; final?: boolean; status: string }>()
      if (e.status === 'failed' && !e.final) continue
      const key = `${e.jobId}:${e.attempt}`
      out.set(key, (out.get(key) ?? 0) + 1)
    }
  } finally {
    await nc.close()
  }
  return out
}
