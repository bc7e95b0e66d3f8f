import { startTestNats, type TestNats } from '@cutroom/infra'
import { type AccessChangedEvent, AccessChangedEventSchema, AccessSubjects, hashToken } from '@cutroom/schema'
import type { NatsConnection, Subscription } from '@nats-io/nats-core'
import { connect } from '@nats-io/transport-node'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startMediaServices } from './media/MediaServices'
import { createTestApi, type TestApi } from './testing/createTestApi'

/** The api announces every access change on NATS once it is committed, and never fails for NATS. */

let api: TestApi
let nats: TestNats
let nc: NatsConnection
let sub: Subscription
const received: { subject: string; event: AccessChangedEvent }[] = []

test.before(async () => {
  nats = await startTestNats()
  api = await createTestApi({ NATS_URL: nats.url })
  api.services.media = await startMediaServices({
    config: api.services.config,
    db: api.services.db,
    log: api.services.log,
  })
  nc = await connect({ servers: nats.url })
  sub = nc.subscribe(AccessSubjects.all)
  void (async () => {
    for await (const msg of sub)
      received.push({ subject: msg.subject, event: AccessChangedEventSchema.parse(msg.json()) })
  })()
  await nc.flush()
})
test.after(async () => {
  sub.unsubscribe()
  await nc.close()
  await api.services.media?.close()
  await api.close()
  await nats.stop()
})

/** Waits for the next event (rejects after 2 s) and gives it with its subject. */
async function next(): Promise<{ subject: string; event: AccessChangedEvent }> {
  const deadline = Date.now() + 2000
  while (received.length === 0) {
    if (Date.now() > deadline) throw new Error('no access change was published')
    await new Promise((r) => setTimeout(r, 10))
  }
  return received.shift()!
}

let n = 0
async function person(name: string) {
  const anon = await api.caller()
  const { user, token } = await anon.auth.signUp({
    email: `${name}-${++n}@example.com`,
    password: 'correct horse 42',
    name,
  })
  return { user, token, call: await api.caller(token) }
}

test('role changes, removals and key revocations are announced on the organization subject', async () => {
  const owner = await person('owner')
  const org = await owner.call.orgs.create({ name: 'Studio' })
  const ed = await person('ed')
  await owner.call.orgs.members.add({ orgId: org.id, email: ed.user.email, role: 'editor' })
  assert.is(received.length, 0, 'adding grants nothing that open connections could abuse')

  await owner.call.orgs.members.setRole({ orgId: org.id, userId: ed.user.id, role: 'viewer' })
  let got = await next()
  assert.is(got.subject, AccessSubjects.org(org.id))
  assert.equal(got.event, { orgId: org.id, userId: ed.user.id, reason: 'role-changed' })
  await owner.call.orgs.members.setRole({ orgId: org.id, userId: ed.user.id, role: 'viewer' })

  await owner.call.orgs.members.remove({ orgId: org.id, userId: ed.user.id })
  got = await next()
  assert.equal(got.event, { orgId: org.id, userId: ed.user.id, reason: 'removed' })

  const key = await owner.call.apiKeys.create({ orgId: org.id, name: 'ci', role: 'editor' })
  await owner.call.apiKeys.revoke({ id: key.id })
  got = await next()
  assert.equal(got.event, { orgId: org.id, apiKeyId: key.id, reason: 'key-revoked' })
  await owner.call.apiKeys.revoke({ id: key.id })
  await new Promise((r) => setTimeout(r, 100))
  assert.is(received.length, 0, 'unchanged role and an already revoked key announce nothing')
})

test('signing out names the ended session; everywhere and a password change name the person', async () => {
  const ada = await person('ada')
  await ada.call.auth.signOut()
  let got = await next()
  assert.is(got.subject, AccessSubjects.user(ada.user.id))
  assert.equal(got.event, { userId: ada.user.id, sessionIds: [hashToken(ada.token)], reason: 'signed-out' })

  const bea = await person('bea')
  await bea.call.auth.signOut({ everywhere: true })
  got = await next()
  assert.equal(got.event, { userId: bea.user.id, reason: 'signed-out' })

  const cy = await person('cy')
  await cy.call.auth.changePassword({ currentPassword: 'correct horse 42', newPassword: 'another horse 77' })
  got = await next()
  assert.equal(got.event, { userId: cy.user.id, reason: 'signed-out' })
})

test('revoking sessions and completing a password reset name the ended sessions or the person', async () => {
  const dee = await person('dee')
  const { token: laptop } = await (await api.caller()).auth.signIn({
    email: dee.user.email,
    password: 'correct horse 42',
  })
  const { token: phone } = await (await api.caller()).auth.signIn({
    email: dee.user.email,
    password: 'correct horse 42',
  })
  await dee.call.auth.sessions.revoke({ id: hashToken(laptop!) })
  let got = await next()
  assert.is(got.subject, AccessSubjects.user(dee.user.id))
  assert.equal(got.event, { userId: dee.user.id, sessionIds: [hashToken(laptop!)], reason: 'signed-out' })

  await dee.call.auth.sessions.revokeOthers()
  got = await next()
  assert.equal(got.event, { userId: dee.user.id, sessionIds: [hashToken(phone!)], reason: 'signed-out' })

  await (await api.caller()).auth.passwordReset.request({ email: dee.user.email })
  const [reset] = await api.sql<{ user_id: string }[]>`select user_id from password_reset_tokens`
  assert.is(reset?.user_id, dee.user.id)
  // The token itself only travels in the mail; a known one is planted here to complete the reset.
  await api.sql`update password_reset_tokens set id = ${hashToken('planted-reset-token-0001')}`
  await (await api.caller()).auth.passwordReset.complete({
    token: 'planted-reset-token-0001',
    password: 'a fresh horse 55',
  })
  got = await next()
  assert.equal(got.event, { userId: dee.user.id, reason: 'signed-out' })
})

test('a mutation succeeds when NATS is gone', async () => {
  const owner = await person('solo')
  const org = await owner.call.orgs.create({ name: 'Solo' })
  const ed = await person('ed')
  await owner.call.orgs.members.add({ orgId: org.id, email: ed.user.email, role: 'editor' })
  const media = api.services.media!
  const dead = await connect({ servers: nats.url })
  await dead.close()
  api.services.media = { ...media, nc: dead }
  try {
    assert.equal(await owner.call.orgs.members.remove({ orgId: org.id, userId: ed.user.id }), { ok: true })
  } finally {
    api.services.media = media
  }
  const members = await owner.call.orgs.members.list({ orgId: org.id })
  assert.not.ok(members.some((m) => m.userId === ed.user.id))
})

test.run()
