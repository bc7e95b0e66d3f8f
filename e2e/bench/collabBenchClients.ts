/**
 * The providers of the collab benchmark, in a process of their own so that they never share an event loop with
 * the server under test. Driven over IPC by collab.bench.ts.
 *
 * Propagation latency: a provider sets `bench[<phase>.<n>] = {t}` (t = performance.now() of this process); every
 * other provider of that document records `now - t` when the change arrives. Sender and receivers share this
 * process' clock, so no clock sync is involved.
 */
import { performance } from 'node:perf_hooks'
import { HocuspocusProvider } from '@hocuspocus/provider'
import WebSocket from 'ws'
import * as Y from 'yjs'
import type { ClientReply, ClientRequest, LatencyReport, ServerKind, ThroughputReport } from './collabBenchProtocol'
import { CollabBenchYWebsocketClient } from './collabBenchYWebsocketClient'
import { percentile } from './report'

const [kind, url, token, namesJson] = process.argv.slice(2) as [ServerKind, string, string, string]
const docNames = JSON.parse(namesJson) as string[]

interface Client {
  doc: Y.Doc
  docIndex: number
  destroy(): void
}

let clients: Client[] = []
let currentDocs = 0
/** Providers per document index. */
const perDoc = new Map<number, number>()
let samples: number[] = []
let delivered = 0

function reply(message: ClientReply): void {
  process.send?.(message)
}

function open(name: string, doc: Y.Doc): { synced: Promise<void>; destroy(): void } {
  if (kind === 'y-websocket') {
    const client = new CollabBenchYWebsocketClient(url, name, doc)
    return { synced: client.synced, destroy: () => client.destroy() }
  }
  // The same `ws` client library as the y-websocket client (the option reaches HocuspocusProviderWebsocket).
  const config = { url, name, token, document: doc, awareness: null, WebSocketPolyfill: WebSocket }
  const provider = new HocuspocusProvider(config)
  const synced = new Promise<void>((resolve, reject) => {
    provider.on('synced', () => resolve())
    provider.on('authenticationFailed', ({ reason }: { reason: string }) =>
      reject(new Error(`authentication failed: ${reason}`)),
    )
  })
  return { synced, destroy: () => provider.destroy() }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

async function connect(providers: number, docs: number): Promise<number> {
  if (docs !== currentDocs) {
    for (const c of clients) c.destroy()
    clients = []
    perDoc.clear()
    currentDocs = docs
    await new Promise((r) => setTimeout(r, 300))
  }
  const t = performance.now()
  // In batches, as a crowd arriving rather than one burst of a thousand handshakes.
  while (clients.length < providers) {
    const batch: Promise<void>[] = []
    for (let i = 0; i < 50 && clients.length < providers; i++) {
      const index = clients.length
      const docIndex = index % docs
      const doc = new Y.Doc()
      const map = doc.getMap<{ t: number }>('bench')
      map.observe((event) => {
        if (event.transaction.local) return
        const now = performance.now()
        for (const key of event.keysChanged) {
          const value = map.get(key)
          if (value) samples.push(now - value.t)
          delivered++
        }
      })
      const handle = open(docNames[docIndex]!, doc)
      clients.push({ doc, docIndex, destroy: handle.destroy })
      perDoc.set(docIndex, (perDoc.get(docIndex) ?? 0) + 1)
      batch.push(handle.synced)
    }
    await withTimeout(Promise.all(batch), 60_000, 'connecting a batch of providers')
  }
  return performance.now() - t
}

/** How many other providers receive an edit made on document `docIndex`. */
function fanout(docIndex: number): number {
  return (perDoc.get(docIndex) ?? 0) - 1
}

let phase = 0

/**
 * Provider `index` edits its document; returns how many deliveries that edit should make. Every edit writes a
 * key of its own: Hocuspocus 4 coalesces the updates of one event-loop turn into one broadcast, so several
 * edits may arrive in one message and one event, and each must still be counted and timed.
 */
function edit(index: number, sequence: number): number {
  const sender = clients[index]!
  sender.doc.getMap('bench').set(`${phase}.${sequence}`, { t: performance.now() })
  return fanout(sender.docIndex)
}

async function waitDelivered(expected: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (delivered < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5))
}

async function latency(seconds: number, rate: number): Promise<LatencyReport> {
  phase++
  samples = []
  delivered = 0
  let expected = 0
  const edits = Math.max(1, Math.round(seconds * rate))
  const start = performance.now()
  for (let i = 0; i < edits; i++) {
    // Paced against the start time so slow iterations do not stretch the run.
    const due = start + (i * 1000) / rate
    const wait = due - performance.now()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    expected += edit((i * 7919) % clients.length, i)
  }
  await waitDelivered(expected, 10_000)
  return { samples: samples.length, expected, p50: percentile(samples, 50), p99: percentile(samples, 99), edits }
}

async function throughput(edits: number, timeoutMs: number): Promise<ThroughputReport> {
  phase++
  samples = []
  delivered = 0
  let expected = 0
  const start = performance.now()
  for (let i = 0; i < edits; i++) {
    expected += edit((i * 7919) % clients.length, i)
    // Yield now and then so the sockets can write while the burst goes on.
    if (i % 25 === 24) await new Promise((r) => setImmediate(r))
  }
  await waitDelivered(expected, timeoutMs)
  return { edits, deliveries: expected, delivered, seconds: (performance.now() - start) / 1000 }
}

async function coldOpen(name: string, runs: number): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < runs; i++) {
    // Let the server unload the document from the previous run.
    await new Promise((r) => setTimeout(r, 500))
    const doc = new Y.Doc()
    const t = performance.now()
    const handle = open(name, doc)
    await withTimeout(handle.synced, 30_000, 'opening the transcript')
    out.push(performance.now() - t)
    handle.destroy()
    doc.destroy()
  }
  await new Promise((r) => setTimeout(r, 500))
  return out
}

process.on('message', async (message: ClientRequest) => {
  try {
    switch (message.type) {
      case 'connect':
        reply({ type: 'connected', providers: clients.length, ms: await connect(message.providers, message.docs) })
        break
      case 'latency':
        reply({ type: 'latency', ...(await latency(message.seconds, message.rate)) })
        break
      case 'throughput':
        reply({ type: 'throughput', ...(await throughput(message.edits, message.timeoutMs)) })
        break
      case 'open':
        reply({ type: 'open', ms: await coldOpen(message.name, message.runs) })
        break
      case 'stop':
        for (const c of clients) c.destroy()
        setTimeout(() => process.exit(0), 200)
        break
    }
  } catch (e) {
    reply({ type: 'error', message: e instanceof Error ? e.message : String(e) })
  }
})
process.on('disconnect', () => process.exit(0))
