import { tables } from '@cutroom/schema'
import { eq } from 'drizzle-orm'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createTestApi, type TestApi } from '../testing/createTestApi'

let api: TestApi
const codeOf = (e: unknown) => (e as { cause?: { code?: string } })?.cause?.code ?? (e as { code?: string })?.code

test.before(async () => {
  api = await createTestApi()
})
test.after(async () => {
  await api.close()
})

async function fails(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => assert.unreachable('should have failed'),
    (e) => e,
  )
}

test('sign up normalizes the email, stores only an argon2id hash and signs in', async () => {
  const anon = await api.caller()
  const { user, token } = await anon.auth.signUp({
    email: '  Ada@Example.COM ',
    password: 'correct horse 42',
    name: 'Ada',
  })
  assert.is(user.email, 'ada@example.com')
  assert.not.ok('passwordHash' in user)
  const [row] = await api.services.db.select().from(tables.users).where(eq(tables.users.id, user.id))
  assert.match(row!.passwordHash, /^\$argon2id\$/)
  const me = await (await api.caller(token)).auth.me()
  assert.equal(me, { kind: 'user', user })
  const [session] = await api.services.db.select().from(tables.sessions).where(eq(tables.sessions.userId, user.id))
  assert.is.not(session!.id, token, 'only the hash of the token is stored')
  assert.is(session!.id.length, 64)
})

test('duplicate email, weak passwords and bad emails get clear errors', async () => {
  const anon = await api.caller()
  await anon.auth.signUp({ email: 'dup@example.com', password: 'correct horse 42', name: 'Dup' })
  const dup = await fails(anon.auth.signUp({ email: 'DUP@example.com ', password: 'another pass 77', name: 'Dup2' }))
  assert.is(codeOf(dup), 'EMAIL_TAKEN')
  for (const password of ['short1A', 'alllowercaseletters', 'weakling@example.com']) {
    const e = await fails(anon.auth.signUp({ email: 'weakling@example.com', password, name: 'W' }))
    assert.is(codeOf(e), 'WEAK_PASSWORD', password)
    assert.match((e as Error).message, 'Password too weak')
  }
  const bad = await fails(anon.auth.signUp({ email: 'not-an-email', password: 'correct horse 42', name: 'X' }))
  assert.is((bad as { code: string }).code, 'BAD_REQUEST')
})

test('wrong password and unknown email give the same INVALID_CREDENTIALS', async () => {
  const anon = await api.caller()
  await anon.auth.signUp({ email: 'bob@example.com', password: 'correct horse 42', name: 'Bob' })
  const wrong = await fails(anon.auth.signIn({ email: 'bob@example.com', password: 'wrong horse 42' }))
  const unknown = await fails(anon.auth.signIn({ email: 'nobody@example.com', password: 'wrong horse 42' }))
  assert.is(codeOf(wrong), 'INVALID_CREDENTIALS')
  assert.is(codeOf(unknown), 'INVALID_CREDENTIALS')
  assert.is((wrong as Error).message, (unknown as Error).message)
  const ok = await anon.auth.signIn({ email: ' BOB@example.com', password: 'correct horse 42' })
  assert.is(ok.twoFactorRequired, false)
  assert.is(ok.user?.email, 'bob@example.com')
})

test('sign-in is throttled per account after 10 failures, with a retry time', async () => {
  await (await api.caller()).auth.signUp({ email: 'carol@example.com', password: 'correct horse 42', name: 'Carol' })
  for (let i = 0; i < 10; i++) {
    const e = await fails((await api.caller()).auth.signIn({ email: 'carol@example.com', password: `wrong ${i} xyz` }))
    assert.is(codeOf(e), 'INVALID_CREDENTIALS')
  }
  // A different address each time: the account limit holds regardless of where attempts come from.
  const e = await fails((await api.caller()).auth.signIn({ email: 'carol@example.com', password: 'correct horse 42' }))
  assert.is(codeOf(e), 'RATE_LIMITED')
  assert.match((e as Error).message, /Try again in \d+ seconds/)
  assert.ok((e as { cause: { retryAfterSeconds: number } }).cause.retryAfterSeconds > 0)
})

test('sign-out revokes the session; changing the password revokes all sessions', async () => {
  const anon = await api.caller()
  const { token: t1 } = await anon.auth.signUp({ email: 'dan@example.com', password: 'correct horse 42', name: 'Dan' })
  const { token: t2 } = await anon.auth.signIn({ email: 'dan@example.com', password: 'correct horse 42' })
  const { token: t3 } = await anon.auth.signIn({ email: 'dan@example.com', password: 'correct horse 42' })
  await (await api.caller(t1)).auth.signOut()
  assert.is(await (await api.caller(t1)).auth.me(), null)
  assert.ok(await (await api.caller(t2)).auth.me())

  const weak = await fails(
    (await api.caller(t2)).auth.changePassword({ currentPassword: 'correct horse 42', newPassword: 'short' }),
  )
  assert.is(codeOf(weak), 'WEAK_PASSWORD')
  const wrong = await fails(
    (await api.caller(t2)).auth.changePassword({ currentPassword: 'nope nope 12', newPassword: 'brand new pass 9' }),
  )
  assert.is(codeOf(wrong), 'INVALID_CREDENTIALS')
  const { token: t4 } = await (await api.caller(t2)).auth.changePassword({
    currentPassword: 'correct horse 42',
    newPassword: 'brand new pass 9',
  })
  assert.is(await (await api.caller(t2)).auth.me(), null)
  assert.is(await (await api.caller(t3)).auth.me(), null)
  assert.ok(await (await api.caller(t4)).auth.me())
  const old = await fails(anon.auth.signIn({ email: 'dan@example.com', password: 'correct horse 42' }))
  assert.is(codeOf(old), 'INVALID_CREDENTIALS')
  await anon.auth.signIn({ email: 'dan@example.com', password: 'brand new pass 9' })
})

test('an expired session is refused and deleted; a half-used one slides forward', async () => {
  const anon = await api.caller()
  const { user, token } = await anon.auth.signUp({
    email: 'eve@example.com',
    password: 'correct horse 42',
    name: 'Eve',
  })
  const db = api.services.db
  const day = 24 * 3600 * 1000
  await db
    .update(tables.sessions)
    .set({ expiresAt: new Date(Date.now() + 10 * day) })
    .where(eq(tables.sessions.userId, user.id))
  assert.ok(await (await api.caller(token)).auth.me())
  const [slid] = await db.select().from(tables.sessions).where(eq(tables.sessions.userId, user.id))
  assert.ok(slid!.expiresAt.getTime() > Date.now() + 29 * day, 'extended to a full 30 days')

  await db
    .update(tables.sessions)
    .set({ expiresAt: new Date(Date.now() - 1000) })
    .where(eq(tables.sessions.userId, user.id))
  assert.is(await (await api.caller(token)).auth.me(), null)
  const e = await fails((await api.caller(token)).orgs.list())
  assert.is(codeOf(e), 'UNAUTHENTICATED')
  assert.is((await db.select().from(tables.sessions).where(eq(tables.sessions.userId, user.id))).length, 0)
})

test('system.config gives the collab URL or null', async () => {
  assert.equal(await (await api.caller()).system.config(), { collabUrl: null })
})

test.run()
