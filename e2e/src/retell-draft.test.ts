import { readFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { retell, transcript } from '@cutroom/schema'
import type { Page } from 'playwright-core'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { makeClip, spawnWorker, until, type WorkerProcess } from './media-fixtures'
import { startWorkspaceStack, waitFor, type WorkspaceStack } from './workspace-stack'

/**
 * The whole stack with a media-workers process: Ben writes an opening in a retell script while Ada, in another
 * browser, drafts the script from a transcript (extractive, no model). The draft's chapters, narration and shots
 * appear below Ben's opening in both pages; Discard draft removes them and only them, in both pages.
 */
let stack: WorkspaceStack
let worker: WorkerProcess
let dir: string

const TOPICS = [
  ['The harbour wall was built of grey stone.', 'Fishing boats leave the harbour before dawn.', 'The harbour master counts every boat.', 'Boats tie up at the stone pier of the harbour.'],
  ['Bread starts with flour, water, salt and yeast.', 'The baker kneads the bread dough for ten minutes.', 'The bakery oven bakes the bread until the crust cracks.', 'Fresh bread cools on racks in the bakery.'],
]

const draftBlocks = (page: Page) => page.locator('[data-testid=retell-editor] [data-draft]').count()

test.before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cutroom-retell-draft-'))
  stack = await startWorkspaceStack({ Ada: 'owner', Ben: 'editor' }, { media: true })
  worker = await spawnWorker(stack.media!, { WORKER_KINDS: 'retell' })
})

test.after(async () => {
  await worker?.stop()
  await stack?.close()
  rmSync(dir, { recursive: true, force: true })
})

test('Draft from transcript lands below what a person wrote, live in two browsers; Discard draft removes only it', async () => {
  const ada = stack.people.Ada!
  // the recording the transcript is of
  const clip = path.join(dir, 'talk.mp4')
  await makeClip(clip, { seconds: 2, width: 160, height: 90 })
  const bytes = readFileSync(clip)
  const started = await ada.client.assets.createUpload.mutate({
    projectId: stack.projectId,
    filename: 'talk.mp4',
    size: bytes.length,
    contentType: 'video/mp4',
  })
  if (started.upload.mode !== 'single') throw new Error('expected a single PUT')
  await fetch(started.upload.url, { method: 'PUT', headers: started.upload.headers, body: bytes })
  await ada.client.assets.completeUpload.mutate({ assetId: started.asset.id })
  // its transcript, written through the collab server
  const transcriptId = await stack.createDocument('transcript', 'Talk — transcript')
  const seed = await stack.replica(transcriptId)
  transcript.metaOf(seed.doc).set('assetId', started.asset.id)
  const rate = 48000
  let at = rate
  transcript.buildTranscript(seed.doc, {
    sampleRate: rate,
    segments: TOPICS.map((sentences) => ({
      speaker: 'Speaker 1',
      words: sentences.flatMap((s) =>
        s.split(' ').map((text) => {
          const w = { text, start: at, end: at + 19_000, confidence: 0.9 }
          at += 24_000
          return w
        }),
      ),
    })),
  })
  await seed.settled()

  const scriptId = await stack.createDocument('retell', 'Story')
  const ben = await stack.openDocument(await stack.contextFor(stack.people.Ben!), scriptId)
  await ben.waitForSelector('[data-testid=save-state][data-state=saved]', { timeout: 15_000 })
  await ben.click('button:has-text("+ Chapter")')
  await ben.keyboard.type('Our opening')
  const observer = await stack.replica(scriptId)
  await waitFor(() => retell.readBlocks(observer.doc).some((b) => b.type === 'chapter'), 10_000, 'the opening at the server')

  const page = await stack.openDocument(await stack.contextFor(ada), scriptId)
  await page.waitForSelector('[data-testid=retell-generate]', { timeout: 15_000 })
  await page.locator('[data-testid=retell-draft-bar] select').selectOption(transcriptId)
  await page.locator('[data-testid=retell-draft-bar] input[type=number]').fill('1')
  await page.click('[data-testid=retell-generate]')

  await until('the draft in both pages', async () => (await draftBlocks(ben)) > 0 && (await draftBlocks(page)) > 0, 60_000)
  await waitFor(() => retell.draftIds(observer.doc).length === 1, 10_000, 'the draft at the server')
  const blocks = retell.readBlocks(observer.doc).filter((b) => b.type !== 'paragraph' || b.text !== '')
  assert.equal(blocks[0], { type: 'chapter', title: 'Our opening', sources: [] }, "Ben's opening stays first")
  const chapters = blocks.filter((b) => b.type === 'chapter').slice(1)
  assert.is(chapters.length, 2, JSON.stringify(blocks))
  assert.match((chapters[0] as { title: string }).title.toLowerCase(), /harbour/)
  assert.match((chapters[1] as { title: string }).title.toLowerCase(), /bread|bakery/)
  assert.ok(blocks.some((b) => b.type === 'shot' && b.assetId === started.asset.id))
  assert.equal(retell.validate(observer.doc), [])

  await page.click('[data-testid=retell-discard-draft]')
  await until('the draft gone in both pages', async () => (await draftBlocks(ben)) === 0 && (await draftBlocks(page)) === 0, 20_000)
  await waitFor(() => retell.draftIds(observer.doc).length === 0, 10_000, 'the draft gone at the server')
  assert.equal(
    retell.readBlocks(observer.doc).filter((b) => b.type !== 'paragraph' || b.text !== ''),
    [{ type: 'chapter', title: 'Our opening', sources: [] }],
  )
  const audit = await stack.sql<{ action: string }[]>`
    select action from audit_log where action like 'retell.%' order by created_at`
  assert.equal(
    audit.map((a) => a.action),
    ['retell.generate', 'retell.discardDraft'],
  )
  observer.destroy()
  seed.destroy()
})

test.run()
