import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { timeline } from '@cutroom/schema'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { makeClip, spawnWorker, until, type WorkerProcess } from './media-fixtures'
import { startWorkspaceStack, type WorkspaceStack } from './workspace-stack'

/**
 * The whole stack and a browser: Ada cuts a timeline (a clip, a caption, narration), exports it from the
 * timeline's Export dialog with karaoke captions, watches the progress, finds the export on the project page,
 * and plays it in a review like any other version.
 */
let stack: WorkspaceStack
let worker: WorkerProcess
let dir: string

test.before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cutroom-export-e2e-'))
  stack = await startWorkspaceStack({ Ada: 'owner' }, { media: true })
  worker = await spawnWorker(stack.media!)
})

test.after(async () => {
  await worker?.stop()
  await stack?.close()
  rmSync(dir, { recursive: true, force: true })
})

test('a timeline exported from the Export dialog becomes a version that plays in a review', async () => {
  const ada = stack.people.Ada!
  const clip = path.join(dir, 'harbour.mp4')
  await makeClip(clip, { seconds: 3, width: 320, height: 180 })
  const bytes = readFileSync(clip)
  const started = await ada.client.assets.createUpload.mutate({ projectId: stack.projectId, filename: 'harbour.mp4', size: bytes.length, contentType: 'video/mp4' })
  if (started.upload.mode !== 'single') throw new Error('expected a single PUT')
  await fetch(started.upload.url, { method: 'PUT', headers: started.upload.headers, body: bytes })
  await ada.client.assets.completeUpload.mutate({ assetId: started.asset.id })
  const source = started.asset.id
  await until('the clip to be ready', async () => (await ada.client.assets.get.query({ id: source })).status === 'ready', 180_000)

  const docId = await stack.createDocument('timeline', 'Harbour cut')
  const replica = await stack.replica(docId, ada)
  const fps = timeline.getMeta(replica.doc).fps
  const second = Math.round(fps.num / fps.den)
  const c1 = timeline.insertClip(replica.doc, { at: { index: 0 }, assetId: source, sourceIn: 0, sourceOut: 2 * second, label: 'Harbour' })
  const captions = timeline.addTrack(replica.doc, { kind: 'caption', name: 'Captions' })
  timeline.addAnchoredItem(replica.doc, { trackId: captions, anchorId: c1, offset: 5, duration: second, text: 'Welcome to the harbour' })
  const narration = timeline.addTrack(replica.doc, { kind: 'narration', name: 'Narration' })
  timeline.addAnchoredItem(replica.doc, { trackId: narration, anchorId: c1, offset: 0, duration: second, assetId: source, text: 'Voice' })
  await replica.settled()
  replica.destroy()

  const page = await stack.openDocument(await stack.contextFor(ada), docId)
  await page.waitForSelector('[data-testid=save-state][data-state=saved]', { timeout: 30_000 })
  await page.getByRole('button', { name: 'Export', exact: true }).click()
  await page.getByLabel('Preset').selectOption('720p')
  await page.getByLabel('Burn in captions').check()
  await page.getByLabel('Caption style').selectOption('karaoke')
  await page.getByRole('button', { name: 'Start export' }).click()
  const progress = page.locator('[data-testid=export-progress]')
  await progress.waitFor({ timeout: 15_000 })
  const jobId = (await progress.getAttribute('data-job-id'))!
  await page.waitForSelector('[data-testid=export-progress][data-status=succeeded]', { timeout: 300_000 })
  assert.match((await progress.textContent()) ?? '', /Export version 1 is ready/)

  const job = await ada.client.jobs.get.query({ id: jobId })
  const exported = job.assetId!
  const project = await (await stack.contextFor(ada)).newPage()
  await project.goto(`${stack.api.url}/projects/${stack.projectId}`)
  await project.waitForSelector(`[data-testid=export-item][data-asset-id="${exported}"][data-status=succeeded]`, { timeout: 30_000 })

  // the export is a version like any upload: probed, proxied, and reviewable
  await until('the export to be ready', async () => (await ada.client.assets.get.query({ id: exported })).status === 'ready', 300_000)
  const review = await ada.client.reviews.create.mutate({ projectId: stack.projectId, assetId: exported, title: 'Harbour cut v1' })
  await project.goto(`${stack.api.url}/projects/${stack.projectId}/reviews/${review.id}`)
  await project.waitForFunction(
    () => {
      const v = document.querySelector<HTMLVideoElement>('[data-testid=compare-video-a]')
      return v !== null && v.readyState >= 2
    },
    null,
    { timeout: 60_000 },
  )
  await project.locator('[data-testid=compare-play]').click()
  await project.waitForFunction(() => document.querySelector<HTMLVideoElement>('[data-testid=compare-video-a]')!.currentTime > 0.5, null, {
    timeout: 30_000,
  })
  const duration = await project.evaluate(() => document.querySelector<HTMLVideoElement>('[data-testid=compare-video-a]')!.duration)
  assert.ok(Math.abs(duration - 2) < 0.2, `the review plays the 2 s export (${duration} s)`)
  await page.context().close()
  await project.context().close()
})

test.run()
