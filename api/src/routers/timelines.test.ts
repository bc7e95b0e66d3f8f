import { tables, timeline } from '@cutroom/schema'
import { eq } from 'drizzle-orm'
import { XMLValidator } from 'fast-xml-parser'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as Y from 'yjs'
import { readDocumentState } from '../documents/readDocumentState'
import { fcpTime } from '../interchange/fcpxmlText'
import { parseCmx3600 } from '../interchange/parseCmx3600'
import { framesAt, readOtio } from '../interchange/readOtio'
import { timecodeToFrames } from '../interchange/timecode'
import { createTestApi, type TestApi } from '../testing/createTestApi'

let api: TestApi
const codeOf = (e: unknown) => (e as { cause?: { code?: string } })?.cause?.code
async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p
  } catch (e) {
    return e as Error
  }
  throw new Error('should have failed')
}

let n = 0
async function person(name: string) {
  const anon = await api.caller()
  const { user, token } = await anon.auth.signUp({
    email: `${name}${++n}@timelines.test`,
    password: 'correct horse 42',
    name,
  })
  return { user, token, call: await api.caller(token) }
}

test.before(async () => {
  api = await createTestApi()
})
test.after(async () => {
  await api.close()
})

/** An asset row as probe leaves it (the upload path itself is tested with the media pipeline). */
async function addAsset(orgId: string, projectId: string, filename: string, durationFrames: number) {
  const id = crypto.randomUUID()
  await api.services.db.insert(tables.assets).values({
    id,
    stackId: id,
    orgId,
    projectId,
    filename,
    contentType: 'video/mp4',
    size: 1000,
    status: 'ready',
    storageKey: `orgs/${orgId}/projects/${projectId}/assets/${id}/source/${filename}`,
    metadata: {
      hasVideo: true,
      hasAudio: true,
      durationSeconds: (durationFrames * 1001) / 30000,
      video: { fps: { num: 30000, den: 1001 }, durationFrames },
    },
  })
  return id
}

/** Appends an edit to the document's update log as collab would persist it. */
async function edit(documentId: string, change: (doc: Y.Doc) => void) {
  const doc = await readDocumentState(api.services.db, documentId)
  const before = Y.encodeStateVector(doc)
  change(doc)
  const [{ seq }] =
    (await api.sql`select coalesce(max(seq), 0)::int as seq from doc_updates where doc_id = ${documentId}`) as unknown as [
      { seq: number },
    ]
  await api.services.db
    .insert(tables.docUpdates)
    .values({ docId: documentId, seq: seq + 1, update: Y.encodeStateAsUpdate(doc, before), userId: null })
  doc.destroy()
}

test('timelines.interchange: every format reads back to the cuts; viewers download; other tenants get NOT_FOUND', async () => {
  const owner = await person('owner')
  const viewer = await person('viewer')
  const reviewer = await person('reviewer')
  const stranger = await person('stranger')
  const org = await owner.call.orgs.create({ name: 'Studio' })
  await api.services.db.update(tables.organizations).set({ plan: 'team' }).where(eq(tables.organizations.id, org.id))
  await owner.call.orgs.members.add({ orgId: org.id, email: viewer.user.email, role: 'viewer' })
  await owner.call.orgs.members.add({ orgId: org.id, email: reviewer.user.email, role: 'reviewer' })
  const project = await owner.call.projects.create({ orgId: org.id, name: 'Film', fpsNum: 30000, fpsDen: 1001 })
  const doc = await owner.call.documents.create({ projectId: project.id, kind: 'timeline', title: 'Rough cut 3' })
  const a = await addAsset(org.id, project.id, 'interview.mov', 90_000)
  const b = await addAsset(org.id, project.id, 'wide shot.mp4', 3000)
  await edit(doc.id, (d) => {
    timeline.insertClip(d, { at: { index: 0 }, assetId: a, sourceIn: 1800, sourceOut: 1950, label: 'Hello' })
    timeline.insertGap(d, { at: { index: 1 }, duration: 15 })
    timeline.insertClip(d, { at: { index: 2 }, assetId: b, sourceIn: 17, sourceOut: 92 })
    timeline.insertClip(d, { at: { index: 3 }, assetId: a, sourceIn: 60_000, sourceOut: 60_300 })
    timeline.addMarker(d, { frame: 200, label: 'Cut on the look', color: 'red' })
  })
  const expected = [
    { kind: 'clip', start: 0, end: 150, sourceIn: 1800, file: 'interview.mov' },
    { kind: 'gap', start: 150, end: 165, sourceIn: 0, file: null },
    { kind: 'clip', start: 165, end: 240, sourceIn: 17, file: 'wide shot.mp4' },
    { kind: 'clip', start: 240, end: 540, sourceIn: 60_000, file: 'interview.mov' },
  ]
  const fps = { num: 30000, den: 1001 }
  const rate = 30000 / 1001

  // A viewer reads the timeline, so a viewer may download it.
  const otio = await viewer.call.timelines.interchange({ documentId: doc.id, format: 'otio' })
  assert.is(otio.filename, 'Rough_cut_3.otio')
  assert.is(otio.contentType, 'application/json')
  assert.equal(otio.fps, fps)
  const t = readOtio(otio.text)
  assert.is(t.name, 'Rough cut 3')
  assert.equal(
    t.tracks[0]!.items.map((i) => ({
      kind: i.schema === 'Gap' ? 'gap' : 'clip',
      start: framesAt(i.trackStart, rate),
      end: framesAt(i.trackStart, rate) + framesAt(i.duration, rate),
      sourceIn: i.schema === 'Gap' ? 0 : framesAt(i.sourceStart, rate),
      file: i.targetUrl,
    })),
    expected,
  )
  assert.equal(
    t.markers.map((m) => [framesAt(m.start, rate), m.name, m.color]),
    [[200, 'Cut on the look', 'RED']],
  )

  const edl = await reviewer.call.timelines.interchange({ documentId: doc.id, format: 'edl' })
  const parsed = parseCmx3600(edl.text)
  assert.is(parsed.title, 'Rough cut 3')
  assert.is(parsed.dropFrame, true)
  const tc = (s: string) => timecodeToFrames(s, fps)
  assert.equal(
    parsed.events.map((e) => ({
      kind: e.reel === 'BL' ? 'gap' : 'clip',
      start: tc(e.recordIn),
      end: tc(e.recordOut),
      sourceIn: e.reel === 'BL' ? 0 : tc(e.sourceIn),
      file: e.sourceFile,
    })),
    expected,
  )
  assert.equal(
    parsed.events[2]!.locators.map((l) => [tc(l.timecode), l.name]),
    [[200, 'Cut on the look']],
  )

  const fcpxml = await owner.call.timelines.interchange({ documentId: doc.id, format: 'fcpxml' })
  assert.is(XMLValidator.validate(fcpxml.text), true)
  assert.is(fcpxml.clips, 3)
  assert.is(fcpxml.markers, 1)
  // The marker sits in the third clip (frames 165..240), at its source frame 17 + (200 - 165) = 52.
  const t30 = (f: number) => fcpTime(f, fps)
  assert.ok(
    fcpxml.text.includes(
      `name="wide shot.mp4" offset="${t30(165)}" start="${t30(17)}" duration="${t30(75)}" format="r1">\n              <marker start="${t30(52)}" duration="${t30(1)}" value="Cut on the look"/>`,
    ),
    fcpxml.text,
  )

  // An API key reads with its role: a viewer key downloads; a key of another organization gets NOT_FOUND.
  const viewerKey = await api.caller(
    (await owner.call.apiKeys.create({ orgId: org.id, name: 'read', role: 'viewer' })).key,
  )
  assert.is((await viewerKey.timelines.interchange({ documentId: doc.id, format: 'edl' })).text, edl.text)
  const strangerOrg = await stranger.call.orgs.create({ name: 'Elsewhere' })
  const strangerKey = await api.caller(
    (await stranger.call.apiKeys.create({ orgId: strangerOrg.id, name: 'k', role: 'admin' })).key,
  )
  assert.is(
    codeOf(await failure(strangerKey.timelines.interchange({ documentId: doc.id, format: 'otio' }))),
    'NOT_FOUND',
  )

  // Another tenant: NOT_FOUND, the same as an id that does not exist.
  const err = await failure(stranger.call.timelines.interchange({ documentId: doc.id, format: 'otio' }))
  assert.is(codeOf(err), 'NOT_FOUND')
  assert.is(
    codeOf(await failure(stranger.call.timelines.interchange({ documentId: crypto.randomUUID(), format: 'edl' }))),
    'NOT_FOUND',
  )
  assert.is(
    codeOf(await failure(owner.call.timelines.interchange({ documentId: 'not-an-id', format: 'edl' }))),
    'NOT_FOUND',
  )
  // Signed out: refused.
  const anon = await api.caller()
  assert.is(
    codeOf(await failure(anon.timelines.interchange({ documentId: doc.id, format: 'otio' }))),
    'UNAUTHENTICATED',
  )
})

test('timelines.interchange refuses a document that is not a timeline, a clip of a missing asset, an unknown format', async () => {
  const owner = await person('owner')
  const org = await owner.call.orgs.create({ name: 'Other studio' })
  const project = await owner.call.projects.create({ orgId: org.id, name: 'Doc' })
  const transcript = await owner.call.documents.create({ projectId: project.id, kind: 'retell', title: 'Script' })
  const notTimeline = await failure(owner.call.timelines.interchange({ documentId: transcript.id, format: 'otio' }))
  assert.is(codeOf(notTimeline), 'BAD_INPUT')
  assert.match(notTimeline.message, /This document is a retell, not a timeline/)

  const doc = await owner.call.documents.create({ projectId: project.id, kind: 'timeline', title: 'Cut' })
  // An empty timeline downloads as an empty but valid file.
  const empty = await owner.call.timelines.interchange({ documentId: doc.id, format: 'edl' })
  assert.equal(parseCmx3600(empty.text).events, [])
  // An asset of another project (here: of nobody) is refused, naming the clip.
  await edit(doc.id, (d) => {
    timeline.insertClip(d, {
      at: { index: 0 },
      assetId: crypto.randomUUID(),
      sourceIn: 0,
      sourceOut: 10,
      label: 'Opening titles',
    })
  })
  for (const format of ['otio', 'edl', 'fcpxml'] as const) {
    const e = await failure(owner.call.timelines.interchange({ documentId: doc.id, format }))
    assert.is(codeOf(e), 'BAD_INPUT')
    assert.match(e.message, /The clip "Opening titles" refers to an asset that is not in this project/)
  }
  // More storyline items than CMX3600 numbers: the EDL is refused with what to download instead; OTIO is fine.
  const long = await owner.call.documents.create({ projectId: project.id, kind: 'timeline', title: 'Long' })
  const asset = await addAsset(org.id, project.id, 'long.mov', 100_000)
  await edit(long.id, (d) => {
    for (let i = 0; i < 1000; i++)
      timeline.insertClip(d, { at: { index: i }, assetId: asset, sourceIn: i, sourceOut: i + 2 })
  })
  const tooMany = await failure(owner.call.timelines.interchange({ documentId: long.id, format: 'edl' }))
  assert.is(codeOf(tooMany), 'PAYLOAD_TOO_LARGE')
  assert.match(tooMany.message, /at most 999 events and this storyline has 1000; download OTIO or FCPXML/)
  assert.is(
    readOtio((await owner.call.timelines.interchange({ documentId: long.id, format: 'otio' })).text).tracks[0]!.items
      .length,
    1000,
  )

  const bad = await failure(owner.call.timelines.interchange({ documentId: doc.id, format: 'aaf' as 'otio' }))
  assert.match(bad.message, /otio|edl|fcpxml/)
})

test.run()
