/**
 * The qa-workflow document on a real collab server: clients of every role get a read-only connection and their
 * forged writes never land; `qa-workflow-op` patches (what the api's qa.* mutations send over NATS) apply with
 * the qaWorkflow model against the live document, reach open clients live, and refuse what does not apply.
 */
import { startTestNats, type TestNats } from '@cutroom/infra'
import { type DocPatchReply, type DocPatchRequest, qa, qaWorkflow, ROLES, Subjects } from '@cutroom/schema'
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

async function patch(docId: string, request: DocPatchRequest): Promise<DocPatchReply> {
  const reply = await nc.request(Subjects.docPatch(docId), JSON.stringify(request), { timeout: 5000 })
  return reply.json<DocPatchReply>()
}

async function rowCount(docId: string): Promise<number> {
  const [r] = await f.sql<{ n: number }[]>`select count(*)::int as n from doc_updates where doc_id = ${docId}`
  return r!.n
}

/** A finding created by an editor in the qa document, the way the review room does. */
async function newFinding(title: string): Promise<string> {
  const editor = await f.connect(f.docs.qa, f.sessions.editor)
  const id = qa.addFinding(editor.doc, { title, versionA: 'a', versionB: 'b', frame: 12, frameEnd: 20, author: 'ed' })
  await editor.settled()
  editor.destroy()
  return id
}

let events = 0
function op(findingId: string, o: Extract<DocPatchRequest, { type: 'qa-workflow-op' }>['op'], extra = {}) {
  return {
    type: 'qa-workflow-op' as const,
    qaDocumentId: f.docs.qa,
    findingId,
    eventId: `e${++events}`,
    actor: f.userIds.editor,
    actorUserId: f.userIds.editor,
    op: o,
    ...extra,
  }
}

test('every role, by session or API key, gets a read-only qa-workflow connection; a forged write never lands', async () => {
  for (const role of ROLES)
    for (const token of [f.sessions[role], f.apiKeys[role]]) {
      const result = await f.attempt(f.docs['qa-workflow'], token)
      assert.ok(result.synced, role)
      assert.is(result.readOnly, true, `${role} is read-only on qa-workflow`)
    }
  const docId = f.docs['qa-workflow']
  const owner = await f.connect(docId, f.sessions.owner)
  const watcher = await f.connect(docId, f.sessions.viewer)
  const before = await rowCount(docId)
  // The owner's client forges a workflow change: approve a finding without going through qa.transition.
  const forged = new Y.Map<unknown>()
  forged.set('status', 'approved')
  owner.doc.getMap('findings').set('forged', forged)
  owner.doc.getArray('events').push([{ id: 'x', type: 'approve', actor: 'me', findingId: 'forged' }])
  await new Promise((r) => setTimeout(r, 300))
  assert.ok(owner.provider.unsyncedChanges > 0, 'the forged write is never acknowledged')
  assert.is(await rowCount(docId), before, 'nothing reaches the update log')
  assert.not.ok(watcher.doc.getMap('findings').has('forged'), 'nobody else sees it')
  owner.destroy()
  watcher.destroy()
  // A fresh load from Postgres does not have it either.
  const reader = await f.connect(docId, f.sessions.admin)
  assert.not.ok(reader.doc.getMap('findings').has('forged'))
  assert.is(qaWorkflow.eventsOf(reader.doc).length, 0)
  reader.destroy()
})

test('workflow ops apply live and durably, refuse invalid transitions, unknown findings and non-assignees', async () => {
  const docId = f.docs['qa-workflow']
  const findingId = await newFinding('Flash frame at the cut')
  const watcher = await f.connect(docId, f.sessions.viewer)

  const assigned = await patch(docId, op(findingId, { kind: 'assign', assignee: f.userIds.reviewer }))
  assert.ok(assigned.ok)
  assert.equal(assigned.ok && assigned.workflow, {
    status: 'open',
    assignee: f.userIds.reviewer,
    due: null,
    eventCount: 1,
    finding: { title: 'Flash frame at the cut', severity: 'medium', frame: 12, frameEnd: 20 },
  })
  await waitFor(() => qaWorkflow.getWorkflow(watcher.doc, findingId).assignee === f.userIds.reviewer, 3000, 'live')

  const due = await patch(docId, op(findingId, { kind: 'set_due', due: '2030-01-31' }))
  assert.is(due.ok && due.workflow?.due, '2030-01-31')

  // Approving an open finding does not apply: INVALID_STATE, and nothing is written.
  const rows = await rowCount(docId)
  const early = await patch(docId, op(findingId, { kind: 'transition', action: 'approve' }))
  assert.is(!early.ok && early.code, 'INVALID_STATE')
  assert.match(!early.ok ? early.message : '', /Cannot approve a finding that is open/)
  assert.is(await rowCount(docId), rows)

  // Only the assignee may start when the api asks for that condition.
  const notAssignee = await patch(
    docId,
    op(findingId, { kind: 'transition', action: 'start' }, { onlyIfAssignee: f.userIds.editor }),
  )
  assert.is(!notAssignee.ok && notAssignee.code, 'FORBIDDEN_ROLE')
  assert.is(await rowCount(docId), rows)
  const started = op(findingId, { kind: 'transition', action: 'start' }, { onlyIfAssignee: f.userIds.reviewer })
  const startReply = await patch(docId, started)
  assert.is(startReply.ok && startReply.workflow?.status, 'in_progress')
  assert.is(await rowCount(docId), rows + 1)
  // The same event again (a retried request) changes nothing.
  const again = await patch(docId, started)
  assert.ok(again.ok && !again.changed)
  assert.is(await rowCount(docId), rows + 1)

  const unknown = await patch(docId, op('no-such-finding', { kind: 'assign', assignee: null }))
  assert.is(!unknown.ok && unknown.code, 'NOT_FOUND')
  const wrongKind = await patch(f.docs.timeline, op(findingId, { kind: 'assign', assignee: null }))
  assert.is(!wrongKind.ok && wrongKind.code, 'BAD_INPUT')

  await waitFor(() => qaWorkflow.getWorkflow(watcher.doc, findingId).status === 'in_progress', 3000, 'status live')
  assert.equal(
    qaWorkflow.listEvents(watcher.doc, findingId).map((e) => e.type),
    ['assign', 'set_due', 'start'],
  )
  watcher.destroy()
})

test('concurrent transitions of one finding serialize in the live document: one submit wins, the other is refused', async () => {
  const docId = f.docs['qa-workflow']
  const findingId = await newFinding('Colour shift')
  assert.ok((await patch(docId, op(findingId, { kind: 'transition', action: 'start' }))).ok)
  const replies = await Promise.all(
    Array.from({ length: 6 }, () => patch(docId, op(findingId, { kind: 'transition', action: 'submit' }))),
  )
  assert.is(replies.filter((r) => r.ok).length, 1, JSON.stringify(replies))
  assert.ok(replies.filter((r) => !r.ok).every((r) => !r.ok && r.code === 'INVALID_STATE'))
  const reader = await f.connect(docId, f.sessions.viewer)
  assert.is(qaWorkflow.getWorkflow(reader.doc, findingId).status, 'ready_for_review')
  assert.is(qaWorkflow.listEvents(reader.doc, findingId).filter((e) => e.type === 'submit').length, 1)
  reader.destroy()
})

test.run()
