import { tables } from '@cutroom/schema'
import { eq } from 'drizzle-orm'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createTestApi, type TestApi } from '../testing/createTestApi'

let api: TestApi
const codeOf = (e: unknown) => (e as { cause?: { code?: string } })?.cause?.code
const fails = (p: Promise<unknown>) =>
  p.then(
    () => assert.unreachable('should have failed'),
    (e) => e,
  )
const expectCode = async (p: Promise<unknown>, code: string) => assert.is(codeOf(await fails(p)), code)

let n = 0
async function person(name: string) {
  const anon = await api.caller()
  const { user, token } = await anon.auth.signUp({
    email: `${name}${++n}@example.com`,
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

test('members: add by email, change role, remove; admins cannot touch owners; the last owner stays', async () => {
  const owner = await person('owner')
  const admin = await person('admin')
  const ed = await person('editor')
  const org = await owner.call.orgs.create({ name: 'Studio' })
  assert.is(org.role, 'owner')
  await owner.call.orgs.members.add({ orgId: org.id, email: admin.user.email.toUpperCase(), role: 'admin' })
  const adminCall = await api.caller(admin.token)
  await adminCall.orgs.members.add({ orgId: org.id, email: ed.user.email, role: 'editor' })
  await expectCode(adminCall.orgs.members.add({ orgId: org.id, email: ed.user.email, role: 'viewer' }), 'CONFLICT')
  await expectCode(
    adminCall.orgs.members.add({ orgId: org.id, email: 'ghost@example.com', role: 'viewer' }),
    'NOT_FOUND',
  )

  // An admin can neither grant owner nor change or remove an owner.
  await expectCode(
    adminCall.orgs.members.setRole({ orgId: org.id, userId: ed.user.id, role: 'owner' }),
    'FORBIDDEN_ROLE',
  )
  await expectCode(
    adminCall.orgs.members.setRole({ orgId: org.id, userId: owner.user.id, role: 'viewer' }),
    'FORBIDDEN_ROLE',
  )
  await expectCode(adminCall.orgs.members.remove({ orgId: org.id, userId: owner.user.id }), 'FORBIDDEN_ROLE')
  // An editor manages nobody.
  await expectCode(
    ed.call.orgs.members.setRole({ orgId: org.id, userId: admin.user.id, role: 'viewer' }),
    'FORBIDDEN_ROLE',
  )

  // The last owner can be neither demoted nor removed, not even by themselves.
  await expectCode(
    owner.call.orgs.members.setRole({ orgId: org.id, userId: owner.user.id, role: 'admin' }),
    'LAST_OWNER',
  )
  await expectCode(owner.call.orgs.members.remove({ orgId: org.id, userId: owner.user.id }), 'LAST_OWNER')
  // With a second owner, the first may step down.
  await owner.call.orgs.members.setRole({ orgId: org.id, userId: admin.user.id, role: 'owner' })
  await owner.call.orgs.members.setRole({ orgId: org.id, userId: owner.user.id, role: 'editor' })

  await adminCall.orgs.members.remove({ orgId: org.id, userId: ed.user.id })
  const members = await adminCall.orgs.members.list({ orgId: org.id })
  assert.equal(
    members.map((m) => [m.email, m.role]).sort(),
    [
      [admin.user.email, 'owner'],
      [owner.user.email, 'editor'],
    ].sort(),
  )
  assert.not.ok(JSON.stringify(members).includes('argon2'), 'no password hashes')
  await expectCode(ed.call.orgs.members.list({ orgId: org.id }), 'NOT_FOUND')

  const audit = await adminCall.audit.list({ orgId: org.id })
  const actions = audit.map((a) => a.action)
  for (const a of ['org.create', 'member.add', 'member.setRole', 'member.remove']) assert.ok(actions.includes(a), a)
  await expectCode((await api.caller(owner.token)).audit.list({ orgId: org.id }), 'FORBIDDEN_ROLE')
})

test('two owners demoting each other at the same moment: exactly one succeeds, one owner remains', async () => {
  for (let round = 0; round < 5; round++) {
    const a = await person('twinA')
    const b = await person('twinB')
    const org = await a.call.orgs.create({ name: `Twins ${round}` })
    await a.call.orgs.members.add({ orgId: org.id, email: b.user.email, role: 'owner' })
    const results = await Promise.allSettled([
      a.call.orgs.members.setRole({ orgId: org.id, userId: b.user.id, role: 'admin' }),
      b.call.orgs.members.setRole({ orgId: org.id, userId: a.user.id, role: 'admin' }),
    ])
    const outcomes = results.map((r) => (r.status === 'fulfilled' ? 'ok' : codeOf(r.reason))).sort()
    // The loser is either refused as the last owner or, demoted first, no longer allowed to grant roles.
    assert.ok(['FORBIDDEN_ROLE', 'LAST_OWNER'].includes(outcomes[0]!), String(outcomes[0]))
    assert.is(outcomes[1], 'ok')
    const owners = (
      await a.call.orgs.members.list({ orgId: org.id }).catch(() => b.call.orgs.members.list({ orgId: org.id }))
    ).filter((m) => m.role === 'owner')
    assert.is(owners.length, 1)
  }
})

test('API keys: shown once, hashed, role capped, scoped to their organization, revocable', async () => {
  const owner = await person('keyowner')
  const other = await person('other')
  const org = await owner.call.orgs.create({ name: 'Keys Inc' })
  const otherOrg = await other.call.orgs.create({ name: 'Elsewhere' })
  await other.call.projects.create({ orgId: otherOrg.id, name: 'Secret film' })

  const created = await owner.call.apiKeys.create({ orgId: org.id, name: 'CI', role: 'editor' })
  assert.match(created.key, /^crk_[a-z0-9]+_[a-z0-9]+$/)
  const [row] = await api.services.db.select().from(tables.apiKeys).where(eq(tables.apiKeys.id, created.id))
  assert.not.ok(row!.secretHash.includes(created.key.split('_')[2]!), 'the secret is not stored')
  const listed = await owner.call.apiKeys.list({ orgId: org.id })
  assert.is(listed.length, 1)
  assert.not.ok('key' in listed[0]! || 'secretHash' in listed[0]!)
  assert.is(listed[0]!.lastUsedAt, null)

  const key = await api.caller(created.key)
  const project = await key.projects.create({ orgId: org.id, name: 'Made by CI' })
  assert.equal(
    (await key.projects.list({ orgId: org.id })).map((p) => p.id),
    [project.id],
  )
  assert.equal(
    (await key.orgs.list()).map((o) => [o.id, o.role]),
    [[org.id, 'editor']],
  )
  assert.ok((await owner.call.apiKeys.list({ orgId: org.id }))[0]!.lastUsedAt, 'last use is recorded')
  // Limited to its organization; and an editor key cannot manage keys or members, nor create organizations.
  await expectCode(key.projects.list({ orgId: otherOrg.id }), 'NOT_FOUND')
  await expectCode(key.apiKeys.create({ orgId: org.id, name: 'x', role: 'viewer' }), 'FORBIDDEN_ROLE')
  await expectCode(key.orgs.create({ name: 'x' }), 'FORBIDDEN_ROLE')

  const adminKey = await owner.call.apiKeys.create({ orgId: org.id, name: 'admin', role: 'admin' })
  await expectCode(
    (await api.caller(adminKey.key)).apiKeys.create({ orgId: org.id, name: 'up', role: 'owner' }),
    'FORBIDDEN_ROLE',
  )

  await owner.call.apiKeys.revoke({ id: created.id })
  await expectCode((await api.caller(created.key)).projects.list({ orgId: org.id }), 'UNAUTHENTICATED')
  // A guessed or foreign key id is NOT_FOUND either way.
  await expectCode(other.call.apiKeys.revoke({ id: adminKey.id }), 'NOT_FOUND')
  await expectCode(other.call.apiKeys.revoke({ id: 'aaaaaaaaaaaaaaaa' }), 'NOT_FOUND')
  // A forged secret for a real id fails.
  const forged = `crk_${adminKey.id}_${'a'.repeat(32)}`
  await expectCode((await api.caller(forged)).orgs.list(), 'UNAUTHENTICATED')

  const actions = (await owner.call.audit.list({ orgId: org.id })).map((a) => a.action)
  assert.ok(
    actions.includes('apiKey.create') && actions.includes('apiKey.revoke') && actions.includes('project.create'),
  )
})

test('projects and documents: other tenants get NOT_FOUND, same as a missing id', async () => {
  const a = await person('alice')
  const b = await person('bob')
  const orgA = await a.call.orgs.create({ name: 'A' })
  const orgB = await b.call.orgs.create({ name: 'B' })
  const p = await a.call.projects.create({ orgId: orgA.id, name: 'Feature', fpsNum: 30000, fpsDen: 1001 })
  assert.is(p.fpsDen, 1001)
  const doc = await a.call.documents.create({ projectId: p.id, kind: 'timeline', title: 'Cut 1' })
  assert.is(doc.name, `doc:${doc.id}`)
  assert.is((await a.call.documents.get({ id: doc.id })).access, 'write')
  assert.equal(
    (await a.call.documents.list({ projectId: p.id })).map((d) => d.id),
    [doc.id],
  )

  const missing = '00000000-0000-4000-8000-000000000000'
  for (const [label, attempt, control] of [
    ['projects.get', () => b.call.projects.get({ id: p.id }), () => b.call.projects.get({ id: missing })],
    ['documents.get', () => b.call.documents.get({ id: doc.id }), () => b.call.documents.get({ id: missing })],
    [
      'documents.list',
      () => b.call.documents.list({ projectId: p.id }),
      () => b.call.documents.list({ projectId: missing }),
    ],
    ['projects.list', () => b.call.projects.list({ orgId: orgA.id }), () => b.call.projects.list({ orgId: missing })],
    [
      'projects.rename',
      () => b.call.projects.rename({ id: p.id, name: 'x' }),
      () => b.call.projects.rename({ id: missing, name: 'x' }),
    ],
  ] as const) {
    const real = (await fails(attempt())) as Error
    const none = (await fails(control())) as Error
    assert.is(codeOf(real), 'NOT_FOUND', label)
    assert.is(real.message, none.message, label)
  }
  assert.equal(await b.call.projects.list({ orgId: orgB.id }), [])

  // A viewer reads but cannot create; a reviewer may write only qa documents.
  const v = await person('viewer')
  await a.call.orgs.members.add({ orgId: orgA.id, email: v.user.email, role: 'reviewer' })
  const reviewer = await api.caller(v.token)
  assert.is((await reviewer.documents.get({ id: doc.id })).access, 'read')
  await expectCode(reviewer.documents.create({ projectId: p.id, kind: 'qa', title: 'x' }), 'FORBIDDEN_ROLE')
  await expectCode(reviewer.projects.create({ orgId: orgA.id, name: 'x' }), 'FORBIDDEN_ROLE')
})

test('Idempotency-Key: the same key and principal return the first response', async () => {
  const a = await person('idem')
  const org = await a.call.orgs.create({ name: 'Idem' })
  const withKey = await api.caller(a.token, { 'idempotency-key': 'create-project-1' })
  const first = await withKey.projects.create({ orgId: org.id, name: 'Once' })
  const again = await (await api.caller(a.token, { 'idempotency-key': 'create-project-1' })).projects.create({
    orgId: org.id,
    name: 'Once',
  })
  assert.is(again.id, first.id)
  assert.is((await a.call.projects.list({ orgId: org.id })).length, 1)
  // Another principal with the same key is independent.
  const b = await person('idem2')
  const orgB = await b.call.orgs.create({ name: 'Idem B' })
  const theirs = await (await api.caller(b.token, { 'idempotency-key': 'create-project-1' })).projects.create({
    orgId: orgB.id,
    name: 'Once',
  })
  assert.is.not(theirs.id, first.id)
  // Reusing a key for another procedure is a conflict; a failed request frees its key.
  await expectCode(
    (await api.caller(a.token, { 'idempotency-key': 'create-project-1' })).documents.create({
      projectId: first.id,
      kind: 'qa',
      title: 'x',
    }),
    'CONFLICT',
  )
  await expectCode(
    (await api.caller(a.token, { 'idempotency-key': 'k2' })).projects.create({ orgId: orgB.id, name: 'no' }),
    'NOT_FOUND',
  )
  const later = await (await api.caller(a.token, { 'idempotency-key': 'k2' })).projects.create({
    orgId: org.id,
    name: 'Second',
  })
  assert.is(later.name, 'Second')
})

test('input bounds: oversized and malformed input is refused and changes nothing', async () => {
  const a = await person('bounds')
  const org = await a.call.orgs.create({ name: 'Bounds' })
  const e = (await fails(a.call.projects.create({ orgId: org.id, name: 'x'.repeat(10_000) }))) as { code: string }
  assert.is(e.code, 'BAD_REQUEST')
  await fails(a.call.projects.create({ orgId: org.id, name: '   ' }))
  await fails(a.call.documents.create({ projectId: org.id, kind: 'spreadsheet' as 'qa', title: 'x' }))
  assert.equal(await a.call.projects.list({ orgId: org.id }), [])
})

test.run()
