import { ErrorCode, type SeededRandom, seededRandom } from '@cutroom/schema'
import postgres from 'postgres'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { z } from 'zod'
import { startMediaTestApi } from './media/startMediaTestApi'
import { appRouter } from './router'
import { listProcedures } from './testing/listProcedures'

/**
 * Bounded fuzzing of every tRPC procedure over real HTTP: inputs generated from each procedure's Zod input
 * schema, plus boundary and garbage values, sent as several principals. No call may answer 500 /
 * INTERNAL_SERVER_ERROR, every refusal carries a stable code, and neither a refusal nor a query changes what
 * Postgres holds. `FUZZ_SEED` reproduces a run; `FUZZ_CALLS` changes its length and `FUZZ_SECONDS` its time budget.
 */

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000)
const CALLS = Number(process.env.FUZZ_CALLS ?? 3000)
/** A slow machine makes fewer calls instead of running past the test runner's limit (every procedure still twice). */
const BUDGET_MS = Number(process.env.FUZZ_SECONDS ?? 120) * 1000
const PASSWORD = 'correct horse 42'
const STABLE_CODES = new Set<string>(Object.values(ErrorCode))
/**
 * Tables whose changes on a refusal are expected: attempt counters of the rate limiter. Columns too: when an API
 * key or a session was last used (`last_used_at`, `last_seen_at`, written at most once a minute by any call).
 */
const VOLATILE_TABLES = new Set(['rate_limits'])

type ZodAny = z.ZodType & { _zod: { def: Record<string, unknown> & { type: string } } }
type ProcedureType = 'query' | 'mutation' | 'subscription'

interface Procedure {
  path: string
  type: ProcedureType
  input: ZodAny | undefined
}

interface Outcome {
  status: number
  /** 'OK' or the stable error code (or a marker when the answer had none). */
  code: string
  message?: string
}

let api: Awaited<ReturnType<typeof startMediaTestApi>>
let sql: postgres.Sql

test.before(async () => {
  api = await startMediaTestApi({ RATE_LIMIT_MULTIPLIER: '50' })
  sql = postgres(api.databaseUrl, { max: 2, onnotice: () => {} })
})
test.after(async () => {
  await sql?.end({ timeout: 2 })
  await api?.close()
})

function procedures(): Procedure[] {
  const all = appRouter._def.procedures as unknown as Record<
    string,
    { _def: { type: ProcedureType; inputs: ZodAny[] } }
  >
  return Object.entries(all).map(([path, p]) => ({ path, type: p._def.type, input: p._def.inputs[0] }))
}

// ---------- HTTP ----------

async function call(
  proc: Pick<Procedure, 'path' | 'type'>,
  input: unknown,
  token: string | null,
  extra: { headers?: Record<string, string>; rawBody?: string; rawQuery?: string; method?: string } = {},
): Promise<Outcome> {
  const headers: Record<string, string> = { ...extra.headers }
  if (token) headers.authorization = token.startsWith('raw:') ? token.slice(4) : `Bearer ${token}`
  const base = `${api.url}/trpc/${proc.path}`
  const encoded = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`
  const method = extra.method ?? (proc.type === 'mutation' ? 'POST' : 'GET')
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), 10_000)
  try {
    const res =
      method === 'POST'
        ? await fetch(base, {
            method,
            headers: { 'content-type': 'application/json', ...headers },
            body: extra.rawBody ?? (input === undefined ? undefined : JSON.stringify(input)),
            signal: controller.signal,
          })
        : await fetch(base + (extra.rawQuery ?? encoded), { method, headers, signal: controller.signal })
    if ((res.headers.get('content-type') ?? '').includes('text/event-stream')) return await readStream(res, controller)
    const text = await res.text()
    return parseAnswer(res.status, text)
  } finally {
    clearTimeout(timer)
  }
}

function parseAnswer(status: number, text: string): Outcome {
  let body: { result?: unknown; error?: { message?: string; data?: { code?: string } } }
  try {
    body = JSON.parse(text)
  } catch {
    return { status, code: `(not JSON: ${text.slice(0, 80)})` }
  }
  if (body.error) return { status, code: body.error.data?.code ?? '(no stable code)', message: body.error.message }
  return { status, code: 'OK' }
}

/** A subscription: the first error event, or OK once it is connected and quiet for a moment. */
async function readStream(res: Response, controller: AbortController): Promise<Outcome> {
  const reader = res.body!.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  const quiet = () => new Promise<'quiet'>((r) => setTimeout(() => r('quiet'), 150))
  try {
    while (true) {
      const next = await Promise.race([reader.read(), quiet()])
      if (next === 'quiet' || next.done) return { status: res.status, code: 'OK' }
      buffer += decoder.decode(next.value, { stream: true })
      const match = /event: serialized-error\ndata: (.*)\n/.exec(buffer)
      if (match) {
        const data = JSON.parse(match[1]!) as { error?: { data?: { code?: string } }; data?: { code?: string } }
        const code = data.error?.data?.code ?? data.data?.code ?? '(no stable code)'
        return { status: code === ErrorCode.INTERNAL ? 500 : res.status, code }
      }
    }
  } finally {
    controller.abort()
    reader.cancel().catch(() => {})
  }
}

async function must<T>(path: string, input: unknown, token: string | null): Promise<T> {
  const isQuery = !/\.(create|add|signUp|signIn|createUpload|completeUpload)$/.test(path)
  const url = `${api.url}/trpc/${path}`
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (token) headers.authorization = `Bearer ${token}`
  const res = isQuery
    ? await fetch(`${url}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers })
    : await fetch(url, { method: 'POST', headers, body: JSON.stringify(input) })
  const body = (await res.json()) as { result?: { data: T }; error?: unknown }
  if (!body.result) throw new Error(`${path} failed during setup: ${JSON.stringify(body.error)}`)
  return body.result.data
}

// ---------- Postgres state ----------

/**
 * Row count and a hash of every row of every table (without volatile columns: last use and sight, and the
 * `jobs.dispatched_at` every api replica stamps in the background when it republishes queued jobs), in one round trip.
 */
let stateQuery: string | undefined
async function snapshotState(): Promise<Map<string, string>> {
  stateQuery ??= await buildStateQuery()
  const rows = await sql.unsafe<{ name: string; h: string }[]>(stateQuery)
  return new Map(rows.map((r) => [r.name, r.h]))
}

async function buildStateQuery(): Promise<string> {
  const tables = await sql<{ name: string }[]>`
    select table_name as name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`
  return tables
    .map((t) => t.name)
    .filter((name) => !VOLATILE_TABLES.has(name))
    .map(
      (name) =>
        `select '${name}' as name, count(*)::text || ':' || md5(coalesce(string_agg(x, E'\\n' order by x), '')) as h
         from (select (to_jsonb(t) - 'last_used_at' - 'last_seen_at' - 'dispatched_at')::text as x from "${name}" t) s`,
    )
    .join(' union all ')
}

function changedTables(a: Map<string, string>, b: Map<string, string>): string[] {
  return [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k))
}

// ---------- input generation ----------

interface Pools {
  byKey: Record<string, string[]>
  /** Ids for `{ id }` inputs, by router. */
  byRouter: Record<string, string[]>
  all: string[]
  emails: string[]
  passwords: string[]
}

function uuidFrom(rng: SeededRandom): string {
  const hex = Array.from({ length: 32 }, () => rng.int(0, 15).toString(16)).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`
}

const GARBAGE_IDS = [
  '',
  ' ',
  'not-a-uuid',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  "' or 1=1 --",
  '%',
  '*',
  '../../etc/passwd',
  'null',
  'NaN',
  '1e309',
  '-1',
  '0'.repeat(64),
  'x'.repeat(65),
  '\u0000',
  '\ud800',
  'crk_x_y',
]

const GARBAGE_STRINGS = [
  '',
  ' ',
  '\t\n',
  'NaN',
  'Infinity',
  '-0',
  '1e309',
  'null',
  'undefined',
  'true',
  '<script>alert(1)</script>',
  "'; drop table users; --",
  '${7*7}',
  '{{7*7}}',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\u202e',
  '🎬'.repeat(40),
  '__proto__',
  'constructor',
]

const WEIRD_NUMBERS: unknown[] = [
  0,
  -1,
  -0,
  1.5,
  2 ** 31,
  2 ** 53,
  -(2 ** 53),
  1e308,
  -1e308,
  '1',
  '',
  'NaN',
  null,
  true,
  [],
  {},
]

function nested(depth: number): unknown {
  let v: unknown = 'deep'
  for (let i = 0; i < depth; i++) v = i % 2 ? { a: v } : [v]
  return v
}

function wholeGarbage(rng: SeededRandom): unknown {
  const options: (() => unknown)[] = [
    () => undefined,
    () => null,
    () => 0,
    () => '',
    () => 'a string',
    () => [],
    () => [1, 2, 3],
    () => true,
    () => ({}),
    () => nested(rng.int(5, 60)),
    () => JSON.parse('{"__proto__":{"polluted":"yes"}}'),
    () => JSON.parse('{"constructor":{"prototype":{"polluted":"yes"}}}'),
    () => ({ id: { $ne: null } }),
    () => ({ id: ['a', 'b'], orgId: { toString: 'x' } }),
    () => Array.from({ length: 300 }, (_, i) => ({ i })),
  ]
  return rng.pick(options)()
}

function randomText(rng: SeededRandom, min: number, max: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789-_.éß日本🎞'
  const chars = [...alphabet]
  const length = rng.int(min, Math.max(min, Math.min(max, min + 40)))
  let s = ''
  for (let i = 0; i < length; i++) s += rng.pick(chars)
  // Some of the random text must survive a trim to satisfy min lengths.
  return s.trim().length >= min ? s : `${'x'.repeat(min)}${s}`.slice(0, Math.max(min, max))
}

interface GenContext {
  rng: SeededRandom
  pools: Pools
  path: string
  /** Probability that a field gets a boundary or garbage value instead of a valid one. */
  weirdness: number
  /** GET query strings stay under Node's header size limit. */
  maxString: number
  /** One top-level field gets a boundary or garbage value, every other field a valid one. */
  single?: boolean
}

function idPool(key: string, g: GenContext): string[] {
  if (key === 'id') return g.pools.byRouter[g.path.split('.').slice(0, -1).join('.')] ?? g.pools.all
  return g.pools.byKey[key] ?? g.pools.all
}

function stringValue(schema: ZodAny, key: string, g: GenContext): unknown {
  const { rng } = g
  const s = schema as unknown as { minLength: number | null; maxLength: number | null; format: string | null }
  const min = s.minLength ?? 0
  const max = s.maxLength ?? 300
  if (rng.chance(g.weirdness)) {
    const choices: (() => unknown)[] = [
      () => rng.pick(GARBAGE_STRINGS),
      // valid text with one hostile character in it
      () => `${randomText(rng, min, max - 1)}${rng.pick(['\u0000', '\ud800', '\u202e', '\u0007'])}`,
      () => `\u0000${randomText(rng, min, max - 1)}`,
      () => 'x'.repeat(max),
      () => 'x'.repeat(max + 1),
      () => 'y'.repeat(Math.min(g.maxString, 50_000)),
      () => ' '.repeat(Math.max(1, min)),
      () => rng.pick(WEIRD_NUMBERS),
      () => ({ nested: rng.pick(GARBAGE_STRINGS) }),
      () => [rng.pick(GARBAGE_STRINGS)],
      () => rng.pick(g.pools.all),
    ]
    if (/id$/i.test(key))
      choices.push(
        () => rng.pick(GARBAGE_IDS),
        () => uuidFrom(rng),
      )
    return rng.pick(choices)()
  }
  if (key === 'id' || /Id$/.test(key)) {
    if (g.weirdness === 0) return rng.pick(idPool(key, g))
    return rng.chance(0.15) ? uuidFrom(rng) : rng.chance(0.1) ? rng.pick(g.pools.all) : rng.pick(idPool(key, g))
  }
  if (s.format === 'email' || key === 'email') return rng.pick(g.pools.emails)
  if (/password/i.test(key)) return rng.pick(g.pools.passwords)
  if (key === 'contentType') return rng.pick(['video/mp4', 'audio/wav', 'video/quicktime', 'text/html', 'image/png'])
  if (key === 'filename') return rng.pick(['clip.mp4', 'take 2.mov', '../../etc/passwd', 'a/b\\c.wav', 'n'.repeat(255)])
  if (s.format === 'uuid') return uuidFrom(rng)
  return randomText(rng, min, max)
}

function numberValue(schema: ZodAny, g: GenContext): unknown {
  const { rng } = g
  const n = schema as unknown as { minValue: number | null; maxValue: number | null; isInt: boolean }
  const min = Number.isFinite(n.minValue) ? n.minValue! : -1000
  const max = Number.isFinite(n.maxValue) ? n.maxValue! : 1000
  if (rng.chance(g.weirdness)) return rng.pick([...WEIRD_NUMBERS, min - 1, max + 1, min, max])
  // Mostly small values (sizes, limits), sometimes anywhere in the range.
  const hi = rng.chance(0.7) ? Math.min(max, Math.max(min, 0) + 2048) : max
  const lo = Math.max(min, Number.MIN_SAFE_INTEGER)
  const v = lo + rng.next() * (hi - lo)
  return n.isInt ? Math.max(Math.ceil(lo), Math.floor(v)) : v
}

function generate(schema: ZodAny | undefined, key: string, g: GenContext, depth = 0): unknown {
  const { rng } = g
  if (!schema) return rng.chance(g.weirdness) ? wholeGarbage(rng) : undefined
  const def = schema._zod.def
  switch (def.type) {
    case 'object': {
      if (depth === 0 && rng.chance(g.weirdness / 3)) return wholeGarbage(rng)
      const shape = def.shape as Record<string, ZodAny>
      const out: Record<string, unknown> = {}
      const odd = depth === 0 && g.single ? rng.pick(Object.keys(shape)) : null
      for (const [k, field] of Object.entries(shape)) {
        if (rng.chance(g.weirdness / 4)) continue // a required field missing
        const v = generate(
          field,
          k,
          odd === null ? g : { ...g, single: false, weirdness: k === odd ? 1 : 0 },
          depth + 1,
        )
        if (v !== undefined) out[k] = v
      }
      if (rng.chance(g.weirdness / 3)) {
        const extra = rng.pick(['__proto__', 'constructor', 'prototype', 'unknownField', 'orgId', 'role'])
        Object.defineProperty(out, extra, {
          value: rng.pick<unknown>([{ polluted: 'yes' }, 'owner', rng.pick(g.pools.all), null]),
          enumerable: true,
          configurable: true,
          writable: true,
        })
      }
      return out
    }
    case 'string':
      return stringValue(schema, key, g)
    case 'number':
      return numberValue(schema, g)
    case 'boolean':
      return rng.chance(g.weirdness) ? rng.pick<unknown>(['true', 1, 0, null, 'yes']) : rng.chance(0.5)
    case 'enum': {
      const values = Object.values(def.entries as Record<string, string>)
      return rng.chance(g.weirdness)
        ? rng.pick<unknown>(['', 'OWNER', `${values[0]} `, 'superadmin', '__proto__', 'constructor', 0, null, values])
        : rng.pick(values)
    }
    case 'literal':
      return rng.chance(g.weirdness) ? 'not-the-literal' : (def.values as unknown[])[0]
    case 'array': {
      const a = schema as unknown as { _zod: { def: { element: ZodAny; checks?: unknown[] } } }
      if (rng.chance(g.weirdness)) {
        return rng.pick<() => unknown>([
          () => 'not an array',
          () => ({ 0: 'a', length: 1 }),
          () => Array.from({ length: 201 }, () => rng.pick(g.pools.all)),
          () => [[[]]],
          () => [null],
        ])()
      }
      return Array.from({ length: rng.int(0, 4) }, () => generate(a._zod.def.element, key, g, depth + 1))
    }
    case 'optional':
      return rng.chance(0.3) ? undefined : generate(def.innerType as ZodAny, key, g, depth)
    case 'nullable':
      return rng.chance(0.2) ? null : generate(def.innerType as ZodAny, key, g, depth)
    case 'default':
    case 'prefault':
      return rng.chance(0.3) ? undefined : generate(def.innerType as ZodAny, key, g, depth)
    case 'union':
      return generate(rng.pick(def.options as ZodAny[]), key, g, depth)
    case 'pipe':
      return generate(def.in as ZodAny, key, g, depth)
    default:
      return rng.pick(GARBAGE_STRINGS)
  }
}

// ---------- the fuzz ----------

test(`every procedure, as every principal, with generated and garbage input (seed ${SEED})`, async () => {
  console.log(`procedure fuzz: seed ${SEED} (FUZZ_SEED=${SEED} reproduces), ${CALLS} calls`)
  const started = Date.now()
  const rng = seededRandom(SEED)

  // A tenant built over HTTP, a second tenant, and people and keys the fuzz may remove or revoke.
  const signUp = async (email: string) =>
    must<{ user: { id: string }; token: string }>('auth.signUp', { email, password: PASSWORD, name: email }, null)
  const owner = await signUp('owner@fuzz.test')
  const viewer = await signUp('viewer@fuzz.test')
  const leaver = await signUp('leaver@fuzz.test')
  const victims = await Promise.all([1, 2, 3].map((i) => signUp(`victim${i}@fuzz.test`)))
  const other = await signUp('other@fuzz.test')
  const org = await must<{ id: string }>('orgs.create', { name: 'Fuzz Studio' }, owner.token)
  const otherOrg = await must<{ id: string }>('orgs.create', { name: 'Elsewhere' }, other.token)
  // the team plan: the tenant has more members than the free plan's seats
  await sql`update organizations set plan = 'team' where id = ${org.id}`
  await must('orgs.members.add', { orgId: org.id, email: 'viewer@fuzz.test', role: 'viewer' }, owner.token)
  await must('orgs.members.add', { orgId: org.id, email: 'leaver@fuzz.test', role: 'editor' }, owner.token)
  for (const [i, v] of victims.entries())
    await must('orgs.members.add', { orgId: org.id, email: `victim${i + 1}@fuzz.test`, role: 'editor' }, owner.token)
  const key = await must<{ id: string; key: string }>(
    'apiKeys.create',
    { orgId: org.id, name: 'ci', role: 'editor' },
    owner.token,
  )
  const victimKeys = await Promise.all(
    [1, 2].map((i) =>
      must<{ id: string }>('apiKeys.create', { orgId: org.id, name: `k${i}`, role: 'viewer' }, owner.token),
    ),
  )
  const otherKey = await must<{ id: string; key: string }>(
    'apiKeys.create',
    { orgId: otherOrg.id, name: 'theirs', role: 'owner' },
    other.token,
  )
  const project = await must<{ id: string }>('projects.create', { orgId: org.id, name: 'Film' }, owner.token)
  const victimProjects = await Promise.all(
    [1, 2].map((i) => must<{ id: string }>('projects.create', { orgId: org.id, name: `Scratch ${i}` }, owner.token)),
  )
  const otherProject = await must<{ id: string }>(
    'projects.create',
    { orgId: otherOrg.id, name: 'Theirs' },
    other.token,
  )
  const timeline = await must<{ id: string }>(
    'documents.create',
    { projectId: project.id, kind: 'timeline', title: 'Cut' },
    owner.token,
  )
  const workflow = await must<{ id: string }>(
    'documents.create',
    { projectId: project.id, kind: 'qa-workflow', title: 'QA' },
    owner.token,
  )
  const otherDoc = await must<{ id: string }>(
    'documents.create',
    { projectId: otherProject.id, kind: 'timeline', title: 'T' },
    other.token,
  )
  const upload = async (projectId: string, token: string) => {
    const r = await must<{ asset: { id: string }; upload: { url: string; headers: Record<string, string> } }>(
      'assets.createUpload',
      { projectId, filename: 'clip.mp4', size: 16, contentType: 'video/mp4' },
      token,
    )
    const put = await fetch(r.upload.url, { method: 'PUT', headers: r.upload.headers, body: new Uint8Array(16) })
    assert.ok(put.ok, 'upload to S3')
    await must('assets.completeUpload', { assetId: r.asset.id }, token)
    return r.asset.id
  }
  const asset = await upload(project.id, owner.token)
  const pending = await must<{ asset: { id: string } }>(
    'assets.createUpload',
    { projectId: project.id, filename: 'later.wav', size: 32, contentType: 'audio/wav' },
    owner.token,
  )
  const otherAsset = await upload(otherProject.id, other.token)
  const jobIds = (await sql<{ id: string }[]>`select id from jobs order by created_at`).map((r) => r.id)

  const ownIds = {
    org: [org.id],
    project: [project.id, ...victimProjects.map((p) => p.id)],
    document: [timeline.id, workflow.id],
    asset: [asset, pending.asset.id],
    key: victimKeys.map((k) => k.id),
    user: victims.map((v) => v.user.id),
  }
  const theirs = {
    org: otherOrg.id,
    project: otherProject.id,
    document: otherDoc.id,
    asset: otherAsset,
    key: otherKey.id,
    user: other.user.id,
  }
  const all = [
    ...Object.values(ownIds).flat(),
    ...Object.values(theirs),
    ...jobIds,
    owner.user.id,
    viewer.user.id,
    key.id,
    project.id.toUpperCase(),
    ` ${project.id}`,
  ]
  const pools: Pools = {
    all,
    byKey: {
      orgId: [...ownIds.org, theirs.org],
      projectId: [...ownIds.project, theirs.project],
      documentId: [...ownIds.document, theirs.document],
      assetId: [...ownIds.asset, theirs.asset],
      // the fixture's own people are never removed or demoted: only the victims and other tenants
      userId: [...ownIds.user, theirs.user],
      versionId: [uuidFrom(rng), ...ownIds.document],
      jobIds: jobIds,
    },
    byRouter: {
      orgs: [...ownIds.org, theirs.org],
      // the fixture's main project is never deleted
      projects: [...victimProjects.map((p) => p.id), theirs.project],
      documents: [...ownIds.document, theirs.document],
      assets: [...ownIds.asset, theirs.asset],
      jobs: [...jobIds, uuidFrom(rng)],
      apiKeys: [...ownIds.key, theirs.key],
    },
    emails: [
      'victim1@fuzz.test',
      'victim2@fuzz.test',
      'viewer@fuzz.test',
      'nobody@fuzz.test',
      'a@b.co',
      'VICTIM3@FUZZ.TEST',
    ],
    // the fixture's real password only signs in; changePassword never gets it, so no session of the fixture ends
    passwords: ['short', 'password', 'wrong horse battery', 'x'.repeat(200), ' '.repeat(12)],
  }
  const principals: { label: string; token: () => string | null }[] = [
    { label: 'anonymous', token: () => null },
    { label: 'viewer', token: () => viewer.token },
    { label: 'owner', token: () => owner.token },
    { label: 'api key', token: () => key.key },
    { label: 'other org owner', token: () => other.token },
    {
      label: 'garbage credentials',
      token: () =>
        rng.pick([
          'garbage',
          'crk_x_y',
          `crk_${key.id}_wrongsecret`,
          'a'.repeat(4000),
          'raw:Basic dXNlcjpwYXNz',
          'raw:Bearer',
          'raw:bearer  ',
        ]),
    },
  ]

  const procs = procedures()
  const counts = new Map<string, number>()
  const byProcedure = new Map<string, number>()
  const failures: string[] = []
  const fail = (what: string) => {
    if (failures.length < 40) failures.push(what)
  }
  let state = await snapshotState()
  let mutationsRefused = 0
  const timing = { call: 0, snapshot: 0 }
  const perProc = new Map<string, number>()

  let made = 0
  for (let i = 0; i < CALLS && (i < 2 * procs.length || Date.now() - started < BUDGET_MS); i++) {
    made = i + 1
    const proc = procs[i % procs.length]!
    const single = rng.chance(0.25)
    // One odd field in an otherwise valid call reaches furthest as a principal with rights.
    const principal = single ? rng.pick([principals[2]!, principals[3]!]) : rng.pick(principals)
    const g: GenContext = {
      rng,
      pools,
      path: proc.path,
      weirdness: rng.pick([0, 0, 0.1, 0.3, 1]),
      maxString: proc.type === 'mutation' ? 200_000 : 3000,
      single,
    }
    if (proc.path === 'auth.signIn' && rng.chance(0.3)) g.pools = { ...pools, passwords: [PASSWORD] }
    let input = generate(proc.input, '', g)
    let token = principal.token()
    const extra: Parameters<typeof call>[3] = {}
    // Signing out ends the caller's session: a session principal signs out a fresh session of a spare member.
    if (
      proc.path === 'auth.signOut' &&
      (principal.label === 'viewer' || principal.label === 'owner' || principal.label === 'other org owner')
    )
      token = (await must<{ token: string }>('auth.signIn', { email: 'leaver@fuzz.test', password: PASSWORD }, null))
        .token
    const transport = rng.int(0, 99)
    if (transport < 3)
      extra.rawBody = rng.pick(['not json', '{"a":', '', '[', '"\\ud800"', '{"__proto__":{"polluted":"yes"}}'])
    else if (transport < 5)
      extra.rawQuery = rng.pick(['?input=%E0%A4%A', '?input={', '?input=', '?batch=1&input={"0":', '?input=null'])
    else if (transport < 7) {
      // The wrong HTTP method; the input stays small enough for a query string.
      extra.method = proc.type === 'mutation' ? 'GET' : 'POST'
      input = generate(proc.input, '', { ...g, maxString: 3000 })
    } else if (transport < 8 && proc.type === 'mutation') input = { blob: 'z'.repeat(1.2 * 1024 * 1024) }
    if (proc.type === 'mutation' && rng.chance(0.1))
      extra.headers = {
        'idempotency-key': rng.pick(['', 'k', `key-${i}`, 'x'.repeat(300), 'spaces are not allowed', 'ümlaut']),
      }
    const before = state
    let outcome: Outcome
    const t0 = performance.now()
    try {
      outcome = await call(proc, input, token, extra)
    } catch (err) {
      outcome = { status: 0, code: `(transport error: ${(err as Error).message})` }
    }
    timing.call += performance.now() - t0
    if (process.env.FUZZ_TRACE) perProc.set(proc.path, (perProc.get(proc.path) ?? 0) + performance.now() - t0)
    const label = `#${i} ${proc.path} as ${principal.label} -> ${outcome.status} ${outcome.code}`
    counts.set(outcome.code, (counts.get(outcome.code) ?? 0) + 1)
    byProcedure.set(proc.path, (byProcedure.get(proc.path) ?? 0) + 1)
    // 503 UNAVAILABLE is the honest answer while a dependency is away (no collab server answers version requests here).
    const unavailable = outcome.status === 503 && outcome.code === ErrorCode.UNAVAILABLE
    if ((outcome.status >= 500 && !unavailable) || outcome.code === ErrorCode.INTERNAL || outcome.status === 0)
      fail(`${label}: ${outcome.message ?? ''} input ${JSON.stringify(input)?.slice(0, 200)}`)
    if (outcome.code !== 'OK' && !STABLE_CODES.has(outcome.code)) fail(`${label}: refusal without a stable code`)
    // A sign-out with a fresh session ends that session; everything else refused or read must change nothing.
    const t1 = performance.now()
    state = await snapshotState()
    timing.snapshot += performance.now() - t1
    const changed = changedTables(before, state)
    const mayChange = outcome.code === 'OK' && proc.type === 'mutation'
    if (outcome.code !== 'OK' && proc.type === 'mutation') mutationsRefused++
    const signOutSession = proc.path === 'auth.signOut' && token !== principal.token()
    if (!mayChange && changed.length && !(signOutSession && changed.every((t) => t === 'sessions')))
      fail(`${label}: changed ${changed.join(', ')} without succeeding (input ${JSON.stringify(input)?.slice(0, 200)})`)
  }

  const health = await fetch(`${api.url}/healthz`)
  const polluted = ({} as Record<string, unknown>).polluted
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  const outcomes = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`)
  console.log(
    `procedure fuzz: ${byProcedure.size}/${listProcedures().length} procedures, ${made} of ${CALLS} calls, ` +
      `${principals.length} principals, ${mutationsRefused} refused mutations checked for no change, ${seconds} s`,
  )
  console.log(
    `procedure fuzz time: calls ${(timing.call / 1000).toFixed(1)} s, state snapshots ${(timing.snapshot / 1000).toFixed(1)} s`,
  )
  if (process.env.FUZZ_TRACE) console.log([...perProc].sort((a, b) => b[1] - a[1]).slice(0, 10))
  console.log(`procedure fuzz outcomes: ${outcomes.join(', ')}`)
  if (failures.length) console.log(`procedure fuzz failures (seed ${SEED}):\n  ${failures.join('\n  ')}`)
  assert.equal(failures, [], `seed ${SEED}`)
  assert.is(polluted, undefined, 'Object.prototype stays clean')
  assert.is(health.status, 200)
  assert.equal([...byProcedure.keys()].sort(), listProcedures().sort(), 'every procedure was called')
  assert.ok((counts.get('OK') ?? 0) > made / 20, 'a fair share of calls got past validation and succeeded')
})

test.run()
