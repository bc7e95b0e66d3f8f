/**
 * qa.* end to end: the real api over HTTP (with its NATS connection) and the collab server over one database.
 * Workflow changes are checked by role, applied by collab to the live qa-workflow document (seen live by open
 * clients), mirrored in qa_findings for qa.myFindings, audited, and exported as frame-accurate notes.
 */
import { type ApiClient, createApiClient } from '@cutroom/api'
import { type MediaTestApi, startMediaTestApi } from '@cutroom/api/testing'
import { type CollabServer, createCollabServer } from '@cutroom/collab'
import { qa, qaWorkflow, type Role, Subjects } from '@cutroom/schema'
import { jetstream } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import postgres from 'postgres'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { openReplica as openReplicaOn, waitUntil } from './collab-tenant'

let api: MediaTestApi
let collab: CollabServer
let sql: postgres.Sql
let nc: Awaited<ReturnType<typeof connect>>
let collabUrl: string
const replicas: ReturnType<typeof openReplicaOn>[] = []

/** Every replica a test opens is closed after the suite, even when the test fails midway. */
function openReplica(url: string, docId: string, token: string) {
  const replica = openReplicaOn(url, docId, token)
  replicas.push(replica)
  return replica
}

test.before(async () => {
  // every test signs up a room of five from one address: more than sign-up's limit allows by default
  api = await startMediaTestApi({ BILLING_MODE: 'manual', RATE_LIMIT_MULTIPLIER: '10' })
  sql = postgres(api.databaseUrl, { max: 4, onnotice: () => {} })
  nc = await connect({ servers: api.nats.url })
  collab = createCollabServer({
    config: {
      COLLAB_HOST: '127.0.0.1',
      COLLAB_PORT: 0,
      COLLAB_MAX_UPDATE_BYTES: 1024 * 1024,
      COLLAB_MAX_CONNECTIONS_PER_USER: 50,
      COLLAB_SNAPSHOT_EVERY: 500,
      NATS_URL: api.nats.url,
    },
    sql,
  })
  ;({ url: collabUrl } = await collab.listen())
})
test.after(async () => {
  for (const replica of replicas) replica.close()
  await collab.destroy()
  await nc.drain()
  await sql.end()
  await api.close()
})

async function codeOf(p: Promise<unknown>): Promise<string | null> {
  return p.then(
    () => null,
    (e: { data?: { code?: string }; message: string }) => e.data?.code ?? e.message,
  )
}

let n = 0
async function person(name: string) {
  const anon = createApiClient({ url: api.url })
  const { user, token } = await anon.auth.signUp.mutate({
    email: `${name.replace(/\W+/g, '-').toLowerCase()}-${++n}-${Date.now()}@example.com`,
    password: 'correct horse 42',
    name,
  })
  return { user, token, client: createApiClient({ url: api.url, token }) }
}
type Person = Awaited<ReturnType<typeof person>>

interface Room {
  orgId: string
  projectId: string
  people: Record<Role, Person>
  review: { id: string; qaDocumentId: string; workflowDocumentId: string }
  /** A reviewer's open qa document, where findings are drawn. */
  qaReplica: ReturnType<typeof openReplica>
}

/** An organization with one person per role, a probed 29.97 fps asset and a review of it. */
async function room(): Promise<Room> {
  const owner = await person('Owner')
  const org = await owner.client.orgs.create.mutate({ name: `Studio ${n}` })
  // a paying studio (self-hosted plan change): these tests are about other things than the free plan's limits
  await owner.client.billing.setPlan.mutate({ orgId: org.id, plan: 'team' })
  const project = await owner.client.projects.create.mutate({ orgId: org.id, name: 'Spot' })
  const people = { owner } as Record<Role, Person>
  for (const role of ['admin', 'editor', 'reviewer', 'viewer'] as const) {
    people[role] = await person(role)
    await owner.client.orgs.members.add.mutate({ orgId: org.id, email: people[role].user.email, role })
  }
  const bytes = Buffer.alloc(4000, 2)
  const started = await owner.client.assets.createUpload.mutate({
    projectId: project.id,
    filename: 'spot.mov',
    size: bytes.length,
    contentType: 'video/quicktime',
  })
  if (started.upload.mode !== 'single') throw new Error('expected a single PUT')
  await fetch(started.upload.url, { method: 'PUT', headers: started.upload.headers, body: bytes })
  const { probeJobId } = await owner.client.assets.completeUpload.mutate({ assetId: started.asset.id })
  // The probe worker's result, as it arrives on EVENTS: 29.97 fps video.
  const metadata = {
    durationSeconds: 60,
    hasVideo: true,
    hasAudio: false,
    video: { fps: { num: 30000, den: 1001 }, width: 640, height: 360, durationFrames: 1798 },
  }
  const event = {
    jobId: probeJobId,
    orgId: org.id,
    projectId: project.id,
    assetId: started.asset.id,
    attempt: 1,
    kind: 'probe',
    status: 'succeeded',
    result: { metadata },
    artifacts: [],
    usage: [],
    final: true,
    at: new Date().toISOString(),
  }
  await jetstream(nc).publish(Subjects.event('probe', 'succeeded'), JSON.stringify(event), {
    msgID: `${probeJobId}:1:succeeded`,
  })
  await waitUntil(
    async () => (await owner.client.assets.get.query({ id: started.asset.id })).metadata !== null,
    10_000,
    'probe metadata',
  )
  const review = await people.reviewer.client.reviews.create.mutate({
    projectId: project.id,
    assetId: started.asset.id,
    title: 'Spot v1 notes',
  })
  const qaReplica = openReplica(collabUrl, review.qaDocumentId, people.reviewer.token)
  await qaReplica.synced
  return { orgId: org.id, projectId: project.id, people, review, qaReplica }
}

/** A finding drawn by the reviewer in the qa document, saved. */
async function draw(r: Room, title: string, frame = 100, frameEnd = frame + 10): Promise<string> {
  const id = qa.addFinding(r.qaReplica.doc, {
    title,
    versionA: 'v1',
    versionB: 'v1',
    frame,
    frameEnd,
    author: r.people.reviewer.user.id,
    severity: 'high',
  })
  await waitUntil(() => r.qaReplica.provider.unsyncedChanges === 0, 5000, 'finding saved')
  return id
}

async function workflowRows(docId: string): Promise<number> {
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from doc_updates where doc_id = ${docId}`
  return row!.n
}

const PREREQUISITE: Record<qaWorkflow.Action, qaWorkflow.Action[]> = {
  start: [],
  submit: ['start'],
  approve: ['start', 'submit'],
  request_changes: ['start', 'submit'],
  block: [],
  reopen: ['block'],
}
const ALLOWED: Record<qaWorkflow.Action, Role[]> = {
  approve: ['owner', 'admin', 'reviewer'],
  request_changes: ['owner', 'admin', 'reviewer'],
  start: ['owner', 'admin', 'editor'],
  submit: ['owner', 'admin', 'editor'],
  block: ['owner', 'admin', 'editor', 'reviewer'],
  reopen: ['owner', 'admin', 'editor', 'reviewer'],
}

test('qa.transition role matrix: each action, each role, on a finding where the action applies', async () => {
  const r = await room()
  const watcher = openReplica(collabUrl, r.review.workflowDocumentId, r.people.viewer.token)
  await watcher.synced
  for (const action of qaWorkflow.ACTIONS) {
    for (const role of ['owner', 'admin', 'editor', 'reviewer', 'viewer'] as const) {
      const findingId = await draw(r, `${action} by ${role}`)
      for (const step of PREREQUISITE[action])
        await r.people.owner.client.qa.transition.mutate({ reviewId: r.review.id, findingId, action: step })
      const expected = qaWorkflow.transition(
        PREREQUISITE[action].reduce<qaWorkflow.Status>((s, a) => qaWorkflow.transition(s, a), 'open'),
        action,
      )
      const attempt = r.people[role].client.qa.transition.mutate({ reviewId: r.review.id, findingId, action })
      if (ALLOWED[action].includes(role)) {
        const result = await attempt
        assert.is(result.status, expected, `${role} ${action}`)
        await waitUntil(
          () => qaWorkflow.getWorkflow(watcher.doc, findingId).status === expected,
          5000,
          `${role} ${action} live`,
        )
      } else assert.is(await codeOf(attempt), 'FORBIDDEN_ROLE', `${role} may not ${action}`)
    }
  }
  watcher.close()
  r.qaReplica.close()
})

test('the assignee may start and submit; others of the same role may not; viewers never', async () => {
  const r = await room()
  const second = await person('Second reviewer')
  await r.people.owner.client.orgs.members.add.mutate({ orgId: r.orgId, email: second.user.email, role: 'reviewer' })
  const findingId = await draw(r, 'Audio pop')
  const { reviewer, viewer, editor } = r.people
  const ref = { reviewId: r.review.id, findingId }
  await editor.client.qa.assign.mutate({ ...ref, assigneeId: reviewer.user.id })
  assert.is(await codeOf(second.client.qa.transition.mutate({ ...ref, action: 'start' })), 'FORBIDDEN_ROLE')
  assert.is((await reviewer.client.qa.transition.mutate({ ...ref, action: 'start' })).status, 'in_progress')
  assert.is((await reviewer.client.qa.transition.mutate({ ...ref, action: 'submit' })).status, 'ready_for_review')

  const other = await draw(r, 'Viewer-owned')
  await editor.client.qa.assign.mutate({ reviewId: r.review.id, findingId: other, assigneeId: viewer.user.id })
  assert.is(
    await codeOf(viewer.client.qa.transition.mutate({ reviewId: r.review.id, findingId: other, action: 'start' })),
    'FORBIDDEN_ROLE',
  )
  assert.is(
    await codeOf(viewer.client.qa.assign.mutate({ reviewId: r.review.id, findingId: other, assigneeId: null })),
    'FORBIDDEN_ROLE',
  )
  assert.is(
    await codeOf(viewer.client.qa.setDue.mutate({ reviewId: r.review.id, findingId: other, due: '2030-01-01' })),
    'FORBIDDEN_ROLE',
  )
  r.qaReplica.close()
})

test('refusals change nothing: INVALID_STATE, non-members, unknown findings, bad dates', async () => {
  const r = await room()
  const findingId = await draw(r, 'Dead pixel')
  const { owner } = r.people
  const ref = { reviewId: r.review.id, findingId }
  const audits = async () =>
    (await sql<{ n: number }[]>`select count(*)::int as n from audit_log where org_id = ${r.orgId}`)[0]!.n
  // collab mirrors the drawn finding as it arrives (open, no workflow trail yet): refusals leave that row alone
  const mirrored = async () =>
    (await sql<{ status: string; assignee_id: string | null; due: string | null; event_count: number }[]>`
      select status, assignee_id, due, event_count from qa_findings where review_id = ${r.review.id}`).map((m) => ({ ...m }))
  await waitUntil(async () => (await mirrored()).length > 0, 15_000, 'the finding mirrored by collab')
  const before = {
    rows: await workflowRows(r.review.workflowDocumentId),
    audits: await audits(),
    mirror: await mirrored(),
  }
  assert.equal(before.mirror, [{ status: 'open', assignee_id: null, due: null, event_count: 0 }])

  const invalid = owner.client.qa.transition.mutate({ ...ref, action: 'approve' })
  const error = await invalid.then(
    () => null,
    (e: { data?: { code?: string }; message: string }) => e,
  )
  assert.is(error?.data?.code, 'INVALID_STATE')
  assert.match(error!.message, /Cannot approve a finding that is open/)
  const outsider = await person('Outsider')
  const notMember = await owner.client.qa.assign.mutate({ ...ref, assigneeId: outsider.user.id }).then(
    () => null,
    (e: { data?: { code?: string }; message: string }) => e,
  )
  assert.is(notMember?.data?.code, 'BAD_INPUT')
  assert.match(notMember!.message, /not a member of this organization/)
  assert.is(await codeOf(owner.client.qa.assign.mutate({ ...ref, assigneeId: 'nobody' })), 'BAD_INPUT')
  assert.is(
    await codeOf(owner.client.qa.assign.mutate({ reviewId: r.review.id, findingId: 'no-such', assigneeId: null })),
    'NOT_FOUND',
  )
  assert.is(await codeOf(owner.client.qa.setDue.mutate({ ...ref, due: '2030-02-30' })), 'BAD_INPUT')
  assert.is(await codeOf(owner.client.qa.setDue.mutate({ ...ref, due: 'tomorrow' })), 'BAD_INPUT')
  assert.is(await codeOf(outsider.client.qa.transition.mutate({ ...ref, action: 'start' })), 'NOT_FOUND')

  assert.is(await workflowRows(r.review.workflowDocumentId), before.rows, 'no workflow update was written')
  assert.is(await audits(), before.audits, 'no audit row for a refusal')
  assert.equal(await mirrored(), before.mirror, 'the mirrored row is unchanged')

  // A change that applies: one update, one audit row, one mirrored row.
  await owner.client.qa.transition.mutate({ ...ref, action: 'block' })
  assert.is(await workflowRows(r.review.workflowDocumentId), before.rows + 1)
  const [audit] = await sql<{ action: string; target_id: string; details: { action: string } }[]>`
    select action, target_id, details from audit_log where org_id = ${r.orgId} order by created_at desc limit 1`
  assert.equal([audit!.action, audit!.target_id, audit!.details.action], ['qa.transition', findingId, 'block'])
  const [row] = await sql`select status from qa_findings where review_id = ${r.review.id} and finding_id = ${findingId}`
  assert.is(row!.status, 'blocked')
  r.qaReplica.close()
})

test('qa.myFindings: my assigned, unapproved findings across projects, overdue first, then by due date', async () => {
  const r = await room()
  const { editor, owner, reviewer } = r.people
  const assign = async (title: string, due: string | null) => {
    const findingId = await draw(r, title)
    await owner.client.qa.assign.mutate({ reviewId: r.review.id, findingId, assigneeId: editor.user.id })
    if (due) await owner.client.qa.setDue.mutate({ reviewId: r.review.id, findingId, due })
    return findingId
  }
  await assign('no date', null)
  await assign('next year', '2999-06-01')
  const late = await assign('late', '2001-01-01')
  await assign('soon', '2998-01-01')
  const done = await assign('approved already', '2000-01-01')
  for (const action of ['start', 'submit'] as const)
    await editor.client.qa.transition.mutate({ reviewId: r.review.id, findingId: done, action })
  await reviewer.client.qa.transition.mutate({ reviewId: r.review.id, findingId: done, action: 'approve' })
  const notMine = await draw(r, 'someone else')
  await owner.client.qa.assign.mutate({ reviewId: r.review.id, findingId: notMine, assigneeId: reviewer.user.id })
  // Unassigning takes it out of the queue.
  const dropped = await assign('dropped', '2000-01-01')
  await owner.client.qa.assign.mutate({ reviewId: r.review.id, findingId: dropped, assigneeId: null })

  const queue = await editor.client.qa.myFindings.query({ orgId: r.orgId })
  assert.equal(
    queue.map((f) => [f.title, f.overdue]),
    [
      ['late', true],
      ['soon', false],
      ['next year', false],
      ['no date', false],
    ],
  )
  const first = queue[0]!
  assert.equal([first.findingId, first.reviewTitle, first.frame, first.frameEnd], [late, 'Spot v1 notes', 100, 110])
  assert.is(await codeOf(createApiClient({ url: api.url }).qa.myFindings.query({ orgId: r.orgId })), 'UNAUTHENTICATED')
  const outsider = await person('Outsider')
  assert.is(await codeOf(outsider.client.qa.myFindings.query({ orgId: r.orgId })), 'NOT_FOUND')
  r.qaReplica.close()
})

test('qa.exportNotes: CSV, EDL and FCPXML at the version’s 29.97 fps, with the live workflow state', async () => {
  const r = await room()
  const a = await draw(r, 'Flash at the cut', 1800, 1805)
  const b = await draw(r, 'Logo late', 30, 30)
  qa.addComment(r.qaReplica.doc, a, { author: r.people.reviewer.user.id, text: 'Frame 1800 flashes white' })
  await waitUntil(() => r.qaReplica.provider.unsyncedChanges === 0, 5000, 'comment saved')
  await r.people.owner.client.qa.assign.mutate({
    reviewId: r.review.id,
    findingId: a,
    assigneeId: r.people.editor.user.id,
  })
  await r.people.editor.client.qa.transition.mutate({ reviewId: r.review.id, findingId: a, action: 'start' })

  const csv = await r.people.viewer.client.qa.exportNotes.query({ reviewId: r.review.id, format: 'csv' })
  assert.equal([csv.contentType, csv.count, csv.fps], ['text/csv', 2, { num: 30000, den: 1001 }])
  const lines = csv.text.trim().split('\r\n')
  assert.is(
    lines[0],
    'finding_id,title,severity,status,assignee,due,frame_in,frame_out,timecode_in,timecode_out,fps,author,comments',
  )
  // ordered by frame; 1800 at 29.97 drop-frame is 00:01:00;02
  assert.ok(lines[1]!.startsWith(`${b},Logo late,high,open,,,30,30,00:00:01;00,00:00:01;00,30000/1001,`), lines[1])
  assert.ok(
    lines[2]!.startsWith(`${a},Flash at the cut,high,in_progress,editor,,1800,1805,00:01:00;02,00:01:00;07,`),
    lines[2],
  )
  assert.ok(lines[2]!.endsWith(',Frame 1800 flashes white'), lines[2])

  const edl = (await r.people.viewer.client.qa.exportNotes.query({ reviewId: r.review.id, format: 'edl' })).text
  assert.match(edl, /^TITLE: Spot v1 notes\nFCM: DROP FRAME\n/)
  assert.match(edl, /\n001 {2}AX {7}V {5}C {8}00:00:01;00 00:00:01;01 00:00:01;00 00:00:01;01\n/)
  assert.match(edl, /\n\* LOC: 00:01:00;02 RED {5}Flash at the cut \[high, in progress\]\n/)

  const xml = (await r.people.viewer.client.qa.exportNotes.query({ reviewId: r.review.id, format: 'fcpxml' })).text
  assert.match(xml, /<format id="r1" frameDuration="1001\/30000s"\/>/)
  assert.match(
    xml,
    /<marker start="1001\/1000s" duration="1001\/30000s" value="Logo late"/,
    'frame 30 = 30*1001/30000 s',
  )
  assert.match(
    xml,
    /<marker start="3003\/50s" duration="1001\/5000s" value="Flash at the cut" note="high, in progress: Frame 1800 flashes white"\/>/,
  )
  r.qaReplica.close()
})

test('drawing queues finding.created (collab, before any workflow action); the workflow queues finding.assigned, finding.status_changed and review.approved webhooks', async () => {
  const r = await room()
  const [hook] = await sql<{ id: string }[]>`
    insert into webhooks (org_id, url, events, secret_ciphertext)
    values (${r.orgId}, 'https://hooks.example.com/qa',
      ${['finding.created', 'finding.assigned', 'finding.status_changed', 'review.approved']}, 'v1.x.x.x')
    returning id`
  const findingId = await draw(r, 'Dropout at the cut')
  const { editor, reviewer } = r.people
  const ref = { reviewId: r.review.id, findingId }
  // collab queues finding.created when the drawn finding reaches it, before any workflow action
  await waitUntil(async () => (await queued(hook!.id)).length > 0, 15_000, 'finding.created from collab')
  assert.equal(await queued(hook!.id), [
    {
      event: 'finding.created',
      data: {
        reviewId: r.review.id,
        findingId,
        projectId: r.projectId,
        status: 'open',
        assigneeId: null,
        due: null,
        title: 'Dropout at the cut',
        severity: 'high',
      } as unknown as Record<string, string>,
    },
  ])
  // the first workflow action updates the qa_findings row collab inserted: no second finding.created
  await editor.client.qa.assign.mutate({ ...ref, assigneeId: editor.user.id })
  const [row] = await sql<{ status: string; assignee_id: string | null; event_count: number }[]>`
    select status, assignee_id, event_count from qa_findings where review_id = ${r.review.id} and finding_id = ${findingId}`
  assert.equal([row!.status, row!.assignee_id], ['open', editor.user.id])
  assert.ok(row!.event_count > 0, 'the row now holds the workflow trail')
  assert.equal(
    (await queued(hook!.id)).map((q) => q.event),
    ['finding.created', 'finding.assigned'],
  )
  for (const action of ['start', 'submit'] as const) await editor.client.qa.transition.mutate({ ...ref, action })
  await reviewer.client.qa.transition.mutate({ ...ref, action: 'approve' })
  const events = await queued(hook!.id)
  // approve and review.approved share a transaction (and its timestamp): compared without order
  const key = (e: Array<string | null>) => e.join(' ')
  assert.equal(
    events
      .map((q) => [q.event, q.data.findingId ?? null, q.data.action ?? null])
      .map(key)
      .sort(),
    [
      ['finding.created', findingId, null],
      ['finding.assigned', findingId, null],
      ['finding.status_changed', findingId, 'start'],
      ['finding.status_changed', findingId, 'submit'],
      ['finding.status_changed', findingId, 'approve'],
      ['review.approved', null, null],
    ]
      .map(key)
      .sort(),
  )
  assert.is(events.find((q) => q.event === 'review.approved')!.data.reviewId, r.review.id)
  // a refused transition queues nothing
  await codeOf(reviewer.client.qa.transition.mutate({ ...ref, action: 'approve' }))
  assert.is((await queued(hook!.id)).length, events.length)
  r.qaReplica.close()
})

async function queued(webhookId: string) {
  const rows = await sql<{ event: string; payload: { data: Record<string, string> } }[]>`
    select event, payload from webhook_deliveries where webhook_id = ${webhookId} order by created_at, id`
  return rows.map((q) => ({ event: q.event, data: q.payload.data }))
}

test.run()
