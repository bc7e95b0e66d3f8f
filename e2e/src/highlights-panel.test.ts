import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { composeFixture } from '@cutroom/media-workers'
import { timeline } from '@cutroom/schema'
import type { Page } from 'playwright-core'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnWorker, until, type WorkerProcess } from './media-fixtures'
import { startWorkspaceStack, type WorkspaceStack } from './workspace-stack'

/**
 * The whole stack with a media-workers process: Ada uploads a recording of known structure, opens its Highlights
 * panel on the project page and runs discovery; the ranked clips come with their score breakdown and say that
 * there was no transcript. Ben has the timeline open in another browser: the clip Ada accepts appears on his
 * storyline at once. A dismissed clip leaves the list; both decisions are in the audit log.
 */
const run = promisify(execFile)
let stack: WorkspaceStack
let worker: WorkerProcess
let dir: string

const storyline = (page: Page) =>
  page.$$eval('[data-testid=timeline-items] li', (items) =>
    items
      .filter((li) => li.getAttribute('data-track') === 'storyline')
      .map((li) => ({ id: li.getAttribute('data-id')!, duration: Number(li.getAttribute('data-duration')) })),
  )

test.before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cutroom-highlights-'))
  stack = await startWorkspaceStack({ Ada: 'owner', Ben: 'editor' }, { media: true })
  worker = await spawnWorker(stack.media!)
})

test.after(async () => {
  await worker?.stop()
  await stack?.close()
  rmSync(dir, { recursive: true, force: true })
})

test('Highlights: discover in one browser, accept into a timeline open in another, dismiss; all recorded', async () => {
  const speech = path.join(dir, 'line.wav')
  await run('flite', ['-voice', 'kal16', '-t', 'What happened next? Nobody could believe it.', '-o', speech])
  const clip = path.join(dir, 'match.mp4')
  await composeFixture(clip, {
    width: 320,
    height: 180,
    shots: [
      { source: 'testsrc2', seconds: 12 },
      { source: 'color=c=white', seconds: 2 },
      { source: 'color=c=red', seconds: 2 },
      { source: 'smptebars', seconds: 2 },
      { source: 'color=c=0x102040', seconds: 2 },
      { source: 'testsrc2', seconds: 10 },
    ],
    sounds: [
      { kind: 'file', file: speech, at: 12.5, gain: 1.5 },
      { kind: 'noise', at: 16, seconds: 0.5, amplitude: 0.7, color: 'pink' },
      { kind: 'noise', at: 18, seconds: 0.5, amplitude: 0.7, color: 'pink' },
    ],
  })
  const ada = stack.people.Ada!
  const timelineId = await stack.createDocument('timeline', 'Cut 1')
  const ben = await stack.openDocument(await stack.contextFor(stack.people.Ben!), timelineId)
  await ben.waitForSelector('[data-testid=timeline-canvas]', { timeout: 15_000 })

  const page = await (await stack.contextFor(ada)).newPage()
  page.on('pageerror', (error) => process.stderr.write(`[page error] ${error.message}\n`))
  await page.goto(`${stack.api.url}/projects/${stack.projectId}`)
  await page.setInputFiles('[data-testid=upload-input]', clip)
  const asset = await until(
    'the asset to exist',
    async () => (await ada.client.assets.list.query({ projectId: stack.projectId }))[0],
  )
  await until(
    'the asset to be ready',
    async () => (await ada.client.assets.get.query({ id: asset.id })).status === 'ready',
    120_000,
  )
  await page.reload()
  const row = page.locator(`[data-testid=asset-item][data-asset-id="${asset.id}"]`)
  await row.locator('[data-testid=open-highlights]').click()
  const panel = row.locator('[data-testid=highlights-panel]')
  await panel.locator('[data-testid=highlights-keywords]').fill('believe')
  await panel.locator('[data-testid=highlights-min]').fill('6')
  await panel.locator('[data-testid=highlights-max]').fill('10')
  // an impossible range is refused with a message, and nothing runs
  await panel.locator('[data-testid=highlights-min]').fill('12')
  await panel.locator('[data-testid=highlights-start]').click()
  await panel.locator('[data-testid=highlights-message]').waitFor({ timeout: 10_000 })
  assert.match(await panel.locator('[data-testid=highlights-message]').innerText(), /no greater than the maximum/)
  await panel.locator('[data-testid=highlights-min]').fill('6')
  await panel.locator('[data-testid=highlights-start]').click()

  await panel.locator('[data-testid=highlight]').first().waitFor({ timeout: 120_000 })
  // the job's summary (what was scored, which signals were missing) is shown with the list
  await panel
    .locator('[data-testid=highlights-missing]')
    .first()
    .waitFor({ timeout: 10_000 })
    .catch(() => {})
  const missing = await panel.locator('[data-testid=highlights-missing]').allInnerTexts()
  assert.ok(
    missing.some((m) => /No transcript/.test(m)),
    `missing: ${missing}; the api says: ${JSON.stringify((await ada.client.clips.suggestions.query({ assetId: asset.id })).job)}`,
  )
  const { suggestions } = await ada.client.clips.suggestions.query({ assetId: asset.id })
  assert.ok(suggestions.length >= 2, `${suggestions.length} suggestions`)
  const top = suggestions[0]!
  assert.ok(
    top.startMs < 20_000 && top.endMs > 12_000,
    `the top clip ${top.startMs}..${top.endMs} holds the fast cutting`,
  )
  const breakdown = await panel
    .locator('[data-testid=highlight][data-rank="1"] [data-testid=highlight-breakdown] dt')
    .allInnerTexts()
  assert.ok(breakdown.includes('Scene cuts') && breakdown.includes('Speech'), `breakdown: ${breakdown}`)

  // preview plays the proxy from the clip's start
  await panel.locator('[data-testid=highlight][data-rank="1"] [data-testid=highlight-preview]').click()
  await page.waitForFunction(
    (start) => {
      const v = document.querySelector('[data-testid=highlights-video]') as HTMLVideoElement | null
      return !!v && v.currentTime >= start - 0.05
    },
    top.startMs / 1000,
    { timeout: 30_000 },
  )

  // accept into Cut 1: it lands on Ben's open storyline
  assert.equal(await storyline(ben), [])
  await panel.locator('[data-testid=highlights-target]').selectOption(timelineId)
  await panel.locator('[data-testid=highlight][data-rank="1"] [data-testid=highlight-accept]').click()
  const onBen = await until(
    'the clip on Ben’s storyline',
    async () => {
      const items = await storyline(ben)
      return items.length === 1 ? items : null
    },
    20_000,
  )
  const replica = await stack.replica(timelineId)
  const { fps } = timeline.getMeta(replica.doc)
  const frames =
    Math.round((top.endMs * fps.num) / (1000 * fps.den)) - Math.floor((top.startMs * fps.num) / (1000 * fps.den))
  const [clipItem] = timeline.storylineLayout(replica.doc)
  assert.is(clipItem?.kind, 'clip')
  if (clipItem?.kind === 'clip') {
    assert.is(clipItem.assetId, asset.id)
    assert.is(clipItem.sourceOut - clipItem.sourceIn, frames)
  }
  assert.is(onBen[0]!.duration, frames)
  await panel.locator('[data-testid=highlight][data-rank="1"][data-status=accepted]').waitFor({ timeout: 10_000 })
  assert.match(await panel.locator('[data-testid=highlights-message]').innerText(), /Added to "Cut 1"/)

  // dismiss the second: it leaves the list
  await panel.locator('[data-testid=highlight][data-rank="2"] [data-testid=highlight-dismiss]').click()
  await panel.locator('[data-testid=highlight][data-rank="2"]').waitFor({ state: 'detached', timeout: 10_000 })
  const audit = await stack.sql<{ action: string; target_id: string }[]>`
    select action, target_id from audit_log where action in ('clips.discover', 'clips.accept', 'clips.dismiss') order by created_at`
  assert.equal(
    audit.map((a) => a.action),
    ['clips.discover', 'clips.accept', 'clips.dismiss'],
  )
  assert.equal(
    audit.slice(1).map((a) => a.target_id),
    [top.id, suggestions[1]!.id],
  )
})

test.run()
