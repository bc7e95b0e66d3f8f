import { request } from 'node:http'
import { tables } from '@cutroom/schema'
import { eq } from 'drizzle-orm'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createApiClient } from './apiClient'
import { startTestApiServer, type TestApiServer } from './testing'

/**
 * Cross-site request forgery over real HTTP: a mutation sent with the session cookie from a page of another
 * origin is refused before it runs; the app's own pages, configured origins and Bearer scripts are not.
 */

let server: TestApiServer
let token: string
let userId: string

test.before(async () => {
  server = await startTestApiServer({
    ALLOWED_ORIGINS: 'http://localhost:5173',
    PUBLIC_URL: 'https://cutroom.example.com',
  })
  const signedUp = await createApiClient({ url: server.url }).auth.signUp.mutate({
    email: 'csrf@example.com',
    password: 'correct horse 42',
    name: 'Csrf',
  })
  token = signedUp.token
  userId = signedUp.user.id
})
test.after(async () => {
  await server.close()
})

interface Answer {
  status: number
  body: { result?: { data: unknown }; error?: { message: string; data: { code: string; httpStatus: number } } }
}

/** A raw POST, so Origin and Sec-Fetch-Site are exactly what a browser would send. */
function post(procedure: string, input: unknown, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}/trpc/${procedure}`,
      { method: 'POST', headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk) => (text += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }))
      },
    )
    req.on('error', reject)
    req.end(JSON.stringify(input))
  })
}

const cookie = () => `cutroom_session=${token}`
const orgsNamed = async (name: string) =>
  (
    await server.services.db
      .select({ id: tables.organizations.id })
      .from(tables.organizations)
      .where(eq(tables.organizations.name, name))
  ).length

test('a cookie mutation from another origin is refused with CSRF_REFUSED (403) and changes nothing', async () => {
  const audit = async () => (await server.services.db.select().from(tables.auditLog)).length
  const auditBefore = await audit()
  const res = await post('orgs.create', { name: 'Forged' }, { cookie: cookie(), origin: 'https://evil.example' })
  assert.is(res.status, 403)
  assert.is(res.body.error?.data.code, 'CSRF_REFUSED')
  assert.is(
    res.body.error?.message,
    'This request came from another site (a page of evil.example) and was refused. Reload Cutroom and try again.',
  )
  assert.is(await orgsNamed('Forged'), 0, 'no organization was created')
  assert.is(await audit(), auditBefore, 'no audit row either: nothing happened')
})

test('other origins of the same site and opaque origins are refused too (SameSite alone would let them through)', async () => {
  const port = Number(new URL(server.url).port)
  for (const origin of [`http://127.0.0.1:${port + 1}`, 'https://127.0.0.1', 'null', `http://localhost:${port}`]) {
    const res = await post('orgs.create', { name: 'Sibling' }, { cookie: cookie(), origin })
    assert.is(res.body.error?.data.code, 'CSRF_REFUSED', origin)
  }
  assert.is(await orgsNamed('Sibling'), 0)
})

test('without Origin, Sec-Fetch-Site must say same-origin or none', async () => {
  for (const site of ['cross-site', 'same-site']) {
    const res = await post('orgs.create', { name: 'NoOrigin' }, { cookie: cookie(), 'sec-fetch-site': site })
    assert.is(res.status, 403, site)
    assert.is(res.body.error?.data.code, 'CSRF_REFUSED', site)
    assert.match(res.body.error!.message, `(a ${site} page)`)
  }
  assert.is(await orgsNamed('NoOrigin'), 0)
  for (const site of ['same-origin', 'none']) {
    const res = await post('orgs.create', { name: `Fetch ${site}` }, { cookie: cookie(), 'sec-fetch-site': site })
    assert.is(res.status, 200, site)
  }
  assert.is(await orgsNamed('Fetch same-origin'), 1)
})

test("the app's own origin, PUBLIC_URL and ALLOWED_ORIGINS are accepted with the cookie", async () => {
  for (const [name, origin] of [
    ['Own', server.url],
    ['Public', 'https://cutroom.example.com'],
    ['Vite', 'http://localhost:5173'],
  ] as const) {
    const res = await post('orgs.create', { name }, { cookie: cookie(), origin, 'sec-fetch-site': 'same-origin' })
    assert.is(res.status, 200, `${origin}: ${JSON.stringify(res.body.error)}`)
    assert.is(await orgsNamed(name), 1, name)
  }
  const [row] = await server.services.db
    .select({ userId: tables.memberships.userId })
    .from(tables.memberships)
    .innerJoin(tables.organizations, eq(tables.organizations.id, tables.memberships.orgId))
    .where(eq(tables.organizations.name, 'Own'))
  assert.is(row?.userId, userId, 'made by the cookie holder')
})

test('Bearer requests are not subject to it, whatever their Origin', async () => {
  const res = await post(
    'orgs.create',
    { name: 'Script' },
    { authorization: `Bearer ${token}`, origin: 'https://evil.example' },
  )
  assert.is(res.status, 200)
  assert.is(await orgsNamed('Script'), 1)
})

test('signing in from another site is refused too (login CSRF), while scripts without Origin sign in', async () => {
  const input = { email: 'csrf@example.com', password: 'correct horse 42' }
  const forged = await post('auth.signIn', input, { origin: 'https://evil.example' })
  assert.is(forged.body.error?.data.code, 'CSRF_REFUSED')
  const before = (await server.services.db.select().from(tables.sessions).where(eq(tables.sessions.userId, userId)))
    .length
  const script = await post('auth.signIn', input, {})
  assert.is(script.status, 200)
  const after = (await server.services.db.select().from(tables.sessions).where(eq(tables.sessions.userId, userId)))
    .length
  assert.is(after, before + 1, 'only the script got a session')
})

test('queries are reads: a foreign Origin gets an answer the browser will not let that page read', async () => {
  const res = await new Promise<{ status: number; allowOrigin: unknown }>((resolve, reject) => {
    const req = request(
      `${server.url}/trpc/auth.me`,
      { headers: { cookie: cookie(), origin: 'https://evil.example' } },
      (r) => {
        r.resume()
        resolve({ status: r.statusCode ?? 0, allowOrigin: r.headers['access-control-allow-origin'] })
      },
    )
    req.on('error', reject)
    req.end()
  })
  assert.is(res.status, 200)
  assert.is(res.allowOrigin, undefined, 'no CORS grant')
})

test.run()
