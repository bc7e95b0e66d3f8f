import { SERVER_ORIGIN, Streams, Subjects, tables, transcript } from '@cutroom/schema'
import { jetstreamManager } from '@nats-io/jetstream'
import type { Msg, NatsConnection } from '@nats-io/nats-core'
import { connect } from '@nats-io/transport-node'
import { and, eq } from 'drizzle-orm'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as Y from 'yjs'
import { createContext } from '../context'
import { type MediaTestApi, startMediaTestApi } from '../media/startMediaTestApi'
import { appRouter } from '../router'
import { parseSubtitles } from '../transcripts/subtitles'
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
    filename: 'interview.wav',
    size: bytes.length,
    contentType: 'audio/wav',
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
  // stands in for the collab server on patches.doc.<id>: appends a Yjs update to the document's log, as it does
  // (collab/src/DocPatcher.test.ts covers the real one)
  const answer = async (m: Msg) => {
    const docId = m.subject.slice('patches.doc.'.length)
    const request = m.json<{ type: string; update?: string }>()
    if (request.type !== 'yjs-update' || !request.update) {
      m.respond(JSON.stringify({ ok: false, code: 'BAD_INPUT', message: 'unexpected patch' }))
      return
    }
    const rows = await api.services.db
      .select({ seq: tables.docUpdates.seq })
      .from(tables.docUpdates)
      .where(eq(tables.docUpdates.docId, docId))
    await api.services.db.insert(tables.docUpdates).values({
      docId,
      seq: rows.length + 1,
      update: new Uint8Array(Buffer.from(request.update, 'base64')),
      userId: null,
    })
    m.respond(JSON.stringify({ ok: true, changed: true }))
  }
  nc.subscribe(Subjects.allDocPatches, { callback: (_e, m) => void answer(m) })
})
test.after(async () => {
  await nc.drain()
  await api.close()
})

test('transcripts.create makes a transcript linked to the asset and dispatches a transcribe job into it', async () => {
  const { owner, org, project } = await studio()
  const asset = await uploaded(owner.call, project.id)
  const editor = await member(org.id, owner.call, 'editor')
  const created = await editor.call.transcripts.create({ projectId: project.id, assetId: asset.id, language: 'en-US' })
  assert.is(created.name, `doc:${created.documentId}`)
  assert.is(created.access, 'write')

  const doc = await editor.call.documents.get({ id: created.documentId })
  assert.is(doc.kind, 'transcript')
  assert.is(doc.title, 'interview.wav — transcript')
  const state = await logOf(created.documentId)
  assert.equal(transcript.validate(state), [])
  assert.is(transcript.getMeta(state).assetId, asset.id)
  assert.is(transcript.getMeta(state).language, 'en-US')

  const jsm = await jetstreamManager(nc)
  const stored = await jsm.streams.getMessage(Streams.JOBS, { last_by_subj: Subjects.job('transcribe') })
  assert.is(stored?.header.get('Nats-Msg-Id'), created.jobId)
  const payload = stored!.json<{
    input: { assetId: string; documentId: string; language: string; sourceKey: string }
  }>()
  assert.equal(
    [payload.input.assetId, payload.input.documentId, payload.input.language],
    [asset.id, created.documentId, 'en-US'],
  )
  assert.ok(payload.input.sourceKey.includes(asset.id))
  const job = await editor.call.jobs.get({ id: created.jobId })
  assert.equal([job.kind, job.status], ['transcribe', 'queued'])

  const [audit] = await api.services.db
    .select({ actor: tables.auditLog.actorUserId, details: tables.auditLog.details })
    .from(tables.auditLog)
    .where(and(eq(tables.auditLog.action, 'transcript.create'), eq(tables.auditLog.targetId, created.documentId)))
  assert.is(audit?.actor, editor.user.id)
  assert.is((audit!.details as { jobId?: string }).jobId, created.jobId)
})

test('transcripts.create: roles, bad input and other tenants change nothing', async () => {
  const { owner, org, project } = await studio()
  const asset = await uploaded(owner.call, project.id)
  const viewer = await member(org.id, owner.call, 'viewer')
  const reviewer = await member(org.id, owner.call, 'reviewer')
  const other = await studio()
  const count = async () =>
    (
      await api.services.db
        .select({ id: tables.documents.id })
        .from(tables.documents)
        .where(eq(tables.documents.projectId, project.id))
    ).length
  const before = await count()
  await expectCode(viewer.call.transcripts.create({ projectId: project.id, assetId: asset.id }), 'FORBIDDEN_ROLE')
  await expectCode(reviewer.call.transcripts.create({ projectId: project.id, assetId: asset.id }), 'FORBIDDEN_ROLE')
  await expectCode(other.owner.call.transcripts.create({ projectId: project.id, assetId: asset.id }), 'NOT_FOUND')
  await expectCode(other.owner.call.transcripts.create({ projectId: other.project.id, assetId: asset.id }), 'NOT_FOUND')
  const badLanguage = await failure(
    owner.call.transcripts.create({ projectId: project.id, assetId: asset.id, language: 'English please' }),
  )
  assert.is(codeOf(badLanguage), 'BAD_REQUEST')
  assert.match((badLanguage as Error).message, /a code like en or en-US/)
  const pending = await owner.call.assets.createUpload({
    projectId: project.id,
    filename: 'later.wav',
    size: 10,
    contentType: 'audio/wav',
  })
  const refused = await failure(owner.call.transcripts.create({ projectId: project.id, assetId: pending.asset.id }))
  assert.is(codeOf(refused), 'INVALID_STATE')
  assert.match((refused as Error).message, /upload has completed/)
  assert.is(await count(), before, 'no document was made')
})

test('exportSubtitles turns the timed words into SRT, VTT and ASS; importSubtitles refuses bad files with the line', async () => {
  const { owner, org, project } = await studio()
  const asset = await uploaded(owner.call, project.id)
  const { documentId } = await owner.call.transcripts.create({ projectId: project.id, assetId: asset.id })
  // what the transcribe job leaves in the document (the collab server appends it to the log)
  const doc = await logOf(documentId)
  const before = Y.encodeStateVector(doc)
  const rate = 48000
  const said = 'The harbor was quiet before the storm and nobody on the pier said a single word'.split(' ')
  transcript.buildTranscript(
    doc,
    {
      sampleRate: rate,
      segments: [
        {
          speaker: 'Speaker 1',
          words: said.map((text, i) => ({
            text,
            start: rate + i * 19200,
            end: rate + i * 19200 + 16800,
            confidence: 0.9,
          })),
        },
        { speaker: 'Speaker 1', words: [{ text: 'Later', start: 20 * rate, end: 20 * rate + 24000, confidence: 0.9 }] },
      ],
    },
    SERVER_ORIGIN,
  )
  await api.services.db
    .insert(tables.docUpdates)
    .values({ docId: documentId, seq: 2, update: Y.encodeStateAsUpdate(doc, before), userId: null })
  const viewer = await member(org.id, owner.call, 'viewer')

  const srt = await viewer.call.transcripts.exportSubtitles({ documentId, format: 'srt' })
  const cues = parseSubtitles(srt.text, 'srt')
  assert.is(cues.length, srt.cues)
  assert.is(cues.map((c) => c.text.replace(/\n/g, ' ')).join(' '), `${said.join(' ')} Later`)
  assert.is(cues[0]!.start, 1000, 'the first word starts at 1 s')
  assert.is(cues[cues.length - 1]!.start, 20_000)
  for (const c of cues) for (const line of c.text.split('\n')) assert.ok(line.length <= 42)
  const vtt = await viewer.call.transcripts.exportSubtitles({ documentId, format: 'vtt', maxChars: 20, maxLines: 1 })
  for (const c of parseSubtitles(vtt.text, 'vtt')) assert.ok(!c.text.includes('\n') && c.text.length <= 20, c.text)
  const ass = await viewer.call.transcripts.exportSubtitles({ documentId, format: 'ass' })
  assert.match(ass.text, 'Dialogue: 0,0:00:01.00,')

  const refused = await failure(
    owner.call.transcripts.importSubtitles({
      documentId,
      format: 'srt',
      text: '1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:03 --> 00:00:04,000\nbad\n',
    }),
  )
  assert.is(codeOf(refused), 'BAD_INPUT')
  assert.match((refused as Error).message, /^Line 6:/)
  await expectCode(
    viewer.call.transcripts.importSubtitles({ documentId, format: 'vtt', text: 'WEBVTT\n' }),
    'FORBIDDEN_ROLE',
  )
  const tooLong = await failure(
    owner.call.transcripts.importSubtitles({ documentId, format: 'srt', text: 'x'.repeat(500_001) }),
  )
  assert.is(codeOf(tooLong), 'BAD_REQUEST')
  const rows = await api.services.db
    .select({ seq: tables.docUpdates.seq })
    .from(tables.docUpdates)
    .where(eq(tables.docUpdates.docId, documentId))
  assert.is(rows.length, 2, 'a refused import changes nothing')
})

test('transcripts.transcribe links an empty transcript to the asset and fills it with a transcribe job; refusals change nothing', async () => {
  const { owner, org, project } = await studio()
  const asset = await uploaded(owner.call, project.id)
  const editor = await member(org.id, owner.call, 'editor')
  const viewer = await member(org.id, owner.call, 'viewer')
  const other = await studio()
  const empty = await owner.call.documents.create({ projectId: project.id, kind: 'transcript', title: 'Empty' })
  // the collab server's side of the meta patch: the test applies it to a copy and answers as collab does
  const patched: string[] = []
  const sub = nc.subscribe(`patches.doc.${empty.id}`, {
    callback: (_e, m) => {
      patched.push((m.json() as { update: string }).update)
      m.respond(JSON.stringify({ ok: true, changed: true }))
    },
  })
  const jobsOf = async () =>
    (
      await api.services.db
        .select({ id: tables.jobs.id })
        .from(tables.jobs)
        .where(and(eq(tables.jobs.projectId, project.id), eq(tables.jobs.kind, 'transcribe')))
    ).length
  for (const [call, code] of [
    [() => viewer.call.transcripts.transcribe({ documentId: empty.id, assetId: asset.id }), 'FORBIDDEN_ROLE'],
    [() => other.owner.call.transcripts.transcribe({ documentId: empty.id, assetId: asset.id }), 'NOT_FOUND'],
    [() => editor.call.transcripts.transcribe({ documentId: empty.id, assetId: crypto.randomUUID() }), 'NOT_FOUND'],
    [
      () => editor.call.transcripts.transcribe({ documentId: empty.id, assetId: 'x', language: 'English' }),
      'BAD_REQUEST',
    ],
  ] as const) {
    await expectCode(call(), code)
  }
  assert.is(await jobsOf(), 0)
  assert.is(patched.length, 0)
  const { jobId } = await editor.call.transcripts.transcribe({ documentId: empty.id, assetId: asset.id })
  sub.unsubscribe()
  const job = await editor.call.jobs.get({ id: jobId })
  assert.equal([job.kind, job.status], ['transcribe', 'queued'])
  const [row] = await api.services.db
    .select({ payload: tables.jobs.payload })
    .from(tables.jobs)
    .where(eq(tables.jobs.id, jobId))
  assert.is((row!.payload as { input: { documentId: string } }).input.documentId, empty.id)
  assert.is(patched.length, 1)
  const linked = new Y.Doc()
  Y.applyUpdate(linked, Buffer.from(patched[0]!, 'base64'))
  assert.is(transcript.metaOf(linked).get('assetId'), asset.id)
  // a transcript that already has text is not transcribed over
  const { documentId: full } = await owner.call.transcripts.create({ projectId: project.id, assetId: asset.id })
  const doc = await logOf(full)
  const before = Y.encodeStateVector(doc)
  transcript.buildTranscript(
    doc,
    { sampleRate: 48000, segments: [{ speaker: 'S', words: [{ text: 'Hello', start: 0, end: 4800, confidence: 1 }] }] },
    SERVER_ORIGIN,
  )
  await api.services.db
    .insert(tables.docUpdates)
    .values({ docId: full, seq: 2, update: Y.encodeStateAsUpdate(doc, before), userId: null })
  const refused = await failure(owner.call.transcripts.transcribe({ documentId: full, assetId: asset.id }))
  assert.is(codeOf(refused), 'INVALID_STATE')
  assert.match((refused as Error).message, /already has text/)
  assert.is(await jobsOf(), 2, 'only the two accepted calls dispatched')
})

test('importSubtitles dispatches an align job for every imported word; realign sends only the corrected words', async () => {
  const { owner, org, project } = await studio()
  const asset = await uploaded(owner.call, project.id)
  const { documentId } = await owner.call.transcripts.create({ projectId: project.id, assetId: asset.id })
  const srt =
    '1\n00:00:01,000 --> 00:00:02,500\nThe harbor was quiet.\n\n2\n00:00:04,000 --> 00:00:05,000\nNobody spoke.\n'
  const imported = await owner.call.transcripts.importSubtitles({ documentId, format: 'srt', text: srt })
  assert.equal([imported.cues, imported.words], [2, 6])
  assert.ok(imported.alignJobId)
  const jsm = await jetstreamManager(nc)
  const stored = await jsm.streams.getMessage(Streams.JOBS, { last_by_subj: Subjects.job('align') })
  assert.is(stored?.header.get('Nats-Msg-Id'), imported.alignJobId)
  type AlignInput = {
    input: {
      documentId: string
      reason: string
      sampleRate: number
      chunks: { paragraphStart: number; start: number; end: number; words: [string, number, number][] }[]
    }
  }
  const payload = stored!.json<AlignInput>()
  assert.equal(
    [payload.input.documentId, payload.input.reason, payload.input.sampleRate],
    [documentId, 'import', 48000],
  )
  assert.equal(
    payload.input.chunks.map((c) => [c.start, c.end, c.words.map((w) => w[0])]),
    [
      [48000, 120000, ['The', 'harbor', 'was', 'quiet.']],
      [192000, 240000, ['Nobody', 'spoke.']],
    ],
  )
  const [audit] = await api.services.db
    .select({ details: tables.auditLog.details })
    .from(tables.auditLog)
    .where(and(eq(tables.auditLog.action, 'transcript.importSubtitles'), eq(tables.auditLog.targetId, documentId)))
  assert.is((audit!.details as { jobId?: string }).jobId, imported.alignJobId)

  // what the align job leaves (its patches are applied by the collab server), then a person's correction
  const doc = await logOf(documentId)
  const before = Y.encodeStateVector(doc)
  for (const c of payload.input.chunks)
    transcript.setWordTimes(
      doc,
      c.paragraphStart,
      c.words.map(([text, start, end], i) => ({
        text,
        from: { start, end },
        start: c.start + i * 9000,
        end: c.start + i * 9000 + 8000,
        confidence: 1,
      })),
      SERVER_ORIGIN,
    )
  transcript.correctWord(doc, 1, 'harbour')
  const seq = (
    await api.services.db
      .select({ seq: tables.docUpdates.seq })
      .from(tables.docUpdates)
      .where(eq(tables.docUpdates.docId, documentId))
  ).length
  await api.services.db
    .insert(tables.docUpdates)
    .values({ docId: documentId, seq: seq + 1, update: Y.encodeStateAsUpdate(doc, before), userId: null })

  const viewer = await member(org.id, owner.call, 'viewer')
  await expectCode(viewer.call.transcripts.realign({ documentId }), 'FORBIDDEN_ROLE')
  const other = await studio()
  await expectCode(other.owner.call.transcripts.realign({ documentId }), 'NOT_FOUND')
  const realigned = await owner.call.transcripts.realign({ documentId })
  assert.is(realigned.words, 1)
  const again = await jsm.streams.getMessage(Streams.JOBS, { last_by_subj: Subjects.job('align') })
  assert.is(again?.header.get('Nats-Msg-Id'), realigned.jobId)
  const chunks = again!.json<AlignInput>().input.chunks
  assert.equal(chunks, [{ paragraphStart: 48000, start: 56000, end: 66000, words: [['harbour', 57000, 65000]] }])
  assert.is(again!.json<AlignInput>().input.reason, 'realign')
})

test('importSubtitles refuses more words than one align job takes, changing nothing', async () => {
  const { owner, project } = await studio()
  const asset = await uploaded(owner.call, project.id)
  const { documentId } = await owner.call.transcripts.create({ projectId: project.id, assetId: asset.id })
  const cues: string[] = []
  for (let i = 0; i < 1600; i++) {
    const t = (s: number) =>
      `00:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')},000`
    cues.push(`${i + 1}\n${t(i * 2)} --> ${t(i * 2 + 1)}\none two three four five six seven eight nine ten\n`)
  }
  const refused = await failure(
    owner.call.transcripts.importSubtitles({ documentId, format: 'srt', text: cues.join('\n') }),
  )
  assert.is(codeOf(refused), 'PAYLOAD_TOO_LARGE')
  assert.match((refused as Error).message, /16000 words/)
  const rows = await api.services.db
    .select({ seq: tables.docUpdates.seq })
    .from(tables.docUpdates)
    .where(eq(tables.docUpdates.docId, documentId))
  assert.is(rows.length, 1)
})

test.run()
