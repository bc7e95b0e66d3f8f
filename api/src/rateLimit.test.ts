/** Rate limits count both the principal (or target account) and the client address. */
import { tables } from '@cutroom/schema'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { generateApiKey } from './apiKeys'
import { ADDRESS_LIMIT_FACTOR } from './rateLimit'
import { SIGN_IN_PER_IP, SIGN_UP_PER_EMAIL, SIGN_UP_PER_IP } from './routers/auth'
import { createTestApi, type TestApi } from './testing/createTestApi'

// Limits scaled down so each one is reached in a few calls; the limits below are the ones the routers declare.
const MULTIPLIER = 0.2
const scaled = (n: number) => Math.max(1, Math.round(n * MULTIPLIER))
const ORGS_CREATE = 20
const API_KEYS_CREATE = 30

let api: TestApi
const codeOf = (e: unknown) => (e as { cause?: { code?: string } })?.cause?.code ?? (e as { code?: string })?.code

test.before(async () => {
  api = await createTestApi({ RATE_LIMIT_MULTIPLIER: String(MULTIPLIER) })
})
test.after(async () => {
  await api.close()
})

async function fails(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => assert.unreachable('should have failed') as never,
    (e) => e as Error,
  )
}

let people = 0
/** A new account (signed up from an address of its own); its session token. */
async function person(): Promise<{ token: string; email: string }> {
  const email = `person${++people}@example.com`
  const { token } = await (await api.caller()).auth.signUp({ email, password: 'correct horse 42', name: 'P' })
  return { token, email }
}

async function orgWithAdminKey(): Promise<{ ownerToken: string; orgId: string; key: string }> {
  const { token } = await person()
  const org = await (await api.caller(token)).orgs.create({ name: 'Keys' })
  const { id, key, secretHash } = generateApiKey()
  await api.services.db.insert(tables.apiKeys).values({ id, orgId: org.id, name: 'k', role: 'admin', secretHash })
  return { ownerToken: token, orgId: org.id, key }
}

test('a person is limited per account whichever addresses the calls come from', async () => {
  const { token } = await person()
  for (let i = 0; i < scaled(ORGS_CREATE); i++) await (await api.caller(token)).orgs.create({ name: `O${i}` })
  // Every call came from a new address, so no address limit was near.
  const e = await fails((await api.caller(token)).orgs.create({ name: 'one too many' }))
  assert.is(codeOf(e), 'RATE_LIMITED')
  assert.match(e.message, /Too many requests of this kind \(orgs\.create\)\. Try again in \d+ seconds\./)
  // Someone else is not affected.
  const other = await person()
  assert.ok(await (await api.caller(other.token)).orgs.create({ name: 'mine' }))
})

test('one address is limited however many accounts it spreads the calls over', async () => {
  const ip = '203.0.113.7'
  const perAddress = scaled(ORGS_CREATE * ADDRESS_LIMIT_FACTOR)
  const accounts = await Promise.all(Array.from({ length: perAddress + 1 }, () => person()))
  for (const { token } of accounts.slice(0, perAddress))
    await (await api.caller(token, {}, { ip })).orgs.create({ name: 'sprayed' })
  const last = accounts[perAddress]!
  const e = await fails((await api.caller(last.token, {}, { ip })).orgs.create({ name: 'sprayed' }))
  assert.is(codeOf(e), 'RATE_LIMITED')
  assert.match(e.message, /from your address/)
  // That account is fine from its own address: only the address ran out.
  assert.ok(await (await api.caller(last.token)).orgs.create({ name: 'from home' }))
})

test('an API key is limited per key across addresses, and per address across keys', async () => {
  const { orgId, key } = await orgWithAdminKey()
  for (let i = 0; i < scaled(API_KEYS_CREATE); i++)
    await (await api.caller(key)).apiKeys.create({ orgId, name: `k${i}`, role: 'viewer' })
  const e = await fails((await api.caller(key)).apiKeys.create({ orgId, name: 'one too many', role: 'viewer' }))
  assert.is(codeOf(e), 'RATE_LIMITED')
  assert.match(e.message, /\(apiKeys\.create\)/)

  // Many keys (of one organization) from one address.
  const ip = '198.51.100.23'
  const perAddress = scaled(API_KEYS_CREATE * ADDRESS_LIMIT_FACTOR)
  const keys: string[] = []
  for (let i = 0; i <= perAddress; i++) {
    const k = generateApiKey()
    await api.services.db
      .insert(tables.apiKeys)
      .values({ id: k.id, orgId, name: `spray ${i}`, role: 'admin', secretHash: k.secretHash })
    keys.push(k.key)
  }
  for (const k of keys.slice(0, perAddress))
    await (await api.caller(k, {}, { ip })).apiKeys.create({ orgId, name: 'x', role: 'viewer' })
  const spray = await fails(
    (await api.caller(keys[perAddress]!, {}, { ip })).apiKeys.create({ orgId, name: 'x', role: 'viewer' }),
  )
  assert.is(codeOf(spray), 'RATE_LIMITED')
  assert.match(spray.message, /from your address/)
  const rows = await api.services.db.select({ id: tables.apiKeys.id }).from(tables.apiKeys)
  assert.is(rows.length, 1 + scaled(API_KEYS_CREATE) + perAddress + 1 + perAddress, 'refused calls created no key')
})

test('sign-up is limited per address and per email asked for, from any address', async () => {
  const ip = '192.0.2.50'
  for (let i = 0; i < scaled(SIGN_UP_PER_IP.limit); i++)
    await (await api.caller(null, {}, { ip })).auth.signUp({
      email: `burst${i}@example.com`,
      password: 'correct horse 42',
      name: 'B',
    })
  const e = await fails(
    (await api.caller(null, {}, { ip })).auth.signUp({
      email: 'burst-last@example.com',
      password: 'correct horse 42',
      name: 'B',
    }),
  )
  assert.is(codeOf(e), 'RATE_LIMITED')
  assert.match(e.message, /from your address/)

  // One email from many addresses: EMAIL_TAKEN (which says the account exists) is not an open oracle.
  const email = 'probed@example.com'
  await (await api.caller()).auth.signUp({ email, password: 'correct horse 42', name: 'P' })
  // The successful sign-up counted once; the next attempts say EMAIL_TAKEN until the email's limit is reached.
  for (let i = 1; i < scaled(SIGN_UP_PER_EMAIL.limit); i++) {
    const taken = await fails((await api.caller()).auth.signUp({ email, password: 'other horse 42', name: 'X' }))
    assert.is(codeOf(taken), 'EMAIL_TAKEN')
  }
  const refused = await fails((await api.caller()).auth.signUp({ email, password: 'other horse 42', name: 'X' }))
  assert.is(codeOf(refused), 'RATE_LIMITED')
  assert.match(refused.message, /sign-up attempts for this email/)
})

test('sign-in from one address is limited however many accounts it tries', async () => {
  const ip = '192.0.2.99'
  const accounts = await Promise.all(Array.from({ length: 3 }, () => person()))
  const perAddress = scaled(SIGN_IN_PER_IP.limit)
  for (let i = 0; i < perAddress; i++) {
    const e = await fails(
      (await api.caller(null, {}, { ip })).auth.signIn({
        email: `guess${i}@example.com`,
        password: 'wrong horse 42',
      }),
    )
    assert.is(codeOf(e), 'INVALID_CREDENTIALS')
  }
  // Even the right password of a real account is refused from that address now...
  const e = await fails(
    (await api.caller(null, {}, { ip })).auth.signIn({ email: accounts[0]!.email, password: 'correct horse 42' }),
  )
  assert.is(codeOf(e), 'RATE_LIMITED')
  assert.match(e.message, /sign-in attempts from your address/)
  // ...and from another address it works.
  const ok = await (await api.caller()).auth.signIn({ email: accounts[0]!.email, password: 'correct horse 42' })
  assert.ok(!ok.twoFactorRequired)
  assert.is(ok.twoFactorRequired ? null : ok.user.email, accounts[0]!.email)
})

test.run()
