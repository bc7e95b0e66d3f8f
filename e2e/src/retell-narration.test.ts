import { retell, timeline } from '@cutroom/schema'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnWorker, until, type WorkerProcess } from './media-fixtures'
import { startWorkspaceStack, type WorkspaceStack } from './workspace-stack'

/**
 * The whole stack with a media-workers process running flite: Ada presses Synthesize on a narration block of a
 * script linked to a timeline; Ben, on the same script in another browser, sees the block's length appear while
 * he watches, plays it, and sees it marked stale when Ada rewrites it. The timeline's narration track follows.
 */
let stack: WorkspaceStack
let worker: WorkerProcess

test.before(async () => {
  stack = await startWorkspaceStack({ Ada: 'owner', Ben: 'editor' }, { media: true })
  worker = await spawnWorker(stack.media!, { WORKER_KINDS: 'tts' })
})

test.after(async () => {
  await worker?.stop()
  await stack?.close()
})

test('Synthesize a narration block: the second browser sees its length appear and plays it; the timeline follows', async () => {
  const cutId = await stack.createDocument('timeline', 'Narrated cut')
  const cut = await stack.replica(cutId)
  timeline.insertClip(cut.doc, {
    at: { index: 0 },
    assetId: crypto.randomUUID(),
    sourceIn: 0,
    sourceOut: 300,
    label: 'Opening',
  })
  await cut.settled()
  const scriptId = await stack.createDocument('retell', 'Story')
  const seed = await stack.replica(scriptId)
  retell.addChapter(seed.doc, { title: 'Intro' })
  const blockId = retell.addNarration(seed.doc, { text: 'The harbor was quiet before the storm.' })
  retell.setLinkedTimeline(seed.doc, cutId)
  await seed.settled()

  const ada = await stack.openDocument(await stack.contextFor(stack.people.Ada!), scriptId)
  const ben = await stack.openDocument(await stack.contextFor(stack.people.Ben!), scriptId)
  const row = (page: typeof ada) => page.locator(`[data-testid=narration-row][data-block-id="${blockId}"]`)
  for (const page of [ada, ben]) await row(page).waitFor({ timeout: 20_000 })
  assert.is(await row(ben).locator('[data-testid=narration-duration]').count(), 0, 'no audio before synthesis')

  await row(ada).locator('button[aria-label="Synthesize this block"]').click()
  const duration = row(ben).locator('[data-testid=narration-duration]')
  await duration.waitFor({ timeout: 90_000 })
  const seconds = Number((await duration.textContent())?.replace(/ s$/, ''))
  assert.ok(seconds > 1 && seconds < 8, `a sentence lasts a few seconds (${seconds} s)`)

  await row(ben).locator('button[aria-label="Play narration"]').click()
  await row(ben).and(ben.locator('[data-sounding=true]')).waitFor({ timeout: 20_000 })

  const block = () =>
    retell
      .readBlocks(seed.doc)
      .find((b): b is Extract<retell.RetellBlock, { type: 'narration' }> => b.type === 'narration')!
  assert.ok(block().audioArtifactId, 'the block names its audio')
  assert.is((block().duration! / 48000).toFixed(1), seconds.toFixed(1), "the page shows the block's duration")
  const narration = await until(
    'the narration item on the linked timeline',
    async () => {
      const track = timeline.getTracks(cut.doc).find((t) => t.kind === 'narration')
      return track ? timeline.anchoredLayout(cut.doc).find((i) => i.trackId === track.id && i.id === blockId) : null
    },
    20_000,
  )
  assert.is(narration.artifactId, block().audioArtifactId!)
  const fps = timeline.getMeta(cut.doc).fps
  assert.is(narration.duration, Math.ceil((block().duration! * fps.num) / (48000 * fps.den)))

  // Ada rewrites the line: both pages mark its audio stale until it is synthesized again
  const text = ada.locator(`[data-testid=retell-editor] [data-block-id="${blockId}"]`)
  await text.click()
  await ada.keyboard.press('End')
  await ada.keyboard.type(' Then the rain came.')
  await row(ben).locator('[data-testid=narration-stale]').waitFor({ timeout: 20_000 })
  assert.is(await row(ada).locator('[data-testid=narration-stale]').count(), 1)
  seed.destroy()
  cut.destroy()
})

test.run()
