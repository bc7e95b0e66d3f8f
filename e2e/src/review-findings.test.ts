import { readFile } from 'node:fs/promises'
import { qa } from '@cutroom/schema'
import type { Page } from 'playwright-core'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as Y from 'yjs'
import { startWorkspaceStack, waitFor, type WorkspaceStack } from './workspace-stack'

/**
 * The findings panel as a reviewer, an editor and a viewer use it in three browsers: a finding appears live
 * everywhere; assign, due, start, submit and approve through the buttons, each change seen live by the others; a
 * viewer gets no actions and the api refuses them; @mentions of members work and of a removed member are refused by
 * collab with the reason shown; My findings lists the assignee's queue overdue first and links back to the frame;
 * the notes exports download and parse back to the finding's frames.
 */

const FPS = 25
let stack: WorkspaceStack
let review: { id: string; qaDocumentId: string; workflowDocumentId: string }

test.before(async () => {
  stack = await startWorkspaceStack(
    { Ada: 'owner', Rita: 'reviewer', Ed: 'editor', Vic: 'viewer', Nora: 'reviewer' },
    { media: true },
  )
  const [asset] = await stack.sql<{ id: string }[]>`
    insert into assets (org_id, project_id, filename, content_type, size, status, storage_key, metadata)
    values (${stack.orgId}, ${stack.projectId}, 'spot.mov', 'video/quicktime', 1000, 'ready', 'k',
      ${stack.sql.json({ durationSeconds: 60, hasVideo: true, video: { durationFrames: 1500, fps: { num: FPS, den: 1 } } })})
    returning id`
  review = await stack.people.Rita!.client.reviews.create.mutate({
    projectId: stack.projectId,
    assetId: asset!.id,
    title: 'Spot notes',
  })
})
test.after(async () => {
  await stack?.close()
})

async function openReview(name: string, query = ''): Promise<Page> {
  const context = await stack.contextFor(stack.people[name]!)
  const page = await context.newPage()
  page.on('pageerror', (error) => process.stderr.write(`[page error ${name}] ${error.message}\n`))
  await page.goto(`${stack.api.url}/projects/${stack.projectId}/reviews/${review.id}${query}`)
  await page.waitForSelector('[data-testid=findings-panel]', { timeout: 15_000 })
  return page
}

const row = (page: Page, id: string, extra = '') => page.locator(`.findings-list [data-finding-id="${id}"]${extra}`)

/** The qa document as Postgres holds it, and its raw update bytes. */
async function storedQa(): Promise<{ doc: Y.Doc; bytes: Buffer }> {
  const rows = await stack.sql<{ update: Uint8Array }[]>`
    select update from doc_updates where doc_id = ${review.qaDocumentId} order by seq`
  const doc = new Y.Doc()
  for (const r of rows) Y.applyUpdate(doc, r.update)
  return { doc, bytes: Buffer.concat(rows.map((r) => Buffer.from(r.update))) }
}

async function addFinding(page: Page, frame: number, title: string, severity: qa.Severity): Promise<string> {
  const frameField = page.getByLabel('Frame', { exact: true })
  await frameField.fill(String(frame))
  await frameField.press('Enter')
  await page.locator(`[data-testid=compare-stage][data-frame="${frame}"]`).waitFor({ timeout: 5000 })
  await page.getByLabel('New finding title').fill(title)
  await page.getByLabel('New finding severity').selectOption(severity)
  await page.getByRole('button', { name: 'Add finding' }).click()
  const item = page.locator('.findings-list [data-finding-id]', { hasText: title })
  await item.waitFor({ timeout: 5000 })
  return (await item.getAttribute('data-finding-id'))!
}

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10)

let bandingId = ''

test('a finding appears live in every panel; its edits too; a viewer gets no actions and the api refuses', async () => {
  const [rita, ed, vic] = await Promise.all([openReview('Rita'), openReview('Ed'), openReview('Vic')])
  bandingId = await addFinding(rita, 240, 'Banding in the sky', 'high')
  for (const page of [ed, vic])
    await row(page, bandingId, ':has-text("Banding in the sky")').waitFor({ timeout: 10_000 })
  assert.match(await row(vic, bandingId).innerText(), /00:00:09:15/, 'frame 240 at 25 fps')

  // The reviewer widens the frame range; the others see the new range live.
  await row(rita, bandingId).click()
  await rita.getByLabel('To frame').fill('264')
  await rita.getByRole('button', { name: 'Save' }).click()
  await row(ed, bandingId, ':has-text("00:00:09:15–00:00:10:14")').waitFor({ timeout: 10_000 })

  // The viewer sees the finding and its workflow, and nothing to act with.
  assert.is(await vic.getByLabel('New finding title').count(), 0)
  await row(vic, bandingId).click()
  await vic.getByTestId('finding-detail').waitFor()
  assert.is(await vic.locator('[data-testid=finding-detail] button').count(), 0, 'no buttons for a viewer')
  assert.is(await vic.getByLabel('Assignee').count(), 0)
  assert.is(await vic.getByLabel('Comment', { exact: true }).count(), 0)
  const forced = await stack.people
    .Vic!.client.qa.transition.mutate({ reviewId: review.id, findingId: bandingId, action: 'block' })
    .then(
      () => null,
      (e: { data?: { code?: string } }) => e.data?.code,
    )
  assert.is(forced, 'FORBIDDEN_ROLE')
  for (const page of [rita, ed, vic]) await page.context().close()
})

test('assign, due, start, submit and approve through the buttons, each change live in the other page', async () => {
  const [rita, ed] = await Promise.all([openReview('Rita'), openReview('Ed')])
  await row(rita, bandingId).click()
  await rita.getByLabel('Assignee').selectOption({ label: 'Ed' })
  await row(ed, bandingId, ':has-text("Ed")').waitFor({ timeout: 10_000 })
  await rita.getByLabel('Due date').fill(day(-2))
  await row(ed, bandingId, '.overdue').waitFor({ timeout: 10_000 })
  assert.match(await row(ed, bandingId).innerText(), new RegExp(`Overdue ${day(-2)}`))

  // The editor cannot approve: the button is not offered to them.
  await row(ed, bandingId).click()
  assert.is(await ed.locator('button[data-action=approve]').count(), 0)
  await ed.locator('button[data-action=start]').click()
  await row(rita, bandingId, '[data-status=in_progress]').waitFor({ timeout: 10_000 })
  await ed.locator('button[data-action=submit]').click()
  await row(rita, bandingId, '[data-status=ready_for_review]').waitFor({ timeout: 10_000 })
  assert.ok(await rita.locator('button[data-action=approve]').isEnabled())

  // Before approving: My findings lists Ed's queue, overdue first, and links to the review at the frame.
  const second = await addFinding(rita, 600, 'Audio pop', 'medium')
  await stack.people.Rita!.client.qa.assign.mutate({
    reviewId: review.id,
    findingId: second,
    assigneeId: stack.people.Ed!.userId,
  })
  await stack.people.Rita!.client.qa.setDue.mutate({ reviewId: review.id, findingId: second, due: day(5) })
  // The api records each change just after collab applied it (what the pages saw live): wait for the due date.
  await waitFor(
    async () =>
      (await stack.people.Ed!.client.qa.myFindings.query({ orgId: stack.orgId })).some(
        (f) => f.findingId === bandingId && f.due === day(-2),
      ),
    10_000,
    'the due date recorded',
  )
  const mine = await ed.context().newPage()
  await mine.goto(`${stack.api.url}/`)
  await mine.getByRole('link', { name: 'My findings' }).click()
  await mine.locator('.my-findings tbody tr').nth(1).waitFor({ timeout: 10_000 })
  const order = await mine
    .locator('.my-findings tbody tr')
    .evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-finding-id'), r.classList.contains('overdue')]))
  assert.equal(order, [
    [bandingId, true],
    [second, false],
  ])
  await mine.getByRole('link', { name: 'Banding in the sky' }).click()
  await mine.locator('[data-testid=compare-stage][data-frame="240"]').waitFor({ timeout: 15_000 })
  await mine.locator('[data-testid=finding-detail] input[aria-label=Title]').waitFor({ timeout: 10_000 })
  assert.is(
    await mine.locator('[data-testid=finding-detail] input[aria-label=Title]').inputValue(),
    'Banding in the sky',
  )
  await mine.close()

  // Adding "Audio pop" selected it in Rita's panel: back to the banding.
  await row(rita, bandingId).click()
  await rita.locator('button[data-action=approve]').click()
  await row(ed, bandingId, '[data-status=approved]').waitFor({ timeout: 10_000 })
  assert.is(await ed.getByTestId('detail-status').innerText(), 'Approved')
  // The api records the finding's state just after collab applied it (which is what the page saw).
  const queue = () => stack.people.Ed!.client.qa.myFindings.query({ orgId: stack.orgId })
  await waitFor(async () => (await queue()).length === 1, 10_000, 'the approval recorded')
  assert.equal(
    (await queue()).map((f) => f.findingId),
    [second],
    'an approved finding leaves the queue',
  )
  for (const page of [rita, ed]) await page.context().close()
})

test('an @mention of a member reaches the thread; of someone no longer a member it is refused, shown, and kept nowhere', async () => {
  const [rita, ed] = await Promise.all([openReview('Rita'), openReview('Ed')])
  await row(rita, bandingId).click()
  await row(ed, bandingId).click()
  const box = rita.getByLabel('Comment', { exact: true })
  await box.click()
  await box.pressSequentially('@E')
  await rita.locator('.mention-options [role=option]', { hasText: 'Ed' }).waitFor()
  await box.press('Enter')
  await box.pressSequentially('please check the sky')
  await rita.getByRole('button', { name: 'Comment', exact: true }).click()
  await ed.locator('.thread .comment', { hasText: '@Ed please check the sky' }).waitFor({ timeout: 10_000 })
  await waitFor(
    async () => (qa.getFinding((await storedQa()).doc, bandingId)?.thread.length ?? 0) === 1,
    10_000,
    'the comment stored',
  )
  assert.equal(qa.getFinding((await storedQa()).doc, bandingId)!.thread[0]!.mentions, [stack.people.Ed!.userId])

  // Nora leaves the organization after Rita's page loaded its members: the mention is refused by collab.
  await stack.people.Ada!.client.orgs.members.remove.mutate({ orgId: stack.orgId, userId: stack.people.Nora!.userId })
  await box.click()
  await box.pressSequentially('@No')
  await rita.locator('.mention-options [role=option]', { hasText: 'Nora' }).waitFor()
  await box.press('Enter')
  await box.pressSequentially('are you around?')
  await rita.getByRole('button', { name: 'Comment', exact: true }).click()
  const error = rita.getByTestId('findings-error')
  await error.waitFor({ timeout: 10_000 })
  assert.match(await error.innerText(), /not a member of this organization/)
  await rita.locator('.thread .comment', { hasText: 'are you around?' }).waitFor({ state: 'detached', timeout: 10_000 })

  // The room keeps working afterwards, and the refused comment is nowhere: not in Ed's page nor in Postgres.
  await box.pressSequentially('Fixed in v2?')
  await rita.getByRole('button', { name: 'Comment', exact: true }).click()
  await ed.locator('.thread .comment', { hasText: 'Fixed in v2?' }).waitFor({ timeout: 15_000 })
  assert.is(await ed.locator('.thread .comment', { hasText: 'are you around?' }).count(), 0)
  await waitFor(
    async () => (qa.getFinding((await storedQa()).doc, bandingId)?.thread.length ?? 0) === 2,
    10_000,
    'the later comment stored',
  )
  const { doc, bytes } = await storedQa()
  assert.equal(
    qa.getFinding(doc, bandingId)!.thread.map((c) => c.text),
    ['@Ed please check the sky', 'Fixed in v2?'],
  )
  assert.not.ok(bytes.includes('are you around?'), 'the refused text never reached the log')
  assert.not.ok(bytes.includes(stack.people.Nora!.userId), 'nor the mention of the non-member')
  for (const page of [rita, ed]) await page.context().close()
})

test('notes export downloads parse back to the finding’s frames', async () => {
  const rita = await openReview('Rita')
  const download = async (label: string) => {
    const [file] = await Promise.all([
      rita.waitForEvent('download', { timeout: 10_000 }),
      rita.getByRole('button', { name: label, exact: true }).click(),
    ])
    return { name: file.suggestedFilename(), text: await readFile((await file.path())!, 'utf8') }
  }
  const csv = await download('CSV')
  assert.is(csv.name, 'Spot_notes.csv')
  const [header, ...lines] = csv.text.trim().split('\r\n')
  const cols = header!.split(',')
  const banding = lines.map((l) => l.split(',')).find((c) => c[cols.indexOf('finding_id')] === bandingId)!
  assert.equal(
    [banding[cols.indexOf('frame_in')], banding[cols.indexOf('frame_out')], banding[cols.indexOf('status')]],
    ['240', '264', 'approved'],
  )

  const edl = await download('EDL')
  const toFrames = (tc: string) => {
    const [h, m, s, f] = tc.split(':').map(Number) as [number, number, number, number]
    return ((h * 60 + m) * 60 + s) * FPS + f
  }
  const events = [...edl.text.matchAll(/^\d{3}\s+AX\s+V\s+C\s+(\S+) (\S+) (\S+) (\S+)$/gm)].map((m) => [
    toFrames(m[3]!),
    toFrames(m[4]!) - 1,
  ])
  assert.equal(events, [
    [240, 264],
    [600, 600],
  ])

  const fcpxml = await download('FCPXML')
  const seconds = (t: string) => {
    const [n, d] = t.replace(/s$/, '').split('/').map(Number) as [number, number?]
    return n / (d ?? 1)
  }
  const markers = [...fcpxml.text.matchAll(/<marker start="([^"]+)" duration="([^"]+)" value="([^"]+)"/g)].map((m) => [
    m[3],
    Math.round(seconds(m[1]!) * FPS),
    Math.round((seconds(m[1]!) + seconds(m[2]!)) * FPS) - 1,
  ])
  assert.equal(markers, [
    ['Banding in the sky', 240, 264],
    ['Audio pop', 600, 600],
  ])
  await rita.context().close()
})

test('up and down move between findings, Enter seeks; a frame-diff suggestion is accepted or dismissed', async () => {
  const rita = await openReview('Rita')
  const list = rita.locator('.findings-list')
  // the keys act on the rows the page has: wait until the qa document has synced both findings
  await row(rita, bandingId).waitFor({ timeout: 15_000 })
  await list.locator('[data-finding-id]').nth(1).waitFor({ timeout: 15_000 })
  await list.focus()
  await rita.keyboard.press('ArrowDown')
  await rita.keyboard.press('ArrowDown')
  await rita.keyboard.press('Enter')
  await rita.locator('[data-testid=compare-stage][data-frame="600"]').waitFor({ timeout: 5000 })
  await rita.keyboard.press('ArrowUp')
  assert.is(await rita.locator('.findings-list [aria-selected=true]').getAttribute('data-finding-id'), bandingId)
  await rita.keyboard.press('Enter')
  await rita.locator('[data-testid=compare-stage][data-frame="240"]').waitFor({ timeout: 5000 })

  // Two suggestions arrive as a frame diff would write them.
  const worker = await stack.replica(review.qaDocumentId)
  for (const [id, frame] of [
    ['sugg-1', 900],
    ['sugg-2', 1000],
  ] as const)
    qa.addSuggestedFinding(worker.doc, {
      id,
      title: `Changed region at ${frame}`,
      versionA: 'v1',
      versionB: 'v2',
      frame,
      frameEnd: frame + 5,
      region: null,
      jobId: 'job-1',
      score: 0.42,
    })
  await worker.settled()
  const suggestions = rita.locator('.suggestions .suggestion')
  await suggestions.nth(1).waitFor({ timeout: 10_000 })
  assert.is(await row(rita, 'sugg-1').count(), 0, 'suggestions are listed apart from findings')
  await rita.locator('.suggestion[data-finding-id="sugg-1"]').getByRole('button', { name: 'Accept' }).click()
  await rita.locator('.suggestion[data-finding-id="sugg-2"]').getByRole('button', { name: 'Dismiss' }).click()
  await row(rita, 'sugg-1').waitFor({ timeout: 5000 })
  await waitFor(() => qa.getFinding(worker.doc, 'sugg-2')?.suggestion?.status === 'dismissed', 10_000, 'dismissed live')
  assert.is(qa.getFinding(worker.doc, 'sugg-1')?.suggestion?.status, 'accepted')
  assert.is(await suggestions.count(), 0)
  assert.is(await row(rita, 'sugg-2').count(), 0, 'a dismissed suggestion is not a finding')
  worker.destroy()
  await rita.context().close()
})

test('an action that no longer applies fails with INVALID_STATE, shown in the panel, and changes nothing', async () => {
  // Ed's page stops hearing the workflow document, so it still offers Reopen after someone else reopened.
  const context = await stack.contextFor(stack.people.Ed!)
  const ed = await context.newPage()
  const workflowName = Buffer.from(`doc:${review.workflowDocumentId}`)
  let frozen = false
  await ed.routeWebSocket(/./, (ws) => {
    const server = ws.connectToServer()
    server.onMessage((m) => {
      if (frozen && typeof m !== 'string' && m.includes(workflowName)) return
      ws.send(m)
    })
  })
  await ed.goto(`${stack.api.url}/projects/${stack.projectId}/reviews/${review.id}?finding=${bandingId}`)
  await row(ed, bandingId, '[data-status=approved]').waitFor({ timeout: 15_000 })
  frozen = true
  await stack.people.Rita!.client.qa.transition.mutate({ reviewId: review.id, findingId: bandingId, action: 'reopen' })
  assert.is(await ed.getByTestId('detail-status').innerText(), 'Approved', 'the page has not heard of it')
  await ed.locator('button[data-action=reopen]').click()
  const error = ed.getByTestId('findings-error')
  await error.waitFor({ timeout: 10_000 })
  assert.is(await error.getAttribute('data-code'), 'INVALID_STATE')
  assert.match(await error.innerText(), /Cannot reopen a finding that is open/)
  const [state] = await stack.sql<{ status: string }[]>`
    select status from qa_findings where review_id = ${review.id} and finding_id = ${bandingId}`
  assert.is(state!.status, 'open')
  await context.close()
  assert.equal(stack.cspViolations, [])
})

test.run()
