/**
 * One server of the collab benchmark, in a process of its own (forked by collab.bench.ts with --expose-gc):
 * `cutroom` (createCollabServer on a fresh Postgres test database), `hocuspocus` (bare Hocuspocus 4 keeping
 * documents in memory) or `y-websocket` (@y/websocket-server's setupWSConnection on a ws server). Each holds the
 * same two-hour transcript in its storage for the cold-load figures.
 */
import { writeFileSync } from 'node:fs'
import http from 'node:http'
import { Session } from 'node:inspector/promises'
import { performance } from 'node:perf_hooks'
import { createCollabServer } from '@cutroom/collab'
import { createTestDatabase } from '@cutroom/infra'
import { generateToken, hashToken } from '@cutroom/schema'
import { Server } from '@hocuspocus/server'
import { docs as yDocs, getYDoc, setPersistence, setupWSConnection } from '@y/websocket-server/utils'
import postgres from 'postgres'
import { WebSocketServer } from 'ws'
import * as Y from 'yjs'
import type { ColdLoadReport, MemoryReport, ServerKind, ServerReply, ServerRequest } from './collabBenchProtocol'
import { buildBenchTranscript } from './collabBenchTranscript'

const kind = process.argv[2] as ServerKind
const DOCS = 100

function reply(message: ServerReply): void {
  process.send?.(message)
}

function memory(): MemoryReport {
  for (let i = 0; i < 3; i++) globalThis.gc?.()
  const m = process.memoryUsage()
  return { heapUsed: m.heapUsed, rss: m.rss, external: m.external }
}

const transcript = buildBenchTranscript()

interface Running {
  url: string
  docNames: string[]
  transcriptName: string
  token: string
  /** Loads the stored transcript server-side, returns once it is in memory; `unload` drops it again. */
  load(): Promise<{ unload(): Promise<void> }>
  /** Whether the transcript is in memory (an unload may finish after `unload()` resolves). */
  isLoaded(): boolean
  stop(): Promise<void>
}

async function startCutroom(relayBeforeCommit: boolean): Promise<Running> {
  const db = await createTestDatabase()
  const sql = postgres(db.url, { max: 10, onnotice: () => {} })
  const [org] = await sql<{ id: string }[]>`insert into organizations (name) values ('Bench') returning id`
  const [project] = await sql<
    { id: string }[]
  >`insert into projects (org_id, name) values (${org!.id}, 'Bench') returning id`
  const [user] = await sql<{ id: string }[]>`
    insert into users (email, name, password_hash) values ('bench@example.com', 'Bench', 'x') returning id`
  await sql`insert into memberships (org_id, user_id, role) values (${org!.id}, ${user!.id}, 'editor')`
  const token = generateToken()
  await sql`insert into sessions (id, user_id, expires_at) values (${hashToken(token)}, ${user!.id}, ${new Date(Date.now() + 3600_000)})`
  const ids: string[] = []
  for (let i = 0; i < DOCS; i++) {
    const [d] = await sql<{ id: string }[]>`
      insert into documents (project_id, kind, title) values (${project!.id}, 'timeline', ${`bench ${i}`}) returning id`
    ids.push(d!.id)
  }
  const [t] = await sql<{ id: string }[]>`
    insert into documents (project_id, kind, title) values (${project!.id}, 'transcript', 'two hours') returning id`
  const collab = createCollabServer({
    config: {
      COLLAB_HOST: '127.0.0.1',
      COLLAB_PORT: 0,
      COLLAB_MAX_UPDATE_BYTES: 2 * 1024 * 1024,
      // One person opens every bench connection; the per-person cap is raised for that alone.
      COLLAB_MAX_CONNECTIONS_PER_USER: 5000,
      COLLAB_SNAPSHOT_EVERY: 500,
      COLLAB_RELAY_BEFORE_COMMIT: relayBeforeCommit,
    },
    sql,
  })
  const { url } = await collab.listen()
  // The transcript is stored as the server stores a settled document: one snapshot, no tail.
  await collab.updateLog.append(t!.id, transcript.update, user!.id)
  await collab.updateLog.whenIdle(t!.id)
  await collab.updateLog.compact(t!.id)
  return {
    url,
    docNames: ids.map((id) => `doc:${id}`),
    transcriptName: `doc:${t!.id}`,
    token,
    async load() {
      const conn = await collab.hocuspocus.openDirectConnection(`doc:${t!.id}`, {})
      return { unload: () => conn.disconnect() }
    },
    isLoaded: () =>
      collab.hocuspocus.documents.has(`doc:${t!.id}`) || collab.hocuspocus.loadingDocuments.has(`doc:${t!.id}`),
    async stop() {
      await collab.destroy()
      await sql.end({ timeout: 2 })
      await db.drop()
    },
  }
}

async function startHocuspocus(): Promise<Running> {
  const stored = new Map<string, Uint8Array>([['transcript', transcript.update]])
  const server = new Server({
    port: 0,
    address: '127.0.0.1',
    quiet: true,
    stopOnSignals: false,
    async onLoadDocument({ documentName, document }) {
      const update = stored.get(documentName)
      if (update) Y.applyUpdate(document, update)
    },
  })
  await server.listen()
  return {
    url: `ws://127.0.0.1:${server.address.port}`,
    docNames: Array.from({ length: DOCS }, (_, i) => `bench-${i}`),
    transcriptName: 'transcript',
    token: 'unused',
    async load() {
      const conn = await server.hocuspocus.openDirectConnection('transcript', {})
      return { unload: () => conn.disconnect() }
    },
    isLoaded: () =>
      server.hocuspocus.documents.has('transcript') || server.hocuspocus.loadingDocuments.has('transcript'),
    stop: () => server.destroy(),
  }
}

async function startYWebsocket(): Promise<Running> {
  const stored = new Map<string, Uint8Array>([['transcript', transcript.update]])
  // The in-memory storage the cold load reads from; nothing is written back (documents are bench scratch).
  setPersistence({
    provider: null,
    bindState: (name: string, doc: Y.Doc) => {
      const update = stored.get(name)
      if (update) Y.applyUpdate(doc, update)
    },
    writeState: async () => {},
  })
  const httpServer = http.createServer((_req, res) => res.writeHead(404).end())
  const wss = new WebSocketServer({ server: httpServer })
  wss.on('connection', (conn, req) => setupWSConnection(conn, req))
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
  const port = (httpServer.address() as { port: number }).port
  return {
    url: `ws://127.0.0.1:${port}`,
    docNames: Array.from({ length: DOCS }, (_, i) => `bench-${i}`),
    transcriptName: 'transcript',
    token: 'unused',
    async load() {
      getYDoc('transcript')
      return {
        async unload() {
          const doc = yDocs.get('transcript')
          yDocs.delete('transcript')
          doc?.destroy()
        },
      }
    },
    isLoaded: () => yDocs.has('transcript'),
    async stop() {
      for (const c of wss.clients) c.terminate()
      await new Promise<void>((resolve) => wss.close(() => resolve()))
      await new Promise<void>((resolve) => httpServer.close(() => resolve()))
    },
  }
}

async function whenUnloaded(running: Running): Promise<void> {
  const deadline = performance.now() + 10_000
  while (running.isLoaded() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10))
}

async function coldLoad(running: Running, runs: number): Promise<ColdLoadReport> {
  const serverLoadMs: number[] = []
  const applyUpdateMs: number[] = []
  const timeApply = () => {
    memory()
    const t = performance.now()
    const doc = new Y.Doc()
    Y.applyUpdate(doc, transcript.update)
    applyUpdateMs.push(performance.now() - t)
    doc.destroy()
  }
  const timeLoad = async () => {
    await whenUnloaded(running)
    // Both measurements start from a collected heap so that neither pays for the other's garbage.
    memory()
    const t = performance.now()
    const loaded = await running.load()
    serverLoadMs.push(performance.now() - t)
    await loaded.unload()
  }
  for (let i = 0; i < runs; i++) {
    // Alternating which goes first, so warm-up and leftovers fall on both sides alike.
    if (i % 2 === 0) {
      await timeLoad()
      timeApply()
    } else {
      timeApply()
      await timeLoad()
    }
  }
  await whenUnloaded(running)
  // Unload hooks may hold the last document a moment longer than the server's document map.
  await new Promise((r) => setTimeout(r, 1500))
  const before = memory().heapUsed
  const loaded = await running.load()
  const after = memory().heapUsed
  await loaded.unload()
  await whenUnloaded(running)
  return { serverLoadMs, applyUpdateMs, loadedDocBytes: after - before }
}

const running =
  kind === 'cutroom' || kind === 'cutroom-own-pg'
    ? await startCutroom(true)
    : kind === 'cutroom-commit-first'
      ? await startCutroom(false)
      : kind === 'hocuspocus'
        ? await startHocuspocus()
        : await startYWebsocket()
reply({
  type: 'ready',
  url: running.url,
  docNames: running.docNames,
  transcriptName: running.transcriptName,
  token: running.token,
  transcriptBytes: transcript.update.byteLength,
})

let profiler: Session | null = null
process.on('message', async (message: ServerRequest) => {
  if (message.type === 'memory') reply({ type: 'memory', ...memory() })
  else if (message.type === 'profile' && message.action === 'start') {
    profiler = new Session()
    profiler.connect()
    await profiler.post('Profiler.enable')
    await profiler.post('Profiler.setSamplingInterval', { interval: 200 })
    await profiler.post('Profiler.start')
    reply({ type: 'profile' })
  } else if (message.type === 'profile' && message.action === 'stop') {
    const { profile } = (await profiler!.post('Profiler.stop')) as { profile: unknown }
    profiler!.disconnect()
    profiler = null
    writeFileSync(message.file, JSON.stringify(profile))
    reply({ type: 'profile' })
  } else if (message.type === 'coldLoad') reply({ type: 'coldLoad', ...(await coldLoad(running, message.runs)) })
  else if (message.type === 'stop') {
    await running.stop()
    process.exit(0)
  }
})
process.on('disconnect', () => process.exit(0))
