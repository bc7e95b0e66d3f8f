import { qa, qaWorkflow, Streams, Subjects, tables } from '@cutroom/schema'
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

const createCaller = createCallerFactory(appRouter)
let api: MediaTestApi
let nc: NatsConnection
let ip = 0

const codeOf = (e: unknown) => (e as { cause?: { code?: string } })?.cause?.code
const failure = (p: Promise<unknown>) =>
  p.then(
    () => assert.unreachable('should have failed'),
    (e: unknown) => e,
  )
const expectCode = async (p: Promise<unknown>, code: string) => assert.is(codeOf(await failure(p)), code)

async function caller(token?: string) {
  const headers = token ? { authorization: `Bearer ${token}` } : {}
  return createCaller(await createContext(api.services, { headers, ip: `10.2.0.${++ip % 250}` }))
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
  // a studio on the team plan: these tests upload several versions with no worker to finish their jobs, which the
  // free plan's two concurrent jobs would refuse
  await api.services.db.update(tables.organizations).set({ plan: 'team' }).where(eq(tables.organizations.id, org.id))
  const project = await owner.call.projects.create({ orgId: org.id, name: 'Film' })
  return { owner, org, project }
}

async function member(orgId: string, owner: Caller, role: 'admin' | 'editor' | 'reviewer' | 'viewer') {
  const p = await person(role)
  await owner.orgs.members.add({ orgId, email: p.user.email, role })
  return p
}

/** An asset whose bytes reached storage, the way a browser uploads it. */
async function uploaded(call: Caller, projectId: string, versionOf?: string) {
  const bytes = Buffer.alloc(5000, 1)
  const started = await call.assets.createUpload({
    projectId,
    filename: 'spot.mov',
    size: bytes.length,
    contentType: 'video/quicktime',
    versionOf,
  })
  if (started.upload.mode !== 'single') throw new Error('expected a single PUT')
  const put = await fetch(started.upload.url, { method: 'PUT', headers: started.upload.headers, body: bytes })
  assert.is(put.status, 200)
  await call.assets.completeUpload({ assetId: started.asset.id })
  return started.asset
}

async function logOf(docId: string): Promise<Y.Doc> {
  const rows = await api.services.db.select().from(tables.docUpdates).where(eq(tables.docUpdates.docId, docId))
  const doc = new Y.Doc()
  for (const row of rows) Y.applyUpdate(doc, row.update)
  return doc
}

test.before(async () => {
  api = await startMediaTestApi()
  nc = await connect({ servers: api.nats.url })
})
test.after(async () => {
  await nc.drain()
  await api.close()
})

test('versionOf stacks uploads: numbered 1, 2, 3, listed newest first, flagged latest in assets.list', async () => {
  const { owner, org, project } = await studio()
  const v1 = await uploaded(owner.call, project.id)
  assert.is(v1.version, 1)
  assert.is(v1.stackId, v1.id, 'a first version is its own stack')
  const v2 = await uploaded(owner.call, project.id, v1.id)
  // a version of any member of the stack continues the same stack
  const v3 = await uploaded(owner.call, project.id, v1.id)
  const other = await uploaded(owner.call, project.id)
  assert.equal([v2.stackId, v2.version, v3.stackId, v3.version], [v1.id, 2, v1.id, 3])
  const versions = await owner.call.assets.versions({ assetId: v2.id })
  assert.equal(
    versions.map((a) => [a.id, a.version]),
    [
      [v3.id, 3],
      [v2.id, 2],
      [v1.id, 1],
    ],
  )
  const listed = await owner.call.assets.list({ projectId: project.id })
  const flags = Object.fromEntries(listed.map((a) => [a.id, [a.stackId, a.version, a.isLatestVersion]]))
  assert.equal(flags[v1.id], [v1.id, 1, false])
  assert.equal(flags[v3.id], [v1.id, 3, true])
  assert.equal(flags[other.id], [other.id, 1, true])

  // Another project's asset cannot be versioned here; another tenant's is not found; a viewer cannot upload.
  const elsewhere = await owner.call.projects.create({ orgId: org.id, name: 'Other film' })
  const base = { projectId: elsewhere.id, filename: 'x.mov', size: 10, contentType: 'video/quicktime' }
  const wrongProject = await failure(owner.call.assets.createUpload({ ...base, versionOf: v1.id }))
  assert.is(codeOf(wrongProject), 'BAD_INPUT')
  assert.match((wrongProject as Error).message, /same project/)
  const stranger = await studio()
  await expectCode(
    stranger.owner.call.assets.createUpload({ ...base, projectId: stranger.project.id, versionOf: v1.id }),
    'NOT_FOUND',
  )
  await expectCode(stranger.owner.call.assets.versions({ assetId: v1.id }), 'NOT_FOUND')
  assert.is((await owner.call.assets.list({ projectId: elsewhere.id })).length, 0, 'refusals created nothing')
})

test('an asset inserted without a stack (older code, plain SQL) is version 1 of its own stack', async () => {
  const { org, project } = await studio()
  const [row] = await api.sql<{ id: string; stack_id: string; version: number }[]>`
    insert into assets (org_id, project_id, filename, content_type, size, status, storage_key)
    values (${org.id}, ${project.id}, 'old.mov', 'video/quicktime', 1, 'ready', 'k') returning id, stack_id, version`
  assert.equal([row!.stack_id, row!.version], [row!.id, 1])
})

test('concurrent new versions of one stack get distinct, consecutive numbers', async () => {
  const { owner, project } = await studio()
  const v1 = await uploaded(owner.call, project.id)
  const started = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      owner.call.assets.createUpload({
        projectId: project.id,
        filename: `take${i}.mov`,
        size: 100,
        contentType: 'video/quicktime',
        versionOf: v1.id,
      }),
    ),
  )
  assert.equal(
    started.map((s) => s.asset.version).sort((a, b) => a - b),
    [2, 3, 4, 5, 6, 7, 8, 9],
  )
  assert.ok(started.every((s) => s.asset.stackId === v1.id))
})

test('reviews.create makes the qa and qa-workflow documents and dispatches framediff against compareTo', async () => {
  const { owner, org, project } = await studio()
  const v1 = await uploaded(owner.call, project.id)
  const v2 = await uploaded(owner.call, project.id, v1.id)
  const reviewer = await member(org.id, owner.call, 'reviewer')
  // an endpoint subscribed to review.created: the event is queued in the transaction that creates the review
  const [hook] = await api.services.db
    .insert(tables.webhooks)
    .values({ orgId: org.id, url: 'https://hooks.example.com/x', events: ['review.created'], secretCiphertext: 'v1.x.x.x' })
    .returning({ id: tables.webhooks.id })
  const created = await reviewer.call.reviews.create({ projectId: project.id, assetId: v2.id, compareTo: v1.id })
  assert.is(created.title, 'spot.mov: v1 → v2')
  assert.ok(created.framediffJobId)
  const queued = await api.services.db
    .select({ event: tables.webhookDeliveries.event, payload: tables.webhookDeliveries.payload })
    .from(tables.webhookDeliveries)
    .where(eq(tables.webhookDeliveries.webhookId, hook!.id))
  assert.equal(
    queued.map((q) => [q.event, (q.payload.data as { reviewId: string }).reviewId]),
    [['review.created', created.id]],
  )
  assert.equal((queued[0]!.payload.data as { compareTo: string }).compareTo, v1.id)

  const review = await reviewer.call.reviews.get({ id: created.id })
  assert.is(review.qaDocument.kind, 'qa')
  assert.is(review.workflowDocument.kind, 'qa-workflow')
  assert.is(review.qaDocument.access, 'write', 'reviewers write the annotation trail')
  assert.is(review.workflowDocument.access, 'read', 'nobody writes the workflow document directly')
  assert.is(review.workflowDocument.name, `doc:${created.workflowDocumentId}`)
  assert.equal([review.asset?.id, review.asset?.version, review.compareTo?.id], [v2.id, 2, v1.id])
  assert.is(review.framediffJob?.status, 'queued')
  assert.not.ok('storageKey' in (review.asset ?? {}), 'no storage keys leak')

  // The documents are born on their models: qa genesis, workflow genesis naming its qa document.
  const workflow = await logOf(created.workflowDocumentId)
  assert.is(qaWorkflow.metaOf(workflow).get('qaDocumentId'), created.qaDocumentId)
  assert.equal(qaWorkflow.validate(workflow), [])
  assert.equal(qa.validate(await logOf(created.qaDocumentId)), [])

  // The framediff job: A is the version compared against, B the one under review, documentId the qa document.
  const jsm = await jetstreamManager(nc)
  const stored = await jsm.streams.getMessage(Streams.JOBS, { last_by_subj: Subjects.job('framediff') })
  assert.is(stored?.header.get('Nats-Msg-Id'), created.framediffJobId)
  const payload = stored!.json<{
    input: { assetA: { assetId: string }; assetB: { assetId: string }; documentId: string }
  }>()
  assert.equal(
    [payload.input.assetA.assetId, payload.input.assetB.assetId, payload.input.documentId],
    [v1.id, v2.id, created.qaDocumentId],
  )

  const [audit] = await api.services.db
    .select({ actor: tables.auditLog.actorUserId, details: tables.auditLog.details })
    .from(tables.auditLog)
    .where(and(eq(tables.auditLog.action, 'review.create'), eq(tables.auditLog.targetId, created.id)))
  assert.is(audit?.actor, reviewer.user.id)
  assert.is((audit!.details as { framediffJobId?: string }).framediffJobId, created.framediffJobId)

  // Without compareTo: documents only, no job.
  const single = await owner.call.reviews.create({ projectId: project.id, assetId: v1.id, title: 'First look' })
  assert.is(single.framediffJobId, null)
  assert.equal(
    (await owner.call.reviews.list({ projectId: project.id })).map((r) => [r.id, r.title]),
    [
      [single.id, 'First look'],
      [created.id, 'spot.mov: v1 → v2'],
    ],
  )
})

test('reviews: roles, bad input and other tenants', async () => {
  const { owner, org, project } = await studio()
  const v1 = await uploaded(owner.call, project.id)
  const viewer = await member(org.id, owner.call, 'viewer')
  const editor = await member(org.id, owner.call, 'editor')
  const before = await api.services.db.select().from(tables.documents).where(eq(tables.documents.projectId, project.id))
  await expectCode(viewer.call.reviews.create({ projectId: project.id, assetId: v1.id }), 'FORBIDDEN_ROLE')
  await expectCode(owner.call.reviews.create({ projectId: project.id, assetId: v1.id, compareTo: v1.id }), 'BAD_INPUT')
  await expectCode(owner.call.reviews.create({ projectId: project.id, assetId: crypto.randomUUID() }), 'NOT_FOUND')
  const pending = await owner.call.assets.createUpload({
    projectId: project.id,
    filename: 'p.mov',
    size: 10,
    contentType: 'video/quicktime',
  })
  const unfinished = await failure(
    owner.call.reviews.create({ projectId: project.id, assetId: pending.asset.id, compareTo: v1.id }),
  )
  assert.is(codeOf(unfinished), 'INVALID_STATE')
  assert.match((unfinished as Error).message, /upload has completed/)
  const stranger = await studio()
  const theirs = await uploaded(stranger.owner.call, stranger.project.id)
  // another tenant's asset, project and review are all NOT_FOUND
  await expectCode(
    owner.call.reviews.create({ projectId: project.id, assetId: v1.id, compareTo: theirs.id }),
    'NOT_FOUND',
  )
  await expectCode(owner.call.reviews.create({ projectId: stranger.project.id, assetId: theirs.id }), 'NOT_FOUND')
  const after = await api.services.db.select().from(tables.documents).where(eq(tables.documents.projectId, project.id))
  assert.is(after.length, before.length, 'refused creates made no documents')

  const mine = await editor.call.reviews.create({ projectId: project.id, assetId: v1.id })
  assert.is((await viewer.call.reviews.get({ id: mine.id })).workflowDocument.access, 'read', 'viewers read reviews')
  await expectCode(stranger.owner.call.reviews.get({ id: mine.id }), 'NOT_FOUND')
  await expectCode(stranger.owner.call.reviews.get({ id: 'not-a-uuid' }), 'NOT_FOUND')
  await expectCode(stranger.owner.call.reviews.list({ projectId: project.id }), 'NOT_FOUND')
  await expectCode(stranger.owner.call.qa.assign({ reviewId: mine.id, findingId: 'f', assigneeId: null }), 'NOT_FOUND')
  await expectCode(stranger.owner.call.qa.exportNotes({ reviewId: mine.id, format: 'csv' }), 'NOT_FOUND')
})

test.run()
