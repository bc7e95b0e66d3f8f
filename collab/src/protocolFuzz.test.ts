import { runInNewContext } from 'node:vm'
import { setFlagsFromString } from 'node:v8'
import { documentName, type SeededRandom, seededRandom } from '@cutroom/schema'
import * as encoding from 'lib0/encoding'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { type CollabFixture, type Connected, createCollabFixture, waitFor } from './createCollabFixture'
import { encodeAuth, encodeUpdate } from './testFrames'

/**
 * Bounded protocol fuzzing: many raw sockets send random and mutated Hocuspocus frames (truncated varints,
 * huge declared lengths, unknown and foreign document names, garbage tokens, valid writes on read-only
 * connections, oversized frames) while honest providers keep editing one document. The server must keep
 * serving, the honest edits must converge and be durable exactly as written, every document's log must still
 * load, and the heap must return near its baseline. `FUZZ_SEED` reproduces a run.
 */

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000)
const FRAMES = Number(process.env.FUZZ_FRAMES ?? 20_000)
const SOCKETS = Number(process.env.FUZZ_SOCKETS ?? 40)
const MAX_UPDATE_BYTES = 16 * 1024
const HEAP_TOLERANCE_MIB = 30

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

let f: CollabFixture

test.before(async () => {
  f = await createCollabFixture({ COLLAB_MAX_UPDATE_BYTES: MAX_UPDATE_BYTES, COLLAB_MAX_CONNECTIONS_PER_USER: 20 })
})
test.after(async () => {
  await f.close()
})

// ---------- frames ----------

function bytes(rng: SeededRandom, n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = rng.int(0, 255)
  return out
}

function frame(write: (e: encoding.Encoder) => void): Uint8Array {
  const e = encoding.createEncoder()
  write(e)
  return encoding.toUint8Array(e)
}

/** A small valid Yjs update, as an editor of another replica would send. */
function validUpdate(rng: SeededRandom): Uint8Array {
  const doc = new Y.Doc()
  doc
    .getMap(rng.pick(['meta', 'tracks', 'fuzz']))
    .set(`k${rng.int(0, 99)}`, rng.pick<unknown>(['v', 42, [1, 2], { a: 'b' }]))
  return Y.encodeStateAsUpdate(doc)
}

function mutate(rng: SeededRandom, data: Uint8Array): Uint8Array {
  const out = data.slice()
  const flips = rng.int(1, 4)
  for (let i = 0; i < flips && out.length; i++) out[rng.int(0, out.length - 1)] = rng.int(0, 255)
  return rng.chance(0.3) ? out.slice(0, rng.int(0, out.length)) : out
}

function awareness(rng: SeededRandom, state: string): Uint8Array {
  return frame((e) => {
    encoding.writeVarUint(e, 1)
    encoding.writeVarUint(e, rng.int(0, 2 ** 31))
    encoding.writeVarUint(e, rng.int(0, 2 ** 31))
    encoding.writeVarString(e, state)
  })
}

type FrameKind = string

/** One frame for a socket that speaks about `name`; returns the frame and what kind it is (for the counts). */
function fuzzFrame(rng: SeededRandom, name: string, writable: boolean, wellFormed: boolean): [FrameKind, Uint8Array] {
  const pick = wellFormed ? rng.pick([6, 6, 7, 11, 12, 14]) : rng.int(0, 15)
  switch (pick) {
    case 0:
      return ['random bytes', bytes(rng, rng.int(0, 300))]
    case 1:
      return ['truncated varint', new Uint8Array(rng.int(1, 12)).fill(0xff)]
    case 2:
      // A document name that declares ~2^32 bytes and carries a few.
      return [
        'huge name length',
        frame((e) => {
          encoding.writeVarUint(e, 2 ** 32 - rng.int(1, 1000))
          encoding.writeUint8Array(e, bytes(rng, 8))
        }),
      ]
    case 3:
      // A sync update whose payload declares far more bytes than the frame holds.
      return [
        'huge payload length',
        frame((e) => {
          encoding.writeVarString(e, name)
          encoding.writeVarUint(e, 0)
          encoding.writeVarUint(e, 2)
          encoding.writeVarUint(e, rng.pick([2 ** 31, 2 ** 40, 2 ** 53 - 1]))
          encoding.writeUint8Array(e, bytes(rng, 16))
        }),
      ]
    case 4:
      return ['mutated update', mutate(rng, encodeUpdate(name, validUpdate(rng)))]
    case 5:
      return [
        'truncated update',
        (() => {
          const u = validUpdate(rng)
          return encodeUpdate(name, u.slice(0, Math.max(1, u.length - rng.int(1, 8))))
        })(),
      ]
    case 6:
      // On a read-only connection this is a well-formed write the server must drop.
      return [writable ? 'valid update (other doc)' : 'valid update (read-only)', encodeUpdate(name, validUpdate(rng))]
    case 7:
      return [
        'sync step 1',
        frame((e) => {
          encoding.writeVarString(e, name)
          encoding.writeVarUint(e, 0)
          encoding.writeVarUint(e, 0)
          encoding.writeVarUint8Array(e, rng.chance(0.5) ? Y.encodeStateVector(new Y.Doc()) : bytes(rng, 6))
        }),
      ]
    case 8:
      return [
        'awareness',
        frame((e) => {
          encoding.writeVarString(e, name)
          encoding.writeVarUint(e, 1)
          encoding.writeVarUint8Array(
            e,
            awareness(rng, rng.pick(['{"user":{"name":"x"}}', '{not json', 'null', '"'.repeat(50)])),
          )
        }),
      ]
    case 9:
      return [
        'unknown message type',
        frame((e) => {
          encoding.writeVarString(e, name)
          encoding.writeVarUint(e, rng.pick([6, 8, 9, 11, 99, 2 ** 30]))
          encoding.writeUint8Array(e, bytes(rng, rng.int(0, 20)))
        }),
      ]
    case 10:
      return ['oversized', new Uint8Array(MAX_UPDATE_BYTES + 2048).fill(rng.int(0, 255))]
    case 11:
      return [
        'query awareness / stateless / close',
        frame((e) => {
          encoding.writeVarString(e, name)
          const type = rng.pick([3, 5, 7])
          encoding.writeVarUint(e, type)
          if (type === 5) encoding.writeVarString(e, rng.pick(['{"a":1}', 'x'.repeat(500), '']))
        }),
      ]
    case 12:
      return ['update for another document', encodeUpdate(documentName(crypto.randomUUID()), validUpdate(rng))]
    case 13:
      return ['empty frame', new Uint8Array(0)]
    case 14:
      return ['pong', new Uint8Array([10])]
    default:
      return ['mutated auth', mutate(rng, encodeAuth(name, 'x'.repeat(rng.int(0, 40))))]
  }
}

// ---------- the storm ----------

interface StormCounts {
  frames: number
  connections: number
  closes: Map<number, number>
  kinds: Map<string, number>
}

/** One attacker: connects, maybe authenticates, sends frames until closed, reconnects, until the budget is spent. */
async function attacker(
  rng: SeededRandom,
  budget: { left: number },
  counts: StormCounts,
  targets: Target[],
): Promise<void> {
  while (budget.left > 0) {
    const target = rng.pick(targets)
    const ws = new WebSocket(f.url)
    counts.connections++
    const closed = new Promise<number>((resolve) => {
      ws.once('close', (code) => resolve(code))
      // every error: terminating a socket that is still connecting emits one more
      ws.on('error', () => {})
    })
    const opened = await Promise.race([new Promise((r) => ws.once('open', () => r(true))), closed.then(() => false)])
    let open = opened as boolean
    void closed.then(() => {
      open = false
    })
    if (open) {
      // A quarter of the sockets send only well-formed frames, so they meet authorization and read-only rules
      // instead of the frame guard.
      const wellFormed = rng.chance(0.25)
      if (wellFormed || rng.chance(0.8)) ws.send(encodeAuth(target.name, target.token(rng)))
      if (wellFormed) await Promise.race([closed, new Promise((r) => setTimeout(r, rng.int(0, 100)))])
      const burst = rng.int(1, 40)
      for (let i = 0; i < burst && open && budget.left > 0; i++) {
        const [kind, data] = fuzzFrame(rng, target.name, target.writable, wellFormed)
        budget.left--
        counts.frames++
        counts.kinds.set(kind, (counts.kinds.get(kind) ?? 0) + 1)
        ws.send(data)
        if (rng.chance(0.3)) await new Promise((r) => setTimeout(r, rng.int(0, 5)))
      }
      // Leave some sockets open for the server to close, close others ourselves.
      if (open && rng.chance(0.5)) ws.close(rng.pick([1000, 1001, 4000]))
    }
    const code = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(-1), 2000))])
    if (code === -1) ws.terminate()
    const shown = code === -1 ? 0 : code
    counts.closes.set(shown, (counts.closes.get(shown) ?? 0) + 1)
  }
}

interface Target {
  name: string
  writable: boolean
  token(rng: SeededRandom): string
}

function garbageToken(rng: SeededRandom): string {
  return rng.pick([
    '',
    'garbage',
    'crk_x_y',
    `crk_${'a'.repeat(16)}_${'b'.repeat(32)}`,
    'x'.repeat(5000),
    '\u0000\u0001',
    '🎬'.repeat(20),
  ])
}

/** Every document's durable state (snapshot + log) as a fresh replica would load it. */
async function loadFromPostgres(docId: string): Promise<Y.Doc> {
  const doc = new Y.Doc()
  await f.sql.begin('isolation level repeatable read read only', async (tx) => {
    const [snap] = await tx<{ state: Uint8Array }[]>`select state from doc_snapshots where doc_id = ${docId}`
    if (snap) Y.applyUpdate(doc, snap.state)
    for (const row of await tx<
      { update: Uint8Array }[]
    >`select update from doc_updates where doc_id = ${docId} order by seq`)
      Y.applyUpdate(doc, row.update)
  })
  return doc
}

function heapMiB(): number {
  for (let i = 0; i < 4; i++) gc()
  return process.memoryUsage().heapUsed / 1024 / 1024
}

test(`protocol storm: server keeps serving, honest edits converge and are durable (seed ${SEED})`, async () => {
  console.log(`protocol fuzz: seed ${SEED} (FUZZ_SEED=${SEED} reproduces), ${FRAMES} frames over ${SOCKETS} sockets`)
  const started = Date.now()
  const rng = seededRandom(SEED)
  const honestDoc = f.docs.timeline
  const honestName = documentName(honestDoc)

  // Honest people use principals the attackers never use, so attackers cannot take their connection slots.
  const honest: { label: string; c: Connected; written: string[] }[] = []
  for (const [label, token] of [
    ['owner', f.sessions.owner],
    ['admin', f.sessions.admin],
    ['editor key', f.apiKeys.editor],
  ] as const)
    honest.push({ label, c: await f.connect(honestDoc, token), written: [] })
  await waitFor(() => honest.every((h) => h.c.doc.getArray('honest').length === 0), 2000, 'honest start')

  // Warm up: one full storm-shaped round trip so lazily created server state is in the baseline.
  const warm = await f.connect(f.docs.qa, f.sessions.editor)
  warm.destroy()
  const baseline = heapMiB()

  const targets: Target[] = [
    // the honest document, only read-only or refused
    { name: honestName, writable: false, token: () => f.sessions.viewer },
    { name: honestName, writable: false, token: () => f.sessions.reviewer },
    { name: honestName, writable: false, token: () => f.apiKeys.viewer },
    { name: honestName, writable: false, token: garbageToken },
    { name: honestName, writable: false, token: () => f.otherTenant.session },
    // other documents, writable by the attacker: mutated updates must never reach their logs
    { name: documentName(f.docs.transcript), writable: true, token: () => f.sessions.editor },
    { name: documentName(f.docs.qa), writable: true, token: () => f.sessions.editor },
    { name: documentName(f.docs.retell), writable: true, token: () => f.apiKeys.editor },
    // foreign, unknown and malformed names
    { name: documentName(f.otherTenant.docId), writable: false, token: () => f.sessions.editor },
    { name: documentName(crypto.randomUUID()), writable: false, token: () => f.sessions.viewer },
    { name: 'doc:not-a-uuid', writable: false, token: () => f.sessions.viewer },
    { name: 'x'.repeat(300), writable: false, token: () => f.sessions.viewer },
    { name: '../../etc/passwd', writable: false, token: garbageToken },
  ]

  const counts: StormCounts = { frames: 0, connections: 0, closes: new Map(), kinds: new Map() }
  const budget = { left: FRAMES }
  let stormOver = false
  let healthChecks = 0
  let freshConnections = 0
  const problems: string[] = []

  const editing = honest.map(async (h, i) => {
    let n = 0
    while (!stormOver) {
      const item = `${h.label}:${n++}`
      h.c.doc.getArray<string>('honest').push([item])
      h.written.push(item)
      await new Promise((r) => setTimeout(r, 20 + i * 5))
    }
  })
  const watching = (async () => {
    while (!stormOver) {
      const res = await fetch(`${f.url.replace('ws://', 'http://')}/healthz`).catch(() => null)
      healthChecks++
      if (res?.status !== 200) problems.push(`/healthz answered ${res?.status ?? 'nothing'} during the storm`)
      // A new person can still open a document mid-storm.
      const fresh = await f.attempt(f.docs.qa, f.sessions.owner)
      freshConnections++
      if (!fresh.synced) problems.push(`a new connection did not sync during the storm (${fresh.code ?? fresh.reason})`)
      await new Promise((r) => setTimeout(r, 300))
    }
  })()

  // Nothing a client sends may make the server print an error (a stack trace per frame floods the log).
  const logged = { error: 0, warn: 0, firstError: '' }
  const { error, warn } = console
  console.error = (...args: unknown[]) => {
    logged.error++
    logged.firstError ||= args.map(String).join(' ').slice(0, 300)
  }
  console.warn = () => {
    logged.warn++
  }
  const stormStarted = Date.now()
  await Promise.all(
    Array.from({ length: SOCKETS }, (_, i) => attacker(seededRandom(SEED + i + 1), budget, counts, targets)),
  )
  const stormSeconds = (Date.now() - stormStarted) / 1000
  stormOver = true
  await Promise.all([editing, watching])
  console.error = error
  console.warn = warn
  const edits = honest.reduce((n, h) => n + h.written.length, 0)

  // Every honest replica converges on exactly what the honest people wrote, nothing else.
  const expected = honest.flatMap((h) => h.written).sort()
  await Promise.all(honest.map((h) => h.c.settled()))
  await waitFor(
    () => honest.every((h) => h.c.doc.getArray('honest').length === expected.length),
    10_000,
    'honest replicas to converge',
  )
  for (const h of honest) assert.equal([...h.c.doc.getArray<string>('honest').toArray()].sort(), expected, h.label)
  // Each person's own items stay in the order they wrote them.
  const live = honest[0]!.c.doc.getArray<string>('honest').toArray()
  for (const h of honest)
    assert.equal(
      live.filter((x) => x.startsWith(`${h.label}:`)),
      h.written,
    )

  // Durable: Postgres holds exactly that; nothing the read-only or refused sockets sent was stored.
  const durable = await loadFromPostgres(honestDoc)
  assert.equal([...durable.getArray<string>('honest').toArray()].sort(), expected, 'durable honest content')
  assert.is(durable.getMap('fuzz').size, 0, 'no attacker key in the honest document')
  const [foreign] = await f.sql<{ n: number }[]>`
    select count(*)::int as n from doc_updates
    where doc_id = ${honestDoc} and user_id is not null
      and not (user_id = any(${[f.userIds.owner, f.userIds.admin]}::uuid[]))`
  assert.is(foreign!.n, 0, 'only the honest people appended to the honest document')
  // Every attacked document's log still loads (a malformed update in it would break every later load).
  for (const docId of [f.docs.transcript, f.docs.qa, f.docs.retell]) await loadFromPostgres(docId)
  const reopened = await f.attempt(f.docs.transcript, f.sessions.owner)
  assert.ok(reopened.synced, 'an attacked document still opens')

  for (const h of honest) h.c.destroy()
  await waitFor(() => f.collab.hocuspocus.getConnectionsCount() === 0, 10_000, 'connections to close')
  const health = await fetch(`${f.url.replace('ws://', 'http://')}/healthz`)
  const metrics = await (await fetch(`${f.url.replace('ws://', 'http://')}/metrics`)).text()
  await new Promise((r) => setTimeout(r, 500))
  const after = heapMiB()

  const closes = [...counts.closes.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([c, n]) => `${c === 0 ? 'still open after 2 s' : c} ${n}`)
  const kinds = [...counts.kinds.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`)
  console.log(
    `protocol fuzz: ${counts.frames} frames, ${counts.connections} connections, storm ${stormSeconds.toFixed(1)} s, ` +
      `total ${((Date.now() - started) / 1000).toFixed(1)} s`,
  )
  console.log(`protocol fuzz closes by code: ${closes.join(', ')}`)
  console.log(`protocol fuzz frames by kind: ${kinds.join(', ')}`)
  console.log(
    `protocol fuzz honest: ${edits} edits by ${honest.length} providers, all converged and durable; ` +
      `${healthChecks} health checks and ${freshConnections} new connections during the storm`,
  )
  console.log(
    `protocol fuzz server output: ${logged.error} errors, ${logged.warn} warnings (Hocuspocus' own pre-auth limits)`,
  )
  console.log(
    `protocol fuzz heap after gc: baseline ${baseline.toFixed(1)} MiB, after ${after.toFixed(1)} MiB ` +
      `(+${(after - baseline).toFixed(1)} MiB, tolerance +${HEAP_TOLERANCE_MIB} MiB)`,
  )
  assert.equal(problems, [])
  assert.is(logged.error, 0, `the server printed an error: ${logged.firstError}`)
  assert.is(counts.frames, FRAMES)
  assert.is(health.status, 200)
  assert.match(metrics, /cutroom_collab_connections 0/)
  assert.ok(edits >= 30, `honest providers kept editing during the storm (${edits} edits)`)
  assert.ok((counts.closes.get(4400) ?? 0) > 0, 'malformed frames were refused with 4400')
  assert.ok(after - baseline < HEAP_TOLERANCE_MIB, `heap grew by ${(after - baseline).toFixed(1)} MiB`)
})

test.run()
