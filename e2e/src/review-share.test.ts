/**
 * Review links end to end: the real api (serving the built client, with NATS and s3rver) and the real collab
 * server over one database, Chromium for the people. A guest opens the link, gives a name and is joined with a
 * credential limited to that review: write on its qa document, read on its workflow, its versions' media, nothing
 * else. An expired link is refused with its message; revoking a link, or its expiry, closes the guest's open connection live.
 * Also: a file dropped on an asset in the media bin becomes that asset's version 2.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { createApiClient } from '@cutroom/api'
import { documentName, qa } from '@cutroom/schema'
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider'
import type { BrowserContext } from 'playwright-core'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { startWorkspaceStack, type WorkspaceStack, waitFor } from './workspace-stack'

const ROOT = path.resolve(import.meta.dirname, '../..')
let stack: WorkspaceStack
let harnessDir: string | null = null
const contexts: BrowserContext[] = []
const replicas: { close(): void }[] = []

/** A page with only the Share dialog, built with the client's Vite, served under /harness/ of the api's origin. */
async function buildShareHarness(): Promise<string> {
  const src = path.join(ROOT, 'client/node_modules/.cache', `cutroom-share-harness-${process.pid}`)
  harnessDir = src
  mkdirSync(src, { recursive: true })
  writeFileSync(
    path.join(src, 'index.html'),
    '<!doctype html><html><head><title>share harness</title></head><body><div id="root"></div><script type="module" src="./main.tsx"></script></body></html>',
  )
  writeFileSync(
    path.join(src, 'main.tsx'),
    `import { render } from 'solid-js/web'
import { ShareDialog } from ${JSON.stringify(path.join(ROOT, 'client/src/review/ShareDialog.tsx'))}
const reviewId = new URLSearchParams(location.search).get('review')
render(() => <ShareDialog reviewId={reviewId} />, document.getElementById('root'))
`,
  )
  const require = createRequire(path.join(ROOT, 'client/package.json'))
  const vite = await import(pathToFileURL(require.resolve('vite')).href)
  const solid = (await import(pathToFileURL(require.resolve('vite-plugin-solid')).href)).default
  const outDir = path.join(src, 'dist')
  await vite.build({
    root: src,
    base: '/harness/',
    configFile: false,
    logLevel: 'error',
    plugins: [solid()],
    resolve: { dedupe: ['solid-js'] },
    build: { outDir, emptyOutDir: true, target: 'es2022' },
  })
  return outDir
}
let harnessDist: string

/** An asset whose bytes reached s3rver, uploaded the way a script does. */
async function uploadFromNode(filename: string, versionOf?: string) {
  const owner = stack.people.Olive!.client
  const bytes = Buffer.alloc(4096, 3)
  const started = await owner.assets.createUpload.mutate({
    projectId: stack.projectId,
    filename,
    size: bytes.length,
    contentType: 'video/mp4',
    versionOf,
  })
  if (started.upload.mode !== 'single') throw new Error('expected a single PUT')
  const put = await fetch(started.upload.url, { method: 'PUT', headers: started.upload.headers, body: bytes })
  assert.is(put.status, 200)
  await owner.assets.completeUpload.mutate({ assetId: started.asset.id })
  return started.asset
}

async function reviewOfTwoVersions() {
  const v1 = await uploadFromNode('spot.mp4')
  const v2 = await uploadFromNode('spot.mp4', v1.id)
  const review = await stack.people.Olive!.client.reviews.create.mutate({
    projectId: stack.projectId,
    assetId: v2.id,
    compareTo: v1.id,
  })
  return { v1, v2, review }
}

/**
 * A document replica from Node authenticated by a token or, like a browser, by the Cookie header of the upgrade.
 * Records the first close code the server sent.
 */
function replica(docId: string, auth: { token: string } | { cookie: string }) {
  const headers = 'cookie' in auth ? { cookie: auth.cookie, origin: stack.api.url } : {}
  class CookieWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers })
      // closing a socket that is still connecting (teardown while the provider reconnects after a 4401) makes ws
      // emit 'error', which with no listener ends the test process; the provider learns of it from 'close'
      this.on('error', () => {})
    }
  }
  const socket = new HocuspocusProviderWebsocket({
    url: stack.collabUrl,
    WebSocketPolyfill: CookieWebSocket,
    delay: 50,
    minDelay: 50,
    maxDelay: 500,
  })
  const doc = new Y.Doc()
  const provider = new HocuspocusProvider({
    websocketProvider: socket,
    name: documentName(docId),
    token: 'token' in auth ? auth.token : '',
    document: doc,
  })
  provider.attach()
  const state = { synced: false, closeCode: null as number | null }
  provider.on('synced', () => {
    state.synced = true
  })
  provider.on('close', ({ event }: { event: { code: number } }) => {
    state.closeCode ??= event.code
  })
  const r = {
    doc,
    provider,
    state,
    readOnly: () => provider.authorizedScope === 'readonly',
    close() {
      socket.connect = async () => {}
      provider.destroy()
      socket.destroy()
    },
  }
  replicas.push(r)
  return r
}

async function guestJoin(url: string, name: string) {
  const token = url.slice(url.lastIndexOf('/r/') + 3)
  return createApiClient({ url: stack.api.url }).reviews.guestJoin.mutate({ token, name })
}

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString()

test.before(async () => {
  stack = await startWorkspaceStack({ Olive: 'owner' }, { media: true })
  harnessDist = await buildShareHarness()
})
test.after(async () => {
  for (const r of replicas) r.close()
  for (const c of contexts) await c.close().catch(() => {})
  await stack?.close()
  if (harnessDir) rmSync(harnessDir, { recursive: true, force: true })
})

test('a guest opens the link, gives a name and is joined: the cookie opens the review, its documents and media', async () => {
  const { v2, review } = await reviewOfTwoVersions()
  const link = await stack.people.Olive!.client.reviews.share.mutate({
    reviewId: review.id,
    expiresAt: inDays(3),
    allowComments: true,
  })
  const context = await stack.browser.newContext()
  contexts.push(context)
  const page = await context.newPage()
  // the guest page sends the guest on to the review page; record where it went
  // (a string: the test runner's transpiler would add helpers the page does not have)
  await page.addInitScript(`
    window.__paths = []
    for (const method of ['pushState', 'replaceState']) {
      const original = history[method].bind(history)
      history[method] = (data, unused, url) => {
        if (url) window.__paths.push(new URL(String(url), location.href).pathname)
        original(data, unused, url)
      }
    }
  `)
  await page.goto(link.url.replace(/^https?:\/\/[^/]+/, stack.api.url))
  await page.getByRole('heading', { name: 'You are invited to a review' }).waitFor()
  await page.getByLabel('Your name').fill('Dana Client')
  await page.getByRole('button', { name: 'Join review' }).click()
  const reviewPath = `/projects/${stack.projectId}/reviews/${review.id}`
  await page.waitForFunction((p) => (window as unknown as { __paths: string[] }).__paths.includes(p), reviewPath)

  const cookie = (await context.cookies(stack.api.url)).find((c) => c.name === 'cutroom_guest')
  assert.ok(cookie, 'the guest cookie is set')
  assert.ok(cookie!.httpOnly, 'scripts never see it')
  assert.match(cookie!.value, /^crg_/)

  // from the guest's page: reviews.get of this review and both versions' media; nothing of the project
  const fromPage = await page.evaluate(`(async () => {
    const input = (v) => encodeURIComponent(JSON.stringify(v))
    const got = await fetch('/trpc/reviews.get?input=' + input({ id: ${JSON.stringify(review.id)} })).then((r) => r.json())
    const project = await fetch('/trpc/projects.get?input=' + input({ id: ${JSON.stringify(stack.projectId)} }))
    const media = await fetch('/media/source/${v2.id}')
    return {
      title: got.result?.data?.title,
      guest: got.result?.data?.guest?.name,
      qaAccess: got.result?.data?.qaDocument?.access,
      projectStatus: project.status,
      mediaStatus: media.status,
      mediaBytes: (await media.arrayBuffer()).byteLength,
    }
  })()`)
  assert.equal(fromPage, {
    title: review.title,
    guest: 'Dana Client',
    qaAccess: 'write',
    projectStatus: 401,
    mediaStatus: 200,
    mediaBytes: 4096,
  })

  // collab with the browser's cookie: writes the qa document, reads the workflow, is refused anything else
  const browserCookie = `cutroom_guest=${cookie!.value}`
  const notes = replica(review.qaDocumentId, { cookie: browserCookie })
  await waitFor(() => notes.state.synced, 10_000, 'the guest’s qa document to sync')
  assert.not.ok(notes.readOnly())
  qa.addFinding(notes.doc, {
    title: 'Logo is late',
    versionA: review.id,
    versionB: v2.id,
    frame: 12,
    author: 'Dana Client (guest)',
  })
  await waitFor(() => notes.provider.unsyncedChanges === 0, 10_000, 'the guest’s note to be saved')
  const [saved] = await stack.sql<{ n: number }[]>`
    select count(*)::int as n from doc_updates where doc_id = ${review.qaDocumentId} and seq > 1`
  assert.ok(saved!.n >= 1, 'the guest’s change is durable')

  const workflow = replica(review.workflowDocumentId, { cookie: browserCookie })
  await waitFor(() => workflow.state.synced, 10_000, 'the workflow to sync')
  assert.ok(workflow.readOnly(), 'the workflow is read-only')

  const timeline = await stack.createDocument('timeline', 'Cut')
  const other = await stack.people.Olive!.client.reviews.create.mutate({ projectId: stack.projectId, assetId: v2.id })
  for (const docId of [timeline, other.qaDocumentId]) {
    const refused = replica(docId, { cookie: browserCookie })
    await waitFor(() => refused.state.closeCode !== null, 10_000, 'a refusal')
    assert.is(refused.state.closeCode, 4403, 'another document of the project is refused')
    assert.not.ok(refused.state.synced)
  }
})

test('without comments the guest reads the qa document; an expired link is refused with its message', async () => {
  const { review } = await reviewOfTwoVersions()
  const link = await stack.people.Olive!.client.reviews.share.mutate({
    reviewId: review.id,
    expiresAt: inDays(1),
    allowComments: false,
  })
  const { token } = await guestJoin(link.url, 'Reader')
  const reader = replica(review.qaDocumentId, { token })
  await waitFor(() => reader.state.synced, 10_000, 'the reader to sync')
  assert.ok(reader.readOnly(), 'a view-only link gives read access to the notes')

  await stack.sql`update review_shares set expires_at = now() - interval '1 minute' where id = ${link.id}`
  const context = await stack.browser.newContext()
  contexts.push(context)
  const page = await context.newPage()
  await page.goto(`${stack.api.url}/r/${link.url.slice(link.url.lastIndexOf('/r/') + 3)}`)
  await page.getByLabel('Your name').fill('Late Larry')
  await page.getByRole('button', { name: 'Join review' }).click()
  const alert = page.getByRole('alert')
  await alert.waitFor()
  assert.match(await alert.innerText(), /This review link expired on .* Ask for a new link\./)
  assert.is(new URL(page.url()).pathname.startsWith('/r/'), true, 'the guest stays on the link page')
  assert.not.ok((await context.cookies(stack.api.url)).some((c) => c.name === 'cutroom_guest'))
})

test('a guest’s open connection ends when the link expires, without anyone revoking it', async () => {
  const { review } = await reviewOfTwoVersions()
  // long enough to join and sync on a loaded machine, short enough to wait for
  const expiresAt = Date.now() + 12_000
  const link = await stack.people.Olive!.client.reviews.share.mutate({
    reviewId: review.id,
    expiresAt: new Date(expiresAt).toISOString(),
    allowComments: true,
  })
  const { token } = await guestJoin(link.url, 'Brief Bea')
  const notes = replica(review.qaDocumentId, { token })
  await waitFor(() => notes.state.synced, 10_000, 'the guest to sync')
  assert.ok(Date.now() < expiresAt, 'the guest synced before the link expired')
  assert.is(notes.state.closeCode, null)
  await waitFor(() => notes.state.closeCode !== null, 30_000, 'the expired guest’s connection to close')
  assert.is(notes.state.closeCode, 4401, 'the expired guest is signed out of the document')
  assert.ok(Date.now() >= expiresAt, 'not before the link expired')
})

test('the Share dialog creates a link shown once and revokes it; the guest’s open connection ends at once', async () => {
  const { review } = await reviewOfTwoVersions()
  const context = await stack.contextFor(stack.people.Olive!)
  contexts.push(context)
  await context.route(`${stack.api.url}/harness/**`, async (route) => {
    const rel = new URL(route.request().url()).pathname.replace(/^\/harness\/?/, '') || 'index.html'
    const file = path.join(harnessDist, rel)
    if (!file.startsWith(harnessDist)) return route.fulfill({ status: 404 })
    const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'text/html'
    await route.fulfill({ status: 200, contentType: type, body: readFileSync(file) })
  })
  const page = await context.newPage()
  page.on('dialog', (d) => void d.accept())
  await page.goto(`${stack.api.url}/harness/index.html?review=${review.id}`)
  await page.getByRole('button', { name: 'Share' }).click()
  await page.getByRole('heading', { name: 'Share this review' }).waitFor()
  await page.getByLabel('Expires after').selectOption('1')
  await page.getByRole('button', { name: 'Create link' }).click()
  const shown = page.getByLabel('New review link')
  await shown.waitFor()
  const url = await shown.inputValue()
  assert.match(url, new RegExp(`^${stack.api.url}/r/[a-z2-7]{32}$`))
  await page.locator('[data-share-id]').first().waitFor()
  assert.match(await page.locator('[data-share-id]').first().innerText(), /active/)

  const { token } = await guestJoin(url, 'Dana Client')
  const notes = replica(review.qaDocumentId, { token })
  await waitFor(() => notes.state.synced, 10_000, 'the guest to sync')

  await page.getByRole('button', { name: 'Revoke' }).click()
  await waitFor(() => notes.state.closeCode !== null, 10_000, 'the guest’s connection to close')
  assert.is(notes.state.closeCode, 4401, 'the revoked guest is signed out of the document')
  await page.locator('[data-share-id] .badge', { hasText: 'revoked' }).waitFor()
  // the link itself no longer opens
  const again = await guestJoin(url, 'Dana Client').then(
    () => null,
    (e: { data?: { code?: string } }) => e.data?.code,
  )
  assert.is(again, 'LINK_REVOKED')
})

test('dropping a file on an asset in the media bin uploads version 2, and the bin shows “v2”', async () => {
  const v1 = await uploadFromNode('interview.mp4')
  const timeline = await stack.createDocument('timeline', 'Edit')
  const context = await stack.contextFor(stack.people.Olive!)
  contexts.push(context)
  const page = await stack.openDocument(context, timeline)
  const row = page.locator(`[data-testid=bin-item][data-asset-id="${v1.id}"]`)
  await row.waitFor()
  assert.is(await row.locator('[data-testid=version-badge]').count(), 0, 'a single version has no badge')

  const dataTransfer = await page.evaluateHandle(() => {
    const dt = new DataTransfer()
    dt.items.add(new File([new Uint8Array(8192).fill(5)], 'interview v2.mp4', { type: 'video/mp4' }))
    return dt
  })
  await row.dispatchEvent('dragover', { dataTransfer })
  await row.dispatchEvent('drop', { dataTransfer })

  let versions: { id: string; version: number; filename: string; stackId: string; status: string }[] = []
  await waitFor(
    async () => {
      versions = await stack.people.Olive!.client.assets.versions.query({ assetId: v1.id })
      return versions.length === 2 && versions[0]!.status !== 'uploading'
    },
    20_000,
    'version 2 to be uploaded',
  )
  assert.equal(
    versions.map((v) => [v.version, v.filename, v.stackId]),
    [
      [2, 'interview v2.mp4', v1.id],
      [1, 'interview.mp4', v1.id],
    ],
  )
  // the stack's row is now its latest version, with the badge
  const latest = page.locator(`[data-testid=bin-item][data-asset-id="${versions[0]!.id}"]`)
  const badge = latest.locator('[data-testid=version-badge]')
  await badge.waitFor({ timeout: 20_000 })
  assert.match(await badge.innerText(), /^v2\b/)
  assert.is(await page.locator(`[data-testid=bin-item][data-asset-id="${v1.id}"]`).count(), 0)
  // the versions list shows both
  await badge.click()
  await latest.locator('[data-testid=version-list] li').nth(1).waitFor()
  assert.equal(await latest.locator('[data-testid=version-list] li .doc-name').allInnerTexts(), [
    'interview v2.mp4',
    'interview.mp4',
  ])
})

test.run()
