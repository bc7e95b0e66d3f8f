import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { createApiClient } from '@cutroom/api'
import { startTestApiServer, type TestApiServer } from '@cutroom/api/testing'
import { type CollabServer, createCollabServer } from '@cutroom/collab'
import { freePort } from '@cutroom/infra'
import type { Browser, BrowserContext } from 'playwright-core'
import postgres from 'postgres'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { launchChromium } from './chromium'
import { watchCspViolations } from './cspViolations'

/**
 * The browser side of the api's web security in Chromium: the built client runs under its CSP, an injected script
 * does not, and a page of another origin on the same site — which SameSite=Lax does not stop from sending the
 * cookie — can neither change anything through the api nor open the person's documents over the collab socket.
 */
const CLIENT_DIST = process.env.CLIENT_DIST ?? path.resolve(import.meta.dirname, '../../client/dist')

let api: TestApiServer
let collab: CollabServer
let collabUrl: string
let sql: postgres.Sql
let browser: Browser
let attacker: Server
let attackerUrl: string
let token: string
let projectId: string
let docId: string

test.before(async () => {
  const collabPort = await freePort()
  collabUrl = `ws://127.0.0.1:${collabPort}`
  api = await startTestApiServer({ CLIENT_DIST, COLLAB_PUBLIC_URL: collabUrl })
  sql = postgres(api.databaseUrl, { max: 4, onnotice: () => {} })
  collab = createCollabServer({
    config: {
      COLLAB_HOST: '127.0.0.1',
      COLLAB_PORT: collabPort,
      COLLAB_MAX_UPDATE_BYTES: 2 * 1024 * 1024,
      COLLAB_MAX_CONNECTIONS_PER_USER: 50,
      COLLAB_SNAPSHOT_EVERY: 500,
      PUBLIC_URL: api.url,
    },
    sql,
  })
  await collab.listen()
  const signedUp = await createApiClient({ url: api.url }).auth.signUp.mutate({
    email: 'websec@example.com',
    password: 'correct horse 42',
    name: 'Web Sec',
  })
  token = signedUp.token
  const client = createApiClient({ url: api.url, token })
  const org = await client.orgs.create.mutate({ name: 'Studio' })
  projectId = (await client.projects.create.mutate({ orgId: org.id, name: 'Film' })).id
  docId = (await client.documents.create.mutate({ projectId, kind: 'timeline', title: 'Cut' })).id
  // another origin of the same site (127.0.0.1, another port): the browser sends the Lax cookie from it
  attacker = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>elsewhere</title>'),
  )
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve))
  attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`
  browser = await launchChromium()
})

test.after(async () => {
  await browser?.close()
  await new Promise((r) => attacker?.close(r))
  await collab?.destroy()
  await sql?.end({ timeout: 2 })
  await api?.close()
})

async function signedIn(): Promise<{ context: BrowserContext; violations: string[] }> {
  const context = await browser.newContext()
  await context.addCookies([{ name: 'cutroom_session', value: token, url: api.url, httpOnly: true, sameSite: 'Lax' }])
  return { context, violations: await watchCspViolations(context) }
}

test('the built client opens a document, connects to collab and saves, with no CSP violation', async () => {
  const { context, violations } = await signedIn()
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto(`${api.url}/projects/${projectId}/docs/${docId}`)
  await page.waitForSelector('[data-testid=timeline-canvas]', { timeout: 15_000 })
  await page.waitForSelector('[data-testid=save-state][data-state=saved]', { timeout: 15_000 })
  const scripts = await page.$$eval('script', (all) =>
    all.map((s) => ({ src: s.getAttribute('src'), inline: s.textContent ?? '' })),
  )
  assert.ok(
    scripts.length > 0 && scripts.every((s) => s.src && s.inline.trim() === ''),
    'the build has no inline script',
  )
  assert.equal(errors, [])
  assert.equal(violations, [])
  await context.close()
})

test('an injected inline script and inline event handler do not run, and are reported as violations', async () => {
  const { context, violations } = await signedIn()
  const page = await context.newPage()
  await page.goto(`${api.url}/`)
  await page.waitForSelector('#root *', { timeout: 10_000 })
  const seen = page.evaluate(
    () =>
      new Promise<string[]>((resolve) => {
        const directives: string[] = []
        document.addEventListener('securitypolicyviolation', (e) => {
          directives.push(e.effectiveDirective)
          if (directives.length === 2) resolve(directives.sort())
        })
      }),
  )
  // what an HTML injection would put in the page: a script element and an attribute handler
  await page.evaluate(() => {
    const script = document.createElement('script')
    script.textContent = 'window.__injected = "script ran"'
    document.body.append(script)
    const div = document.createElement('div')
    div.innerHTML = '<img src="/favicon-none.png" onerror="window.__handler = 1">'
    document.body.append(div)
  })
  assert.equal(await seen, ['script-src-attr', 'script-src-elem'])
  const ran = await page.evaluate(() => [
    (window as { __injected?: string }).__injected,
    (window as { __handler?: number }).__handler,
  ])
  assert.equal(ran, [undefined, undefined], 'neither ran')
  for (const directive of ['script-src-elem', 'script-src-attr']) {
    assert.ok(
      violations.some((v) => v.includes(directive)),
      `the collector reports ${directive}`,
    )
  }
  await context.close()
})

test('a page of another origin cannot sign the person out with their cookie, nor open their documents over collab', async () => {
  const { context } = await signedIn()
  const page = await context.newPage()
  await page.goto(attackerUrl)
  const outcome = await page.evaluate(
    async ({ apiUrl, collabUrl, docName }) => {
      // a no-cors multipart post needs no preflight: the browser sends it with the cookie, the page cannot read it
      const body = new FormData()
      body.append('everywhere', 'true')
      await fetch(`${apiUrl}/trpc/auth.signOut`, { method: 'POST', mode: 'no-cors', credentials: 'include', body })
      // a raw Hocuspocus auth frame with an empty token: authenticate with whatever cookie the browser sends
      const name = new TextEncoder().encode(docName)
      const frame = new Uint8Array([name.length, ...name, 2, 0, 0])
      const closed = await new Promise<{ code: number; reason: string }>((resolve) => {
        const ws = new WebSocket(collabUrl)
        ws.binaryType = 'arraybuffer'
        ws.onopen = () => ws.send(frame)
        ws.onclose = (e) => resolve({ code: e.code, reason: e.reason })
      })
      return closed
    },
    { apiUrl: api.url, collabUrl, docName: `doc:${docId}` },
  )
  assert.is(outcome.code, 4403)
  assert.match(outcome.reason, 'another site')
  const sessions = await sql<{ n: number }[]>`select count(*)::int as n from sessions where expires_at > now()`
  assert.ok(sessions[0]!.n >= 1, 'the session survived')
  const me = await createApiClient({ url: api.url, token }).auth.me.query()
  assert.ok(me, 'the cookie still signs the person in')
  await context.close()
})

test.run()
