import { startTestNats, type TestNats } from '@cutroom/infra'
import { type AccessChangedEvent, accessChangedSubject, CloseCode, hashToken, type Role } from '@cutroom/schema'
import type { NatsConnection } from '@nats-io/nats-core'
import { connect } from '@nats-io/transport-node'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { type CollabFixture, type Connected, createCollabFixture, createSession, waitFor } from '../createCollabFixture'

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

/** A new member of the fixture's organization (each test its own, so tests do not depend on each other). */
async function newMember(role: Role): Promise<{ userId: string; session: string }> {
  const email = `${crypto.randomUUID()}@example.com`
  const [user] = await f.sql<{ id: string }[]>`
    insert into users (email, name, password_hash) values (${email}, 'Someone', 'x') returning id`
  await f.sql`insert into memberships (org_id, user_id, role) values (${f.orgId}, ${user!.id}, ${role})`
  return { userId: user!.id, session: await createSession(f.sql, user!.id) }
}

function publish(event: AccessChangedEvent): void {
  nc.publish(accessChangedSubject(event), JSON.stringify(event))
}

/** Resolves with the code of the provider's next close and how long it took from now (rejects after 3 s). */
function nextClose(c: Connected): Promise<{ code: number; ms: number }> {
  const start = performance.now()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the connection was not closed')), 3000)
    const onClose = ({ event }: { event: { code: number } }) => {
      clearTimeout(timer)
      c.provider.off('close', onClose)
      resolve({ code: event.code, ms: performance.now() - start })
    }
    c.provider.on('close', onClose)
  })
}

async function rowsBy(userId: string, docId: string): Promise<number> {
  const [r] = await f.sql<{ n: number }[]>`
    select count(*)::int as n from doc_updates where doc_id = ${docId} and user_id = ${userId}`
  return r!.n
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

test('an editor removed from the organization is closed with 4403 at once; later edits reach nobody', async () => {
  const docId = f.docs.timeline
  const editor = await newMember('editor')
  const mine = await f.connect(docId, editor.session)
  const owner = await f.connect(docId, f.sessions.owner)
  mine.doc.getMap('probe').set('before', 1)
  await mine.settled()
  await waitFor(() => owner.doc.getMap('probe').get('before') === 1, 3000, 'the edit before removal')
  const stored = await rowsBy(editor.userId, docId)
  assert.ok(stored >= 1)

  const closed = nextClose(mine)
  await f.sql`delete from memberships where org_id = ${f.orgId} and user_id = ${editor.userId}`
  publish({ orgId: f.orgId, userId: editor.userId, reason: 'removed' })
  const { code, ms } = await closed
  assert.is(code, CloseCode.FORBIDDEN)
  assert.ok(ms < 1000, `closed after ${ms.toFixed(0)} ms`)

  // The provider keeps the edit and keeps trying; every attempt is refused.
  mine.doc.getMap('probe').set('after', 1)
  await pause(500)
  assert.is(owner.doc.getMap('probe').get('after'), undefined)
  assert.is(await rowsBy(editor.userId, docId), stored)
  mine.destroy()
  owner.destroy()
})

test('a demoted editor is re-authorized read-only: edits stop being accepted', async () => {
  const docId = f.docs.timeline
  const editor = await newMember('editor')
  const mine = await f.connect(docId, editor.session)
  const owner = await f.connect(docId, f.sessions.owner)
  assert.is(mine.provider.authorizedScope, 'read-write')

  const closed = nextClose(mine)
  await f.sql`update memberships set role = 'viewer' where org_id = ${f.orgId} and user_id = ${editor.userId}`
  publish({ orgId: f.orgId, userId: editor.userId, reason: 'role-changed' })
  const { code, ms } = await closed
  assert.is(code, CloseCode.REAUTHENTICATE)
  assert.ok(ms < 1000, `closed after ${ms.toFixed(0)} ms`)
  await waitFor(() => mine.provider.isSynced && mine.provider.authorizedScope === 'readonly', 3000, 'read-only again')

  const stored = await rowsBy(editor.userId, docId)
  mine.doc.getMap('probe').set('demoted', 1)
  owner.doc.getMap('probe').set('owner', 1)
  await owner.settled()
  await waitFor(() => mine.doc.getMap('probe').get('owner') === 1, 3000, 'the owner edit still reaches the viewer')
  await pause(300)
  assert.is(owner.doc.getMap('probe').get('demoted'), undefined)
  assert.is(await rowsBy(editor.userId, docId), stored)
  mine.destroy()
  owner.destroy()
})

test('a signed-out session is closed with 4401; the same person in another session stays connected', async () => {
  const docId = f.docs.timeline
  const person = await newMember('editor')
  const other = await createSession(f.sql, person.userId)
  const ended = await f.connect(docId, person.session)
  const kept = await f.connect(docId, other)
  let keptClosed = false
  kept.provider.on('close', () => {
    keptClosed = true
  })

  const closed = nextClose(ended)
  const sessionId = hashToken(person.session)
  await f.sql`delete from sessions where id = ${sessionId}`
  publish({ userId: person.userId, sessionIds: [sessionId], reason: 'signed-out' })
  const { code, ms } = await closed
  assert.is(code, CloseCode.UNAUTHORIZED)
  assert.ok(ms < 1000, `closed after ${ms.toFixed(0)} ms`)
  await pause(200)
  assert.not.ok(keptClosed, 'the other session is untouched')
  ended.destroy()
  kept.destroy()
})

test('a revoked API key is closed with 4401', async () => {
  const docId = f.docs.transcript
  const token = f.apiKeys.admin
  const keyId = token.split('_')[1]!
  const conn = await f.connect(docId, token)
  const closed = nextClose(conn)
  await f.sql`update api_keys set revoked_at = now() where id = ${keyId}`
  publish({ orgId: f.orgId, apiKeyId: keyId, reason: 'key-revoked' })
  assert.is((await closed).code, CloseCode.UNAUTHORIZED)
  conn.destroy()
})

test('an event is only a prompt to re-check: it never ends access Postgres still grants', async () => {
  const docId = f.docs.timeline
  const editor = await newMember('editor')
  const conn = await f.connect(docId, editor.session)
  let closedWith: number | null = null
  conn.provider.on('close', ({ event }: { event: { code: number } }) => {
    closedWith = event.code
  })
  publish({ orgId: f.orgId, userId: editor.userId, reason: 'removed' })
  nc.publish('access.changed.org.nonsense', 'not json')
  await nc.flush()
  await pause(400)
  assert.is(closedWith, null)
  conn.doc.getMap('probe').set('still', 1)
  await conn.settled()
  conn.destroy()
})

test.run()
