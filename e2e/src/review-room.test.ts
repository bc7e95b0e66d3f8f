import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { qa } from '@cutroom/schema'
import type { Page } from 'playwright-core'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnWorker, until, type WorkerProcess } from './media-fixtures'
import { type Person, startWorkspaceStack, type WorkspaceStack, waitFor } from './workspace-stack'

/**
 * The review room with the whole stack (api with its media pipeline, collab consuming EVENTS, a media-workers
 * process running transcode and framediff, Chromium): a director, a reviewer and a viewer on one review of two
 * versions of a clip, where version 2 has a red box on frames 30-39. The director jumps to the worst frame and
 * draws; the reviewer sees the stroke while it is drawn and the stored shape after; the viewer cannot draw; the
 * reviewer follows the director's frame and compare mode; the URL brings the compare state back after a reload.
 */
const run = promisify(execFile)
const SCREENSHOTS = process.env.REVIEW_SCREENSHOTS ? path.resolve(process.env.REVIEW_SCREENSHOTS) : null
const BOX = { x: 80, y: 45, w: 80, h: 60 } // on 320x180
let stack: WorkspaceStack
let worker: WorkerProcess
let dir: string

async function makeVersion(file: string, box: boolean): Promise<void> {
  const filter = box
    ? `,drawbox=x=${BOX.x}:y=${BOX.y}:w=${BOX.w}:h=${BOX.h}:color=red@1:t=fill:enable='between(n,30,39)'`
    : ''
  await run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=3'],
    ...['-vf', `format=yuv420p${filter}`, '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25'],
    ...['-movflags', '+faststart', file],
  ])
}

/** Uploads like the browser does: presigned PUT straight to S3, then completeUpload. */
async function upload(person: Person, file: string, versionOf?: string): Promise<string> {
  const bytes = readFileSync(file)
  const started = await person.client.assets.createUpload.mutate({
    projectId: stack.projectId,
    filename: path.basename(file),
    size: bytes.length,
    contentType: 'video/mp4',
    ...(versionOf ? { versionOf } : {}),
  })
  if (started.upload.mode !== 'single') throw new Error('expected a single PUT for a small file')
  const put = await fetch(started.upload.url, { method: 'PUT', headers: started.upload.headers, body: bytes })
  assert.is(put.status, 200)
  await person.client.assets.completeUpload.mutate({ assetId: started.asset.id })
  return started.asset.id
}

const stage = (page: Page) =>
  page.$eval('[data-testid=compare-stage]', (el) => ({
    mode: el.getAttribute('data-mode'),
    frame: Number(el.getAttribute('data-frame')),
    offset: Number(el.getAttribute('data-offset')),
  }))

async function openReview(page: Page, url: string) {
  page.on('pageerror', (e) => process.stderr.write(`[page error] ${e.message}\n`))
  await page.goto(url)
  await page.waitForSelector('[data-testid=review-room]', { timeout: 20_000 })
  await page.waitForSelector('[data-testid=save-state][data-state=saved]', { timeout: 20_000 })
}

const videosReady = (page: Page) =>
  page.waitForFunction(
    () =>
      Array.from(document.querySelectorAll<HTMLVideoElement>('[data-testid^=compare-video]')).every(
        (v) => v.readyState >= 2 && !v.seeking,
      ),
    null,
    { timeout: 30_000 },
  )

test.before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cutroom-review-room-'))
  stack = await startWorkspaceStack({ Dana: 'owner', Rita: 'reviewer', Vic: 'viewer' }, { media: true })
  worker = await spawnWorker(stack.media!)
})

test.after(async () => {
  await worker?.stop()
  await stack?.close()
  rmSync(dir, { recursive: true, force: true })
})

test('three people in a review room: worst frame, live strokes, stored shapes, read-only viewer, follow, URL state', async () => {
  const dana = stack.people.Dana!
  const fileA = path.join(dir, 'harbour.mp4')
  const fileB = path.join(dir, 'harbour-v2.mp4')
  await Promise.all([makeVersion(fileA, false), makeVersion(fileB, true)])
  const v1 = await upload(dana, fileA)
  const v2 = await upload(dana, fileB, v1)
  for (const id of [v1, v2])
    await until(
      'both versions to be transcoded',
      async () => (await dana.client.assets.get.query({ id })).status === 'ready',
      90_000,
    )

  // Dana creates the review on the project page: version 2 compared with version 1.
  const director = await (await stack.contextFor(dana)).newPage()
  director.on('pageerror', (e) => process.stderr.write(`[director page error] ${e.message}\n`))
  await director.goto(`${stack.api.url}/projects/${stack.projectId}`)
  await director.click('[data-testid=new-review]')
  await director.waitForSelector(`[data-testid=review-asset] option[value="${v2}"]`, { state: 'attached' })
  await director.selectOption('[data-testid=review-asset]', v2)
  await director.waitForSelector(`[data-testid=review-compare-to] option[value="${v1}"]`, { state: 'attached' })
  await director.selectOption('[data-testid=review-compare-to]', v1)
  await director.fill('[data-testid=review-title]', 'Harbour grade')
  await director.click('[data-testid=create-review]')
  await director.waitForURL(/\/reviews\/[0-9a-f-]{36}$/, { timeout: 10_000 })
  const reviewUrl = director.url()
  const reviewId = reviewUrl.slice(reviewUrl.lastIndexOf('/') + 1)
  const review = await dana.client.reviews.get.query({ id: reviewId })
  assert.is(review.compareToAssetId, v1)
  await director.waitForSelector('[data-testid=review-room]', { timeout: 20_000 })

  const reviewer = await (await stack.contextFor(stack.people.Rita!)).newPage()
  const viewer = await (await stack.contextFor(stack.people.Vic!)).newPage()
  await Promise.all([openReview(reviewer, reviewUrl), openReview(viewer, reviewUrl)])
  const replica = await stack.replica(review.qaDocumentId)

  // The framediff job lands: scores under the player, what was compared in the side column.
  // (the pages were open before the job finished: the comparison arrives live)
  for (const page of [director, reviewer, viewer])
    await page.waitForSelector('[data-testid=compared]', { timeout: 90_000 }).catch(async (e) => {
      const job = (await dana.client.reviews.get.query({ id: reviewId })).framediffJob
      const side = await page.textContent('[data-testid=review-side]')
      throw new Error(`${e.message}\njob: ${JSON.stringify(job)}\nside: ${side}\n${worker.output().slice(-2000)}`)
    })
  const job = (await dana.client.reviews.get.query({ id: reviewId })).framediffJob
  assert.is(job?.status, 'succeeded')
  assert.match((await director.textContent('[data-testid=compared]')) ?? '', /Compared frames 0-74 of 75/)
  const overlay = qa.getOverlay(replica.doc, v1, v2)!
  const summary = overlay.metadata.summary as { worstFrame: number }
  assert.ok(
    summary.worstFrame >= 30 && summary.worstFrame <= 39,
    `the box frames are the worst (${summary.worstFrame})`,
  )

  // N jumps to the worst frame.
  await director.click('h1')
  await director.keyboard.press('n')
  await waitFor(async () => (await stage(director)).frame === summary.worstFrame, 5000, 'N to reach the worst frame')
  const worst = summary.worstFrame

  // Dana draws a rectangle around the box; Rita sees the stroke before the mouse is released.
  await videosReady(director)
  const pane = (await director.locator('[data-testid=annotation-canvas]').boundingBox())!
  const at = (x: number, y: number) => [pane.x + (x / 320) * pane.width, pane.y + (y / 180) * pane.height] as const
  await director.mouse.move(...at(BOX.x, BOX.y))
  await director.mouse.down()
  await director.mouse.move(...at(BOX.x + BOX.w / 2, BOX.y + BOX.h / 2), { steps: 4 })
  await director.mouse.move(...at(BOX.x + BOX.w, BOX.y + BOX.h), { steps: 4 })
  // Rita is on frame 0: a stroke is shown only on its own frame, so she goes there first
  await reviewer.click('h1')
  const ritaFrame = async () => (await stage(reviewer)).frame
  while ((await ritaFrame()) < worst)
    await reviewer.keyboard.press(worst - (await ritaFrame()) >= 10 ? 'Shift+ArrowRight' : 'ArrowRight')
  await reviewer.waitForSelector('[data-testid=annotation-canvas][data-live-strokes="1"]', { timeout: 5000 })
  assert.is(
    qa.listFindings(replica.doc).filter((f) => !f.suggestion).length,
    0,
    'nothing is stored while the stroke is drawn',
  )
  await director.mouse.up()
  const finding = await until(
    'the shape in the qa document',
    async () => qa.listFindings(replica.doc).find((f) => !f.suggestion && f.annotations.length === 1),
    10_000,
  )
  assert.is(finding.author, dana.userId)
  assert.is(finding.frame, worst)
  const rect = finding.annotations[0]!
  assert.is(rect.type, 'rect')
  if (rect.type === 'rect') {
    assert.ok(Math.abs(rect.x - 0.25) < 0.02 && Math.abs(rect.y - 0.25) < 0.02, `rect at ${rect.x},${rect.y}`)
    assert.ok(Math.abs(rect.w - 0.25) < 0.02 && Math.abs(rect.h - 1 / 3) < 0.02, `rect ${rect.w}x${rect.h}`)
  }
  // Per-person undo: Dana's Ctrl+Z takes her shape (and its finding) back out, Shift+Ctrl+Z restores it.
  const own = () => qa.listFindings(replica.doc).filter((f) => !f.suggestion)
  await director.keyboard.press('Control+z')
  await until('the undo to reach the server', async () => own().length === 0, 10_000)
  await director.keyboard.press('Control+Shift+z')
  await until(
    'the redo to reach the server',
    async () => own().length === 1 && own()[0]!.annotations.length === 1,
    10_000,
  )
  await reviewer.waitForSelector('[data-testid=annotation-canvas][data-live-strokes="0"][data-shapes="1"]', {
    timeout: 5000,
  })

  // Vic (viewer) gets the player but no drawing: no tools, a banner, and a drag stores nothing.
  await viewer.waitForSelector('[data-testid=read-only-banner]')
  assert.is(await viewer.locator('[data-testid=annotation-toolbar]').count(), 0)
  const vicPane = (await viewer.locator('[data-testid=compare-stage]').boundingBox())!
  await viewer.mouse.move(vicPane.x + 20, vicPane.y + 20)
  await viewer.mouse.down()
  await viewer.mouse.move(vicPane.x + 120, vicPane.y + 90, { steps: 4 })
  await viewer.mouse.up()

  // Follow: Rita follows Dana; Dana steps 5 frames and switches to wipe; Rita's frame and mode match.
  await director.click('[data-testid=present]')
  await reviewer.click('[data-testid=follow][data-name=Dana]')
  await reviewer.waitForSelector('[data-testid=following][data-name=Dana]')
  await director.click('h1')
  for (let i = 0; i < 5; i++) await director.keyboard.press('ArrowRight')
  await director.click('[data-testid=compare-modes] [data-mode=wipe]')
  assert.equal(await stage(director), { mode: 'wipe', frame: worst + 5, offset: 0 })
  await waitFor(
    async () => JSON.stringify(await stage(reviewer)) === JSON.stringify(await stage(director)),
    5000,
    "the follower to match the presenter's frame and mode",
  )
  assert.is(qa.listFindings(replica.doc).filter((f) => !f.suggestion).length, 1, "the viewer's drag stored nothing")

  // Back on the worst frame in the difference view, for the screenshots.
  await director.click('[data-testid=compare-modes] [data-mode=diff]')
  await director.click('h1')
  for (let i = 0; i < 5; i++) await director.keyboard.press('ArrowLeft')
  await director.waitForSelector(`[data-testid=heatmap][data-tile="${worst}"]`, { timeout: 10_000 })
  await waitFor(
    async () => (await stage(reviewer)).mode === 'diff' && (await stage(reviewer)).frame === worst,
    5000,
    'follower',
  )
  await reviewer.waitForSelector(`[data-testid=heatmap][data-tile="${worst}"]`, { timeout: 10_000 })
  await Promise.all([videosReady(director), videosReady(reviewer), videosReady(viewer)])
  // REVIEW_SCREENSHOTS=<dir> saves the three screens as they are now (docs/screenshots/review-room-*.png)
  if (SCREENSHOTS) {
    await director.screenshot({ path: path.join(SCREENSHOTS, 'review-room-director.png') })
    await reviewer.screenshot({ path: path.join(SCREENSHOTS, 'review-room-follower.png') })
    await viewer.screenshot({ path: path.join(SCREENSHOTS, 'review-room-viewer.png') })
  }

  // her own keys do not move a follower
  await reviewer.click('h1')
  await reviewer.keyboard.press('ArrowLeft')
  assert.is((await stage(reviewer)).frame, worst)

  // The presenter stops: the follower is free again.
  await director.click('[data-testid=present]')
  await reviewer.waitForSelector('[data-testid=following]', { state: 'detached', timeout: 5000 })

  // The URL keeps the compare state: offset +1 in the difference view at the worst frame survives a reload.
  await director.selectOption('[data-testid=compare-offset]', '1')
  await director.waitForFunction(
    (f) => {
      const q = new URLSearchParams(location.search)
      return q.get('mode') === 'diff' && q.get('offset') === '1' && q.get('frame') === String(f)
    },
    worst,
    { timeout: 5000 },
  )
  await director.reload()
  await director.waitForSelector('[data-testid=review-room]', { timeout: 20_000 })
  await director.waitForSelector('[data-testid=compare-stage]', { timeout: 20_000 })
  assert.equal(await stage(director), { mode: 'diff', frame: worst, offset: 1 })

  // L plays (A's presented frames move the playhead, B slaved to A); K pauses on a frame, both videos on it.
  await videosReady(director)
  await director.click('h1')
  await director.keyboard.press('l')
  await waitFor(async () => (await stage(director)).frame >= worst + 10, 10_000, 'playback to move the playhead')
  await director.keyboard.press('k')
  await videosReady(director)
  const paused = await stage(director)
  const times = await director.evaluate(() => {
    const [a, b] = Array.from(document.querySelectorAll<HTMLVideoElement>('[data-testid^=compare-video]'))
    return { a: a!.currentTime - Number(a!.dataset.start), b: b!.currentTime - Number(b!.dataset.start) }
  })
  assert.ok(
    Math.abs(times.a - (paused.frame + 0.5) / 25) < 0.002,
    `A on the middle of frame ${paused.frame}: ${times.a}`,
  )
  assert.ok(Math.abs(times.b - (paused.frame + 1.5) / 25) < 0.002, `B one frame ahead (offset +1): ${times.b}`)
  // J steps backwards at 1x
  await director.keyboard.press('j')
  await waitFor(async () => (await stage(director)).frame <= paused.frame - 5, 5000, 'J to step backwards')
  await director.keyboard.press('k')

  replica.destroy()
  for (const page of [director, reviewer, viewer]) await page.context().close()
  assert.equal(stack.cspViolations, [])
})

test.run()
