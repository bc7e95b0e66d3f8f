import { tables, timeline } from '@cutroom/schema'
import { eq } from 'drizzle-orm'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as Y from 'yjs'
import { createTestApi, type TestApi } from '../testing/createTestApi'

let api: TestApi

test.before(async () => {
  api = await createTestApi()
})

test.after(async () => {
  await api?.close()
})

async function logOf(docId: string): Promise<Y.Doc> {
  const rows = await api.services.db.select().from(tables.docUpdates).where(eq(tables.docUpdates.docId, docId))
  const doc = new Y.Doc()
  for (const row of rows) Y.applyUpdate(doc, row.update)
  return doc
}

test("a new timeline is born at its project's frame rate and sample rate, on top of the model's genesis", async () => {
  const anon = await api.caller()
  const { token } = await anon.auth.signUp({
    email: `fps${Date.now()}@example.com`,
    password: 'correct horse 42',
    name: 'Ed',
  })
  const call = await api.caller(token)
  const org = await call.orgs.create({ name: 'Studio' })
  const pal = await call.projects.create({ orgId: org.id, name: 'PAL', fpsNum: 25, fpsDen: 1, sampleRate: 44100 })
  const cut = await call.documents.create({ projectId: pal.id, kind: 'timeline', title: 'Cut' })
  const doc = await logOf(cut.id)
  assert.equal(timeline.getMeta(doc).fps, { num: 25, den: 1 })
  assert.is(timeline.getMeta(doc).sampleRate, 44100)
  // the collab server's load applies the genesis again: a no-op, the project's rate stays, one storyline
  Y.applyUpdate(doc, timeline.genesis())
  assert.equal(timeline.getMeta(doc).fps, { num: 25, den: 1 })
  assert.is(timeline.validate(doc).length, 0, 'a valid timeline')
  assert.is(timeline.tracksOf(doc).length, 1)

  const plain = await call.projects.create({ orgId: org.id, name: 'Default' })
  assert.equal(
    timeline.getMeta(
      await logOf((await call.documents.create({ projectId: plain.id, kind: 'timeline', title: 'A' })).id),
    ).fps,
    {
      num: 30,
      den: 1,
    },
  )
  const transcript = await call.documents.create({ projectId: plain.id, kind: 'transcript', title: 'T' })
  assert.is((await logOf(transcript.id)).share.size, 0, 'other kinds start empty, as before')
})

test.run()
