import path from 'node:path'
import { createApiClient } from '@cutroom/api'
import { startTestApiServer, type TestApiServer } from '@cutroom/api/testing'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { launchChromium } from './chromium'
import { CLIENT_DIST, ensureClientBuilt } from './ensureClientBuilt'

/**
 * Two people sign up in the browser and each creates an organization and a project. Neither sees or reaches
 * the other's through the pages or through the API with their own cookie, until one adds the other as a
 * member — then the other sees it read-only.
 */

let server: TestApiServer
let browser: Browser
const contexts: BrowserContext[] = []
/** Alice's first project, shared by the two tests (the second continues the first's story). */
let secretCutId = ''

test.before(async () => {
  ensureClientBuilt()
  // A closed port for collab: these pages need only the api, and must not touch a stack running on 4001.
  server = await startTestApiServer({ CLIENT_DIST, COLLAB_PUBLIC_URL: 'ws://127.0.0.1:9' })
  browser = await launchChromium()
})

test.after(async () => {
  for (const c of contexts) await c.close()
  await browser?.close()
  await server?.close()
})

async function person(): Promise<Page> {
  const context = await browser.newContext()
  contexts.push(context)
  const page = await context.newPage()
  return page
}

async function signUpAndCreate(page: Page, who: { name: string; email: string; org: string; project: string }) {
  await page.goto(`${server.url}/`)
  // Signed out: the app sends people to sign in, which links to sign-up.
  await page.waitForURL(/\/signin\?next=/)
  await page.click('text=Create an account')
  await page.fill('input[name=name]', who.name)
  await page.fill('input[name=email]', who.email)
  await page.fill('input[name=password]', 'correct horse 42')
  await page.click('button[type=submit]')
  await page.waitForSelector('text=Welcome to Cutroom')
  await page.fill('input[name=orgName]', who.org)
  await page.click('text=Create organization')
  await page.waitForSelector('h1:has-text("Projects")')
  await page.fill('input[name=projectName]', who.project)
  await page.click('text=Create project')
  await page.waitForURL(/\/projects\/[0-9a-f-]{36}$/)
  await page.waitForSelector(`h1:has-text("${who.project}")`)
  return page.url().split('/projects/')[1]!
}

/** Calls the API from inside the page with the person's own cookie, as any script on the page could. */
function callApi(page: Page, procedure: string, input: unknown, method: 'GET' | 'POST') {
  return page.evaluate(
    async ([procedure, input, method]) => {
      const url =
        method === 'GET'
          ? `/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`
          : `/trpc/${procedure}`
      const res = await fetch(url, {
        method,
        headers: { 'content-type': 'application/json' },
        body: method === 'POST' ? JSON.stringify(input) : undefined,
      })
      const body = await res.json()
      return {
        status: res.status,
        code: body.error?.data?.code ?? null,
        message: body.error?.message ?? null,
        data: body.result?.data,
      }
    },
    [procedure, input, method] as const,
  )
}

test('two people in two organizations cannot see or touch each other’s projects', async () => {
  const alice = await person()
  const bob = await person()
  const aliceProject = await signUpAndCreate(alice, {
    name: 'Alice',
    email: 'alice@north.example',
    org: 'North Films',
    project: 'Secret Cut',
  })
  secretCutId = aliceProject
  const bobProject = await signUpAndCreate(bob, {
    name: 'Bob',
    email: 'bob@south.example',
    org: 'South Studio',
    project: 'Promo',
  })

  // Lists show only one's own.
  await bob.goto(`${server.url}/`)
  await bob.waitForSelector('.project-list >> text=Promo')
  assert.not.ok(await bob.isVisible('text=Secret Cut'))
  await alice.goto(`${server.url}/`)
  await alice.waitForSelector('.project-list >> text=Secret Cut')
  assert.not.ok(await alice.isVisible('text=Promo'))

  // Bob guesses Alice's project URL: the page says not found, like any missing project.
  await bob.goto(`${server.url}/projects/${aliceProject}`)
  await bob.waitForSelector('[role=alert] >> text=Project not found.')
  assert.not.ok(await bob.isVisible('text=Secret Cut'))

  // And through the API with his cookie: every attempt is NOT_FOUND, identical to a missing id.
  const aliceOrg = (await callApi(alice, 'orgs.list', undefined, 'GET')).data[0].id as string
  const missing = '7d3f0f4e-0000-4000-8000-000000000000'
  const attempts = [
    await callApi(bob, 'projects.get', { id: aliceProject }, 'GET'),
    await callApi(bob, 'projects.list', { orgId: aliceOrg }, 'GET'),
    await callApi(bob, 'documents.list', { projectId: aliceProject }, 'GET'),
    await callApi(bob, 'documents.create', { projectId: aliceProject, kind: 'timeline', title: 'x' }, 'POST'),
    await callApi(bob, 'projects.rename', { id: aliceProject, name: 'Mine now' }, 'POST'),
    await callApi(bob, 'orgs.members.add', { orgId: aliceOrg, email: 'bob@south.example', role: 'owner' }, 'POST'),
  ]
  for (const a of attempts) assert.equal([a.status, a.code], [404, 'NOT_FOUND'], JSON.stringify(a))
  const control = await callApi(bob, 'projects.get', { id: missing }, 'GET')
  assert.is(attempts[0]!.message, control.message)
  assert.is((await callApi(alice, 'projects.get', { id: aliceProject }, 'GET')).data.name, 'Secret Cut')
  assert.is((await callApi(alice, 'projects.get', { id: bobProject }, 'GET')).code, 'NOT_FOUND')
  // The session cookie is HttpOnly: page scripts cannot read it.
  assert.not.match(await bob.evaluate(() => document.cookie), 'cutroom_session')
})

test('an owner adds a member in the browser; the member then sees the project read-only', async () => {
  const [alice, bob] = [await contexts[0]!.pages()[0]!, await contexts[1]!.pages()[0]!]
  await alice.goto(`${server.url}/settings/members`)
  await alice.fill('input[name=memberEmail]', 'BOB@south.example')
  await alice.selectOption('select[name=memberRole]', 'viewer')
  await alice.click('text=Add member')
  await alice.waitForSelector('tr[data-email="bob@south.example"]')

  // Bob switches to North Films: he sees Secret Cut, and as a viewer he cannot create projects.
  await bob.goto(`${server.url}/`)
  const north = await bob.locator('select.org-switcher option', { hasText: 'North Films' }).getAttribute('value')
  await bob.selectOption('select.org-switcher', north!)
  await bob.waitForSelector('.project-list >> text=Secret Cut')
  assert.ok(await bob.isVisible('text=you are viewer'))
  assert.not.ok(await bob.isVisible('input[name=projectName]'))
  const denied = await callApi(bob, 'projects.create', { orgId: north, name: 'Sneaky' }, 'POST')
  assert.equal([denied.status, denied.code], [403, 'FORBIDDEN_ROLE'])

  // Alice promotes Bob to editor on the members page; after reloading he can create projects there.
  await alice.goto(`${server.url}/settings/members`)
  await alice.selectOption('select[aria-label="Role of bob@south.example"]', 'editor')
  await alice.waitForFunction(() =>
    Array.from(document.querySelectorAll('tr[data-email="bob@south.example"] select')).some(
      (s) => (s as HTMLSelectElement).value === 'editor',
    ),
  )
  await bob.reload()
  await bob.waitForSelector('text=you are editor')
  await bob.fill('input[name=projectName]', 'Joint Edit')
  await bob.click('text=Create project')
  await bob.waitForSelector('h1:has-text("Joint Edit")')

  // Back in South Studio, Bob opens a link to Secret Cut: the top bar follows to North Films.
  const south = await bob.locator('select.org-switcher option', { hasText: 'South Studio' }).getAttribute('value')
  await bob.selectOption('select.org-switcher', south!)
  await bob.waitForSelector('.project-list >> text=Promo')
  await bob.goto(`${server.url}/projects/${secretCutId}`)
  await bob.waitForSelector('h1:has-text("Secret Cut")')
  await bob.waitForFunction(
    (north) => (document.querySelector('select.org-switcher') as HTMLSelectElement).value === north,
    north,
  )

  // Alice creates an API key in the browser; it is shown once, lists her projects, and stops when revoked.
  await alice.goto(`${server.url}/settings/api-keys`)
  await alice.fill('input[name=keyName]', 'Render farm')
  await alice.selectOption('select[aria-label="Key role"]', 'viewer')
  await alice.click('text=Create key')
  const key = (await alice.textContent('[data-testid=new-api-key]'))!.trim()
  assert.match(key, /^crk_[a-z0-9]+_[a-z0-9]+$/)
  const farm = createApiClient({ url: server.url, token: key })
  const [org] = await farm.orgs.list.query()
  assert.equal((await farm.projects.list.query({ orgId: org!.id })).map((p) => p.name).sort(), [
    'Joint Edit',
    'Secret Cut',
  ])
  await alice.click('text=Done')
  assert.not.ok(await alice.isVisible('[data-testid=new-api-key]'))
  alice.once('dialog', (d) => void d.accept())
  await alice.click('tr:has-text("Render farm") >> text=Revoke')
  await alice.waitForSelector('tr:has-text("Render farm") >> text=revoked')
  const revoked = await farm.orgs.list.query().then(
    () => null,
    (e) => e,
  )
  assert.is(revoked?.data?.code, 'UNAUTHENTICATED')

  // Alice cannot leave her organization as its last owner; the page says why.
  await alice.goto(`${server.url}/settings/members`)
  alice.once('dialog', (d) => void d.accept())
  await alice.click('tr[data-email="alice@north.example"] >> text=Leave')
  await alice.waitForSelector('text=This is the last owner')

  // Alice signs out everywhere from another device: her open tab notices at its next request.
  const signedIn = await createApiClient({ url: server.url }).auth.signIn.mutate({
    email: 'alice@north.example',
    password: 'correct horse 42',
  })
  if (signedIn.twoFactorRequired) throw new Error('Alice has no two-factor sign-in')
  const { token } = signedIn
  await createApiClient({ url: server.url, token }).auth.signOut.mutate({ everywhere: true })
  await alice.click('.top-bar >> text=Projects')
  await alice.waitForURL(/\/signin\?next=/)

  // Signing out ends the session: protected pages send Bob back to sign in.
  await bob.click('text=Sign out')
  await bob.waitForURL(/\/signin$/)
  await bob.goto(`${server.url}/projects/${'0'.repeat(8)}`)
  await bob.waitForURL(/\/signin\?next=/)
})

test.run()
