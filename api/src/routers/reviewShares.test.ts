import { AccessChangedEventSchema, AccessSubjects, hashToken, tables } from '@cutroom/schema'
import type { NatsConnection } from '@nats-io/nats-core'
import { connect } from '@nats-io/transport-node'
import { and, eq } from 'drizzle-orm'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { TRPCError } from '@trpc/server'
import { stableCodeOf } from '../apiError'
import { createContext } from '../context'
import { type MediaTestApi, startMediaTestApi } from '../media/startMediaTestApi'
import { appRouter } from '../router'
import { createCallerFactory } from '../trpc'

const createCaller = createCallerFactory(appRouter)
let api: MediaTestApi
let nc: NatsConnection
let ip = 0

const codeOf = (e: unknown) => stableCodeOf(e as TRPCError)
const failure = (p: Promise<unknown>): Promise<Error> =>
  p.then(
    () => {
      throw new Error('should have failed')
    },
    (e: unknown) => e as Error,
  )
const expectCode = async (p: Promise<unknown>, code: string) => assert.is(codeOf(await failure(p)), code)

async function caller(token?: string, headers: Record<string, string> = {}) {
  const auth = token ? { authorization: `Bearer ${token}` } : {}
  return createCaller(
    await createContext(api.services, { headers: { ...auth, ...headers }, ip: `10.3.0.${++ip % 250}` }),
  )
}
type Caller = Awaited<ReturnType<typeof caller>>

let n = 0
async function person(name: string) {
  const { user, token } = await (await caller()).auth.signUp({
    email: `${name}${++n}@example.com`,
    password: 'correct horse 42',
    name,
  })
  return { user, token, call: await caller(token) }
}

async function uploaded(call: Caller, projectId: string, versionOf?: string) {
  const bytes = Buffer.alloc(3000, 7)
  const started = await call.assets.createUpload({
    projectId,
    filename: 'spot.mp4',
    size: bytes.length,
    contentType: 'video/mp4',
    versionOf,
  })
  if (started.upload.mode !== 'single') throw new Error('expected a single PUT')
  const put = await fetch(started.upload.url, { method: 'PUT', headers: started.upload.headers, body: bytes })
  assert.is(put.status, 200)
  await call.assets.completeUpload({ assetId: started.asset.id })
  return started.asset
}

/** An organization with a project, two versions of a clip, a review of v2 against v1 and an unrelated asset. */
async function studio() {
  const owner = await person('owner')
  const org = await owner.call.orgs.create({ name: `Studio ${n}` })
  // the team plan: some tests add more members than the free plan's seats
  await api.services.db.update(tables.organizations).set({ plan: 'team' }).where(eq(tables.organizations.id, org.id))
  const project = await owner.call.projects.create({ orgId: org.id, name: 'Film' })
  const v1 = await uploaded(owner.call, project.id)
  const v2 = await uploaded(owner.call, project.id, v1.id)
  const unrelated = await uploaded(owner.call, project.id)
  const review = await owner.call.reviews.create({ projectId: project.id, assetId: v2.id, compareTo: v1.id })
  return { owner, org, project, v1, v2, unrelated, review }
}

const inDays = (days: number) => new Date(Date.now() + days * 24 * 60 * 60 * 1000).toISOString()
const tokenOf = (url: string) => url.slice(url.lastIndexOf('/r/') + 3)

async function join(url: string, name = 'Dana Client') {
  return (await caller()).reviews.guestJoin({ token: tokenOf(url), name })
}

test.before(async () => {
  api = await startMediaTestApi({ PUBLIC_URL: 'https://cutroom.example' })
  nc = await connect({ servers: api.nats.url })
})
test.after(async () => {
  await nc.drain()
  await api.close()
})

test('a link is shown once, stored hashed, listed without its token, audited; a guest joins with a name', async () => {
  const { owner, org, review } = await studio()
  const link = await owner.call.reviews.share({ reviewId: review.id, expiresAt: inDays(7), allowComments: true })
  assert.match(link.url, /^https:\/\/cutroom\.example\/r\/[a-z2-7]{32}$/)
  assert.is(link.status, 'active')
  const [row] = await api.services.db.select().from(tables.reviewShares).where(eq(tables.reviewShares.id, link.id))
  assert.is(row!.tokenHash, hashToken(tokenOf(link.url)), 'only the hash is stored')
  assert.not.ok(JSON.stringify(row).includes(tokenOf(link.url)))
  const listed = await owner.call.reviews.shares({ reviewId: review.id })
  assert.equal(
    listed.map((s) => [s.id, s.status, s.allowComments, s.guests]),
    [[link.id, 'active', true, 0]],
  )
  assert.not.ok(JSON.stringify(listed).includes(tokenOf(link.url)), 'the list never carries the token')

  const guest = await join(link.url)
  assert.match(guest.token, /^crg_/)
  assert.equal([guest.reviewId, guest.name, guest.allowComments], [review.id, 'Dana Client', true])
  assert.ok(guest.expiresAt.getTime() <= Date.now() + 12 * 60 * 60 * 1000 + 1000, 'a guest credential is short-lived')
  assert.is((await owner.call.reviews.shares({ reviewId: review.id }))[0]!.guests, 1)

  const audit = await api.services.db
    .select({ action: tables.auditLog.action, targetId: tables.auditLog.targetId, details: tables.auditLog.details })
    .from(tables.auditLog)
    .where(and(eq(tables.auditLog.orgId, org.id), eq(tables.auditLog.targetType, 'review_share')))
    .orderBy(tables.auditLog.id)
  assert.equal(
    audit.map((a) => a.action),
    ['review.share', 'review.guestJoin'],
  )
  assert.is((audit[1]!.details as { guestName: string }).guestName, 'Dana Client')
})

test('who may share: owners, admins, editors and reviewers; viewers, strangers and bad expiries are refused', async () => {
  const { owner, org, review } = await studio()
  for (const role of ['admin', 'editor', 'reviewer'] as const) {
    const p = await person(role)
    await owner.call.orgs.members.add({ orgId: org.id, email: p.user.email, role })
    const link = await p.call.reviews.share({ reviewId: review.id, expiresAt: inDays(1), allowComments: false })
    assert.is(link.status, 'active', role)
  }
  const viewer = await person('viewer')
  await owner.call.orgs.members.add({ orgId: org.id, email: viewer.user.email, role: 'viewer' })
  await expectCode(
    viewer.call.reviews.share({ reviewId: review.id, expiresAt: inDays(1), allowComments: true }),
    'FORBIDDEN_ROLE',
  )
  await expectCode(viewer.call.reviews.shares({ reviewId: review.id }), 'FORBIDDEN_ROLE')
  const stranger = await person('stranger')
  await expectCode(
    stranger.call.reviews.share({ reviewId: review.id, expiresAt: inDays(1), allowComments: true }),
    'NOT_FOUND',
  )
  await expectCode(stranger.call.reviews.shares({ reviewId: review.id }), 'NOT_FOUND')
  const mine = (await owner.call.reviews.shares({ reviewId: review.id }))[0]!
  await expectCode(stranger.call.reviews.revokeShare({ id: mine.id }), 'NOT_FOUND')
  await expectCode(viewer.call.reviews.revokeShare({ id: mine.id }), 'FORBIDDEN_ROLE')

  for (const expiresAt of [inDays(-1), inDays(91), 'tomorrow']) {
    const e = await failure(owner.call.reviews.share({ reviewId: review.id, expiresAt, allowComments: true }))
    assert.is(codeOf(e), 'BAD_INPUT', expiresAt)
  }
  const tooLate = await failure(
    owner.call.reviews.share({ reviewId: review.id, expiresAt: inDays(91), allowComments: true }),
  )
  assert.match(tooLate.message, /at most 90 days/)
  assert.is((await owner.call.reviews.shares({ reviewId: review.id })).length, 3, 'refusals created no link')
  await expectCode(
    (await caller()).reviews.share({ reviewId: review.id, expiresAt: inDays(1), allowComments: true }),
    'UNAUTHENTICATED',
  )
})

test('a guest sees its one review and its two versions’ media, and nothing else', async () => {
  const { owner, project, v1, v2, unrelated, review } = await studio()
  const other = await owner.call.reviews.create({ projectId: project.id, assetId: unrelated.id })
  const link = await owner.call.reviews.share({ reviewId: review.id, expiresAt: inDays(2), allowComments: true })
  const { token } = await join(link.url)
  const guest = await caller(token)

  const seen = await guest.reviews.get({ id: review.id })
  assert.equal([seen.role, seen.guest?.name], ['guest', 'Dana Client'])
  assert.is(seen.qaDocument.access, 'write', 'a guest comments on the qa document')
  assert.is(seen.workflowDocument.access, 'read')
  assert.equal([seen.asset?.id, seen.compareTo?.id], [v2.id, v1.id])
  assert.is(seen.asset?.sourceUrl, `/media/source/${v2.id}`)

  // every other procedure refuses: another review, the project, its assets, documents, members, the person
  await expectCode(guest.reviews.get({ id: other.id }), 'NOT_FOUND')
  await expectCode(guest.reviews.list({ projectId: project.id }), 'UNAUTHENTICATED')
  await expectCode(guest.projects.get({ id: project.id }), 'UNAUTHENTICATED')
  await expectCode(guest.assets.get({ id: v2.id }), 'UNAUTHENTICATED')
  await expectCode(guest.assets.versions({ assetId: v2.id }), 'UNAUTHENTICATED')
  await expectCode(guest.documents.get({ id: review.qaDocumentId }), 'UNAUTHENTICATED')
  await expectCode(guest.reviews.shares({ reviewId: review.id }), 'UNAUTHENTICATED')
  await expectCode(
    guest.reviews.share({ reviewId: review.id, expiresAt: inDays(1), allowComments: true }),
    'UNAUTHENTICATED',
  )
  await expectCode(guest.qa.assign({ reviewId: review.id, findingId: 'f', assigneeId: null }), 'UNAUTHENTICATED')
  await expectCode(guest.orgs.list(), 'UNAUTHENTICATED')
  assert.is(await guest.auth.me(), null, 'a guest is nobody signed in')

  // media over HTTP: the two versions' files are served to the guest (Bearer or cookie), the unrelated one is not
  const get = (path: string, headers: Record<string, string>) => fetch(`${api.url}${path}`, { headers })
  const bearer = { authorization: `Bearer ${token}` }
  const cookie = { cookie: `cutroom_guest=${token}` }
  for (const id of [v1.id, v2.id]) {
    const res = await get(`/media/source/${id}`, bearer)
    assert.is(res.status, 200, `version ${id}`)
    assert.is((await res.arrayBuffer()).byteLength, 3000)
  }
  assert.is((await get(`/media/source/${v2.id}`, cookie)).status, 200, 'the browser cookie works too')
  assert.is((await get(`/media/source/${unrelated.id}`, bearer)).status, 404)
  assert.is((await get(`/media/source/${v2.id}`, {})).status, 401)
  assert.is((await get(`/media/source/${v2.id}`, { authorization: `Bearer crg_${'a'.repeat(32)}` })).status, 401)

  // a guest of another tenant's review gets nothing of this one
  const theirs = await studio()
  const theirLink = await theirs.owner.call.reviews.share({
    reviewId: theirs.review.id,
    expiresAt: inDays(1),
    allowComments: true,
  })
  const intruder = await caller((await join(theirLink.url)).token)
  await expectCode(intruder.reviews.get({ id: review.id }), 'NOT_FOUND')
  assert.is(
    (await get(`/media/source/${v2.id}`, { authorization: `Bearer ${(await join(theirLink.url)).token}` })).status,
    404,
  )
})

test('without comments the guest reads the qa document; expired, revoked and unknown links are refused clearly', async () => {
  const { owner, org, review } = await studio()
  const readOnly = await owner.call.reviews.share({ reviewId: review.id, expiresAt: inDays(1), allowComments: false })
  const readerToken = (await join(readOnly.url, 'Reader')).token
  assert.is((await (await caller(readerToken)).reviews.get({ id: review.id })).qaDocument.access, 'read')

  // expiry: the link's row moved into the past refuses new joins and ends the guests already in
  await api.services.db
    .update(tables.reviewShares)
    .set({ expiresAt: new Date(Date.now() - 60_000) })
    .where(eq(tables.reviewShares.id, readOnly.id))
  const expired = await failure(join(readOnly.url))
  assert.is(codeOf(expired), 'LINK_EXPIRED')
  assert.match(expired.message, /This review link expired on .* Ask for a new link\./)
  // each request checks the guest afresh (a caller holds one request's context)
  await expectCode((await caller(readerToken)).reviews.get({ id: review.id }), 'UNAUTHENTICATED')
  assert.is((await owner.call.reviews.shares({ reviewId: review.id }))[0]!.status, 'expired')

  const open = await owner.call.reviews.share({ reviewId: review.id, expiresAt: inDays(1), allowComments: true })
  const { token } = await join(open.url)
  const events: unknown[] = []
  const sub = nc.subscribe(AccessSubjects.org(org.id))
  ;(async () => {
    for await (const m of sub) events.push(AccessChangedEventSchema.parse(m.json()))
  })()
  await nc.flush()
  const revoked = await owner.call.reviews.revokeShare({ id: open.id })
  assert.is(revoked.status, 'revoked')
  await nc.flush()
  const deadline = Date.now() + 3000
  while (events.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
  sub.unsubscribe()
  assert.equal(events, [{ orgId: org.id, shareId: open.id, reason: 'share-revoked' }], 'collab is told to re-check')
  const refused = await failure(join(open.url))
  assert.is(codeOf(refused), 'LINK_REVOKED')
  assert.match(refused.message, /revoked/)
  await expectCode((await caller(token)).reviews.get({ id: review.id }), 'UNAUTHENTICATED')
  // revoking again changes nothing and writes no second audit row
  await owner.call.reviews.revokeShare({ id: open.id })
  const revokes = await api.services.db
    .select()
    .from(tables.auditLog)
    .where(and(eq(tables.auditLog.orgId, org.id), eq(tables.auditLog.action, 'review.revokeShare')))
  assert.is(revokes.length, 1)

  const unknown = await failure((await caller()).reviews.guestJoin({ token: 'a'.repeat(32), name: 'X' }))
  assert.is(codeOf(unknown), 'NOT_FOUND')
  assert.match(unknown.message, /not valid/)
  await expectCode((await caller()).reviews.guestJoin({ token: tokenOf(open.url), name: '   ' }), 'BAD_INPUT')
  await expectCode((await caller()).reviews.guestJoin({ token: 'x'.repeat(200), name: 'X' }), 'BAD_INPUT')
})

test.run()
