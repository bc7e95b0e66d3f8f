import { retell, timeline } from '@cutroom/schema'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startWorkspaceStack, waitFor, type WorkspaceStack } from './workspace-stack'

/**
 * A retell script written in the browser is the retell model: chapters, narration blocks (with the id the tts job
 * keys its audio to) and shot references taken from a timeline selection, read back by the model's accessors.
 */

let stack: WorkspaceStack

test.before(async () => {
  stack = await startWorkspaceStack({ Ada: 'owner', Vera: 'viewer' })
})

test.after(async () => {
  await stack?.close()
})

test('chapters, narration and shots from a timeline selection land in the retell model', async () => {
  const tl = await stack.createDocument('timeline', 'Source cut')
  const seed = await stack.replica(tl)
  for (let i = 0; i < 3; i++)
    timeline.insertClip(seed.doc, { at: { index: i }, assetId: `asset-${i}`, sourceIn: 10 * i, sourceOut: 10 * i + 50, label: `Shot ${i + 1}` })
  await seed.settled()
  const doc = await stack.createDocument('retell', 'Story')

  const context = await stack.contextFor(stack.people.Ada!)
  const page = await stack.openDocument(context, doc)
  await page.waitForSelector('[data-testid=retell-editor]', { timeout: 15_000 })
  await page.waitForSelector('[data-testid=save-state][data-state=saved]', { timeout: 15_000 })
  await page.click('button:has-text("+ Chapter")')
  await page.keyboard.type('Intro')
  await page.click('button:has-text("+ Narration")')
  await page.keyboard.type('Where it all began.')
  await page.selectOption('[data-testid=linked-timeline]', { label: 'Source cut' })
  const boxes = page.locator('.clip-list input[type=checkbox]')
  await boxes.first().waitFor({ timeout: 10_000 })
  await boxes.nth(1).check()
  await page.click('button:has-text("Insert selected shots")')

  const observer = await stack.replica(doc)
  await waitFor(() => retell.readBlocks(observer.doc).some((b) => b.type === 'shot'), 10_000, 'the shot to reach the server')
  const blocks = retell.readBlocks(observer.doc).filter((b) => b.type !== 'paragraph' || b.text !== '')
  assert.equal(
    blocks.map((b) => b.type),
    ['chapter', 'narration', 'shot'],
  )
  const [chapter, narration, shot] = blocks
  assert.is(chapter?.type === 'chapter' ? chapter.title : null, 'Intro')
  assert.is(narration?.type === 'narration' ? narration.text : null, 'Where it all began.')
  assert.ok(narration?.type === 'narration' && narration.id, 'the narration block has an id')
  assert.equal(shot, { type: 'shot', assetId: 'asset-1', sourceIn: 10, sourceOut: 60, label: 'Shot 2' })
  assert.equal(retell.validate(observer.doc), [], 'the browser wrote a valid retell document')
  observer.destroy()
  seed.destroy()
  await context.close()

  // A viewer reads the script but cannot edit it.
  const viewer = await stack.contextFor(stack.people.Vera!)
  const vpage = await stack.openDocument(viewer, doc)
  await vpage.waitForSelector('[data-testid=retell-editor] [data-narration]', { timeout: 15_000 })
  assert.is(await vpage.getAttribute('[data-testid=retell-editor]', 'contenteditable'), 'false')
  assert.ok(await vpage.isDisabled('button:has-text("+ Chapter")'))
  await viewer.close()
})

test.run()
