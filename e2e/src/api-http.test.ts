import { createApiClient } from '@cutroom/api'
import { startTestApiServer, type TestApiServer } from '@cutroom/api/testing'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

/** The api as browsers and scripts see it over HTTP: cookies, Bearer tokens, headers, status codes. */

let server: TestApiServer

test.before(async () => {
  server = await startTestApiServer({ COLLAB_PUBLIC_URL: 'wss://collab.example.com' })
})
test.after(async () => {
  await server.close()
})

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/trpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  return {
    res,
    json: (await res.json()) as {
      result?: { data: unknown }
      error?: { message: string; data: Record<string, unknown> }
    },
  }
}
async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/trpc/${path}`, { headers })
  return {
    res,
    json: (await res.json()) as {
      result?: { data: unknown }
      error?: { message: string; data: Record<string, unknown> }
    },
  }
}

test('sign-up sets an HttpOnly SameSite=Lax cookie that authenticates; sign-out clears and revokes it', async () => {
  const { res, json } = await post('auth.signUp', {
    email: 'Cookie@Example.com',
    password: 'correct horse 42',
    name: 'Cookie',
  })
  assert.is(res.status, 200)
  const setCookie = res.headers.get('set-cookie') ?? ''
  assert.match(setCookie, /^cutroom_session=[a-z0-9]{32};/)
  assert.match(setCookie, /HttpOnly/)
  assert.match(setCookie, /SameSite=Lax/)
  assert.not.match(setCookie, /Secure/, 'plain http without an https PUBLIC_URL')
  const cookie = setCookie.split(';')[0]!
  const token = (json.result!.data as { token: string }).token
  assert.is(cookie, `cutroom_session=${token}`)

  const me = await get('auth.me', { cookie })
  assert.is((me.json.result!.data as { user: { email: string } }).user.email, 'cookie@example.com')
  const bearer = await get('auth.me', { authorization: `Bearer ${token}` })
  assert.ok(bearer.json.result!.data)

  const out = await post('auth.signOut', {}, { cookie })
  assert.match(out.res.headers.get('set-cookie') ?? '', /cutroom_session=;.*Max-Age=0/)
  const after = await get('orgs.list', { cookie })
  assert.is(after.res.status, 401)
  assert.is(after.json.error!.data.code, 'UNAUTHENTICATED')
  assert.match(after.json.error!.message, /invalid, expired or revoked/)
})

test('bad input is a 400 BAD_INPUT with a readable message, and creates nothing', async () => {
  const { json: signed } = await post('auth.signUp', {
    email: 'input@example.com',
    password: 'correct horse 42',
    name: 'In',
  })
  const auth = { authorization: `Bearer ${(signed.result!.data as { token: string }).token}` }
  const { json: created } = await post('orgs.create', { name: 'Inputs' }, auth)
  const orgId = (created.result!.data as { id: string }).id

  const long = await post('projects.create', { orgId, name: 'x'.repeat(5000) }, auth)
  assert.is(long.res.status, 400)
  assert.is(long.json.error!.data.code, 'BAD_INPUT')
  assert.match(long.json.error!.message, /^Invalid input: name: /)
  assert.equal((long.json.error!.data.issues as { path: string }[])[0]!.path, 'name')

  const wrongType = await post('projects.create', { orgId, name: 42 }, auth)
  assert.is(wrongType.json.error!.data.code, 'BAD_INPUT')
  const malformed = await post('projects.create', '{"orgId": ', auth)
  assert.is(malformed.res.status, 400)
  assert.is(malformed.json.error!.data.code, 'BAD_INPUT')
  const huge = await post('projects.create', { orgId, name: 'y'.repeat(2 * 1024 * 1024) }, auth)
  assert.is(huge.res.status, 413)

  const list = await get(`projects.list?input=${encodeURIComponent(JSON.stringify({ orgId }))}`, auth)
  assert.equal(list.json.result!.data, [])
  const unknown = await get('nope.nothing', auth)
  assert.is(unknown.res.status, 404)
})

test('RATE_LIMITED answers 429 with Retry-After', async () => {
  await post('auth.signUp', { email: 'limited@example.com', password: 'correct horse 42', name: 'L' })
  let last = await post('auth.signIn', { email: 'limited@example.com', password: 'wrong guess 1' })
  for (let i = 0; i < 10; i++)
    last = await post('auth.signIn', { email: 'limited@example.com', password: `wrong guess ${i}` })
  assert.is(last.res.status, 429)
  assert.is(last.json.error!.data.code, 'RATE_LIMITED')
  const retryAfter = Number(last.res.headers.get('retry-after'))
  assert.ok(retryAfter > 0 && retryAfter <= 900, `Retry-After ${retryAfter}`)
  assert.is(last.json.error!.data.retryAfterSeconds, retryAfter)
})

test('the typed client: API key auth, Idempotency-Key per call, system.config', async () => {
  const anon = createApiClient({ url: server.url })
  assert.equal(await anon.system.config.query(), { collabUrl: 'wss://collab.example.com' })
  const { token } = await anon.auth.signUp.mutate({
    email: 'script@example.com',
    password: 'correct horse 42',
    name: 'S',
  })
  const person = createApiClient({ url: `${server.url}/trpc/`, token })
  const org = await person.orgs.create.mutate({ name: 'Scripted' })
  const { key } = await person.apiKeys.create.mutate({ orgId: org.id, name: 'ci', role: 'editor' })
  const ci = createApiClient({ url: server.url, token: key })
  const first = await ci.projects.create.mutate(
    { orgId: org.id, name: 'Nightly' },
    { context: { idempotencyKey: 'nightly-1' } },
  )
  const again = await ci.projects.create.mutate(
    { orgId: org.id, name: 'Nightly' },
    { context: { idempotencyKey: 'nightly-1' } },
  )
  assert.is(again.id, first.id)
  const [projects, orgs] = await Promise.all([ci.projects.list.query({ orgId: org.id }), ci.orgs.list.query()])
  assert.equal(
    projects.map((p) => p.name),
    ['Nightly'],
  )
  assert.equal(
    orgs.map((o) => o.role),
    ['editor'],
  )
})

test.run()
