import { ExportInputSchema, type JobEvent, SERVER_ORIGIN, Streams, Subjects, tables, timeline, transcript } from '@cutroom/schema'
import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import { connect } from '@nats-io/transport-node'
import { and, eq, max } from 'drizzle-orm'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as Y from 'yjs'
import { createContext } from '../context'
import { readDocumentState } from '../documents/readDocumentState'
import { type MediaTestApi, startMediaTestApi } from '../media/startMediaTestApi'
import { appRouter } from '../router'
import { createCallerFactory } from '../trpc'

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
  return createCaller(await createContext(api.services, { headers, ip: `10.7.0.${++ip % 250}` }))
}
type Caller = Awaited<ReturnType<typeof caller>>

let n = 0
async function person(name: string) {
  const { user, token } = await (await caller()).auth.signUp({ email: `${name}${++n}@example.com`, password: 'correct horse 42', name })
  return { user, token, call: await caller(token) }
}

async function studio() {
  const owner = await person('owner')
  const org = await owner.call.orgs.create({ name: `Studio ${n}` })
  // the team plan: several exports may be queued at once
  await api.sql`update organizations set plan = 'team' where id = ${org.id}`
  const project = await owner.call.projects.create({ orgId: org.id, name: 'Film' })
  return { owner, org, project }
}

async function member(orgId: string, owner: Caller, role: 'editor' | 'viewer') {
  const p = await person(role)
  await owner.orgs.members.add({ orgId, email: p.user.email, role })
  return p
}

/** An asset as the probe leaves it: in storage, with its streams known. */
async function probedAsset(orgId: string, projectId: string, filename: string, status = 'ready', seconds = 10) {
  const metadata = { durationSeconds: seconds, hasVideo: true, hasAudio: true, video: { width: 1920, height: 1080, fps: { num: 30000, den: 1001 } } }
  const [row] = await api.sql<{ id: string }[]>`
    insert into assets (org_id, project_id, filename, content_type, size, status, storage_key, metadata, error)
    values (${orgId}, ${projectId}, ${filename}, 'video/mp4', 1000, ${status}, ${`orgs/${orgId}/projects/${projectId}/src/${filename}`},
      ${JSON.stringify(metadata)}::jsonb, ${status === 'failed' ? 'transcode failed: boom' : null})
    returning id`
  return row!.id
}

/** Appends an edit to the timeline's update log, as the collab server persists one. */
async function edit(documentId: string, change: (doc: Y.Doc) => void) {
  const doc = await readDocumentState(api.services.db, documentId)
  const before = Y.encodeStateVector(doc)
  change(doc)
  const [last] = await api.services.db
    .select({ seq: max(tables.docUpdates.seq) })
    .from(tables.docUpdates)
    .where(eq(tables.docUpdates.docId, documentId))
  await api.services.db
    .insert(tables.docUpdates)
    .values({ docId: documentId, seq: Number(last?.seq ?? 0) + 1, update: Y.encodeStateAsUpdate(doc, before), userId: null })
  const state = Y.encodeStateAsUpdate(doc)
  doc.destroy()
  return state
}

async function storedPayload(jobId: string) {
  const jsm = await jetstreamManager(nc)
  const stored = await jsm.streams.getMessage(Streams.JOBS, { last_by_subj: Subjects.job('export') })
  assert.is(stored?.header.get('Nats-Msg-Id'), jobId)
  return ExportInputSchema.parse(stored!.json<{ input: unknown }>().input)
}

async function until<T>(what: string, f: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await f()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function publishEvent(event: Omit<JobEvent, 'at' | 'final' | 'artifacts' | 'usage'>) {
  const full = { artifacts: [], usage: [], final: true, ...event, at: new Date().toISOString() }
  await jetstream(nc).publish(Subjects.event(full.kind, full.status), JSON.stringify(full), { msgID: `${full.jobId}:${full.attempt}:${full.status}` })
}

test.before(async () => {
  api = await startMediaTestApi()
  nc = await connect({ servers: api.nats.url })
})
test.after(async () => {
  await nc.drain()
  await api.close()
})

test('exports.create snapshots the timeline into an export job; each export is the next version of its stack', async () => {
  const { owner, org, project } = await studio()
  const editor = await member(org.id, owner.call, 'editor')
  const a = await probedAsset(org.id, project.id, 'interview.mp4')
  const b = await probedAsset(org.id, project.id, 'broll.mp4')
  const { id: documentId } = await editor.call.documents.create({ projectId: project.id, kind: 'timeline', title: 'Launch cut' })
  let captionTrack = ''
  const firstState = await edit(documentId, (doc) => {
    const c1 = timeline.insertClip(doc, { at: { index: 0 }, assetId: a, sourceIn: 30, sourceOut: 120, label: 'Hello' })
    timeline.insertGap(doc, { at: { index: 1 }, duration: 15 })
    timeline.insertClip(doc, { at: { index: 2 }, assetId: b, sourceIn: 0, sourceOut: 60, label: 'City' })
    captionTrack = timeline.addTrack(doc, { kind: 'caption', name: 'Captions' })
    timeline.addAnchoredItem(doc, { trackId: captionTrack, anchorId: c1, offset: 10, duration: 40, text: 'Welcome to the launch' })
  })
  const created = await editor.call.exports.create({ documentId, preset: '1080p', captions: { style: 'karaoke' } })
  const input = await storedPayload(created.jobId)
  assert.is(input.assetId, created.assetId)
  assert.equal(input.size, { width: 1920, height: 1080 })
  assert.equal(input.captions, { style: 'karaoke', source: 'track' })
  assert.equal(
    input.timeline.storyline.map((i) => (i.kind === 'gap' ? ['gap', i.duration] : [i.label, i.sourceIn, i.sourceOut])),
    [['Hello', 30, 120], ['gap', 15], ['City', 0, 60]],
  )
  assert.equal(input.timeline.anchored.map((x) => [x.track, x.start, x.duration, x.text]), [['caption', 10, 40, 'Welcome to the launch']])
  assert.equal(input.sources.map((s) => s.assetId).sort(), [a, b].sort())
  const [asset] = await api.services.db
    .select({ stackId: tables.assets.stackId, version: tables.assets.version, status: tables.assets.status, key: tables.assets.storageKey, filename: tables.assets.filename })
    .from(tables.assets)
    .where(eq(tables.assets.id, created.assetId))
  assert.equal([asset!.stackId, asset!.version, asset!.status], [created.assetId, 1, 'processing'])
  assert.is(asset!.key, input.outputKey)
  assert.is(asset!.filename, 'Launch_cut export v1.mp4')
  const [audit] = await api.services.db
    .select({ details: tables.auditLog.details })
    .from(tables.auditLog)
    .where(and(eq(tables.auditLog.action, 'export.create'), eq(tables.auditLog.targetId, documentId)))
  assert.is((audit!.details as { jobId: string }).jobId, created.jobId)

  // a version of the timeline taken before a later edit: exporting it renders the earlier cut
  const [version] = await api.services.db
    .insert(tables.docVersions)
    .values({ docId: documentId, name: 'First cut', state: firstState })
    .returning({ id: tables.docVersions.id })
  await edit(documentId, (doc) => {
    timeline.insertClip(doc, { at: { index: 0 }, assetId: b, sourceIn: 100, sourceOut: 130, label: 'Cold open' })
  })
  const second = await editor.call.exports.create({ documentId, versionId: version!.id, preset: 'vertical-1080x1920' })
  const secondInput = await storedPayload(second.jobId)
  assert.is(secondInput.versionId, version!.id)
  assert.equal(secondInput.size, { width: 1080, height: 1920 })
  assert.equal(secondInput.timeline.storyline.length, 3, 'the version, not the later edit')
  const third = await editor.call.exports.create({ documentId, preset: 'audio-wav' })
  assert.is((await storedPayload(third.jobId)).timeline.storyline.length, 4, 'the live state has the later edit')
  assert.equal([second.version, third.version], [2, 3])
  const versions = await owner.call.assets.versions({ assetId: created.assetId })
  assert.equal(versions.map((v) => v.id), [third.assetId, second.assetId, created.assetId])

  // the worker's result: the render becomes the version's file and is probed like an upload; a failure marks it failed
  await publishEvent({ jobId: created.jobId, kind: 'export', status: 'succeeded', orgId: org.id, projectId: project.id, attempt: 1, result: { size: 12345 } })
  const probe = await until('the probe of the render', async () => {
    const [row] = await api.services.db
      .select({ id: tables.jobs.id, payload: tables.jobs.payload })
      .from(tables.jobs)
      .where(and(eq(tables.jobs.assetId, created.assetId), eq(tables.jobs.kind, 'probe')))
    return row
  })
  assert.is((probe.payload as { input: { sourceKey: string } }).input.sourceKey, input.outputKey)
  const [done] = await api.services.db.select({ status: tables.assets.status, size: tables.assets.size }).from(tables.assets).where(eq(tables.assets.id, created.assetId))
  assert.equal([done!.status, done!.size], ['uploaded', 12345])
  await publishEvent({ jobId: second.jobId, kind: 'export', status: 'failed', orgId: org.id, projectId: project.id, attempt: 1, error: 'ffmpeg exited with code 1: Invalid data' })
  await until('the failed version', async () => {
    const [row] = await api.services.db.select({ status: tables.assets.status, error: tables.assets.error }).from(tables.assets).where(eq(tables.assets.id, second.assetId))
    return row?.status === 'failed' && row.error === 'The export failed: ffmpeg exited with code 1: Invalid data'
  })
  await editor.call.jobs.cancel({ id: third.jobId })
  const [cancelled] = await api.services.db.select({ status: tables.assets.status, error: tables.assets.error }).from(tables.assets).where(eq(tables.assets.id, third.assetId))
  assert.equal([cancelled!.status, cancelled!.error], ['failed', 'The export was cancelled.'])

  const listed = await owner.call.exports.list({ projectId: project.id })
  assert.equal(
    listed.map((e) => [e.version, e.preset, e.documentId]),
    [
      [3, 'audio-wav', documentId],
      [2, 'vertical-1080x1920', documentId],
      [1, '1080p', documentId],
    ],
  )
})

test('exports.create refuses an empty timeline, missing or failed media and wrong roles before any work', async () => {
  const { owner, org, project } = await studio()
  const viewer = await member(org.id, owner.call, 'viewer')
  const stranger = await person('stranger')
  const { id: documentId } = await owner.call.documents.create({ projectId: project.id, kind: 'timeline', title: 'Cut' })
  const count = async () => (await api.sql<{ n: number }[]>`select count(*)::int as n from jobs where project_id = ${project.id}`)[0]!.n
  const refuse = async (p: Promise<unknown>, code: string, message?: RegExp) => {
    const err = await failure(p)
    assert.is(codeOf(err), code, (err as Error).message)
    if (message) assert.match((err as Error).message, message, (err as Error).message)
  }

  await refuse(owner.call.exports.create({ documentId, preset: '720p' }), 'BAD_INPUT', /timeline is empty: add a clip/)
  const failed = await probedAsset(org.id, project.id, 'broken.mov', 'failed')
  const elsewhere = await owner.call.projects.create({ orgId: org.id, name: 'Other' })
  const foreign = await probedAsset(org.id, elsewhere.id, 'other.mp4')
  const uploading = await probedAsset(org.id, project.id, 'half.mp4', 'uploading')
  const short = await probedAsset(org.id, project.id, 'short.mp4', 'ready', 2)
  await edit(documentId, (doc) => {
    timeline.insertClip(doc, { at: { index: 0 }, assetId: failed, sourceIn: 0, sourceOut: 30, label: 'Broken take' }, SERVER_ORIGIN)
  })
  await refuse(owner.call.exports.create({ documentId, preset: '720p' }), 'BAD_INPUT', /^Clip "Broken take" plays broken\.mov, which failed to process/)
  const fix = async (assetId: string, label: string, sourceOut = 30) =>
    edit(documentId, (doc) => {
      timeline.rippleDelete(doc, timeline.storylineLayout(doc).map((i) => i.id))
      timeline.insertClip(doc, { at: { index: 0 }, assetId, sourceIn: 0, sourceOut, label })
    })
  await fix(foreign, 'Borrowed')
  await refuse(owner.call.exports.create({ documentId, preset: '720p' }), 'BAD_INPUT', /^Clip "Borrowed" plays media that is not in this project/)
  await fix(uploading, 'Pending')
  await refuse(owner.call.exports.create({ documentId, preset: '720p' }), 'INVALID_STATE', /^Clip "Pending" plays half\.mp4, which is still uploading/)
  await fix(short, 'Too long', 200)
  await refuse(owner.call.exports.create({ documentId, preset: '720p' }), 'BAD_INPUT', /^Clip "Too long" ends at frame 200 but short\.mp4 has 60 frames/)
  await fix(short, 'Fine')
  assert.is(await count(), 0, 'nothing was dispatched')

  await refuse(viewer.call.exports.create({ documentId, preset: '720p' }), 'FORBIDDEN_ROLE')
  await refuse(stranger.call.exports.create({ documentId, preset: '720p' }), 'NOT_FOUND')
  await refuse(stranger.call.exports.list({ projectId: project.id }), 'NOT_FOUND')
  await refuse(owner.call.exports.create({ documentId, preset: '720p', brandKitId: crypto.randomUUID() }), 'NOT_FOUND', /Brand kit not found/)
  const foreignKit = await stranger.call.brandKits.create({ orgId: (await stranger.call.orgs.create({ name: 'Elsewhere' })).id, name: 'Theirs' })
  await refuse(owner.call.exports.create({ documentId, preset: '720p', brandKitId: foreignKit.id }), 'NOT_FOUND', /Brand kit not found/)
  await refuse(owner.call.exports.create({ documentId, preset: '720p', versionId: crypto.randomUUID() }), 'NOT_FOUND')
  await refuse(owner.call.exports.create({ documentId, preset: '4k' as '720p' }), 'BAD_REQUEST')
  assert.is(await count(), 0, 'refusals dispatched nothing')
  const [versions] = await api.sql<{ n: number }[]>`select count(*)::int as n from assets where project_id = ${project.id} and filename like '%export%'`
  assert.is(versions!.n, 0, 'and created no version')
  const ok = await owner.call.exports.create({ documentId, preset: '720p' })
  assert.ok(ok.jobId)

  // a brand kit of the organization: its current version's spec goes with the job, and the audit row says which
  const kit = await owner.call.brandKits.create({ orgId: project.orgId, name: 'House style' })
  const branded = await owner.call.exports.create({ documentId, preset: '720p', brandKitId: kit.id })
  const [job] = await api.sql<{ payload: { input: { brandKit: { id: string; version: number; spec: unknown } | null } } }[]>`
    select payload from jobs where id = ${branded.jobId}`
  assert.is(job!.payload.input.brandKit!.id, kit.id)
  assert.is(job!.payload.input.brandKit!.version, 1)
  assert.type(job!.payload.input.brandKit!.spec, 'object')
  const [audit] = await api.sql<{ details: { brandKitId: string; brandKitVersion: number } }[]>`
    select details from audit_log where action = 'export.create' and details->>'brandKitId' = ${kit.id}`
  assert.is(audit!.details.brandKitVersion, 1)
})

/** A transcript document of `assetId` with the given words (seconds), as its transcribe job leaves it. */
async function transcriptOf(projectId: string, assetId: string, title: string, words: [string, number, number][]) {
  const [row] = await api.sql<{ id: string }[]>`
    insert into documents (project_id, kind, title) values (${projectId}, 'transcript', ${title}) returning id`
  const doc = new Y.Doc()
  const rate = 16000
  transcript.buildTranscript(
    doc,
    {
      assetId,
      language: 'en',
      source: 'test',
      sampleRate: rate,
      segments: [
        {
          speaker: 'A',
          words: words.map(([text, s, e]) => ({ text, start: s * rate, end: e * rate, confidence: 0.9 })),
        },
      ],
    },
    SERVER_ORIGIN,
  )
  await api.services.db
    .insert(tables.docUpdates)
    .values({ docId: row!.id, seq: 1, update: Y.encodeStateAsUpdate(doc), userId: null })
  doc.destroy()
  return row!.id
}

test('captions from a transcript: its words as they were at the request go with the job; a transcript of other media, another project or no transcript at all is refused before any work', async () => {
  const { owner, org, project } = await studio()
  const editor = await member(org.id, owner.call, 'editor')
  const a = await probedAsset(org.id, project.id, 'interview.mp4', 'ready', 20)
  const b = await probedAsset(org.id, project.id, 'broll.mp4')
  const { id: documentId } = await editor.call.documents.create({
    projectId: project.id,
    kind: 'timeline',
    title: 'Cut',
  })
  // 29.97 fps: the clip plays source frames 30..150 (1.001 s .. 5.005 s) of the interview
  await edit(documentId, (doc) => {
    timeline.insertClip(doc, { at: { index: 0 }, assetId: a, sourceIn: 30, sourceOut: 150, label: 'Answer' })
  })
  const said = await transcriptOf(project.id, a, 'Interview', [
    ['Before', 0.1, 0.5],
    ['hello', 1.2, 1.6],
    ['there', 1.7, 2.1],
    ['after', 9, 9.5],
  ])
  const other = await transcriptOf(project.id, b, 'B-roll', [['wind', 1, 2]])
  const elsewhere = await owner.call.projects.create({ orgId: org.id, name: 'Other' })
  const foreign = await transcriptOf(elsewhere.id, a, 'Theirs', [['hi', 1, 2]])
  const count = async () =>
    (await api.sql<{ n: number }[]>`select count(*)::int as n from jobs where project_id = ${project.id}`)[0]!.n
  const refuse = async (p: Promise<unknown>, code: string, message: RegExp) => {
    const err = await failure(p)
    assert.is(codeOf(err), code, (err as Error).message)
    assert.match((err as Error).message, message)
  }
  const create = (captions: Record<string, unknown>) =>
    editor.call.exports.create({ documentId, preset: '720p', captions: captions as { style: 'karaoke' } })
  await refuse(
    create({ style: 'karaoke', source: 'transcript' }),
    'BAD_REQUEST',
    /Choose the transcript the captions come from/,
  )
  await refuse(
    create({ style: 'karaoke', source: 'track', transcriptDocumentId: said }),
    'BAD_REQUEST',
    /take no transcript/,
  )
  await refuse(
    create({ style: 'karaoke', source: 'transcript', transcriptDocumentId: other }),
    'BAD_INPUT',
    /^The transcript "B-roll" is of media that no clip on this timeline's storyline plays/,
  )
  await refuse(
    create({ style: 'karaoke', source: 'transcript', transcriptDocumentId: foreign }),
    'NOT_FOUND',
    /^Transcript not found in this project/,
  )
  await refuse(
    create({ style: 'karaoke', source: 'transcript', transcriptDocumentId: documentId }),
    'BAD_INPUT',
    /^"Cut" is not a transcript/,
  )
  assert.is(await count(), 0, 'nothing was dispatched')

  // the dialog offers only the transcript of media on the storyline
  const offered = await editor.call.exports.captionSources({ documentId })
  assert.equal(offered.transcripts, [{ documentId: said, title: 'Interview', assetId: a, filename: 'interview.mp4' }])

  const created = await create({ style: 'karaoke', source: 'transcript', transcriptDocumentId: said })
  // a later correction of the transcript changes nothing in the queued render
  await edit(said, (doc) => transcript.correctWord(doc, 1, 'HELLO'))
  const input = await storedPayload(created.jobId)
  assert.is(input.captions?.source, 'transcript')
  assert.is(input.captions?.transcript?.documentId, said)
  assert.is(input.captions?.transcript?.assetId, a)
  // the words outside every clip's source range stay out of the job
  assert.equal(
    input.captions?.transcript?.words.map((w) => [w.text, w.start, w.end]),
    [
      ['hello', 1.2 * 16000, 1.6 * 16000],
      ['there', 1.7 * 16000, 2.1 * 16000],
    ],
  )
  const [audit] = await api.sql<{ details: { captionsSource: string; transcriptDocumentId: string } }[]>`
    select details from audit_log where action = 'export.create' and target_id = ${documentId}`
  assert.equal([audit!.details.captionsSource, audit!.details.transcriptDocumentId], ['transcript', said])
})

test.run()
