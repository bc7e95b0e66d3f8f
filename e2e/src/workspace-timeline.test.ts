import { timeline, WORKER_PATCH_ORIGIN } from '@cutroom/schema'
import type { Page } from 'playwright-core'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startWorkspaceStack, waitFor, type WorkspaceStack } from './workspace-stack'

/**
 * Two editors co-edit one timeline in two browser contexts: split, trim and ripple delete at the same time,
 * converge, and each one's undo reverts only their own edit. A viewer sees the edits but cannot make any.
 */

const CLIP = 90 // frames per seeded clip
const PX_PER_FRAME = 2 // the editor's initial zoom
const RULER = 26
const STORYLINE_ROW = 64
let stack: WorkspaceStack
let docId: string

interface Row {
  id: string
  track: string
  start: number
  duration: number
}

async function rows(page: Page): Promise<Row[]> {
  return page.$$eval('[data-testid=timeline-items] li', (items) =>
    items.map((li) => ({
      id: li.getAttribute('data-id')!,
      track: li.getAttribute('data-track')!,
      start: Number(li.getAttribute('data-start')),
      duration: Number(li.getAttribute('data-duration')),
    })),
  )
}

async function openTimeline(name: string, id = docId): Promise<Page> {
  const context = await stack.contextFor(stack.people[name]!)
  const page = await stack.openDocument(context, id)
  await page.waitForSelector('[data-testid=timeline-canvas]', { timeout: 15_000 })
  await page.waitForSelector('[data-testid=save-state][data-state=saved]', { timeout: 15_000 })
  return page
}

/** Canvas coordinates of a frame on the storyline row. */
async function storylinePoint(page: Page, frame: number): Promise<{ x: number; y: number }> {
  const box = (await page.locator('[data-testid=timeline-canvas]').boundingBox())!
  return { x: box.x + frame * PX_PER_FRAME, y: box.y + RULER + STORYLINE_ROW / 2 }
}

async function seekTo(page: Page, frame: number) {
  await page.keyboard.press('Home')
  const fps = 30
  for (let i = 0; i < Math.floor(frame / fps); i++) await page.keyboard.press('Shift+ArrowRight')
  for (let i = 0; i < frame % fps; i++) await page.keyboard.press('ArrowRight')
}

async function clickClip(page: Page, start: number, duration: number) {
  const p = await storylinePoint(page, start + duration / 2)
  await page.mouse.click(p.x, p.y)
}

async function trimOutEdge(page: Page, end: number, deltaFrames: number) {
  const p = await storylinePoint(page, end)
  await page.mouse.move(p.x - 3, p.y)
  await page.mouse.down()
  await page.mouse.move(p.x - 3 + (deltaFrames * PX_PER_FRAME) / 2, p.y, { steps: 3 })
  await page.mouse.move(p.x - 3 + deltaFrames * PX_PER_FRAME, p.y, { steps: 3 })
  await page.mouse.up()
}

function storyline(all: Row[]): Row[] {
  return all.filter((r) => r.track === timeline.STORYLINE_TRACK_ID)
}

const total = (items: Row[]) => items.reduce((sum, r) => sum + r.duration, 0)

test.before(async () => {
  stack = await startWorkspaceStack({ Ada: 'owner', Ben: 'editor', Vera: 'viewer' })
  docId = await stack.createDocument('timeline', 'Cut A')
  const seed = await stack.replica(docId)
  for (let i = 0; i < 6; i++)
    timeline.insertClip(seed.doc, { at: { index: i }, assetId: `asset-${i}`, sourceIn: 0, sourceOut: CLIP, label: `Shot ${i + 1}` })
  await seed.settled()
  seed.destroy()
})

test.after(async () => {
  await stack?.close()
})

test('two editors split, trim and ripple-delete at once, converge, and undo only their own edits', async () => {
  const [ada, ben] = await Promise.all([openTimeline('Ada'), openTimeline('Ben')])
  assert.is(storyline(await rows(ada)).length, 6)

  // Ada splits the first clip in the middle while Ben trims the fourth clip's tail and deletes the sixth.
  await Promise.all([
    (async () => {
      await seekTo(ada, 45)
      await ada.keyboard.press('s')
    })(),
    (async () => {
      await trimOutEdge(ben, 4 * CLIP, -10)
      await clickClip(ben, 5 * CLIP - 10, CLIP)
      await ben.keyboard.press('Delete')
    })(),
  ])

  const expectConverged = async (count: number, frames: number, what: string) => {
    await waitFor(
      async () => {
        const [a, b] = [storyline(await rows(ada)), storyline(await rows(ben))]
        return a.length === count && total(a) === frames && JSON.stringify(a) === JSON.stringify(b)
      },
      10_000,
      what,
    )
  }
  await expectConverged(6, 6 * CLIP - 10 - CLIP, 'both editors to converge')
  const observer = await stack.replica(docId)
  const server = timeline.storylineLayout(observer.doc)
  assert.equal(
    server.map((p) => [p.id, p.start, p.duration]),
    storyline(await rows(ada)).map((r) => [r.id, r.start, r.duration]),
    'the server holds what both editors show',
  )
  assert.equal(
    server.map((p) => p.duration),
    [45, 45, CLIP, CLIP, CLIP - 10, CLIP],
    'split first clip, trimmed fourth, deleted sixth',
  )

  // Ada's undo reverts her split only: Ben's trim and delete stay.
  await ada.keyboard.press('Control+z')
  await expectConverged(5, 4 * CLIP + CLIP - 10, "Ada's undo to reach Ben")
  assert.equal(
    storyline(await rows(ben)).map((r) => r.duration),
    [CLIP, CLIP, CLIP, CLIP - 10, CLIP],
  )

  // Ben's undo reverts his last edit (the delete), not Ada's work and not his earlier trim.
  await ben.keyboard.press('Control+z')
  await expectConverged(6, 5 * CLIP + CLIP - 10, "Ben's undo to reach Ada")
  assert.equal(
    storyline(await rows(ada)).map((r) => r.duration),
    [CLIP, CLIP, CLIP, CLIP - 10, CLIP, CLIP],
  )
  observer.destroy()
  await ada.context().close()
  await ben.context().close()
})

test('a viewer sees live edits, is told why they cannot edit, and their keys change nothing', async () => {
  const vera = await openTimeline('Vera')
  const banner = await vera.textContent('[data-testid=read-only-banner]')
  assert.match(banner ?? '', /viewer/i)
  assert.ok(await vera.isDisabled('button:has-text("Split")'), 'Split is disabled for a viewer')

  const before = await rows(vera)
  await seekTo(vera, 20)
  await vera.keyboard.press('s')
  await clickClip(vera, 0, CLIP)
  await vera.keyboard.press('Delete')
  await vera.waitForTimeout(300)
  const observer = await stack.replica(docId)
  assert.equal(
    timeline.storylineLayout(observer.doc).map((p) => p.duration),
    before.filter((r) => r.track === timeline.STORYLINE_TRACK_ID).map((r) => r.duration),
    'nothing changed on the server',
  )

  // An editor's change still reaches the viewer live.
  timeline.splitAt(observer.doc, 30)
  await observer.settled()
  await waitFor(async () => storyline(await rows(vera)).length === before.length + 1, 10_000, 'the viewer to see the split')
  observer.destroy()
  await vera.context().close()
})

test('insert from the media bin; thumbnails written by a worker appear live and are never undone', async () => {
  const [asset] = await stack.sql<{ id: string }[]>`
    insert into assets (org_id, project_id, filename, content_type, size, status, storage_key, metadata)
    values (${stack.orgId}, ${stack.projectId}, 'harbour.mov', 'video/quicktime', 1000, 'ready', 'k',
      ${stack.sql.json({ durationSeconds: 4, video: { durationFrames: 120, fps: { num: 30, den: 1 } } })})
    returning id`
  const ada = await openTimeline('Ada')
  const item = ada.locator(`[data-testid=bin-item][data-asset-id="${asset!.id}"]`)
  await item.waitFor({ timeout: 10_000 })
  const before = storyline(await rows(ada))
  await ada.keyboard.press('End')
  await item.dblclick()
  await waitFor(async () => storyline(await rows(ada)).length === before.length + 1, 5000, 'the inserted clip')
  const inserted = storyline(await rows(ada)).at(-1)!
  assert.is(inserted.duration, 4 * 30, "four seconds at the timeline's rate (the project's 30/1)")

  // A worker's thumbnails land in the document: the bin shows the poster without a reload.
  const worker = await stack.replica(docId)
  timeline.setArtifact(
    worker.doc,
    {
      artifactId: 'art-thumbs-1',
      slot: 'thumbnails',
      assetId: asset!.id,
      key: `orgs/x/assets/${asset!.id}/artifacts/art-thumbs-1/sprite.jpg`,
      contentType: 'image/jpeg',
      metadata: { sprite: 'sprite.jpg', tileWidth: 160, tileHeight: 90, columns: 10, rows: 1, count: 4, framesPerTile: 30, fps: { num: 30, den: 1 } },
    },
    WORKER_PATCH_ORIGIN,
  )
  await worker.settled()
  const poster = item.locator('.bin-poster')
  await poster.waitFor({ timeout: 10_000 })
  assert.match((await poster.getAttribute('style')) ?? '', /\/media\/art-thumbs-1\/sprite\.jpg/)

  // When the HLS proxy lands, the viewer plays it (hls.js asks the api for the master playlist).
  const playlist = ada.waitForRequest(/\/media\/art-hls-1\/master\.m3u8/, { timeout: 10_000 })
  timeline.setArtifact(
    worker.doc,
    {
      artifactId: 'art-hls-1',
      slot: 'hls',
      assetId: asset!.id,
      key: `orgs/x/assets/${asset!.id}/artifacts/art-hls-1/master.m3u8`,
      contentType: 'application/vnd.apple.mpegurl',
      metadata: { playlist: 'master.m3u8' },
    },
    WORKER_PATCH_ORIGIN,
  )
  await worker.settled()
  await playlist

  // Ada's undo removes her insert, not the worker's artifacts.
  await ada.keyboard.press('Control+z')
  await waitFor(async () => storyline(await rows(ada)).length === before.length, 5000, 'the insert to be undone')
  await ada.waitForTimeout(300)
  assert.ok(timeline.getArtifact(worker.doc, asset!.id, 'thumbnails'), 'the artifact stays')
  assert.ok(await poster.isVisible())
  worker.destroy()
  await ada.context().close()
})

test('dragging a storyline clip moves it, and the caption anchored to it moves along', async () => {
  const id = await stack.createDocument('timeline', 'Reorder')
  const seed = await stack.replica(id)
  for (let i = 0; i < 3; i++)
    timeline.insertClip(seed.doc, { at: { index: i }, assetId: `a-${i}`, sourceIn: 0, sourceOut: 60, label: `Part ${i + 1}` })
  const first = timeline.storylineLayout(seed.doc)[0]!
  const captions = timeline.addTrack(seed.doc, { kind: 'caption', name: 'Captions' })
  const caption = timeline.addAnchoredItem(seed.doc, { trackId: captions, anchorId: first.id, offset: 10, duration: 20, text: 'Hello' })
  await seed.settled()

  const ben = await openTimeline('Ben', id)
  const from = await storylinePoint(ben, 30)
  const to = await storylinePoint(ben, 170)
  await ben.mouse.move(from.x, from.y)
  await ben.mouse.down()
  await ben.mouse.move((from.x + to.x) / 2, from.y, { steps: 5 })
  await ben.mouse.move(to.x, to.y, { steps: 5 })
  await ben.mouse.up()
  await waitFor(async () => storyline(await rows(ben))[2]?.id === first.id, 5000, 'Part 1 to be last')
  await waitFor(
    async () => (await rows(ben)).find((r) => r.id === caption)?.start === 120 + 10,
    5000,
    'the caption to follow its clip',
  )
  await waitFor(() => timeline.storylineLayout(seed.doc)[2]?.id === first.id, 5000, 'the move to reach the server')
  assert.is(timeline.anchoredLayout(seed.doc).find((a) => a.id === caption)?.start, 130)
  seed.destroy()
  await ben.context().close()
})

test('no page broke its Content-Security-Policy (the editor, player and collab socket all run under it)', () => {
  assert.equal(stack.cspViolations, [])
})

test.run()
