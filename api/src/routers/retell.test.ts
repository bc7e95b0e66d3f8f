import { randomUUID } from 'node:crypto'
import { SERVER_ORIGIN, Streams, Subjects, tables, transcript } from '@cutroom/schema'
import { jetstreamManager } from '@nats-io/jetstream'
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
 * retell.generate through createCaller on a real api with Postgres, NATS JetStream and s3rver: what it queues,
 * and what it refuses. The job itself is tested in media-workers (src/jobs/retell.test.ts).
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
const expectCode = async (p: Promise<unknown>, code: string) => assert.is(codeOf(await failure(p)), code)

async function caller(token?: string) {
  const headers = token ? { authorization: `Bearer ${token}` } : {}
  return createCaller(await createContext(api.services, { headers, ip: `10.4.0.${++ip % 250}` }))
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

async function uploaded(call: Caller, projectId: string) {
  const bytes = Buffer.alloc(5000, 1)
  const started = await call.assets.createUpload({
    projectId,
    filename: 'interview.mp4',
    size: bytes.length,
    contentType: 'video/mp4',
  })
  if (started.upload.mode !== 'single') throw new Error('expected a single PUT')
  const put = await fetch(started.upload.url, { method: 'PUT', headers: started.upload.headers, body: bytes })
  assert.is(put.status, 200)
  await call.assets.completeUpload({ assetId: started.asset.id })
  return started.asset
}


async function transcriptWithWords(call: Caller, projectId: string) {
  const asset = await uploaded(call, projectId)
  const { documentId } = await call.transcripts.create({ projectId, assetId: asset.id })
  const rows = await api.services.db.select().from(tables.docUpdates).where(eq(tables.docUpdates.docId, documentId))
  const doc = new Y.Doc()
  for (const r of rows) Y.applyUpdate(doc, r.update)
  const before = Y.encodeStateVector(doc)
  const rate = 48000
  const words = (text: string, at: number) =>
    text.split(' ').map((t, i) => ({ text: t, start: at + i * 24000, end: at + i * 24000 + 20000, confidence: 0.9 }))
  transcript.buildTranscript(
    doc,
    {
      sampleRate: rate,
      segments: [{ speaker: 'A', words: [...words('The harbour was quiet.', rate), ...words('Boats came home.', 4 * rate)] }],
    },
    SERVER_ORIGIN,
  )
  await api.services.db
    .insert(tables.docUpdates)
    .values({ docId: documentId, seq: 2, update: Y.encodeStateAsUpdate(doc, before), userId: null })
  return { asset, documentId }
}

const retellJobs = async (projectId: string) =>
  (
    await api.services.db
      .select({ id: tables.jobs.id })
      .from(tables.jobs)
      .where(and(eq(tables.jobs.projectId, projectId), eq(tables.jobs.kind, 'retell')))
  ).length

test.before(async () => {
  api = await startMediaTestApi()
  nc = await connect({ servers: api.nats.url })
})
test.after(async () => {
  await nc.drain()
  await api.close()
})

test('retell.generate queues a retell job with the transcript sentences, the asset and a draft id', async () => {
  const { owner, org, project } = await studio()
  const { asset, documentId: transcriptDocumentId } = await transcriptWithWords(owner.call, project.id)
  const script = await owner.call.documents.create({ projectId: project.id, kind: 'retell', title: 'Story' })
  const editor = await member(org.id, owner.call, 'editor')
  const started = await editor.call.retell.generate({ documentId: script.id, transcriptDocumentId, targetMinutes: 2 })
  const jsm = await jetstreamManager(nc)
  const stored = await jsm.streams.getMessage(Streams.JOBS, { last_by_subj: Subjects.job('retell') })
  assert.is(stored?.header.get('Nats-Msg-Id'), started.jobId)
  const input = stored!.json<{ input: Record<string, unknown> }>().input as {
    documentId: string
    draftId: string
    assetId: string
    targetMinutes: number
    fps: { num: number; den: number }
    sentences: { startMs: number; text: string }[]
  }
  assert.equal([input.documentId, input.draftId, input.assetId, input.targetMinutes], [script.id, started.draftId, asset.id, 2])
  assert.equal(input.sentences.map((s) => [s.startMs, s.text]), [[1000, 'The harbour was quiet.'], [4000, 'Boats came home.']])
  assert.equal(input.fps, { num: project.fpsNum, den: project.fpsDen })
  const [audit] = await api.services.db
    .select({ actor: tables.auditLog.actorUserId, details: tables.auditLog.details })
    .from(tables.auditLog)
    .where(and(eq(tables.auditLog.action, 'retell.generate'), eq(tables.auditLog.targetId, script.id)))
  assert.is(audit?.actor, editor.user.id)
  assert.is((audit!.details as { draftId?: string }).draftId, started.draftId)
})

test('retell.generate refuses readers, other tenants, wrong kinds, empty transcripts and bad lengths', async () => {
  const { owner, org, project } = await studio()
  const { documentId: transcriptDocumentId } = await transcriptWithWords(owner.call, project.id)
  const script = await owner.call.documents.create({ projectId: project.id, kind: 'retell', title: 'Story' })
  const cut = await owner.call.documents.create({ projectId: project.id, kind: 'timeline', title: 'Cut' })
  const reviewer = await member(org.id, owner.call, 'reviewer')
  const other = await studio()
  const ok = { documentId: script.id, transcriptDocumentId, targetMinutes: 1 }
  await expectCode(reviewer.call.retell.generate(ok), 'FORBIDDEN_ROLE')
  await expectCode(other.owner.call.retell.generate(ok), 'NOT_FOUND')
  const foreignScript = await other.owner.call.documents.create({ projectId: other.project.id, kind: 'retell', title: 'S' })
  await expectCode(other.owner.call.retell.generate({ ...ok, documentId: foreignScript.id }), 'NOT_FOUND')
  await expectCode(owner.call.retell.generate({ ...ok, documentId: cut.id }), 'BAD_INPUT')
  await expectCode(owner.call.retell.generate({ ...ok, transcriptDocumentId: cut.id }), 'BAD_INPUT')
  await expectCode(owner.call.retell.generate({ ...ok, transcriptDocumentId: randomUUID() }), 'NOT_FOUND')
  for (const targetMinutes of [0, 0.1, 121, Number.NaN])
    await expectCode(owner.call.retell.generate({ ...ok, targetMinutes }), 'BAD_REQUEST')
  const asset = await uploaded(owner.call, project.id)
  const empty = await owner.call.transcripts.create({ projectId: project.id, assetId: asset.id })
  const refused = await failure(owner.call.retell.generate({ ...ok, transcriptDocumentId: empty.documentId }))
  assert.is(codeOf(refused), 'INVALID_STATE')
  assert.match((refused as Error).message, /no timed words yet/)
  await expectCode(reviewer.call.retell.discardDraft({ documentId: script.id, draftId: randomUUID() }), 'FORBIDDEN_ROLE')
  assert.is(await retellJobs(project.id), 0, 'nothing was queued')
})

test.run()
