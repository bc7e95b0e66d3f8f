import { type ApiClient, createApiClient } from '@cutroom/api'
import { listProcedures, startTestApiServer, type TestApiServer } from '@cutroom/api/testing'
import { type Action, can, ROLES, type Role } from '@cutroom/schema'
import postgres from 'postgres'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

/**
 * The role matrix over HTTP: every principal (each role as a person and as an API key, a member of another
 * organization, anonymous, an expired session, a signed-out session, a revoked key) against every identity
 * and tenancy procedure, with the expected outcome derived from ACTION_MIN_ROLE.
 */

const PASSWORD = 'correct horse 42'
let server: TestApiServer
let sql: postgres.Sql

type Principal = {
  label: string
  client: ApiClient
  role: Role | null
  kind: 'user' | 'key' | 'outsider' | 'anon' | 'dead'
  viaKey?: boolean
}

interface Fixtures {
  orgId: string
  projectId: string
  documentId: string
  subjectId: string
  freshUser(): Promise<{ id: string; email: string }>
  freshMember(): Promise<string>
  freshKey(): Promise<string>
  freshProject(): Promise<string>
}

/** Who may call: an Action from ACTION_MIN_ROLE, 'public', any principal ('authed'), or people only ('user'). */
type Need = Action | 'public' | 'authed' | 'user'
interface Case {
  name: string
  need: Need
  run(c: ApiClient, f: Fixtures): Promise<unknown>
}

const cases: Case[] = [
  { name: 'system.ping', need: 'public', run: (c) => c.system.ping.query() },
  { name: 'system.config', need: 'public', run: (c) => c.system.config.query() },
  { name: 'auth.me', need: 'public', run: (c) => c.auth.me.query() },
  { name: 'auth.sessions.list', need: 'user', run: (c) => c.auth.sessions.list.query() },
  { name: 'auth.totp.status', need: 'user', run: (c) => c.auth.totp.status.query() },
  { name: 'auth.totp.setup', need: 'user', run: (c) => c.auth.totp.setup.mutate() },
  { name: 'orgs.create', need: 'user', run: (c) => c.orgs.create.mutate({ name: 'Another' }) },
  { name: 'orgs.list', need: 'authed', run: (c) => c.orgs.list.query() },
  { name: 'orgs.get', need: 'org.read', run: (c, f) => c.orgs.get.query({ id: f.orgId }) },
  { name: 'orgs.members.list', need: 'org.read', run: (c, f) => c.orgs.members.list.query({ orgId: f.orgId }) },
  {
    name: 'orgs.members.add',
    need: 'org.manageMembers',
    run: async (c, f) =>
      c.orgs.members.add.mutate({ orgId: f.orgId, email: (await f.freshUser()).email, role: 'viewer' }),
  },
  {
    name: 'orgs.members.setRole',
    need: 'org.manageMembers',
    run: (c, f) => c.orgs.members.setRole.mutate({ orgId: f.orgId, userId: f.subjectId, role: 'viewer' }),
  },
  {
    name: 'orgs.members.remove',
    need: 'org.manageMembers',
    run: async (c, f) => c.orgs.members.remove.mutate({ orgId: f.orgId, userId: await f.freshMember() }),
  },
  {
    name: 'apiKeys.create',
    need: 'org.manageApiKeys',
    run: (c, f) => c.apiKeys.create.mutate({ orgId: f.orgId, name: 'k', role: 'viewer' }),
  },
  { name: 'apiKeys.list', need: 'org.manageApiKeys', run: (c, f) => c.apiKeys.list.query({ orgId: f.orgId }) },
  {
    name: 'apiKeys.revoke',
    need: 'org.manageApiKeys',
    run: async (c, f) => c.apiKeys.revoke.mutate({ id: await f.freshKey() }),
  },
  {
    name: 'projects.create',
    need: 'project.create',
    run: (c, f) => c.projects.create.mutate({ orgId: f.orgId, name: 'P' }),
  },
  { name: 'projects.list', need: 'project.read', run: (c, f) => c.projects.list.query({ orgId: f.orgId }) },
  { name: 'projects.get', need: 'project.read', run: (c, f) => c.projects.get.query({ id: f.projectId }) },
  {
    name: 'projects.rename',
    need: 'project.update',
    run: (c, f) => c.projects.rename.mutate({ id: f.projectId, name: 'Main' }),
  },
  {
    name: 'projects.delete',
    need: 'project.delete',
    run: async (c, f) => c.projects.delete.mutate({ id: await f.freshProject() }),
  },
  {
    name: 'documents.create',
    need: 'document.create',
    run: (c, f) => c.documents.create.mutate({ projectId: f.projectId, kind: 'timeline', title: 'T' }),
  },
  { name: 'documents.list', need: 'document.read', run: (c, f) => c.documents.list.query({ projectId: f.projectId }) },
  { name: 'documents.get', need: 'document.read', run: (c, f) => c.documents.get.query({ id: f.documentId }) },
  { name: 'audit.list', need: 'org.readAudit', run: (c, f) => c.audit.list.query({ orgId: f.orgId }) },
]

/** Procedures that end or replace the caller's own session; auth tests cover them. */
const COVERED_ELSEWHERE = [
  'auth.signUp',
  'auth.signIn',
  'auth.signOut',
  'auth.changePassword',
  // Two-factor, sessions and password reset: api/src/routers/accounts.test.ts.
  'auth.signIn2fa',
  'auth.totp.enable',
  'auth.totp.disable',
  'auth.recoveryCodes.regenerate',
  'auth.sessions.revoke',
  'auth.sessions.revokeOthers',
  'auth.passwordReset.request',
  'auth.passwordReset.complete',
]
/** Routers this matrix is responsible for; document versions are tested with their own router. */
const OWN_ROUTERS = ['system', 'auth', 'orgs', 'apiKeys', 'projects', 'documents', 'audit']
const OTHERS_INSIDE = ['documents.versions.']

function expected(p: Principal, need: Need): string {
  if (need === 'public') return 'ok'
  if (p.kind === 'anon' || p.kind === 'dead') return 'UNAUTHENTICATED'
  if (need === 'authed') return 'ok'
  if (need === 'user') return p.kind === 'key' || p.viaKey ? 'FORBIDDEN_ROLE' : 'ok'
  if (p.kind === 'outsider') return 'NOT_FOUND'
  return can(p.role!, need) ? 'ok' : 'FORBIDDEN_ROLE'
}

async function outcome(run: () => Promise<unknown>): Promise<string> {
  try {
    await run()
    return 'ok'
  } catch (err) {
    return (err as { data?: { code?: string } }).data?.code ?? `unexpected: ${(err as Error).message}`
  }
}

let n = 0
const principals: Principal[] = []
let fixtures: Fixtures

async function signUp(name: string) {
  const anon = createApiClient({ url: server.url })
  const { user, token } = await anon.auth.signUp.mutate({
    email: `${name}-${++n}@example.com`,
    password: PASSWORD,
    name,
  })
  return { user, token, client: createApiClient({ url: server.url, token }) }
}

test.before(async () => {
  // Every principal shares one address here, so sign-up limits are raised explicitly.
  server = await startTestApiServer({ RATE_LIMIT_MULTIPLIER: '100', BILLING_MODE: 'manual' })
  sql = postgres(server.databaseUrl, { max: 1, onnotice: () => {} })
  const owner = await signUp('owner')
  const org = await owner.client.orgs.create.mutate({ name: 'Studio A' })
  // a paying studio (self-hosted plan change): these tests are about other things than the free plan's limits
  await owner.client.billing.setPlan.mutate({ orgId: org.id, plan: 'team' })
  principals.push({ label: 'owner', client: owner.client, role: 'owner', kind: 'user' })
  for (const role of ROLES.filter((r) => r !== 'owner')) {
    const p = await signUp(role)
    await owner.client.orgs.members.add.mutate({ orgId: org.id, email: p.user.email, role })
    principals.push({ label: role, client: p.client, role, kind: 'user' })
  }
  for (const role of ROLES) {
    const { key } = await owner.client.apiKeys.create.mutate({ orgId: org.id, name: `key ${role}`, role })
    principals.push({
      label: `key:${role}`,
      client: createApiClient({ url: server.url, token: key }),
      role,
      kind: 'key',
    })
  }
  const outsider = await signUp('outsider')
  const orgB = await outsider.client.orgs.create.mutate({ name: 'Studio B' })
  const outsiderKey = await outsider.client.apiKeys.create.mutate({ orgId: orgB.id, name: 'b', role: 'owner' })
  principals.push({ label: 'outsider (owner of B)', client: outsider.client, role: null, kind: 'outsider' })
  principals.push({
    label: 'outsider key (owner of B)',
    client: createApiClient({ url: server.url, token: outsiderKey.key }),
    role: null,
    kind: 'outsider',
    viaKey: true,
  })
  principals.push({ label: 'anonymous', client: createApiClient({ url: server.url }), role: null, kind: 'anon' })

  // Dead credentials that once belonged to owners of A.
  const expired = await signUp('expired')
  await owner.client.orgs.members.add.mutate({ orgId: org.id, email: expired.user.email, role: 'owner' })
  await sql`update sessions set expires_at = now() - interval '1 second' where user_id = ${expired.user.id}`
  principals.push({ label: 'expired session', client: expired.client, role: null, kind: 'dead' })
  const signedOut = await signUp('signedout')
  await owner.client.orgs.members.add.mutate({ orgId: org.id, email: signedOut.user.email, role: 'owner' })
  await signedOut.client.auth.signOut.mutate()
  principals.push({ label: 'signed-out session', client: signedOut.client, role: null, kind: 'dead' })
  const revoked = await owner.client.apiKeys.create.mutate({ orgId: org.id, name: 'revoked', role: 'owner' })
  await owner.client.apiKeys.revoke.mutate({ id: revoked.id })
  principals.push({
    label: 'revoked key',
    client: createApiClient({ url: server.url, token: revoked.key }),
    role: null,
    kind: 'dead',
  })
  principals.push({
    label: 'garbage bearer',
    client: createApiClient({ url: server.url, token: 'crk_nope' }),
    role: null,
    kind: 'dead',
  })

  const subject = await signUp('subject')
  await owner.client.orgs.members.add.mutate({ orgId: org.id, email: subject.user.email, role: 'viewer' })
  const project = await owner.client.projects.create.mutate({ orgId: org.id, name: 'Main' })
  const doc = await owner.client.documents.create.mutate({ projectId: project.id, kind: 'timeline', title: 'Cut' })
  fixtures = {
    orgId: org.id,
    projectId: project.id,
    documentId: doc.id,
    subjectId: subject.user.id,
    freshUser: async () => (await signUp('candidate')).user,
    freshMember: async () => {
      const u = (await signUp('member')).user
      await owner.client.orgs.members.add.mutate({ orgId: org.id, email: u.email, role: 'viewer' })
      return u.id
    },
    freshKey: async () =>
      (await owner.client.apiKeys.create.mutate({ orgId: org.id, name: 'doomed', role: 'viewer' })).id,
    freshProject: async () => (await owner.client.projects.create.mutate({ orgId: org.id, name: 'Doomed' })).id,
  }
})

test.after(async () => {
  await sql.end()
  await server.close()
})

test('every procedure of these routers is in the matrix', async () => {
  const all = listProcedures().filter(
    (p) => OWN_ROUTERS.includes(p.split('.')[0]!) && !OTHERS_INSIDE.some((prefix) => p.startsWith(prefix)),
  )
  const covered = new Set([...cases.map((c) => c.name), ...COVERED_ELSEWHERE])
  assert.equal(
    all.filter((p) => !covered.has(p)),
    [],
  )
})

test('role matrix: every principal against every procedure', async () => {
  const mismatches: string[] = []
  let rows = 0
  for (const c of cases) {
    for (const p of principals) {
      const want = expected(p, c.need)
      const got = await outcome(() => c.run(p.client, fixtures))
      rows++
      if (got !== want) mismatches.push(`${c.name} as ${p.label}: expected ${want}, got ${got}`)
    }
  }
  assert.equal(mismatches, [], mismatches.join('\n'))
  assert.ok(rows >= cases.length * 17, `ran ${rows} rows`)
})

test('cross-tenant ids answer exactly like missing ids', async () => {
  const outsider = principals.find((p) => p.kind === 'outsider')!.client
  const missing = '5f0c7a9e-1111-4222-8333-944445555666'
  const pairs: [string, () => Promise<unknown>, () => Promise<unknown>][] = [
    [
      'projects.get',
      () => outsider.projects.get.query({ id: fixtures.projectId }),
      () => outsider.projects.get.query({ id: missing }),
    ],
    [
      'documents.get',
      () => outsider.documents.get.query({ id: fixtures.documentId }),
      () => outsider.documents.get.query({ id: missing }),
    ],
    [
      'documents.list',
      () => outsider.documents.list.query({ projectId: fixtures.projectId }),
      () => outsider.documents.list.query({ projectId: missing }),
    ],
    [
      'projects.list',
      () => outsider.projects.list.query({ orgId: fixtures.orgId }),
      () => outsider.projects.list.query({ orgId: missing }),
    ],
    [
      'orgs.members.list',
      () => outsider.orgs.members.list.query({ orgId: fixtures.orgId }),
      () => outsider.orgs.members.list.query({ orgId: missing }),
    ],
    [
      'projects.get (not a uuid)',
      () => outsider.projects.get.query({ id: fixtures.projectId }),
      () => outsider.projects.get.query({ id: 'guess' }),
    ],
  ]
  for (const [label, real, control] of pairs) {
    const a = await real().then(
      () => null,
      (e) => e,
    )
    const b = await control().then(
      () => null,
      (e) => e,
    )
    assert.ok(a && b, label)
    assert.is(a.data.code, 'NOT_FOUND', label)
    assert.is(a.data.httpStatus, b.data.httpStatus, label)
    assert.is(a.message, b.message, label)
  }
  // And nothing of A shows up in the outsider's own listings.
  const theirs = await outsider.orgs.list.query()
  assert.not.ok(theirs.some((o) => o.id === fixtures.orgId))
})

test.run()
