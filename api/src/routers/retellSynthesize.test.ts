import { randomUUID } from 'node:crypto'
import {
  DocPatchRequestSchema,
  type JobPayload,
  retell,
  Streams,
  Subjects,
  TTS_SAMPLE_RATE,
  tables,
} from '@cutroom/schema'
import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import { connect } from '@nats-io/transport-node'
import { and, eq } from 'drizzle-orm'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as Y from 'yjs'
import { createContext } from '../context'
import { type MediaTestApi, startMediaTestApi } from '../media/startMediaTestApi'
import { appRouter } from '../router'
import { createCallerFactory } from '../trpc'

/**
 * retell.synthesize through the real api, Postgres and NATS: the jobs it dispatches, its refusals, and the patch
 * the api sends to the collab server once a tts job's audio is recorded (the test answers `patches.doc.<id>`
 * the way the collab server does; collab's side is covered in collab/src/DocPatcher.test.ts).
 */
const createCaller = createCallerFactory(appRouter)
let api: MediaTestApi
let nc: NatsConnection
let ip = 0

const codeOf = (e: unknown) => (e as { cause?: { code?: string } })?.cause?.code ?? (e as { code?: string })?.code
const failure = (p: Promise<unknown>) =>
  p.then(
    () => assert.unreachable('should have failed'),
    (e: unknown) => e,
  )

async function caller(token?: string) {
  const headers = token ? { authorization: `Bearer ${token}` } : {}
  return createCaller(await createContext(api.services, { headers, ip: `10.3.0.${++ip % 250}` }))
}
type Caller = Awaited<ReturnType<typeof caller>>

let n = 0
async function person(name: string) {
  const { user, token } = await (await caller()).auth.signUp({
    email: `${name}${++n}@example.com`,
    password: 'correct horse 42',
    name,
  })
  return { user, token, call: await caller(token) }
}

async function studio() {
  const owner = await person('owner')
  const org = await owner.call.orgs.create({ name: `Studio ${n}` })
  const project = await owner.call.projects.create({ orgId: org.id, name: 'Film' })
  return { owner, org, project }
}

async function member(orgId: string, owner: Caller, role: 'admin' | 'editor' | 'reviewer' | 'viewer') {
  const p = await person(role)
  await owner.orgs.members.add({ orgId, email: p.user.email, role })
  return p
}

/** A retell script whose log holds these narration texts (and a chapter), as collab would have stored them. */
async function script(call: Caller, projectId: string, texts: string[]) {
  const created = await call.documents.create({ projectId, kind: 'retell', title: 'Script' })
  const doc = new Y.Doc()
  Y.applyUpdate(doc, retell.genesis())
  retell.addChapter(doc, { title: 'Opening' })
  const ids = texts.map((text) => retell.addNarration(doc, { text }))
  await api.services.db
    .insert(tables.docUpdates)
    .values({ docId: created.id, seq: 1, update: Y.encodeStateAsUpdate(doc), userId: null })
  return { documentId: created.id, ids }
}

async function ttsJobs(projectId: string) {
  return api.services.db
    .select({ id: tables.jobs.id, status: tables.jobs.status, payload: tables.jobs.payload })
    .from(tables.jobs)
    .where(and(eq(tables.jobs.projectId, projectId), eq(tables.jobs.kind, 'tts')))
}

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const v = await probe()
    if (v) return v
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

test.before(async () => {
  api = await startMediaTestApi()
  nc = await connect({ servers: api.nats.url })
})
test.after(async () => {
  await nc.drain()
  await api.close()
})

test('retell.synthesize dispatches a tts job per narration block with text, and writes an audit row', async () => {
  const { owner, org, project } = await studio()
  const editor = await member(org.id, owner.call, 'editor')
  const { documentId, ids } = await script(owner.call, project.id, [
    'First line.',
    '  ',
    'Second   line,\n said twice.',
  ])
  const all = await editor.call.retell.synthesize({ documentId })
  assert.equal(
    all.jobs.map((j) => j.blockId),
    [ids[0], ids[2]],
    'the empty block is skipped',
  )
  const rows = await ttsJobs(project.id)
  assert.is(rows.length, 2)
  const jsm = await jetstreamManager(nc)
  const stored = await jsm.streams.getMessage(Streams.JOBS, { last_by_subj: Subjects.job('tts') })
  const payload = stored!.json<Extract<JobPayload, { kind: 'tts' }>>()
  assert.is(stored?.header.get('Nats-Msg-Id'), all.jobs[1]!.jobId)
  assert.equal(payload.input, {
    text: 'Second line, said twice.',
    voice: 'narrator',
    documentId,
    blockId: ids[2],
    fingerprint: retell.narrationFingerprint('Second   line,\n said twice.', 'narrator'),
  })
  const one = await editor.call.retell.synthesize({ documentId, blockIds: [ids[0]!] })
  assert.equal(
    one.jobs.map((j) => j.blockId),
    [ids[0]],
  )
  const [audit] = await api.services.db
    .select({ actor: tables.auditLog.actorUserId, details: tables.auditLog.details })
    .from(tables.auditLog)
    .where(and(eq(tables.auditLog.action, 'retell.synthesize'), eq(tables.auditLog.targetId, documentId)))
  assert.is(audit?.actor, editor.user.id)
  assert.is((audit!.details as { blocks: number }).blocks, 2)
})

test('retell.synthesize: roles, other tenants and bad input are refused and dispatch nothing', async () => {
  const { owner, org, project } = await studio()
  const viewer = await member(org.id, owner.call, 'viewer')
  const reviewer = await member(org.id, owner.call, 'reviewer')
  const other = await studio()
  const { documentId, ids } = await script(owner.call, project.id, ['A line.', ''])
  const empty = await script(owner.call, project.id, [''])
  const timeline = await owner.call.documents.create({ projectId: project.id, kind: 'timeline', title: 'Cut' })
  const refusals: [() => Promise<unknown>, string, RegExp?][] = [
    [() => viewer.call.retell.synthesize({ documentId }), 'FORBIDDEN_ROLE', /A viewer cannot synthesize/],
    [() => reviewer.call.retell.synthesize({ documentId }), 'FORBIDDEN_ROLE'],
    [() => other.owner.call.retell.synthesize({ documentId }), 'NOT_FOUND'],
    [() => owner.call.retell.synthesize({ documentId: randomUUID() }), 'NOT_FOUND'],
    [() => owner.call.retell.synthesize({ documentId: 'not-an-id' }), 'NOT_FOUND'],
    [() => owner.call.retell.synthesize({ documentId: timeline.id }), 'BAD_INPUT', /from retell scripts/],
    [() => owner.call.retell.synthesize({ documentId, blockIds: ['nope'] }), 'NOT_FOUND', /no narration block nope/],
    [() => owner.call.retell.synthesize({ documentId, blockIds: [ids[1]!] }), 'BAD_INPUT', /has no text yet/],
    [() => owner.call.retell.synthesize({ documentId: empty.documentId }), 'BAD_INPUT', /no narration with text/],
    [() => owner.call.retell.synthesize({ documentId, blockIds: [] }), 'BAD_REQUEST'],
    [
      () => owner.call.retell.synthesize({ documentId, blockIds: Array.from({ length: 101 }, (_, i) => `b${i}`) }),
      'BAD_REQUEST',
    ],
    [() => owner.call.retell.synthesize({ documentId, blockIds: ['x'.repeat(101)] }), 'BAD_REQUEST'],
  ]
  for (const [call, code, message] of refusals) {
    const err = await failure(call())
    assert.is(codeOf(err), code, (err as Error).message)
    if (message) assert.match((err as Error).message, message)
  }
  assert.is((await ttsJobs(project.id)).length, 0, 'no job was dispatched')
  const mine = await api.services.db
    .select({ id: tables.auditLog.id })
    .from(tables.auditLog)
    .where(and(eq(tables.auditLog.action, 'retell.synthesize'), eq(tables.auditLog.targetId, documentId)))
  assert.is(mine.length, 0, 'no audit row for a refused call')
})

test('once a tts job succeeds, the api records its artifact and then patches the audio into the block', async () => {
  const { owner, project } = await studio()
  const { documentId, ids } = await script(owner.call, project.id, ['Hello there.'])
  const { jobs } = await owner.call.retell.synthesize({ documentId })
  const jobId = jobs[0]!.jobId
  const artifactId = randomUUID()
  const seen: { request: unknown; artifactRecorded: boolean }[] = []
  let replies = 0
  const sub = nc.subscribe(Subjects.docPatch(documentId), {
    callback: (_e, m) =>
      void (async () => {
        const [row] = await api.services.db
          .select({ id: tables.artifacts.id })
          .from(tables.artifacts)
          .where(eq(tables.artifacts.id, artifactId))
        seen.push({ request: DocPatchRequestSchema.parse(m.json()), artifactRecorded: Boolean(row) })
        // the first answer is a refusal the collab server could give while busy: the event must come back
        m.respond(
          JSON.stringify(
            ++replies === 1 ? { ok: false, code: 'UNAVAILABLE', message: 'busy' } : { ok: true, changed: true },
          ),
        )
      })(),
  })
  const samples = TTS_SAMPLE_RATE * 2
  await jetstream(nc).publish(
    Subjects.event('tts', 'succeeded'),
    JSON.stringify({
      jobId,
      kind: 'tts',
      status: 'succeeded',
      orgId: project.orgId,
      projectId: project.id,
      attempt: 1,
      artifacts: [
        {
          id: artifactId,
          slot: 'narration',
          key: `orgs/x/narration/${artifactId}/narration.wav`,
          contentType: 'audio/wav',
          size: 10,
          metadata: {},
        },
      ],
      usage: [{ metric: 'media_seconds', quantity: 2 }],
      result: {
        documentId,
        blockId: ids[0],
        fingerprint: 'abc',
        engine: 'flite',
        voice: 'slt',
        artifactId,
        sampleRate: TTS_SAMPLE_RATE,
        samples,
        durationSeconds: 2,
        loudness: { integratedLufs: -20, truePeakDb: -2, rangeLu: 1 },
      },
      final: true,
      at: new Date().toISOString(),
    }),
  )
  await until('the patch to be retried and taken', async () => seen.length >= 2)
  sub.unsubscribe()
  assert.ok(
    seen.every((s) => s.artifactRecorded),
    'the artifact row exists before the block can name it',
  )
  assert.equal(seen[1]!.request, {
    type: 'narration-audio',
    blockId: ids[0],
    artifactId,
    samples,
    sampleRate: TTS_SAMPLE_RATE,
    fingerprint: 'abc',
    actorUserId: null,
  })
  const job = await owner.call.jobs.get({ id: jobId })
  assert.is(job.status, 'succeeded')
})

test.run()
