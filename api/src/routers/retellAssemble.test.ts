import { randomUUID } from 'node:crypto'
import { ExportInputSchema, retell, TTS_SAMPLE_RATE, tables, timeline } from '@cutroom/schema'
import { and, eq } from 'drizzle-orm'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as Y from 'yjs'
import { createContext } from '../context'
import { readDocumentState } from '../documents/readDocumentState'
import { type MediaTestApi, startMediaTestApi } from '../media/startMediaTestApi'
import { appRouter } from '../router'
import { createCallerFactory } from '../trpc'

/**
 * retell.assemble through createCaller on a real api with Postgres, NATS JetStream and s3rver: the timeline it
 * creates from a script (read back from the durable log, as the collab server loads it), that the timeline is
 * exportable, and what it refuses. Scripts are stored as collab stores them, with narration audio set the way the
 * tts job's patch sets it (the synthesis itself runs in e2e/src/retell-narration.test.ts).
 */
const createCaller = createCallerFactory(appRouter)
let api: MediaTestApi
let ip = 0

const codeOf = (e: unknown) => (e as { cause?: { code?: string } })?.cause?.code ?? (e as { code?: string })?.code
const failure = (p: Promise<unknown>) =>
  p.then(
    () => assert.unreachable('should have failed'),
    (e: unknown) => e,
  )

async function caller(token?: string) {
  const headers = token ? { authorization: `Bearer ${token}` } : {}
  return createCaller(await createContext(api.services, { headers, ip: `10.5.0.${++ip % 250}` }))
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

type Project = Awaited<ReturnType<typeof studio>>['project']

/** An asset of the project, probed (`seconds` long), as the upload and the probe job leave it. */
async function media(project: Project, filename: string, status = 'ready', seconds = 60) {
  const id = randomUUID()
  await api.services.db.insert(tables.assets).values({
    id,
    stackId: id,
    orgId: project.orgId,
    projectId: project.id,
    filename,
    contentType: 'video/mp4',
    size: 1000,
    status: status as 'ready',
    storageKey: `orgs/${project.orgId}/projects/${project.id}/assets/${id}/source/${filename}`,
    metadata: { durationSeconds: seconds, hasVideo: true, hasAudio: true },
  })
  return id
}

type Spec =
  | { type: 'chapter'; title: string }
  | { type: 'narration'; text: string; seconds?: number; stale?: boolean; orgId?: string }
  | { type: 'shot'; assetId: string; sourceIn: number; sourceOut: number; label: string }
  | { type: 'paragraph'; text: string }

/**
 * A retell script stored as the collab server stores it. Narration with `seconds` has audio: an artifact row as
 * the api records a tts job's, and the block's artifact, duration and fingerprint as the narration patch sets them.
 */
async function script(call: Caller, project: Project, specs: Spec[]) {
  const created = await call.documents.create({ projectId: project.id, kind: 'retell', title: 'Harbor story' })
  const doc = new Y.Doc()
  Y.applyUpdate(doc, retell.genesis())
  for (const s of specs) {
    if (s.type === 'chapter') retell.addChapter(doc, { title: s.title })
    else if (s.type === 'shot') retell.addShot(doc, s)
    else if (s.type === 'paragraph') doc.transact(() => retell.bodyOf(doc).push([paragraph(s.text)]))
    else {
      const id = retell.addNarration(doc, { text: s.text })
      if (s.seconds === undefined) continue
      const artifactId = randomUUID()
      const orgId = s.orgId ?? project.orgId
      await api.services.db.insert(tables.artifacts).values({
        id: artifactId,
        orgId,
        slot: 'narration',
        storageKey: `orgs/${orgId}/projects/${project.id}/narration/${created.id}/artifacts/${artifactId}/narration.wav`,
        contentType: 'audio/wav',
        size: 1000,
      })
      retell.setNarrationAudio(doc, id, {
        artifactId,
        duration: Math.round(s.seconds * TTS_SAMPLE_RATE),
        fingerprint: retell.narrationFingerprint(s.stale ? `${s.text} (before an edit)` : s.text, 'narrator'),
      })
    }
  }
  await api.services.db
    .insert(tables.docUpdates)
    .values({ docId: created.id, seq: 1, update: Y.encodeStateAsUpdate(doc), userId: null })
  doc.destroy()
  return created.id
}

function paragraph(text: string) {
  const el = new Y.XmlElement('paragraph')
  el.insert(0, [new Y.XmlText(text)])
  return el
}

async function blocksOf(documentId: string) {
  const doc = await readDocumentState(api.services.db, documentId)
  try {
    return { blocks: retell.readBlocks(doc), state: Y.encodeStateVector(doc) }
  } finally {
    doc.destroy()
  }
}

const documentsIn = async (projectId: string) =>
  (
    await api.services.db
      .select({ id: tables.documents.id })
      .from(tables.documents)
      .where(eq(tables.documents.projectId, projectId))
  ).length

const assembleAudits = async (documentId: string) =>
  api.services.db
    .select({ actor: tables.auditLog.actorUserId, details: tables.auditLog.details })
    .from(tables.auditLog)
    .where(and(eq(tables.auditLog.action, 'retell.assemble'), eq(tables.auditLog.targetId, documentId)))

test.before(async () => {
  api = await startMediaTestApi()
})
test.after(async () => {
  await api.close()
})

test('retell.assemble makes a new timeline: shots in order, narration at its blocks, a marker per chapter; it exports', async () => {
  const { owner, org, project } = await studio()
  const editor = await member(org.id, owner.call, 'editor')
  const interview = await media(project, 'interview.mp4')
  const broll = await media(project, 'harbor.mov')
  const documentId = await script(owner.call, project, [
    { type: 'paragraph', text: 'Draft outline: 1. Morning 2. Storm' },
    { type: 'chapter', title: 'Morning' },
    { type: 'narration', text: 'The harbor was quiet before the storm.', seconds: 2.3 },
    { type: 'shot', assetId: interview, sourceIn: 30, sourceOut: 120, label: 'We left at dawn' },
    { type: 'shot', assetId: broll, sourceIn: 300, sourceOut: 359, label: 'Boats' },
    { type: 'chapter', title: 'Storm' },
    { type: 'narration', text: 'Then the wind turned.', seconds: 1.1 },
    { type: 'narration', text: 'Nobody had seen it coming.', seconds: 0.7 },
    { type: 'shot', assetId: interview, sourceIn: 600, sourceOut: 751, label: 'The wave' },
    { type: 'narration', text: '   ' },
  ])
  const before = await blocksOf(documentId)

  const result = await editor.call.retell.assemble({ documentId })

  // the document: a new timeline of the project, which the editor can write
  const [row] = await api.services.db
    .select({ kind: tables.documents.kind, projectId: tables.documents.projectId, title: tables.documents.title })
    .from(tables.documents)
    .where(eq(tables.documents.id, result.documentId))
  assert.equal(row, { kind: 'timeline', projectId: project.id, title: 'Harbor story (assembled)' })
  assert.is(result.access, 'write')
  const got = await owner.call.documents.get({ id: result.documentId })
  assert.is(got.name, `doc:${result.documentId}`)

  const doc = await readDocumentState(api.services.db, result.documentId)
  try {
    assert.equal(timeline.validate(doc), [], 'the assembled timeline is valid')
    const fps = timeline.getMeta(doc).fps
    assert.equal(fps, { num: project.fpsNum, den: project.fpsDen }, "the project's frame rate")
    const shots = before.blocks.filter((b) => b.type === 'shot')
    const layout = timeline.storylineLayout(doc)
    assert.equal(
      layout.map((p) => (p.kind === 'clip' ? [p.assetId, p.sourceIn, p.sourceOut, p.label] : ['gap'])),
      shots.map((s) => [s.assetId, s.sourceIn, s.sourceOut, s.label]),
      "the storyline is the script's shots in order",
    )
    const total = shots.reduce((sum, s) => sum + (s.sourceOut - s.sourceIn), 0)
    assert.is(layout.at(-1)!.end, total, "the storyline lasts the sum of the shots' lengths")
    assert.is(timeline.duration(doc), total, 'nothing hangs past the storyline')
    assert.is(result.durationFrames, total)
    assert.is(result.clips, shots.length)

    // narration: where its block's shots start (consecutive blocks one after the other), as long as its audio
    const track = timeline.getTracks(doc).find((t) => t.kind === 'narration')
    assert.ok(track, 'a narration track')
    const items = timeline
      .anchoredLayout(doc)
      .filter((i) => i.trackId === track!.id)
      .sort((a, b) => a.start - b.start)
    const voiced = before.blocks.filter(
      (b): b is Extract<retell.RetellBlock, { type: 'narration' }> => b.type === 'narration' && !!b.duration,
    )
    const frames = (samples: number) => Math.ceil((samples * fps.num) / (TTS_SAMPLE_RATE * fps.den))
    const startOfShot = (i: number) => layout[i]!.start
    assert.equal(
      items.map((i) => ({
        id: i.id,
        start: i.start,
        duration: i.duration,
        artifactId: i.artifactId,
        scriptId: i.scriptId,
      })),
      [
        { block: voiced[0]!, start: startOfShot(0) },
        { block: voiced[1]!, start: startOfShot(2) },
        { block: voiced[2]!, start: startOfShot(2) + frames(voiced[1]!.duration!) },
      ].map(({ block, start }) => ({
        id: block.id,
        start,
        duration: frames(block.duration!),
        artifactId: block.audioArtifactId,
        scriptId: documentId,
      })),
    )
    assert.is(items[0]!.text, 'The harbor was quiet before the storm.')
    assert.is(items[1]!.anchorId, layout[2]!.id, 'narration moves with the shot it introduces')
    assert.is(result.narration, 3, 'the block without text has nothing to say')
    assert.equal(result.warnings, [])

    assert.equal(
      timeline
        .getMarkers(doc)
        .sort((a, b) => a.frame - b.frame)
        .map((m) => [m.label, m.frame]),
      [
        ['Morning', startOfShot(0)],
        ['Storm', startOfShot(2)],
      ],
      "a marker where each chapter's first shot starts",
    )
  } finally {
    doc.destroy()
  }

  const after = await blocksOf(documentId)
  assert.equal(after.blocks, before.blocks, 'the script is unchanged')
  assert.equal(after.state, before.state)
  const audits = await assembleAudits(documentId)
  assert.is(audits.length, 1)
  assert.is(audits[0]!.actor, editor.user.id)
  assert.is((audits[0]!.details as { timelineId: string }).timelineId, result.documentId)

  // the existing export path takes it: storyline, narration and where each plays from
  const exported = await owner.call.exports.create({ documentId: result.documentId, preset: '720p' })
  const [job] = await api.services.db
    .select({ payload: tables.jobs.payload })
    .from(tables.jobs)
    .where(eq(tables.jobs.id, exported.jobId))
  const input = ExportInputSchema.parse((job!.payload as { input: unknown }).input)
  assert.equal(
    input.timeline.storyline.map((s) => (s.kind === 'clip' ? [s.assetId, s.sourceIn, s.sourceOut] : [])),
    before.blocks.flatMap((b) => (b.type === 'shot' ? [[b.assetId, b.sourceIn, b.sourceOut]] : [])),
  )
  const voices = input.timeline.anchored.filter((a) => a.track === 'narration')
  assert.is(voices.length, 3, 'the narration is mixed into the export')
  for (const v of voices) {
    const source = input.sources.find((s) => s.assetId === v.assetId)
    assert.ok(
      source?.sourceKey.endsWith('/narration.wav') && source.hasAudio && !source.hasVideo,
      'it plays its tts audio',
    )
  }

  // audio that is gone (or was never this organization's) is refused by name, and no render starts
  const gone = before.blocks.find((b) => b.type === 'narration' && b.audioArtifactId)
  await api.services.db
    .delete(tables.artifacts)
    .where(eq(tables.artifacts.id, (gone as { audioArtifactId: string }).audioArtifactId))
  const exportJobs = async () =>
    (
      await api.services.db
        .select({ id: tables.jobs.id })
        .from(tables.jobs)
        .where(and(eq(tables.jobs.projectId, project.id), eq(tables.jobs.kind, 'export')))
    ).length
  const err = await failure(owner.call.exports.create({ documentId: result.documentId, preset: '720p' }))
  assert.is(codeOf(err), 'INVALID_STATE')
  assert.match(
    (err as Error).message,
    /The narration "The harbor was quiet before the storm\." has no audio in this project/,
  )
  assert.is(await exportJobs(), 1, 'only the first export')
})

test('retell.assemble refuses what it cannot build, names what is wrong, and creates nothing', async () => {
  const { owner, org, project } = await studio()
  const viewer = await member(org.id, owner.call, 'viewer')
  const reviewer = await member(org.id, owner.call, 'reviewer')
  const other = await studio()
  const ready = await media(project, 'interview.mp4')
  const failed = await media(project, 'broken.mp4', 'failed')
  const uploading = await media(project, 'big.mov', 'uploading')
  const elsewhere = await media(other.project, 'theirs.mp4')
  const shot = { type: 'shot' as const, assetId: ready, sourceIn: 0, sourceOut: 90, label: 'Dawn' }
  const good = await script(owner.call, project, [shot, { type: 'narration', text: 'Morning.', seconds: 1 }])
  const cut = await owner.call.documents.create({ projectId: project.id, kind: 'timeline', title: 'Cut' })
  const scriptOf = (specs: Spec[]) => script(owner.call, project, specs)
  const cases: [string, () => Promise<unknown>, string, RegExp][] = [
    ['viewer', () => viewer.call.retell.assemble({ documentId: good }), 'FORBIDDEN_ROLE', /A viewer cannot assemble/],
    ['reviewer', () => reviewer.call.retell.assemble({ documentId: good }), 'FORBIDDEN_ROLE', /A reviewer cannot/],
    ['another tenant', () => other.owner.call.retell.assemble({ documentId: good }), 'NOT_FOUND', /not found/],
    ['no such document', () => owner.call.retell.assemble({ documentId: randomUUID() }), 'NOT_FOUND', /not found/],
    ['not an id', () => owner.call.retell.assemble({ documentId: 'doc:1' }), 'NOT_FOUND', /not found/],
    [
      'a timeline',
      () => owner.call.retell.assemble({ documentId: cut.id }),
      'BAD_INPUT',
      /is a timeline, not a retell script/,
    ],
  ]
  const scripts: [string, Spec[], string, RegExp][] = [
    [
      'no shots',
      [
        { type: 'chapter', title: 'Only words' },
        { type: 'narration', text: 'Hello.', seconds: 1 },
      ],
      'BAD_INPUT',
      /no shots to assemble/,
    ],
    [
      'narration not synthesized',
      [shot, { type: 'narration', text: 'Said once.', seconds: 1 }, { type: 'narration', text: 'Never said aloud.' }],
      'INVALID_STATE',
      /no synthesized audio yet \("Never said aloud\."\); click Synthesize all/,
    ],
    [
      'narration edited after synthesis',
      [shot, { type: 'narration', text: 'Rewritten line.', seconds: 1, stale: true }],
      'INVALID_STATE',
      /edited after its audio was made \("Rewritten line\."\); synthesize again/,
    ],
    [
      "another organization's audio",
      [shot, { type: 'narration', text: 'Borrowed voice.', seconds: 1, orgId: other.org.id }],
      'INVALID_STATE',
      /audio of narration "Borrowed voice\." is not available/,
    ],
    [
      'a missing asset',
      [shot, { ...shot, assetId: randomUUID(), label: 'Gone' }],
      'BAD_INPUT',
      /Shot 2 \("Gone"\) plays media that is not in this project/,
    ],
    [
      "another project's asset",
      [{ ...shot, assetId: elsewhere, label: 'Theirs' }],
      'BAD_INPUT',
      /Shot 1 \("Theirs"\) plays media that is not in this project/,
    ],
    [
      'a failed asset',
      [shot, shot, { ...shot, assetId: failed, label: 'Broken' }],
      'BAD_INPUT',
      /Shot 3 \("Broken"\) plays broken\.mp4, which failed to process/,
    ],
    [
      'an asset still uploading',
      [{ ...shot, assetId: uploading }],
      'INVALID_STATE',
      /big\.mov, which is still uploading/,
    ],
    [
      'a shot past the end of its media',
      [{ ...shot, sourceIn: 1700, sourceOut: 1900 }],
      'BAD_INPUT',
      new RegExp(
        `ends at frame 1900 but interview\\.mp4 has ${Math.floor((60 * project.fpsNum) / project.fpsDen)} frames`,
      ),
    ],
  ]
  for (const [what, specs, code, message] of scripts) {
    const id = await scriptOf(specs)
    cases.push([what, () => owner.call.retell.assemble({ documentId: id }), code, message])
  }
  const documents = await documentsIn(project.id)
  for (const [what, call, code, message] of cases) {
    const err = await failure(call())
    assert.is(codeOf(err), code, `${what}: ${(err as Error).message}`)
    assert.match((err as Error).message, message, what)
    assert.not.match((err as Error).message, /orgs\/|http|\/tmp\//, `${what}: no keys, URLs or paths`)
  }
  assert.is(await documentsIn(project.id), documents, 'no timeline was created')
  assert.is(await documentsIn(other.project.id), 0, 'nor in the other tenant')
  const audits = await api.services.db
    .select({ id: tables.auditLog.id })
    .from(tables.auditLog)
    .where(and(eq(tables.auditLog.action, 'retell.assemble'), eq(tables.auditLog.orgId, org.id)))
  assert.is(audits.length, 0, 'no audit row for a refused call')

  // a script of shots only (no narration written yet) assembles: there is nothing to synthesize
  const silent = await scriptOf([{ type: 'chapter', title: 'Cold open' }, shot])
  const made = await owner.call.retell.assemble({ documentId: silent })
  const doc = await readDocumentState(api.services.db, made.documentId)
  try {
    assert.is(timeline.storylineLayout(doc).length, 1)
    assert.not.ok(
      timeline.getTracks(doc).some((t) => t.kind === 'narration'),
      'no empty narration track',
    )
    assert.is(made.narration, 0)
  } finally {
    doc.destroy()
  }

  // narration longer than the shots after it is placed all the same, and the result says so
  const long = await scriptOf([{ type: 'narration', text: 'A long opening line.', seconds: 5 }, shot])
  const placed = await owner.call.retell.assemble({ documentId: long })
  assert.is(placed.narration, 1)
  assert.is(placed.durationFrames, shot.sourceOut - shot.sourceIn)
  assert.equal(placed.warnings.length, 1)
  assert.match(placed.warnings[0]!, /Narration "A long opening line\." runs 2\.0 s past the last shot/)
})

test.run()
