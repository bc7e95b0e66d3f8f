import { randomUUID } from 'node:crypto'
import { type JobEvent, SERVER_ORIGIN, Streams, Subjects, tables, transcript } from '@cutroom/schema'
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
 * clips.* through createCaller on a real api with Postgres, NATS JetStream and s3rver. The discover job's result
 * is published on EVENTS the way a worker publishes it, and the api's recorder stores the suggestions. Accepting
 * into a timeline needs the collab server and is tested end to end (e2e/src/highlights-panel.test.ts).
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

const jobCount = async (assetId: string) =>
  (
    await api.services.db
      .select({ id: tables.jobs.id })
      .from(tables.jobs)
      .where(and(eq(tables.jobs.assetId, assetId), eq(tables.jobs.kind, 'discover')))
  ).length

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await probe()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** What a worker publishes when a discover job succeeds. */
async function publishResult(job: { jobId: string; orgId: string; projectId: string; assetId: string }, suggestions: unknown[]) {
  const event: JobEvent = {
    jobId: job.jobId,
    kind: 'discover',
    status: 'succeeded',
    orgId: job.orgId,
    projectId: job.projectId,
    assetId: job.assetId,
    attempt: 1,
    artifacts: [],
    usage: [{ metric: 'media_seconds', quantity: 40 }],
    final: true,
    at: new Date().toISOString(),
    result: {
      durationSeconds: 40,
      signals: { scenes: true, audio: false, speech: false, transcript: false },
      missing: ['No audio stream: loudness and speech were not used.'],
      sceneCuts: [250, 500],
      fps: { num: 25, den: 1 },
      windowsScored: 120,
      suggestions,
    },
  }
  await jetstream(nc).publish(Subjects.event('discover', 'succeeded'), JSON.stringify(event), { msgID: `${job.jobId}:ok` })
}

const sub = (scene: number) => ({
  scene,
  energy: null,
  peaks: null,
  speech: null,
  sentences: null,
  hook: null,
  keywords: null,
  fluency: null,
})

test.before(async () => {
  api = await startMediaTestApi()
  nc = await connect({ servers: api.nats.url })
})
test.after(async () => {
  await nc.drain()
  await api.close()
})

test('clips.discover queues a discover job with the range, keywords and the asset transcript’s sentences', async () => {
  const { owner, org, project } = await studio()
  const asset = await uploaded(owner.call, project.id)
  // a transcript of the asset, as its transcribe job leaves it
  const { documentId } = await owner.call.transcripts.create({ projectId: project.id, assetId: asset.id })
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
      segments: [
        { speaker: 'A', words: [...words('Why do boats float?', rate), ...words('Because water pushes up.', 4 * rate)] },
        { speaker: 'A', words: words('no punctuation here', 10 * rate) },
      ],
    },
    SERVER_ORIGIN,
  )
  await api.services.db
    .insert(tables.docUpdates)
    .values({ docId: documentId, seq: 2, update: Y.encodeStateAsUpdate(doc, before), userId: null })

  const editor = await member(org.id, owner.call, 'editor')
  const started = await editor.call.clips.discover({
    assetId: asset.id,
    minSeconds: 5,
    maxSeconds: 20,
    count: 8,
    keywords: ['Boats', 'boats', 'water'],
  })
  assert.is(started.transcriptDocumentId, documentId)
  assert.is(started.sentences, 3)
  const jsm = await jetstreamManager(nc)
  const stored = await jsm.streams.getMessage(Streams.JOBS, { last_by_subj: Subjects.job('discover') })
  assert.is(stored?.header.get('Nats-Msg-Id'), started.jobId)
  const payload = stored!.json<{
    input: {
      minSeconds: number
      maxSeconds: number
      count: number
      keywords: string[]
      transcript: { documentId: string; sentences: { startMs: number; endMs: number; text: string }[] }
    }
  }>()
  assert.equal([payload.input.minSeconds, payload.input.maxSeconds, payload.input.count], [5, 20, 8])
  assert.equal(payload.input.keywords, ['boats', 'water'])
  assert.equal(
    payload.input.transcript.sentences.map((s) => s.text),
    ['Why do boats float?', 'Because water pushes up.', 'no punctuation here'],
  )
  assert.equal(payload.input.transcript.sentences[0]!.startMs, 1000)
  assert.equal(payload.input.transcript.sentences[1]!.startMs, 4000)
  const job = await editor.call.jobs.get({ id: started.jobId })
  assert.equal([job.kind, job.status], ['discover', 'queued'])
  const [audit] = await api.services.db
    .select({ actor: tables.auditLog.actorUserId, details: tables.auditLog.details })
    .from(tables.auditLog)
    .where(and(eq(tables.auditLog.action, 'clips.discover'), eq(tables.auditLog.targetId, asset.id)))
  assert.is(audit?.actor, editor.user.id)
  assert.is((audit!.details as { jobId?: string }).jobId, started.jobId)
})

test('clips.discover: roles, other tenants, impossible ranges and bad input queue nothing', async () => {
  const { owner, org, project } = await studio()
  const asset = await uploaded(owner.call, project.id)
  const viewer = await member(org.id, owner.call, 'viewer')
  const reviewer = await member(org.id, owner.call, 'reviewer')
  const other = await studio()
  const ok = { assetId: asset.id, minSeconds: 10, maxSeconds: 30, count: 5 }
  await expectCode(viewer.call.clips.discover(ok), 'FORBIDDEN_ROLE')
  await expectCode(reviewer.call.clips.discover(ok), 'FORBIDDEN_ROLE')
  await expectCode(other.owner.call.clips.discover(ok), 'NOT_FOUND')
  await expectCode(owner.call.clips.discover({ ...ok, assetId: randomUUID() }), 'NOT_FOUND')
  await expectCode(owner.call.clips.discover({ ...ok, assetId: 'not-an-id' }), 'NOT_FOUND')
  const inverted = await failure(owner.call.clips.discover({ ...ok, minSeconds: 40, maxSeconds: 20 }))
  assert.is(codeOf(inverted), 'BAD_REQUEST')
  assert.match((inverted as Error).message, /minimum no greater than the maximum/)
  for (const bad of [
    { ...ok, minSeconds: 0 },
    { ...ok, maxSeconds: 601 },
    { ...ok, minSeconds: Number.NaN },
    { ...ok, count: 0 },
    { ...ok, count: 51 },
    { ...ok, count: 2.5 },
    { ...ok, keywords: ['x'.repeat(65)] },
    { ...ok, keywords: Array.from({ length: 21 }, (_, i) => `k${i}`) },
    { ...ok, keywords: ['  '] },
  ])
    await expectCode(owner.call.clips.discover(bad), 'BAD_REQUEST')
  // a recording shorter than the shortest clip asked for
  await api.services.db
    .update(tables.assets)
    .set({ metadata: { durationSeconds: 12.5 } })
    .where(eq(tables.assets.id, asset.id))
  const tooShort = await failure(owner.call.clips.discover({ ...ok, minSeconds: 20, maxSeconds: 30 }))
  assert.is(codeOf(tooShort), 'BAD_INPUT')
  assert.match((tooShort as Error).message, /12\.5 s long/)
  const pending = await owner.call.assets.createUpload({
    projectId: project.id,
    filename: 'later.mp4',
    size: 10,
    contentType: 'video/mp4',
  })
  await expectCode(owner.call.clips.discover({ ...ok, assetId: pending.asset.id }), 'INVALID_STATE')
  assert.is(await jobCount(asset.id), 0, 'nothing was queued')
})

test('a discover result becomes ranked suggestions; dismiss hides one; accept refuses what it must', async () => {
  const { owner, org, project } = await studio()
  const asset = await uploaded(owner.call, project.id)
  const statusBefore = (await owner.call.assets.get({ id: asset.id })).status
  const started = await owner.call.clips.discover({ assetId: asset.id, minSeconds: 5, maxSeconds: 10, count: 3 })
  const ids = [randomUUID(), randomUUID(), randomUUID()]
  await publishResult(
    { jobId: started.jobId, orgId: org.id, projectId: project.id, assetId: asset.id },
    ids.map((id, i) => ({
      id,
      rank: i + 1,
      startMs: 20_000 - i * 8000,
      endMs: 28_000 - i * 8000,
      score: 0.9 - i * 0.2,
      subScores: sub(0.9 - i * 0.2),
      reasons: [`${5 - i} scene cuts`],
      text: '',
    })),
  )
  const viewer = await member(org.id, owner.call, 'viewer')
  const listed = await until('the suggestions to be recorded', async () => {
    const r = await viewer.call.clips.suggestions({ assetId: asset.id })
    return r.suggestions.length === 3 ? r : null
  })
  assert.is(listed.job?.status, 'succeeded')
  assert.equal(listed.job?.summary?.signals, { scenes: true, audio: false, speech: false, transcript: false })
  assert.equal(listed.job?.summary?.missing, ['No audio stream: loudness and speech were not used.'])
  assert.equal(
    listed.suggestions.map((s) => [s.id, s.rank, s.startMs, s.endMs, s.status]),
    ids.map((id, i) => [id, i + 1, 20_000 - i * 8000, 28_000 - i * 8000, 'suggested']),
  )
  assert.is(listed.suggestions[0]!.subScores.scene, 0.9)
  assert.is((await owner.call.assets.get({ id: asset.id })).status, statusBefore, 'analysis leaves the asset as it was')
  const other = await studio()
  await expectCode(other.owner.call.clips.suggestions({ assetId: asset.id }), 'NOT_FOUND')

  // dismiss: editors and up, recorded, once
  await expectCode(viewer.call.clips.dismiss({ suggestionId: ids[1]! }), 'FORBIDDEN_ROLE')
  await expectCode(other.owner.call.clips.dismiss({ suggestionId: ids[1]! }), 'NOT_FOUND')
  const editor = await member(org.id, owner.call, 'editor')
  assert.equal(await editor.call.clips.dismiss({ suggestionId: ids[1]! }), { changed: true })
  assert.equal(await editor.call.clips.dismiss({ suggestionId: ids[1]! }), { changed: false })
  const after = await viewer.call.clips.suggestions({ assetId: asset.id })
  assert.equal(
    after.suggestions.map((s) => s.id),
    [ids[0], ids[2]],
  )
  const all = await viewer.call.clips.suggestions({ assetId: asset.id, includeDismissed: true })
  const dismissed = all.suggestions.find((s) => s.id === ids[1])
  assert.is(dismissed?.status, 'dismissed')
  assert.is(dismissed?.decidedBy, editor.user.id)
  const audits = await api.services.db
    .select({ actor: tables.auditLog.actorUserId })
    .from(tables.auditLog)
    .where(and(eq(tables.auditLog.action, 'clips.dismiss'), eq(tables.auditLog.targetId, ids[1]!)))
  assert.equal(audits, [{ actor: editor.user.id }], 'one audit row for the one change')

  // accept: refused for the wrong document kind, another project's timeline, readers and other tenants
  const cut = await owner.call.documents.create({ projectId: project.id, kind: 'timeline', title: 'Cut' })
  const script = await owner.call.documents.create({ projectId: project.id, kind: 'retell', title: 'Script' })
  const elsewhere = await owner.call.projects.create({ orgId: org.id, name: 'Other film' })
  const foreign = await owner.call.documents.create({ projectId: elsewhere.id, kind: 'timeline', title: 'Cut' })
  await expectCode(owner.call.clips.accept({ suggestionId: ids[0]!, documentId: script.id }), 'BAD_INPUT')
  await expectCode(owner.call.clips.accept({ suggestionId: ids[0]!, documentId: foreign.id }), 'NOT_FOUND')
  await expectCode(viewer.call.clips.accept({ suggestionId: ids[0]!, documentId: cut.id }), 'FORBIDDEN_ROLE')
  await expectCode(other.owner.call.clips.accept({ suggestionId: ids[0]!, documentId: cut.id }), 'NOT_FOUND')
  await expectCode(owner.call.clips.accept({ suggestionId: randomUUID(), documentId: cut.id }), 'NOT_FOUND')
  const [row] = await api.services.db
    .select({ status: tables.clipSuggestions.status })
    .from(tables.clipSuggestions)
    .where(eq(tables.clipSuggestions.id, ids[0]!))
  assert.is(row?.status, 'suggested', 'refusals change nothing')
})

test.run()
