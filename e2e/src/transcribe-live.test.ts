import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { transcript } from '@cutroom/schema'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnWorker, until, type WorkerProcess } from './media-fixtures'
import { jobsSettled, recordTimedParagraphs, speechClip } from './speech-fixtures'
import { startWorkspaceStack, type WorkspaceStack } from './workspace-stack'

/**
 * The whole stack with a media-workers process running pocketsphinx: Ada uploads a clip of speech; Ben presses
 * Transcribe on it in the media bin of his timeline and lands on the new transcript, which Ada opens too; both
 * pages fill in paragraph by paragraph while the job runs, with every word timed.
 */
let stack: WorkspaceStack
let worker: WorkerProcess
let dir: string

const paragraphsIn = (page: import('playwright-core').Page) =>
  page.$$eval('[data-testid=transcript-editor] p', (ps) =>
    ps.map((p) => ({ start: p.getAttribute('data-start'), words: p.querySelectorAll('span[data-word]').length })),
  )

test.before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cutroom-transcribe-live-'))
  stack = await startWorkspaceStack({ Ada: 'owner', Ben: 'editor' }, { media: true })
  worker = await spawnWorker(stack.media!)
})

test.after(async () => {
  await worker?.stop()
  await stack?.close()
  rmSync(dir, { recursive: true, force: true })
})

test('Transcribe on an asset opens its transcript, which fills in live in two browsers', async () => {
  const clip = path.join(dir, 'harbor.m4a')
  await speechClip(dir, clip)
  const ada = stack.people.Ada!
  const adaPage = await (await stack.contextFor(ada)).newPage()
  await adaPage.goto(`${stack.api.url}/projects/${stack.projectId}`)
  await adaPage.setInputFiles('[data-testid=upload-input]', clip)
  const asset = await until(
    'the asset to exist',
    async () => (await ada.client.assets.list.query({ projectId: stack.projectId }))[0],
  )
  await until(
    'the upload to complete',
    async () => (await ada.client.assets.get.query({ id: asset.id })).status !== 'uploading',
    20_000,
  )
  // The upload's jobs run to the end; then the worker stops, so the transcribe job waits in the queue until both
  // pages are open and watching, and every step of the fill-in is theirs to see.
  await jobsSettled(ada.client, stack.projectId)
  await worker.stop()

  const timelineId = await stack.createDocument('timeline', 'Cut 1')
  const ben = await stack.openDocument(await stack.contextFor(stack.people.Ben!), timelineId)
  await ben.waitForSelector('[data-testid=timeline-canvas]', { timeout: 15_000 })
  await ben.click('button[title="Reload the project\'s assets"]')
  const button = ben.locator(`[data-testid=bin-item][data-asset-id="${asset.id}"] [data-testid=transcribe-asset]`)
  await button.waitFor({ timeout: 10_000 })
  await button.click()
  await ben.waitForURL((u) => u.pathname.includes('/docs/') && !u.pathname.endsWith(timelineId), { timeout: 15_000 })
  const documentId = ben.url().split('/').pop()!
  assert.is.not(documentId, timelineId)
  await ben.waitForSelector('[data-testid=transcript-editor]', { timeout: 15_000 })
  const adaTranscript = await stack.openDocument(await stack.contextFor(ada), documentId)
  await adaTranscript.waitForSelector('[data-testid=transcript-editor]', { timeout: 15_000 })

  // live: each page sees one paragraph, then two, before it sees all three
  const [benSteps, adaSteps] = [await recordTimedParagraphs(ben), await recordTimedParagraphs(adaTranscript)]
  worker = await spawnWorker(stack.media!)
  const full = await until(
    'three timed paragraphs in both pages',
    async () => {
      const [b, a] = [await paragraphsIn(ben), await paragraphsIn(adaTranscript)]
      const timed = (ps: { start: string | null; words: number }[]) =>
        ps.filter((p) => p.start !== null && p.words > 0).length
      return timed(b) === 3 && timed(a) === 3 ? b : null
    },
    90_000,
  )
  for (const [who, steps] of [
    ['Ben', benSteps],
    ['Ada', adaSteps],
  ] as const) {
    const counts = await steps.counts()
    assert.equal(counts, [0, 1, 2, 3], `${who}'s transcript filled in paragraph by paragraph (${counts})`)
  }
  const starts = full.map((p) => Number(p.start))
  assert.ok(starts[0]! < starts[1]! && starts[1]! < starts[2]!, 'paragraphs in time order')

  const replica = await stack.replica(documentId)
  await until('the replica to have the words', async () => transcript.readWords(replica.doc).length > 10, 10_000)
  assert.is(transcript.getMeta(replica.doc).assetId, asset.id)
  assert.is(transcript.getMeta(replica.doc).source, 'pocketsphinx')
  const text = transcript
    .readParagraphs(replica.doc)
    .map((p) => p.text)
    .join(' ')
  assert.match(text, /harbor/)
})

test.run()
