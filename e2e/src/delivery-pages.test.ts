import { execFileSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { timeline } from '@cutroom/schema'
import type { Page } from 'playwright-core'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startWorkspaceStack, waitFor, type WorkspaceStack } from './workspace-stack'

/**
 * The timeline's Download menu (a viewer downloads OTIO and EDL of the cut) and the organization's Brand kits
 * page (an editor creates a kit, uploads a logo and a watermark to storage, saves versions; a wrong file is
 * refused by name; a viewer sees the kit read-only), in Chromium against the real api, collab and s3rver.
 */

let stack: WorkspaceStack

test.before(async () => {
  stack = await startWorkspaceStack({ Olga: 'owner', Ed: 'editor', Vic: 'viewer' }, { media: true })
})
test.after(async () => {
  await stack?.close()
})

async function addAsset(filename: string) {
  const [project] = await stack.sql`select org_id from projects where id = ${stack.projectId}`
  const id = crypto.randomUUID()
  await stack.sql`insert into assets (id, stack_id, org_id, project_id, filename, content_type, size, status, storage_key, metadata)
    values (${id}, ${id}, ${project!.org_id}, ${stack.projectId}, ${filename}, 'video/mp4', 1000, 'ready', ${`k/${id}`},
      ${stack.sql.json({ hasVideo: true, hasAudio: true, durationSeconds: 100 })})`
  return id
}

async function signedInPage(name: string, path: string): Promise<Page> {
  const context = await stack.contextFor(stack.people[name]!)
  const page = await context.newPage()
  page.on('pageerror', (error) => process.stderr.write(`[page error] ${error.message}\n`))
  await page.goto(`${stack.api.url}${path}`)
  return page
}

test('a viewer downloads the timeline as OTIO and as an EDL from the Download menu', async () => {
  const docId = await stack.createDocument('timeline', 'Launch cut')
  const a = await addAsset('interview.mov')
  const b = await addAsset('wide.mp4')
  const replica = await stack.replica(docId)
  timeline.insertClip(replica.doc, { at: { index: 0 }, assetId: a, sourceIn: 300, sourceOut: 390, label: 'Hello' })
  timeline.insertClip(replica.doc, { at: { index: 1 }, assetId: b, sourceIn: 0, sourceOut: 45 })
  timeline.addMarker(replica.doc, { frame: 100, label: 'Logo here', color: 'red' })
  await replica.settled()
  replica.destroy()

  const context = await stack.contextFor(stack.people.Vic!)
  const page = await stack.openDocument(context, docId)
  await page.waitForSelector('[data-testid=timeline-canvas]', { timeout: 15_000 })
  await page.click('button:has-text("Download")')
  const items = await page.$$eval('[role=menu] [role=menuitem]', (els) => els.map((e) => e.textContent ?? ''))
  assert.equal(
    items.map((t) => t.split('(')[0]!.trim()),
    ['OpenTimelineIO', 'CMX3600 EDL', 'Final Cut Pro XML'],
  )
  const [otioDownload] = await Promise.all([
    page.waitForEvent('download', { timeout: 15_000 }),
    page.click('[role=menuitem]:has-text("OpenTimelineIO")'),
  ])
  assert.is(otioDownload.suggestedFilename(), 'Launch_cut.otio')
  const otio = JSON.parse(await readFile((await otioDownload.path())!, 'utf8'))
  assert.is(otio.OTIO_SCHEMA, 'Timeline.1')
  const storyline = otio.tracks.children[0].children
  assert.equal(
    storyline.map((c: any) => [c.OTIO_SCHEMA, c.source_range.start_time.value, c.source_range.duration.value]),
    [
      ['Clip.2', 300, 90],
      ['Clip.2', 0, 45],
    ],
  )
  assert.equal(
    otio.tracks.markers.map((m: any) => [m.name, m.marked_range.start_time.value]),
    [['Logo here', 100]],
  )

  await page.click('button:has-text("Download")')
  const [edlDownload] = await Promise.all([
    page.waitForEvent('download', { timeout: 15_000 }),
    page.click('[role=menuitem]:has-text("CMX3600 EDL")'),
  ])
  const edl = await readFile((await edlDownload.path())!, 'utf8')
  assert.match(edl, /^TITLE: Launch cut\nFCM: NON-DROP FRAME\n/)
  assert.is(edl.split('\n').filter((l) => /^\d{3} {2}/.test(l)).length, 2)
  assert.match(edl, /^\* LOC: 00:00:03:10 RED {5}Logo here$/m)
  assert.equal(stack.cspViolations, [])
  await context.close()
})

const png = execFileSync('ffmpeg', [
  '-v',
  'error',
  '-f',
  'lavfi',
  '-i',
  'color=c=red:s=64x32',
  '-frames:v',
  '1',
  '-c:v',
  'png',
  '-f',
  'image2pipe',
  'pipe:1',
])

test('brand kits page: create, upload logo and watermark, save versions; a wrong file is refused; viewers read only', async () => {
  const page = await signedInPage('Ed', '/settings/brand-kits')
  await page.waitForSelector('h1:has-text("Brand kits")', { timeout: 15_000 })
  await page.fill('input[name=newKitName]', 'Launch kit')
  await page.click('button:has-text("Create brand kit")')
  await page.waitForSelector('[data-testid=kit-version]:has-text("Version 1")', { timeout: 10_000 })

  await page.setInputFiles('input[aria-label="Upload logo"]', { name: 'logo.png', mimeType: 'image/png', buffer: png })
  await page.waitForSelector('[data-testid=slot-logo]:has-text("logo.png")', { timeout: 15_000 })
  await page.setInputFiles('input[aria-label="Upload watermark"]', {
    name: 'bug.png',
    mimeType: 'image/png',
    buffer: png,
  })
  await page.waitForSelector('[data-testid=slot-watermark]:has-text("bug.png")', { timeout: 15_000 })
  await page.selectOption('select[name=watermarkPosition]', 'top-left')
  await page.selectOption('select[name=captionStyle]', 'karaoke')
  await page.click('button:has-text("Save as a new version")')
  await page.waitForSelector('[role=status]:has-text("Saved as version 2")', { timeout: 10_000 })
  await waitFor(
    async () => (await page.$$('[data-testid=kit-version-row]')).length === 2,
    10_000,
    'two versions listed',
  )

  // A file whose bytes are not an image is refused, naming it; the kit keeps its version.
  await page.setInputFiles('input[aria-label="Upload outro slate"]', {
    name: 'outro.png',
    mimeType: 'image/png',
    buffer: Buffer.from('%PDF-1.4\n%%EOF\n'),
  })
  const alert = await page.waitForSelector('.brand-kit-editor [role=alert]', { timeout: 15_000 })
  assert.match((await alert.textContent()) ?? '', /"outro\.png" is not a PNG, JPEG or WebP image/)
  assert.is(await page.textContent('[data-testid=slot-outro]'), 'none')

  const [kit] = await stack.people.Ed!.client.brandKits.list.query({ orgId: stack.orgId })
  const saved = await stack.people.Ed!.client.brandKits.get.query({ id: kit!.id })
  assert.is(saved.version, 2)
  assert.is(saved.settings.captionStyle, 'karaoke')
  assert.is(saved.settings.watermark?.position, 'top-left')
  assert.equal(saved.files.map((f) => f.filename).sort(), ['bug.png', 'logo.png'])

  // A viewer sees the kit and its versions but nothing to change.
  const viewer = await signedInPage('Vic', '/settings/brand-kits')
  await viewer.click('button:has-text("Launch kit")', { timeout: 15_000 })
  await viewer.waitForSelector('[data-testid=slot-logo]:has-text("logo.png")', { timeout: 10_000 })
  assert.is(await viewer.$('input[name=newKitName]'), null)
  assert.is(await viewer.$('button:has-text("Save as a new version")'), null)
  assert.is(await viewer.$('input[aria-label="Upload logo"]'), null)
  assert.ok(await viewer.isDisabled('select[name=captionStyle]'))
  await waitFor(
    async () => (await viewer.$$('[data-testid=kit-version-row]')).length === 2,
    10_000,
    'versions for the viewer',
  )
  assert.equal(stack.cspViolations, [])
})

test.run()
