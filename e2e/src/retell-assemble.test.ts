import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { retell, timeline } from '@cutroom/schema'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { makeClip, spawnWorker, until, type WorkerProcess } from './media-fixtures'
import { startWorkspaceStack, type WorkspaceStack } from './workspace-stack'

/**
 * The whole stack with a media-workers process running flite: Ada presses Assemble timeline on a script whose
 * narration has no voice yet and is told to synthesize first; she synthesizes it and presses it again, and her page
 * opens the new timeline with the script's shots on the storyline and the narration as long as its audio. Vera
 * (viewer) has no Assemble button.
 */
let stack: WorkspaceStack
let worker: WorkerProcess
const dir = mkdtempSync(path.join(tmpdir(), 'cutroom-assemble-'))

test.before(async () => {
  stack = await startWorkspaceStack({ Ada: 'owner', Vera: 'viewer' }, { media: true })
  worker = await spawnWorker(stack.media!, { WORKER_KINDS: 'tts' })
})

test.after(async () => {
  await worker?.stop()
  await stack?.close()
  rmSync(dir, { recursive: true, force: true })
})

test('Assemble timeline: refused until the narration is synthesized, then opens the new timeline', async () => {
  const ada = stack.people.Ada!
  const clip = path.join(dir, 'harbor.mp4')
  await makeClip(clip, { seconds: 8, width: 320, height: 180 })
  const bytes = readFileSync(clip)
  const started = await ada.client.assets.createUpload.mutate({
    projectId: stack.projectId,
    filename: 'harbor.mp4',
    size: bytes.length,
    contentType: 'video/mp4',
  })
  if (started.upload.mode !== 'single') throw new Error('expected a single PUT')
  await fetch(started.upload.url, { method: 'PUT', headers: started.upload.headers, body: bytes })
  await ada.client.assets.completeUpload.mutate({ assetId: started.asset.id })
  const assetId = started.asset.id

  const scriptId = await stack.createDocument('retell', 'Harbor story')
  const seed = await stack.replica(scriptId)
  retell.addChapter(seed.doc, { title: 'Morning' })
  const blockId = retell.addNarration(seed.doc, { text: 'The harbor was quiet before the storm.' })
  retell.addShot(seed.doc, { assetId, sourceIn: 0, sourceOut: 90, label: 'Pier' })
  retell.addShot(seed.doc, { assetId, sourceIn: 100, sourceOut: 190, label: 'Boats' })
  await seed.settled()

  const vera = await stack.openDocument(await stack.contextFor(stack.people.Vera!), scriptId)
  await vera.locator('[data-testid=narration-panel]').waitFor({ timeout: 20_000 })
  assert.is(await vera.locator('[data-testid=retell-assemble]').count(), 0, 'a viewer cannot assemble')

  const page = await stack.openDocument(await stack.contextFor(ada), scriptId)
  await page.locator('[data-testid=narration-row]').waitFor({ timeout: 20_000 })
  const documents = async () => (await ada.client.documents.list.query({ projectId: stack.projectId })).length
  const before = await documents()
  await page.click('[data-testid=retell-assemble]')
  const error = await page.locator('[data-testid=retell-assemble-error]').innerText({ timeout: 20_000 })
  assert.match(error, /no synthesized audio yet \("The harbor was quiet before the storm\."\); click Synthesize all/)
  assert.is(await documents(), before, 'nothing was created')

  await page.getByRole('button', { name: 'Synthesize all' }).click()
  await page.locator('[data-testid=narration-row] [data-testid=narration-duration]').waitFor({ timeout: 90_000 })
  const block = retell
    .readBlocks(seed.doc)
    .find((b): b is Extract<retell.RetellBlock, { type: 'narration' }> => b.type === 'narration' && b.id === blockId)!
  assert.ok(block.duration, 'the block has its audio')

  await page.click('[data-testid=retell-assemble]')
  // the narration fits its shots: no placement to point out, so the page goes straight to the new timeline
  await page.waitForURL((u) => /\/docs\/[0-9a-f-]{36}$/.test(u.pathname) && !u.pathname.endsWith(scriptId), {
    timeout: 20_000,
    waitUntil: 'commit',
  })
  const timelineId = page.url().split('/').pop()!
  await page.waitForSelector('[data-testid=timeline-canvas]', { timeout: 20_000 })
  const items = await until(
    'the assembled items on the page',
    async () => {
      const list = await page.$$eval('[data-testid=timeline-items] li', (lis) =>
        lis.map((li) => ({
          track: li.getAttribute('data-track'),
          start: Number(li.getAttribute('data-start')),
          duration: Number(li.getAttribute('data-duration')),
        })),
      )
      return list.length === 3 ? list : null
    },
    20_000,
  )
  const assembled = await stack.replica(timelineId)
  const { fps } = timeline.getMeta(assembled.doc)
  assert.equal(
    items.filter((i) => i.track === 'storyline').map((i) => [i.start, i.duration]),
    [
      [0, 90],
      [90, 90],
    ],
    "the page shows the script's shots back to back",
  )
  assert.equal(
    items.filter((i) => i.track !== 'storyline').map((i) => [i.start, i.duration]),
    [[0, Math.ceil((block.duration! * fps.num) / (48_000 * fps.den))]],
    'and the narration where its shots start, as long as its audio',
  )
  assert.equal(
    timeline.getMarkers(assembled.doc).map((m) => [m.label, m.frame]),
    [['Morning', 0]],
  )
  assert.equal(stack.cspViolations, [])
  assembled.destroy()
  seed.destroy()
})

test.run()
