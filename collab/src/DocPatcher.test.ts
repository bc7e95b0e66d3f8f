import { startTestNats, type TestNats } from '@cutroom/infra'
import {
  createUserUndoManager,
  type DocPatchReply,
  type DocPatchRequest,
  LOCAL_ORIGIN,
  qa,
  retell,
  Streams,
  Subjects,
  timeline,
  transcript,
} from '@cutroom/schema'
import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import { connect } from '@nats-io/transport-node'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as Y from 'yjs'
import { type CollabFixture, createCollabFixture, waitFor } from './createCollabFixture'

let nats: TestNats
let nc: NatsConnection
let f: CollabFixture

test.before(async () => {
  nats = await startTestNats()
  f = await createCollabFixture({ NATS_URL: nats.url })
  nc = await connect({ servers: nats.url })
})
test.after(async () => {
  await nc.close()
  await f.close()
  await nats.stop()
})

async function patch(docId: string, request: DocPatchRequest | Record<string, unknown>): Promise<DocPatchReply> {
  const reply = await nc.request(Subjects.docPatch(docId), JSON.stringify(request), { timeout: 5000 })
  return reply.json<DocPatchReply>()
}

async function rowCount(docId: string): Promise<number> {
  const [r] = await f.sql<{ n: number }[]>`select count(*)::int as n from doc_updates where doc_id = ${docId}`
  return r!.n
}

test('an api patch reaches every client live, is durable, and applying it twice changes nothing', async () => {
  const docId = f.docs.qa
  const client = await f.connect(docId, f.sessions.editor)
  const scratch = new Y.Doc()
  scratch.getMap('overlays').set('a|b', { key: 'diff.mp4' })
  const update = Buffer.from(Y.encodeStateAsUpdate(scratch)).toString('base64')
  const before = await rowCount(docId)
  assert.equal(await patch(docId, { type: 'yjs-update', update }), { ok: true, changed: true })
  assert.is(await rowCount(docId), before + 1)
  await waitFor(() => client.doc.getMap('overlays').has('a|b'), 3000, 'the patch at the client')
  assert.equal(await patch(docId, { type: 'yjs-update', update }), { ok: true, changed: false })
  assert.is(await rowCount(docId), before + 1)
  client.destroy()
})

test("a user's undo never undoes a server patch", async () => {
  const docId = f.docs.qa
  const client = await f.connect(docId, f.sessions.editor)
  const findings = client.doc.getMap('findings')
  const undo = createUserUndoManager([findings, client.doc.getMap('overlays')])
  // Real findings: collab refuses qa changes the model's validator rejects.
  const finding = (id: string, title: string) => ({ id, title, versionA: 'a', versionB: 'b', frame: 0, author: 'x' })
  qa.addFinding(client.doc, finding('mine', 'my finding'), LOCAL_ORIGIN)
  await client.settled()
  const scratch = new Y.Doc()
  qa.addFinding(scratch, finding('server', 'from the api'))
  await patch(docId, { type: 'yjs-update', update: Buffer.from(Y.encodeStateAsUpdate(scratch)).toString('base64') })
  await waitFor(() => findings.has('server'), 3000, 'patch')
  undo.undo()
  assert.not.ok(findings.has('mine'), 'my edit is undone')
  assert.is(qa.getFinding(client.doc, 'server')?.title, 'from the api', 'the server patch stays')
  await client.settled()
  undo.destroy()
  client.destroy()
})

test('bad patch requests get a clear error and change nothing', async () => {
  const docId = f.docs.qa
  const before = await rowCount(docId)
  const bad = await patch(docId, { type: 'yjs-update', update: Buffer.from([1, 2, 3, 4, 5]).toString('base64') })
  assert.equal(bad.ok ? null : bad.code, 'BAD_INPUT')
  const unknownType = await patch(docId, { type: 'drop-table' })
  assert.equal(unknownType.ok ? null : unknownType.code, 'BAD_INPUT')
  const missing = await patch(crypto.randomUUID(), { type: 'create-version', name: 'x' })
  assert.equal(missing.ok ? null : missing.code, 'NOT_FOUND')
  const otherDocsVersion = await patch(docId, { type: 'restore-version', versionId: crypto.randomUUID() })
  assert.equal(otherDocsVersion.ok ? null : otherDocsVersion.code, 'NOT_FOUND')
  assert.is(await rowCount(docId), before)
})

test('versions: restore applies the difference live as a new change, and restoring the checkpoint undoes it', async () => {
  const docId = f.docs.timeline
  const editor = await f.connect(docId, f.sessions.editor)
  const watcher = await f.connect(docId, f.sessions.viewer)
  const d = editor.doc
  const a = timeline.insertClip(d, { at: { index: 0 }, assetId: 'asset-a', sourceIn: 0, sourceOut: 100 })
  timeline.insertClip(d, { at: { index: 1 }, assetId: 'asset-b', sourceIn: 0, sourceOut: 50 })
  await editor.settled()
  const layout = () => timeline.storylineLayout(d).map((i) => i.id)
  const v1Layout = layout()
  const created = await patch(docId, { type: 'create-version', name: 'Rough cut', actorUserId: f.userIds.editor })
  assert.ok(created.ok && created.versionId)
  const [stored] =
    await f.sql`select name, created_by from doc_versions where id = ${created.ok ? created.versionId! : ''}`
  assert.equal({ ...stored }, { name: 'Rough cut', created_by: f.userIds.editor })

  timeline.rippleDelete(d, [a])
  timeline.insertClip(d, { at: { index: 1 }, assetId: 'asset-c', sourceIn: 10, sourceOut: 20 })
  await editor.settled()
  const editedLayout = layout()
  const rowsBefore = await rowCount(docId)

  const restored = await patch(docId, { type: 'restore-version', versionId: created.ok ? created.versionId! : '' })
  assert.ok(restored.ok && restored.changed && restored.undoVersionId)
  await waitFor(() => JSON.stringify(layout()) === JSON.stringify(v1Layout), 3000, 'restore at the editor')
  await waitFor(
    () => JSON.stringify(timeline.storylineLayout(watcher.doc).map((i) => i.id)) === JSON.stringify(v1Layout),
    3000,
    'restore at the watcher',
  )
  assert.equal(timeline.validate(d), [])
  assert.ok((await rowCount(docId)) > rowsBefore, 'history grows, it is never rewritten')

  const undone = await patch(docId, { type: 'restore-version', versionId: restored.ok ? restored.undoVersionId! : '' })
  assert.ok(undone.ok && undone.changed)
  await waitFor(() => JSON.stringify(layout()) === JSON.stringify(editedLayout), 3000, 'undo of the restore')
  // Restoring the same content again changes nothing.
  const again = await patch(docId, { type: 'restore-version', versionId: restored.ok ? restored.undoVersionId! : '' })
  assert.ok(again.ok && !again.changed)
  editor.destroy()
  watcher.destroy()
})

test('job results set artifact references into the timelines that use the asset, once', async () => {
  const docId = f.docs.timeline
  const [unrelated] = await f.sql<{ id: string }[]>`
    insert into documents (project_id, kind, title) values (${f.projectId}, 'timeline', 'other cut') returning id`
  const editor = await f.connect(docId, f.sessions.editor)
  const other = await f.connect(unrelated!.id, f.sessions.editor)
  const assetId = crypto.randomUUID()
  timeline.insertClip(editor.doc, { at: { index: 0 }, assetId, sourceIn: 0, sourceOut: 24 })
  await editor.settled()
  const event = {
    jobId: crypto.randomUUID(),
    kind: 'transcode',
    status: 'succeeded',
    orgId: f.orgId,
    projectId: f.projectId,
    assetId,
    attempt: 1,
    artifacts: [
      {
        id: crypto.randomUUID(),
        slot: 'hls',
        key: `orgs/x/hls/index.m3u8`,
        contentType: 'application/vnd.apple.mpegurl',
        size: 10,
        metadata: {},
      },
    ],
    usage: [],
    at: new Date().toISOString(),
  }
  const js = jetstream(nc)
  await js.publish(Subjects.event('transcode', 'succeeded'), JSON.stringify(event))
  await waitFor(() => timeline.getArtifact(editor.doc, assetId, 'hls') !== null, 5000, 'artifact at the client')
  assert.is(timeline.getArtifact(editor.doc, assetId, 'hls')!.key, 'orgs/x/hls/index.m3u8')
  const rows = await rowCount(docId)
  // The same result again (a redelivery or a duplicate publish): processed, but nothing changes.
  await js.publish(Subjects.event('transcode', 'succeeded'), JSON.stringify(event))
  const jsm = await jetstreamManager(nc)
  await waitFor(
    async () => {
      const info = await jsm.consumers.info(Streams.EVENTS, 'collab-artifacts')
      return info.delivered.stream_seq >= 2 && info.num_ack_pending === 0 && info.num_pending === 0
    },
    5000,
    'second event consumed',
  )
  assert.is(await rowCount(docId), rows)
  assert.is(timeline.artifactsOf(other.doc).size, 0, 'a timeline without the asset is untouched')
  editor.destroy()
  other.destroy()
})

/** Waits until the collab server has consumed and acknowledged every event on the stream so far. */
async function eventsConsumed(): Promise<void> {
  const jsm = await jetstreamManager(nc)
  await waitFor(
    async () => {
      const [stream, info] = await Promise.all([
        jsm.streams.info(Streams.EVENTS),
        jsm.consumers.info(Streams.EVENTS, 'collab-artifacts'),
      ])
      return info.delivered.stream_seq >= stream.state.last_seq && info.num_ack_pending === 0 && info.num_pending === 0
    },
    5000,
    'events consumed',
  )
}

function framediffEvent(documentId: string, projectId = f.projectId) {
  const assetA = crypto.randomUUID()
  const assetB = crypto.randomUUID()
  const jobId = crypto.randomUUID()
  const artifact = (slot: string, file: string) => ({
    id: crypto.randomUUID(),
    slot,
    key: `orgs/${f.orgId}/projects/${projectId}/assets/${assetB}/artifacts/x/${file}`,
    contentType: 'application/json',
    size: 100,
    metadata:
      slot === 'framediff-heatmap'
        ? {
            sheets: ['heatmap_00000.png'],
            tileWidth: 160,
            tileHeight: 90,
            columns: 10,
            rows: 10,
            framesPerSheet: 100,
            count: 100,
          }
        : {},
  })
  const version = (assetId: string) => ({ assetId, frames: 100, fps: { num: 25, den: 1 }, width: 640, height: 360 })
  return {
    jobId,
    kind: 'framediff',
    status: 'succeeded',
    orgId: f.orgId,
    projectId,
    attempt: 1,
    artifacts: [
      artifact('framediff-scores', 'scores.json'),
      artifact('framediff-heatmap', 'index.json'),
      artifact('framediff-regions', 'regions.json'),
    ],
    usage: [],
    result: {
      documentId,
      versionA: version(assetA),
      versionB: version(assetB),
      compared: { from: 0, to: 99, frames: 100, fps: { num: 25, den: 1 }, width: 640, height: 360 },
      resampled: false,
      rescaled: false,
      lengthsDiffer: false,
      notes: [],
      summary: { meanSsim: 0.99, minSsim: 0.93, worstFrame: 47, framesBelowThreshold: 20, threshold: 0.98 },
      suggestions: [
        {
          id: crypto.randomUUID(),
          frame: 40,
          frameEnd: 59,
          worstFrame: 47,
          worstSsim: 0.93,
          region: { x: 0.62, y: 0.15, w: 0.26, h: 0.36 },
        },
        { id: crypto.randomUUID(), frame: 80, frameEnd: 81, worstFrame: 80, worstSsim: 0.75, region: null },
      ],
      provider: 'cpu',
    },
    at: new Date().toISOString(),
  }
}

async function newQaDocument(): Promise<string> {
  const [row] = await f.sql<{ id: string }[]>`
    insert into documents (project_id, kind, title) values (${f.projectId}, 'qa', 'review of v2') returning id`
  return row!.id
}

test('a framediff result writes the overlay and suggested findings into its qa document, once', async () => {
  const docId = await newQaDocument()
  const reviewer = await f.connect(docId, f.sessions.reviewer)
  const event = framediffEvent(docId)
  const { versionA, versionB, suggestions } = event.result
  const js = jetstream(nc)
  await js.publish(Subjects.event('framediff', 'succeeded'), JSON.stringify(event))
  await waitFor(
    () => qa.getOverlay(reviewer.doc, versionA.assetId, versionB.assetId) !== null,
    5000,
    'overlay at the reviewer',
  )
  const overlay = qa.getOverlay(reviewer.doc, versionA.assetId, versionB.assetId)!
  const heatmap = event.artifacts[1]!
  assert.is(overlay.artifactId, heatmap.id)
  assert.is(overlay.key, heatmap.key)
  const meta = overlay.metadata as Record<string, { id?: string; key?: string; layout?: unknown } | unknown>
  assert.equal((meta.scores as { id: string }).id, event.artifacts[0]!.id)
  assert.equal((meta.regions as { key: string }).key, event.artifacts[2]!.key)
  assert.equal((meta.heatmap as { layout: unknown }).layout, heatmap.metadata)
  assert.equal(meta.summary, event.result.summary)
  assert.equal(meta.compared, event.result.compared)
  assert.is(meta.jobId, event.jobId)

  await waitFor(
    () => qa.listFindings(reviewer.doc).filter((x) => x.suggestion).length === 2,
    5000,
    'suggestions at the reviewer',
  )
  const found = qa.listFindings(reviewer.doc).filter((x) => x.suggestion?.jobId === event.jobId)
  assert.equal(
    found.map((x) => [
      x.id,
      x.frame,
      x.frameEnd,
      x.severity,
      x.suggestion!.status,
      x.suggestion!.score,
      x.versionA,
      x.versionB,
    ]),
    [
      [suggestions[0]!.id, 40, 59, 'low', 'suggested', 0.93, versionA.assetId, versionB.assetId],
      [suggestions[1]!.id, 80, 81, 'high', 'suggested', 0.75, versionA.assetId, versionB.assetId],
    ],
  )
  assert.equal(found[0]!.region, suggestions[0]!.region)
  assert.match(found[0]!.title, /Frames 40-59 differ/)
  assert.equal(qa.validate(reviewer.doc), [])

  // a reviewer dismisses one; the same result delivered again changes nothing and does not bring it back
  qa.resolveSuggestion(reviewer.doc, suggestions[1]!.id, 'dismissed')
  await reviewer.settled()
  await eventsConsumed()
  const rows = await rowCount(docId)
  await js.publish(Subjects.event('framediff', 'succeeded'), JSON.stringify(event))
  await eventsConsumed()
  assert.is(await rowCount(docId), rows, 'the same event twice writes nothing')
  assert.is(qa.getFinding(reviewer.doc, suggestions[1]!.id)!.suggestion!.status, 'dismissed')
  assert.is(qa.listFindings(reviewer.doc).filter((x) => x.suggestion?.jobId === event.jobId).length, 2)
  reviewer.destroy()
})

test('a framediff result naming a document that is not a qa document of its project patches nothing', async () => {
  const timelineRows = await rowCount(f.docs.timeline)
  const qaRows = await rowCount(f.docs.qa)
  const js = jetstream(nc)
  await js.publish(Subjects.event('framediff', 'succeeded'), JSON.stringify(framediffEvent(f.docs.timeline)))
  await js.publish(
    Subjects.event('framediff', 'succeeded'),
    JSON.stringify(framediffEvent(f.docs.qa, crypto.randomUUID())),
  )
  await js.publish(
    Subjects.event('framediff', 'succeeded'),
    JSON.stringify({ ...framediffEvent(f.docs.qa), result: { documentId: f.docs.qa } }),
  )
  await eventsConsumed()
  assert.is(await rowCount(f.docs.timeline), timelineRows)
  assert.is(await rowCount(f.docs.qa), qaRows)
})

test('transcript segments from a transcribe job land live as paragraphs in time order, once, in transcripts only', async () => {
  const docId = f.docs.transcript
  const client = await f.connect(docId, f.sessions.viewer)
  const assetId = '00000000-0000-4000-8000-000000000001'
  const segment = (start: number, words: string[]) => ({
    type: 'transcript-segment' as const,
    meta: { assetId, language: 'en', source: 'pocketsphinx', sampleRate: 48000 },
    segment: {
      speaker: 'Speaker 1',
      start,
      end: start + words.length * 9600,
      words: words.map((text, i) => ({
        text,
        start: start + i * 9600,
        end: start + (i + 1) * 9600 - 1,
        confidence: 0.8,
      })),
    },
  })
  assert.equal(await patch(docId, segment(96_000, ['second', 'one'])), { ok: true, changed: true })
  assert.equal(await patch(docId, segment(0, ['first', 'words'])), { ok: true, changed: true })
  await waitFor(() => transcript.readParagraphs(client.doc).length === 2, 10_000, 'both paragraphs at the client')
  assert.equal(
    transcript.readParagraphs(client.doc).map((p) => [p.start, p.text]),
    [
      [0, 'first words'],
      [96_000, 'second one'],
    ],
  )
  assert.is(transcript.getMeta(client.doc).sampleRate, 48000)
  assert.equal(transcript.readWords(client.doc)[2], {
    text: 'second',
    start: 96_000,
    end: 105_599,
    confidence: 0.8,
    paragraph: 1,
    offset: 0,
  })
  const before = await rowCount(docId)
  assert.equal(await patch(docId, segment(96_000, ['second', 'one'])), { ok: true, changed: false })
  assert.is(await rowCount(docId), before, 'a repeated segment writes nothing')
  const wrong = await patch(f.docs.timeline, segment(0, ['x']))
  assert.equal(wrong, {
    ok: false,
    code: 'BAD_INPUT',
    message: 'Transcript segments apply to transcript documents only.',
  })
  const bad = await patch(docId, {
    ...segment(200_000, ['a']),
    segment: {
      speaker: 'S',
      start: 200_000,
      end: 210_000,
      words: [{ text: 'two words', start: 200_000, end: 201_000, confidence: 1 }],
    },
  })
  assert.is(bad.ok, false)
  client.destroy()
})

test('a retell draft lands live after what a person is writing, once; discarding it removes only its blocks', async () => {
  const docId = f.docs.retell
  const editor = await f.connect(docId, f.sessions.editor)
  const viewer = await f.connect(docId, f.sessions.viewer)
  // the editor has written an opening; the draft comes in after it, and the editor goes on writing below it
  retell.addChapter(editor.doc, { title: 'My own opening' })
  await waitFor(() => retell.readBlocks(viewer.doc).length === 1, 10_000, 'the opening at the viewer')
  const assetId = '00000000-0000-4000-8000-000000000001'
  const draftId = '00000000-0000-4000-8000-0000000000d1'
  const draft = {
    type: 'retell-draft' as const,
    draftId,
    blocks: [
      { type: 'chapter' as const, title: 'Harbour', sources: [{ assetId, sourceIn: 0, sourceOut: 250 }] },
      { type: 'narration' as const, text: 'Boats come and go.' },
      { type: 'shot' as const, assetId, sourceIn: 10, sourceOut: 90, label: 'boats' },
    ],
  }
  assert.equal(await patch(docId, draft), { ok: true, changed: true })
  await waitFor(() => retell.draftIds(editor.doc).length === 1, 10_000, 'the draft at the editor')
  retell.addNarration(editor.doc, { text: 'My note after the draft arrived.' })
  const titles = (d: Y.Doc) => retell.readBlocks(d).map((b) => (b.type === 'chapter' ? b.title : b.type))
  await waitFor(
    () => retell.readBlocks(viewer.doc).length === 5,
    10_000,
    'the draft and both edits at the viewer',
  )
  assert.equal(titles(viewer.doc), ['My own opening', 'Harbour', 'narration', 'shot', 'narration'])
  assert.equal(retell.draftIds(viewer.doc), [draftId])
  assert.equal(await patch(docId, draft), { ok: true, changed: false }, 'a redelivered draft adds nothing')
  const wrong = await patch(f.docs.transcript, draft)
  assert.equal(wrong, { ok: false, code: 'BAD_INPUT', message: 'Drafts apply to retell documents only.' })

  assert.equal(await patch(docId, { type: 'retell-discard-draft', draftId }), { ok: true, changed: true, removed: 3 })
  await waitFor(() => retell.readBlocks(viewer.doc).length === 2, 10_000, 'the draft gone at the viewer')
  assert.equal(
    retell.readBlocks(viewer.doc).map((b) => (b.type === 'chapter' ? b.title : b.type === 'narration' ? b.text : b.type)),
    ['My own opening', 'My note after the draft arrived.'],
  )
  editor.destroy()
  viewer.destroy()
})

test('narration audio lands live in its block, marks later edits stale, and the linked timeline narration track follows', async () => {
  const [script] = await f.sql<{ id: string }[]>`
    insert into documents (project_id, kind, title) values (${f.projectId}, 'retell', 'script') returning id`
  const [cut] = await f.sql<{ id: string }[]>`
    insert into documents (project_id, kind, title) values (${f.projectId}, 'timeline', 'narrated cut') returning id`
  const writer = await f.connect(script!.id, f.sessions.editor)
  const watcher = await f.connect(script!.id, f.sessions.viewer)
  const cutClient = await f.connect(cut!.id, f.sessions.editor)
  timeline.insertClip(cutClient.doc, { at: { index: 0 }, assetId: crypto.randomUUID(), sourceIn: 0, sourceOut: 240 })
  await cutClient.settled()
  const first = retell.addNarration(writer.doc, { text: 'The first line.' })
  const second = retell.addNarration(writer.doc, { text: 'The second line.' })
  retell.setLinkedTimeline(writer.doc, cut!.id)
  await writer.settled()
  const fp = retell.narrationFingerprint('The first line.', 'narrator')
  const audio = (blockId: string, samples: number, artifactId = crypto.randomUUID()) => ({
    type: 'narration-audio' as const,
    blockId,
    artifactId,
    samples,
    sampleRate: 24_000,
    fingerprint: blockId === first ? fp : retell.narrationFingerprint('The second line.', 'narrator'),
  })
  const one = audio(first, 48_000)
  assert.equal(await patch(script!.id, one), { ok: true, changed: true })
  await waitFor(
    () => retell.readBlocks(watcher.doc).some((b) => b.type === 'narration' && b.duration === 96_000),
    5000,
    'the duration at the other client',
  )
  const block = () =>
    retell
      .readBlocks(watcher.doc)
      .find((b): b is Extract<retell.RetellBlock, { type: 'narration' }> => b.type === 'narration' && b.id === first)!
  assert.is(block().audioArtifactId, one.artifactId)
  assert.is(retell.isNarrationStale(block()), false)
  // the timeline's narration track follows: one item at the storyline's start, 2 s at 24 fps
  const narrationItems = () => {
    const track = timeline.getTracks(cutClient.doc).find((t) => t.kind === 'narration')
    return track ? timeline.anchoredLayout(cutClient.doc).filter((i) => i.trackId === track.id) : []
  }
  await waitFor(() => narrationItems().length === 1, 5000, 'the narration item on the timeline')
  const fps = timeline.getMeta(cutClient.doc).fps
  const frames = (seconds: number) => Math.ceil((seconds * fps.num) / fps.den)
  assert.equal(
    narrationItems().map((i) => [i.id, i.start, i.duration, i.artifactId, i.text]),
    [[first, 0, frames(2), one.artifactId, 'The first line.']],
  )
  const two = audio(second, 24_000)
  assert.equal(await patch(script!.id, two), { ok: true, changed: true })
  await waitFor(() => narrationItems().length === 2, 5000, 'the second item')
  assert.equal(
    narrationItems().map((i) => [i.id, i.start, i.duration]),
    [
      [first, 0, frames(2)],
      [second, frames(2), frames(1)],
    ],
  )
  // the same audio again changes nothing anywhere
  const rows = [await rowCount(script!.id), await rowCount(cut!.id)]
  assert.equal(await patch(script!.id, one), { ok: true, changed: false })
  assert.equal([await rowCount(script!.id), await rowCount(cut!.id)], rows)
  // an edit after synthesis makes the block stale
  const index = retell.readBlocks(writer.doc).findIndex((b) => b.type === 'narration' && b.id === first)
  retell.setBlockText(writer.doc, index, 'The first line, rewritten.')
  await waitFor(() => block().text === 'The first line, rewritten.', 5000, 'the edit at the other client')
  assert.is(retell.isNarrationStale(block()), true)
  // refusals: a block that is not there, a document that is not a script
  const missing = await patch(script!.id, audio('no-such-block', 10))
  assert.equal([missing.ok, !missing.ok && missing.code], [false, 'NOT_FOUND'])
  const wrong = await patch(cut!.id, one)
  assert.equal(wrong, { ok: false, code: 'BAD_INPUT', message: 'Narration audio applies to retell documents only.' })
  writer.destroy()
  watcher.destroy()
  cutClient.destroy()
})

test('word times from an align job re-time words live, leave words someone changed meanwhile, and repeat as a no-op', async () => {
  const docId = f.docs.transcript
  const client = await f.connect(docId, f.sessions.viewer)
  await waitFor(() => transcript.readParagraphs(client.doc).length > 0, 10_000, 'the transcript at the client')
  const [word] = transcript.readWords(client.doc)
  assert.ok(word, 'a word from the segment test')
  const paragraphStart = transcript.readParagraphs(client.doc)[word!.paragraph]!.start
  const times = {
    type: 'transcript-word-times' as const,
    paragraphStart,
    words: [
      {
        text: word!.text,
        from: { start: word!.start, end: word!.end },
        start: word!.start + 480,
        end: word!.end - 480,
        confidence: 1,
      },
      { text: 'gone', from: { start: 1, end: 2 }, start: 5, end: 6, confidence: 1 },
    ],
  }
  assert.equal(await patch(docId, times), { ok: true, changed: true })
  await waitFor(
    () => transcript.readWords(client.doc)[0]!.start === word!.start + 480,
    10_000,
    'the new time at the client',
  )
  assert.equal(
    [transcript.readWords(client.doc)[0]!.end, transcript.readWords(client.doc)[0]!.confidence],
    [word!.end - 480, 1],
  )
  const before = await rowCount(docId)
  assert.equal(await patch(docId, times), { ok: true, changed: false })
  assert.is(await rowCount(docId), before, 'the same times again write nothing')
  const wrong = await patch(f.docs.timeline, times)
  assert.equal(wrong, { ok: false, code: 'BAD_INPUT', message: 'Word times apply to transcript documents only.' })
  client.destroy()
})

test.run()
