import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { timeline } from '@cutroom/schema'
import type { Page } from 'playwright-core'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { makeClip, spawnWorker, until, type WorkerProcess } from './media-fixtures'
import { startWorkspaceStack, type WorkspaceStack } from './workspace-stack'

/**
 * The whole stack (api with its media pipeline, collab consuming EVENTS, a media-workers process, Postgres, NATS,
 * s3rver, Chromium): Ada uploads a clip on the project page while Ben has a timeline open; Ben puts the asset on
 * the timeline from the media bin; when the workers' artifacts land, Ben's timeline shows the filmstrip and the
 * waveform and his viewer plays the HLS proxy, without a reload.
 */
let stack: WorkspaceStack
let worker: WorkerProcess
let dir: string

interface Row {
  id: string
  track: string
  duration: number
  filmstrip: string | null
  waveform: string | null
}

function rows(page: Page): Promise<Row[]> {
  return page.$$eval('[data-testid=timeline-items] li', (items) =>
    items.map((li) => ({
      id: li.getAttribute('data-id')!,
      track: li.getAttribute('data-track')!,
      duration: Number(li.getAttribute('data-duration')),
      filmstrip: li.getAttribute('data-filmstrip'),
      waveform: li.getAttribute('data-waveform'),
    })),
  )
}

test.before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cutroom-media-live-'))
  stack = await startWorkspaceStack({ Ada: 'owner', Ben: 'editor' }, { media: true })
  worker = await spawnWorker(stack.media!)
})

test.after(async () => {
  await worker?.stop()
  await stack?.close()
  rmSync(dir, { recursive: true, force: true })
})

test('an upload in one browser becomes a filmstrip, a waveform and a playing proxy on a timeline open in another', async () => {
  const clip = path.join(dir, 'harbour.mp4')
  await makeClip(clip, { seconds: 3, width: 320, height: 180 })
  const docId = await stack.createDocument('timeline', 'Cut 1')
  const ada = stack.people.Ada!

  // Ben has the (empty) timeline open before anything is uploaded.
  const ben = await stack.openDocument(await stack.contextFor(stack.people.Ben!), docId)
  await ben.waitForSelector('[data-testid=timeline-canvas]', { timeout: 15_000 })
  await ben.waitForSelector('[data-testid=save-state][data-state=saved]', { timeout: 15_000 })
  const observer = await stack.replica(docId)
  assert.equal(timeline.getMeta(observer.doc).fps, { num: 30, den: 1 }, "the timeline runs at its project's rate")

  // Ada uploads on the project page. Her PUT to S3 is held until Ben has inserted the asset, so the workers'
  // artifacts land on a timeline that already uses it (the order this test is about).
  const adaPage = await (await stack.contextFor(ada)).newPage()
  adaPage.on('pageerror', (e) => process.stderr.write(`[ada page error] ${e.message}\n`))
  await adaPage.addInitScript(() => {
    // the highest value the upload bar showed (the item may go away as soon as the upload is complete)
    const w = window as unknown as { uploadMax: number }
    w.uploadMax = -1
    setInterval(() => {
      for (const bar of Array.from(document.querySelectorAll('[data-testid=upload-item] [role=progressbar]')))
        w.uploadMax = Math.max(w.uploadMax, Number(bar.getAttribute('aria-valuenow')))
    }, 10)
  })
  let release!: () => void
  const inserted = new Promise<void>((resolve) => (release = resolve))
  const s3Origin = new URL(stack.media!.s3.endpoint).origin
  await adaPage.route(
    (url) => url.origin === s3Origin,
    async (route) => {
      if (route.request().method() === 'PUT') await inserted
      await route.continue().catch(() => {})
    },
  )
  await adaPage.goto(`${stack.api.url}/projects/${stack.projectId}`)
  await adaPage.setInputFiles('[data-testid=upload-input]', clip)
  await adaPage.waitForSelector('[data-testid=upload-item] [role=progressbar]', { timeout: 10_000 })
  const asset = await until(
    'the asset to exist',
    async () => (await ada.client.assets.list.query({ projectId: stack.projectId }))[0],
  )

  // Ben reloads the bin and inserts the asset at the start of his timeline.
  await ben.click('button[title="Reload the project\'s assets"]')
  const item = ben.locator(`[data-testid=bin-item][data-asset-id="${asset.id}"]`)
  await item.waitFor({ timeout: 10_000 })
  await ben.keyboard.press('Home')
  await item.dblclick()
  await until('the clip on the timeline', async () =>
    (await rows(ben)).find((r) => r.track === timeline.STORYLINE_TRACK_ID),
  )
  await until(
    'the insert to reach the server',
    async () => timeline.assetIdsUsed(observer.doc).includes(asset.id),
    10_000,
  )
  const playlist = ben.waitForRequest(/\/media\/[0-9a-f-]{36}\/master\.m3u8/, { timeout: 60_000 })
  release()

  // Ada's upload finishes with a full progress bar; the workers take it from there.
  await until(
    'the upload to complete',
    async () => {
      const a = await ada.client.assets.get.query({ id: asset.id })
      return a.status !== 'uploading'
    },
    20_000,
  )
  await adaPage.waitForFunction(() => (window as unknown as { uploadMax: number }).uploadMax === 100, null, {
    timeout: 10_000,
  })

  // Ben's timeline shows the filmstrip and the waveform once the sprite and the peaks are loaded.
  const started = Date.now()
  const clipRow = await until(
    'the filmstrip and the waveform on the clip',
    async () => (await rows(ben)).find((r) => r.filmstrip === 'loaded' && r.waveform === 'loaded'),
    60_000,
  )
  assert.is(clipRow.track, timeline.STORYLINE_TRACK_ID)

  // The clip went in before the probe, with a provisional 5 s; the probe's 3 s replaced it, live for Ben.
  const settled = await until(
    'the clip to take the probed length',
    async () => (await rows(ben)).find((r) => r.track === timeline.STORYLINE_TRACK_ID && r.duration === 90),
    60_000,
  )
  assert.ok(settled)
  const placed = timeline.storylineLayout(observer.doc).find((i) => i.kind === 'clip')!
  assert.is(placed.duration, 90, '3 s at 30 fps')
  assert.is((placed as timeline.ClipItem).lengthPending, undefined, 'the provisional flag is cleared')
  process.stdout.write(`filmstrip and waveform shown ${Date.now() - started} ms after the upload completed\n`)

  // The viewer asks for the HLS proxy when it lands; collab and the api agree on the artifacts.
  await playlist
  const ready = await until(
    'the asset to be ready',
    async () => {
      const a = await ada.client.assets.get.query({ id: asset.id })
      return a.status === 'ready' ? a : null
    },
    30_000,
  )
  // per slot, the api's newest artifact (the proxy's ladder, after its preview rendition) is the timeline's
  const newest = new Map(ready.artifacts.map((a) => [a.slot, a.id]))
  await until(
    'collab to set the ladder over the preview',
    async () => timeline.getArtifact(observer.doc, asset.id, 'hls')?.artifactId === newest.get('hls'),
    30_000,
  )
  const refs = [...timeline.artifactsOf(observer.doc).values()].filter((r) => r.assetId === asset.id)
  assert.equal(
    refs.map((r) => r.slot).sort(),
    ['hls', 'thumbnails', 'waveform'],
    'collab set every artifact into the timeline',
  )
  assert.equal([...newest.values()].sort(), refs.map((r) => r.artifactId).sort(), 'the same artifacts the api recorded')
  assert.is(refs.find((r) => r.slot === 'hls')!.metadata.preview, undefined, 'the ladder replaced the preview')

  // The viewer plays the proxy through hls.js (a MediaSource); the picture moves and drives the playhead.
  await ben.keyboard.press('Home')
  await ben.waitForFunction(
    () => {
      const video = document.querySelector<HTMLVideoElement>('[data-testid=viewer-video]')
      return video !== null && video.currentSrc.startsWith('blob:') && video.readyState >= 2
    },
    null,
    { timeout: 20_000 },
  )
  await ben.keyboard.press('Space')
  await ben.waitForFunction(
    () => document.querySelector<HTMLVideoElement>('[data-testid=viewer-video]')!.currentTime > 0.5,
    null,
    {
      timeout: 15_000,
    },
  )
  await ben.keyboard.press('Space')
  assert.is.not(
    await ben.textContent('[data-testid=playhead-timecode]'),
    '00:00:00:00',
    'the playhead followed the picture',
  )
  // Paused, the viewer shows the playhead's frame: the proxy's first frame sits `data-start` seconds into its
  // MediaSource timeline (B-frame reordering puts it a few frames in), so frame n is at start + (n + 0.5) / 30.
  await ben.waitForFunction(
    () => {
      const video = document.querySelector<HTMLVideoElement>('[data-testid=viewer-video]')!
      const expected = Number(video.dataset.start) + (Number(video.dataset.sourceFrame) + 0.5) / 30
      return video.paused && !video.seeking && Math.abs(video.currentTime - expected) < 0.002
    },
    null,
    { timeout: 10_000 },
  )
  const proxyStart = Number(await ben.getAttribute('[data-testid=viewer-video]', 'data-start'))
  assert.ok(proxyStart > 0 && proxyStart < 0.5, `the proxy's first frame is measured a few frames in (${proxyStart} s)`)
  // TIMELINE_SCREENSHOT=<file.png> saves Ben's workspace as it is now (docs/screenshots/timeline-with-media.png)
  if (process.env.TIMELINE_SCREENSHOT) {
    await ben.waitForTimeout(500) // the paused viewer's seek to the playhead's frame
    await ben.screenshot({ path: process.env.TIMELINE_SCREENSHOT })
  }

  // The same asset, already processed, inserted into another timeline: its artifacts come along.
  const secondId = await stack.createDocument('timeline', 'Cut 2')
  const second = await ben.context().newPage()
  await second.goto(`${stack.api.url}/projects/${stack.projectId}/docs/${secondId}`)
  await second.waitForSelector('[data-testid=save-state][data-state=saved]', { timeout: 15_000 })
  await second.locator(`[data-testid=bin-item][data-asset-id="${asset.id}"]`).dblclick()
  await until(
    'the filmstrip and the waveform in the second timeline',
    async () => (await rows(second)).find((r) => r.filmstrip === 'loaded' && r.waveform === 'loaded'),
    15_000,
  )
  const secondReplica = await stack.replica(secondId)
  await until(
    'the artifacts in the second timeline',
    async () => timeline.getArtifact(secondReplica.doc, asset.id, 'hls'),
    10_000,
  )
  secondReplica.destroy()
  observer.destroy()
  await adaPage.context().close()
  await ben.context().close()
})

test.run()
