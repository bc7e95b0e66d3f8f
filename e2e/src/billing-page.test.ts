import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createApiClient } from '@cutroom/api'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { makeClip, spawnWorker, until, type WorkerProcess } from './media-fixtures'
import { startWorkspaceStack, type WorkspaceStack } from './workspace-stack'

/**
 * The whole stack with a media-workers process, self-hosted billing (BILLING_MODE=manual): an owner on the free
 * plan uploads a clip in Chromium and sees its media minutes on the Billing page; with the month's minutes used
 * up, the next upload is refused with what was reached and what to do, and the banner says so; the owner upgrades
 * on the Billing page, resumes the refused upload, and its jobs run.
 */
let stack: WorkspaceStack
let worker: WorkerProcess
let dir: string

test.before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cutroom-billing-e2e-'))
  stack = await startWorkspaceStack({ Olga: 'owner' }, { media: true })
  // the stack starts studios on the team plan; this one stays on free
  await stack.people.Olga!.client.billing.setPlan.mutate({ orgId: stack.orgId, plan: 'free' })
  worker = await spawnWorker(stack.media!)
})

test.after(async () => {
  await worker?.stop()
  await stack?.close()
  rmSync(dir, { recursive: true, force: true })
})

const barText = (page: import('playwright-core').Page, label: string) =>
  page.$$eval('.usage-row', (rows, l) => rows.map((r) => r.textContent ?? '').find((t) => t.startsWith(l)) ?? '', label)

test('an owner sees usage after a job, hits a quota, upgrades (manual mode), and the next dispatch goes through', async () => {
  const olga = stack.people.Olga!
  const first = path.join(dir, 'first.mp4')
  const second = path.join(dir, 'second.mp4')
  await makeClip(first, { seconds: 6 })
  await makeClip(second, { seconds: 3 })
  const context = await stack.contextFor(olga)
  const page = await context.newPage()
  page.on('pageerror', (error) => process.stderr.write(`[page error] ${error.message}\n`))

  // a job: the upload's probe, then transcode, thumbnails and waveform, each reporting its media minutes
  await page.goto(`${stack.api.url}/projects/${stack.projectId}`)
  await page.setInputFiles('[data-testid=upload-input]', first)
  const asset = await until(
    'the first asset to be ready',
    async () => {
      const [a] = await olga.client.assets.list.query({ projectId: stack.projectId })
      return a?.status === 'ready' ? a : null
    },
    120_000,
  )
  await until(
    'its jobs to finish',
    async () => {
      const jobs = await olga.client.jobs.list.query({ projectId: stack.projectId })
      return jobs.length >= 4 && jobs.every((j) => j.status === 'succeeded')
    },
    120_000,
  )
  const recorded = await stack.sql<{ seconds: number }[]>`
    select coalesce(sum(quantity), 0)::float8 as seconds from usage_events where org_id = ${stack.orgId}`
  const usedMinutes = recorded[0]!.seconds / 60
  assert.ok(usedMinutes > 0.1, `the jobs reported their media minutes (${usedMinutes})`)

  await page.click('a[href="/settings/billing"]')
  await page.waitForSelector('[data-testid=plan]', { timeout: 15_000 })
  assert.is(await page.textContent('[data-testid=plan]'), 'Free')
  assert.is(
    await barText(page, 'Media minutes this month'),
    `Media minutes this month${usedMinutes.toFixed(1)} min of 60.0 min`,
  )
  // the daily chart of the job kinds that ran today
  await page.waitForSelector('svg[aria-label="media_minutes.transcode per day"]', { timeout: 10_000 })
  assert.is(await page.$('.quota-banner'), null, 'far from the limit: no banner')

  // the rest of the month's minutes, as earlier jobs this month would have left them in the ledger
  await stack.sql`
    insert into usage_events (org_id, job_id, metric, quantity)
    values (${stack.orgId}, gen_random_uuid(), 'media_seconds', ${Math.ceil(3600 - recorded[0]!.seconds)})`

  // the next upload is refused when it would start processing, with the reason and what to do
  await page.click('a[href="/"]')
  await page.goto(`${stack.api.url}/projects/${stack.projectId}`)
  await page.setInputFiles('[data-testid=upload-input]', second)
  const refusal = await page.waitForSelector('[data-testid=upload-item] [role=alert]', { timeout: 30_000 })
  assert.match(
    (await refusal.textContent()) ?? '',
    /This month's 60 media minutes on the Free plan are used up\. Upgrade the plan or wait for next month\./,
  )
  const banner = await page.waitForSelector('.quota-banner', { timeout: 10_000 })
  assert.match((await banner.textContent()) ?? '', /Used up: media minutes on the Free plan/)
  const [refused] = await stack.sql<{ status: string }[]>`
    select status from assets where project_id = ${stack.projectId} and id <> ${asset.id}`
  assert.is(refused!.status, 'uploading', 'nothing was queued for the refused upload')
  // the first upload's probe, preview rendition, ladder, filmstrip and waveform; nothing for the refused one
  assert.is((await olga.client.jobs.list.query({ projectId: stack.projectId })).length, 5)

  // the upgrade, on the Billing page
  await page.click('.quota-banner a[href="/settings/billing"]')
  await page.waitForSelector('[data-testid=plan]', { timeout: 15_000 })
  assert.match(await barText(page, 'Media minutes this month'), /60\.\d min of 60\.0 min/)
  await page.click('button:has-text("Pro:")')
  await page.waitForFunction(() => document.querySelector('[data-testid=plan]')?.textContent === 'Pro', null, {
    timeout: 10_000,
  })
  assert.match(await barText(page, 'Media minutes this month'), /of 1000\.0 min$/)
  const [audit] = await stack.sql<{ details: unknown }[]>`
    select details from audit_log where org_id = ${stack.orgId} and action = 'billing.setPlan' order by id desc limit 1`
  assert.equal(audit!.details, { from: 'free', to: 'pro' })

  // the refused upload, resumed: this time it is queued and its jobs run
  await page.click('a[href="/"]')
  await page.goto(`${stack.api.url}/projects/${stack.projectId}`)
  await page.setInputFiles('[data-testid=upload-input]', second)
  await until(
    'the second asset to be ready',
    async () => {
      const [row] = await stack.sql<{ status: string }[]>`select status from assets where id = ${
        (await olga.client.assets.list.query({ projectId: stack.projectId })).find((a) => a.id !== asset.id)!.id
      }`
      return row?.status === 'ready'
    },
    120_000,
  )
  await page.waitForFunction(() => document.querySelector('.quota-banner') === null, null, { timeout: 10_000 })
  assert.equal(stack.cspViolations, [])
  await context.close()
})

test('the banner follows a member add at once: seats used up shows without navigating, the next add is refused', async () => {
  const olga = stack.people.Olga!
  await olga.client.billing.setPlan.mutate({ orgId: stack.orgId, plan: 'free' })
  const emails: string[] = []
  for (const name of ['ben', 'cleo', 'dev']) {
    const email = `${name}-${Math.random().toString(36).slice(2, 8)}@example.test`
    await createApiClient({ url: stack.api.url }).auth.signUp.mutate({ email, password: 'correct horse 42', name })
    emails.push(email)
  }
  const context = await stack.contextFor(olga)
  const page = await context.newPage()
  await page.goto(`${stack.api.url}/settings/members`)
  await page.waitForSelector('input[name=memberEmail]', { timeout: 15_000 })
  // the media minutes of the first test are used up on the free plan; seats are not, yet
  await page.waitForSelector('.quota-banner', { timeout: 10_000 })
  assert.not.match((await page.textContent('.quota-banner')) ?? '', /seats/)
  for (const email of emails.slice(0, 2)) {
    await page.fill('input[name=memberEmail]', email)
    await page.click('button:has-text("Add member")')
    await page.waitForFunction(
      (e) => document.querySelector('table[aria-label=Members]')?.textContent?.includes(e),
      email,
      {
        timeout: 15_000,
      },
    )
  }
  await page.waitForFunction(
    () => /Used up: seats/.test(document.querySelector('.quota-banner')?.textContent ?? ''),
    null,
    {
      timeout: 10_000,
    },
  )
  await page.fill('input[name=memberEmail]', emails[2]!)
  await page.click('button:has-text("Add member")')
  const refusal = await page.waitForSelector('[role=alert]', { timeout: 10_000 })
  assert.match(
    (await refusal.textContent()) ?? '',
    /All 3 seats of the Free plan are taken\. Remove a member or upgrade the plan to add more\./,
  )
  assert.is(
    (await olga.client.orgs.members.list.query({ orgId: stack.orgId })).length,
    3,
    'the refused add changed nothing',
  )
  // the member changes refreshed the organization list; the switcher still names the organization worked in
  assert.match(
    await page.$eval('select.org-switcher', (s) => (s as HTMLSelectElement).selectedOptions[0]?.textContent ?? ''),
    /^Studio · owner$/,
  )
  await context.close()
})

test.run()
