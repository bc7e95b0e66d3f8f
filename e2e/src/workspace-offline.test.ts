import { timeline, transcript } from '@cutroom/schema'
import type { Page } from 'playwright-core'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startWorkspaceStack, waitFor, type WorkspaceStack } from './workspace-stack'

/**
 * Editing offline keeps working and syncs on reconnect; "Saved" is shown only once the server has every edit.
 * A removed membership ends the session with a clear message.
 */

let stack: WorkspaceStack
let docId: string
let transcriptId: string

const saveState = (page: Page) => page.locator('[data-testid=save-state]').getAttribute('data-state')
const storylineCount = (page: Page) =>
  page.$$eval(`[data-testid=timeline-items] li[data-track="${timeline.STORYLINE_TRACK_ID}"]`, (items) => items.length)

async function openTimeline(name: string): Promise<Page> {
  const context = await stack.contextFor(stack.people[name]!)
  const page = await stack.openDocument(context, docId)
  await page.waitForSelector('[data-testid=timeline-canvas]', { timeout: 15_000 })
  await page.waitForSelector('[data-testid=save-state][data-state=saved]', { timeout: 15_000 })
  return page
}

test.before(async () => {
  // With NATS (media), access changes made through the api reach collab live.
  stack = await startWorkspaceStack({ Ada: 'owner', Ben: 'editor', Cleo: 'editor' }, { media: true })
  docId = await stack.createDocument('timeline', 'Offline cut')
  const seed = await stack.replica(docId)
  for (let i = 0; i < 3; i++)
    timeline.insertClip(seed.doc, {
      at: { index: i },
      assetId: `asset-${i}`,
      sourceIn: 0,
      sourceOut: 120,
      label: `Take ${i + 1}`,
    })
  await seed.settled()
  seed.destroy()
  transcriptId = await stack.createDocument('transcript', 'Offline interview')
  const words = await stack.replica(transcriptId)
  transcript.buildTranscript(words.doc, {
    assetId: 'asset-interview',
    language: 'en',
    source: 'manual',
    sampleRate: 48_000,
    segments: [
      {
        speaker: 'Host',
        words: ['Welcome', 'back'].map((text, i) => ({
          text,
          start: i * 24_000,
          end: i * 24_000 + 20_000,
          confidence: 0.9,
        })),
      },
    ],
  })
  await words.settled()
  words.destroy()
})

test.after(async () => {
  await stack?.close()
})

test('edits made offline are kept, shown as unsaved, and sync when the browser is back online', async () => {
  const [ada, ben] = await Promise.all([openTimeline('Ada'), openTimeline('Ben')])
  await ada.context().setOffline(true)
  await waitFor(async () => (await saveState(ada)) === 'offline', 5000, 'the offline state')

  // Two splits while offline: they show at once for Ada but do not reach Ben.
  await ada.keyboard.press('Home')
  await ada.keyboard.press('Shift+ArrowRight')
  await ada.keyboard.press('s')
  await ada.keyboard.press('Shift+ArrowRight')
  await ada.keyboard.press('Shift+ArrowRight')
  await ada.keyboard.press('Shift+ArrowRight')
  await ada.keyboard.press('Shift+ArrowRight')
  await ada.keyboard.press('Shift+ArrowRight')
  await ada.keyboard.press('s')
  assert.is(await storylineCount(ada), 5)
  // "Saved on this device" once IndexedDB has committed the edits (a moment after typing), never "Saved"
  await waitFor(async () => (await saveState(ada)) === 'local', 5000, '"Saved on this device"')
  await ben.waitForTimeout(500)
  assert.is(await storylineCount(ben), 3, 'nothing reached the other editor yet')

  await ada.context().setOffline(false)
  await waitFor(async () => (await storylineCount(ben)) === 5, 15_000, 'the offline edits to reach Ben')
  await waitFor(async () => (await saveState(ada)) === 'saved', 15_000, 'Saved after reconnecting')
  const observer = await stack.replica(docId)
  assert.is(timeline.storylineLayout(observer.doc).length, 5, 'the server has the offline edits')
  observer.destroy()
  await ada.context().close()
  await ben.context().close()
})

/** The plain text of a transcript body (marks and paragraphs stripped). */
const plainText = (xml: string) => xml.replace(/<[^>]*>/g, '')

test('edits typed offline survive a reload while offline ("Saved on this device") and reach the server online', async () => {
  const context = await stack.contextFor(stack.people.Ada!)
  const page = await stack.openDocument(context, transcriptId)
  await page.waitForSelector('[data-testid=save-state][data-state=saved]', { timeout: 15_000 })
  // The app's service worker takes over this tab; one online load through it keeps the app for offline reloads.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 10_000 })
  await page.reload()
  await page.waitForSelector('[data-testid=save-state][data-state=saved]', { timeout: 15_000 })

  await context.setOffline(true)
  await waitFor(async () => (await saveState(page)) === 'offline', 5000, 'the offline state')
  const typed = ' and typed without a network'
  await page.locator('[data-testid=transcript-editor] p').first().click()
  await page.keyboard.press('End')
  await page.keyboard.type(typed)
  await waitFor(async () => (await saveState(page)) === 'local', 5000, '"Saved on this device"')
  assert.match((await page.textContent('[data-testid=save-state]')) ?? '', /Saved on this device/)

  await page.reload()
  await page.waitForSelector('[data-testid=transcript-editor] p', { timeout: 15_000 })
  const afterReload = (await page.textContent('[data-testid=transcript-editor]')) ?? ''
  assert.ok(afterReload.includes(`Welcome back${typed}`), `after the offline reload: ${afterReload}`)
  // A fresh page has no unsynced count of its own: the device copy still knows the server lacks these edits.
  await waitFor(async () => (await saveState(page)) === 'local', 5000, '"Saved on this device" after the reload')
  await page.waitForTimeout(500)
  assert.is(await saveState(page), 'local', 'never "Saved" for edits only on this device')

  await context.setOffline(false)
  await waitFor(async () => (await saveState(page)) === 'saved', 15_000, 'Saved once the server has the edits')
  const observer = await stack.replica(transcriptId)
  const onServer = plainText(observer.doc.getXmlFragment('body').toString())
  observer.destroy()
  assert.ok(onServer.includes(`Welcome back${typed}`), `the server's copy: ${onServer}`)
  await context.close()
})

test('a removed membership ends the open session at once with a clear message', async () => {
  const ben = await openTimeline('Ben')
  const owner = stack.people.Ada!
  await owner.client.orgs.members.remove.mutate({ orgId: stack.orgId, userId: stack.people.Ben!.userId })
  // No reconnect needed: the api announces the removal and collab closes Ben's open connection with 4403.
  await ben.waitForSelector('[data-testid=connection-ended][data-code="4403"]', { timeout: 3000 })
  const message = (await ben.textContent('[data-testid=connection-ended]')) ?? ''
  assert.match(message, /no longer have access/i)
  assert.is(await saveState(ben), 'ended')
  assert.ok(await ben.isDisabled('button:has-text("Split")'), 'editing stops')
  // The ended session stays closed: the page opens no new WebSocket afterwards.
  let reopened = 0
  ben.on('websocket', () => {
    reopened += 1
  })
  await ben.waitForTimeout(2500)
  assert.is(reopened, 0, 'no reconnect after the end')
  await ben.context().close()
})

test('a demoted editor turns read-only live, without a reload', async () => {
  const cleo = await openTimeline('Cleo')
  assert.not.ok(await cleo.isDisabled('button:has-text("Split")'))
  const owner = stack.people.Ada!
  await owner.client.orgs.members.setRole.mutate({
    orgId: stack.orgId,
    userId: stack.people.Cleo!.userId,
    role: 'viewer',
  })
  // Collab closes the connection with 4205; the client reconnects and is authorized read-only.
  await cleo.waitForSelector('button:has-text("Split"):disabled', { timeout: 5000 })
  assert.is(await cleo.$('[data-testid=connection-ended]'), null, 'the session goes on, read-only')
  await cleo.context().close()
})

test('an expired session ends with a message that asks to sign in again', async () => {
  const ada = await openTimeline('Ada')
  await stack.sql`update sessions set expires_at = now() - interval '1 minute' where user_id = ${stack.people.Ada!.userId}`
  await ada.context().setOffline(true)
  await waitFor(async () => (await saveState(ada)) === 'offline', 5000, 'the offline state')
  await ada.context().setOffline(false)
  await ada.waitForSelector('[data-testid=connection-ended][data-code="4401"]', { timeout: 15_000 })
  assert.match((await ada.textContent('[data-testid=connection-ended]')) ?? '', /session has expired.*sign in/i)
  await ada.context().close()
})

test('a document that cannot be loaded says so and links back to the project', async () => {
  const context = await stack.contextFor(stack.people.Cleo!)
  const page = await stack.openDocument(context, '00000000-0000-4000-8000-000000000000')
  await page.waitForSelector('[data-testid=document-error]', { timeout: 15_000 })
  const text = (await page.textContent('[data-testid=document-error]')) ?? ''
  assert.match(text, /could not be opened/i)
  assert.ok(await page.locator('[data-testid=document-error] a', { hasText: 'Back to the project' }).isVisible())
  await context.close()
})

test.run()
