/**
 * `finding.created` from collab, on a real server and Postgres: a finding drawn by a client queues exactly one
 * delivery per subscribed endpoint and inserts its `qa_findings` row; further edits, reconnects and a reload
 * queue nothing more; a frame-diff suggestion is announced when a person accepts it, never while pending or once
 * dismissed; documents that are no review's qa document queue nothing; a blocked outbox never holds up the edit.
 */
import { documentName, qa } from '@cutroom/schema'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as Y from 'yjs'
import { type CollabFixture, createCollabFixture, waitFor } from '../createCollabFixture'

let f: CollabFixture
let reviewId: string
let hookId: string
/** A qa document that belongs to no review. */
let looseQaDoc: string

interface Delivery {
  id: string
  webhook_id: string
  org_id: string
  event: string
  status: string
  payload: { type: string; timestamp: string; data: Record<string, unknown> }
}

test.before(async () => {
  f = await createCollabFixture()
  const [asset] = await f.sql<{ id: string }[]>`
    insert into assets (org_id, project_id, filename, content_type, size, status, storage_key, stack_id)
    values (${f.orgId}, ${f.projectId}, 'a.mov', 'video/quicktime', 1, 'ready', 'k', gen_random_uuid()) returning id`
  const [review] = await f.sql<{ id: string }[]>`
    insert into reviews (org_id, project_id, asset_id, title, qa_document_id, workflow_document_id)
    values (${f.orgId}, ${f.projectId}, ${asset!.id}, 'Review', ${f.docs.qa}, ${f.docs['qa-workflow']}) returning id`
  reviewId = review!.id
  const [hook] = await f.sql<{ id: string }[]>`
    insert into webhooks (org_id, url, events, secret_ciphertext)
    values (${f.orgId}, 'https://hooks.example.com/a', ${['finding.created', 'finding.assigned']}, 'x') returning id`
  hookId = hook!.id
  // Neither of these gets finding.created: one is disabled, one subscribes to something else.
  await f.sql`insert into webhooks (org_id, url, events, secret_ciphertext, enabled)
    values (${f.orgId}, 'https://hooks.example.com/off', ${['finding.created']}, 'x', false)`
  await f.sql`insert into webhooks (org_id, url, events, secret_ciphertext)
    values (${f.orgId}, 'https://hooks.example.com/other', ${['review.approved']}, 'x')`
  const [loose] = await f.sql<{ id: string }[]>`
    insert into documents (project_id, kind, title) values (${f.projectId}, 'qa', 'loose') returning id`
  looseQaDoc = loose!.id
})
test.after(async () => {
  await f.close()
})

async function deliveries(findingId?: string): Promise<Delivery[]> {
  return f.sql<Delivery[]>`
    select id, webhook_id, org_id, event, status, payload from webhook_deliveries
    where event = 'finding.created' and (${findingId ?? null}::text is null or payload->'data'->>'findingId' = ${findingId ?? null}::text)
    order by created_at`
}

/** Waits until the server has written every event it started on, so a count that stays put is meaningful. */
const idle = () => f.collab.findingEvents.whenIdle()

function addFinding(doc: Y.Doc, title: string): string {
  return qa.addFinding(doc, {
    title,
    severity: 'high',
    versionA: 'a',
    versionB: 'b',
    frame: 12,
    frameEnd: 20,
    author: 'ed',
  })
}

test('a drawn finding queues one finding.created and inserts its qa_findings row; edits, reconnects and a reload queue no second', async () => {
  const editor = await f.connect(f.docs.qa, f.sessions.editor)
  const id = addFinding(editor.doc, 'Dead pixel')
  await editor.settled()
  await waitFor(async () => (await deliveries(id)).length > 0, 15_000, 'the finding.created delivery')
  const [d, ...more] = await deliveries(id)
  assert.is(more.length, 0, 'one delivery: only the enabled endpoint subscribed to finding.created')
  assert.is(d!.webhook_id, hookId)
  assert.is(d!.org_id, f.orgId)
  assert.is(d!.status, 'pending')
  assert.match(d!.id, /^msg_[A-Za-z0-9_-]{24}$/)
  assert.is(d!.payload.type, 'finding.created')
  assert.ok(!Number.isNaN(Date.parse(d!.payload.timestamp)))
  assert.equal(d!.payload.data, {
    reviewId,
    findingId: id,
    projectId: f.projectId,
    status: 'open',
    assigneeId: null,
    due: null,
    title: 'Dead pixel',
    severity: 'high',
  })
  const rows = await f.sql`
    select org_id, project_id, status, assignee_id, due, title, severity, frame, frame_end, event_count
    from qa_findings where review_id = ${reviewId} and finding_id = ${id}`
  assert.equal(
    { ...rows[0] },
    {
      org_id: f.orgId,
      project_id: f.projectId,
      status: 'open',
      assignee_id: null,
      due: null,
      title: 'Dead pixel',
      severity: 'high',
      frame: 12,
      frame_end: 20,
      event_count: 0,
    },
  )

  // Further edits of the finding and of others' documents.
  qa.addShape(editor.doc, id, { type: 'rect', x: 0.1, y: 0.1, w: 0.2, h: 0.2, author: 'ed' })
  qa.addComment(editor.doc, id, { author: 'ed', text: 'see frame 14' })
  ;(qa.findingsOf(editor.doc).get(id) as Y.Map<unknown>).set('title', 'Dead pixel, top left')
  await editor.settled()
  await idle()
  assert.is((await deliveries(id)).length, 1, 'edits queue nothing')

  // The same client reconnects with its whole state (its sync step 2 carries the finding again).
  const state = editor.doc
  editor.destroy()
  const again = await f.connect(f.docs.qa, f.sessions.editor, { document: state })
  await again.settled()
  // Another client sees it, then the server reloads the document from the log.
  const other = await f.connect(f.docs.qa, f.sessions.admin)
  assert.ok(qa.findingsOf(other.doc).has(id))
  other.destroy()
  again.destroy()
  await idle()
  await f.restart()
  const reloaded = await f.connect(f.docs.qa, f.sessions.owner)
  assert.ok(qa.findingsOf(reloaded.doc).has(id))
  ;(qa.findingsOf(reloaded.doc).get(id) as Y.Map<unknown>).set('severity', 'critical')
  await reloaded.settled()
  await idle()
  reloaded.destroy()
  assert.is((await deliveries(id)).length, 1, 'reconnects and a reload queue nothing')
  const [{ n }] = (await f.sql`select count(*)::int as n from qa_findings where finding_id = ${id}`) as unknown as [
    { n: number },
  ]
  assert.is(n, 1)
})

test('a suggested finding is announced when a person accepts it, not while pending, never once dismissed', async () => {
  const dc = await f.collab.hocuspocus.openDirectConnection(documentName(f.docs.qa), {})
  const suggestion = (id: string) => ({
    id,
    title: `Frame diff ${id}`,
    versionA: 'a',
    versionB: 'b',
    frame: 40,
    frameEnd: 48,
    region: null,
    jobId: 'job-1',
    score: 0.4,
  })
  await dc.transact((doc) => {
    qa.addSuggestedFinding(doc, suggestion('sug-accept'))
    qa.addSuggestedFinding(doc, suggestion('sug-dismiss'))
  })
  await dc.disconnect()
  const editor = await f.connect(f.docs.qa, f.sessions.editor)
  assert.ok(qa.findingsOf(editor.doc).has('sug-accept'))
  await idle()
  assert.is((await deliveries('sug-accept')).length, 0, 'a pending suggestion is not a finding yet')
  assert.is((await f.sql`select 1 from qa_findings where finding_id = 'sug-accept'`).length, 0)

  qa.resolveSuggestion(editor.doc, 'sug-dismiss', 'dismissed')
  qa.resolveSuggestion(editor.doc, 'sug-accept', 'accepted')
  await editor.settled()
  await waitFor(async () => (await deliveries('sug-accept')).length > 0, 15_000, 'the accepted suggestion')
  const [d] = await deliveries('sug-accept')
  assert.is(d!.payload.data.title, 'Frame diff sug-accept')
  assert.is(d!.payload.data.severity, 'medium')
  await idle()
  assert.is((await deliveries('sug-accept')).length, 1)
  assert.is((await deliveries('sug-dismiss')).length, 0, 'a dismissed suggestion is never announced')
  editor.destroy()
})

test('documents that are no review’s qa document queue nothing', async () => {
  const before = (await deliveries()).length
  const [{ n: rowsBefore }] = (await f.sql`select count(*)::int as n from qa_findings`) as unknown as [{ n: number }]
  const loose = await f.connect(looseQaDoc, f.sessions.editor)
  const looseId = addFinding(loose.doc, 'Not in a review')
  await loose.settled()
  const timeline = await f.connect(f.docs.timeline, f.sessions.editor)
  // A map called `findings` in a document of another kind is nobody's finding.
  const m = new Y.Map<unknown>()
  m.set('title', 'x')
  timeline.doc.getMap('findings').set('tl-1', m)
  await timeline.settled()
  await idle()
  // A finding in the review's document afterwards is announced: the two above were seen and skipped.
  const editor = await f.connect(f.docs.qa, f.sessions.editor)
  const id = addFinding(editor.doc, 'After')
  await editor.settled()
  await waitFor(async () => (await deliveries(id)).length === 1, 15_000, 'the later finding')
  await idle()
  assert.is((await deliveries()).length, before + 1)
  assert.is((await deliveries(looseId)).length, 0)
  const [{ n: rowsAfter }] = (await f.sql`select count(*)::int as n from qa_findings`) as unknown as [{ n: number }]
  assert.is(rowsAfter, rowsBefore + 1)
  loose.destroy()
  timeline.destroy()
  editor.destroy()
})

test('a finding whose qa_findings row exists already is not announced again: whoever inserts the row first does', async () => {
  // The api's upsert at a workflow action got there first (eventCount 3).
  await f.sql`insert into qa_findings (review_id, finding_id, org_id, project_id, status, title, severity, frame, frame_end, event_count)
    values (${reviewId}, 'api-first', ${f.orgId}, ${f.projectId}, 'in_progress', 'From the api', 'low', 1, 2, 3)`
  const editor = await f.connect(f.docs.qa, f.sessions.editor)
  qa.addFinding(editor.doc, { id: 'api-first', title: 'Drawn', versionA: 'a', versionB: 'b', frame: 1, author: 'ed' })
  const control = addFinding(editor.doc, 'Control')
  await editor.settled()
  await waitFor(async () => (await deliveries(control)).length === 1, 15_000, 'the control finding')
  await idle()
  assert.is((await deliveries('api-first')).length, 0)
  const [row] = await f.sql`select status, title, event_count from qa_findings where finding_id = 'api-first'`
  assert.equal({ ...row }, { status: 'in_progress', title: 'From the api', event_count: 3 }, 'the row is left alone')
  editor.destroy()
})

test('a blocked outbox does not hold up the edit: the change is acknowledged, the event follows', async () => {
  const lock = await f.sql.reserve()
  try {
    await lock`begin`
    // Blocks inserts into webhook_deliveries (not reads) until the transaction ends.
    await lock`lock table webhook_deliveries in exclusive mode`
    const editor = await f.connect(f.docs.qa, f.sessions.editor)
    const id = addFinding(editor.doc, 'While locked')
    await editor.settled()
    const other = await f.connect(f.docs.qa, f.sessions.viewer)
    assert.ok(qa.findingsOf(other.doc).has(id), 'others get the change')
    const queued = await lock`select 1 from webhook_deliveries where payload->'data'->>'findingId' = ${id}`
    assert.is(queued.length, 0, 'the event is still waiting for the lock')
    await lock`commit`
    await waitFor(async () => (await deliveries(id)).length === 1, 15_000, 'the event after the lock')
    editor.destroy()
    other.destroy()
  } finally {
    await lock`rollback`.catch(() => {})
    lock.release()
  }
})

test.run()
