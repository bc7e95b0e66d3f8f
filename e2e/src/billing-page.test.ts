import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startWorkspaceStack, type WorkspaceStack } from './workspace-stack'

/** An owner sees the plan and usage on the Billing page, the quota banner, and upgrades (self-hosted mode). */

let stack: WorkspaceStack

test.before(async () => {
  stack = await startWorkspaceStack({ Olga: 'owner' })
  // the stack starts studios on the team plan; this one stays on free
  await stack.people.Olga!.client.billing.setPlan.mutate({ orgId: stack.orgId, plan: 'free' })
})

test.after(async () => {
  await stack?.close()
})

test('usage near the limit shows a banner and a full bar; an upgrade clears it', async () => {
  // 50 of the free plan's 60 media minutes, as the recorder leaves a job's usage in the ledger
  await stack.sql`insert into usage_events (org_id, job_id, metric, quantity) values (${stack.orgId}, gen_random_uuid(), 'media_seconds', 3000)`
  const context = await stack.contextFor(stack.people.Olga!)
  const page = await context.newPage()
  await page.goto(`${stack.api.url}/settings/billing`)
  await page.waitForSelector('[data-testid=plan]', { timeout: 15_000 })
  assert.is(await page.textContent('[data-testid=plan]'), 'Free')
  const banner = await page.waitForSelector('.quota-banner', { timeout: 10_000 })
  assert.match((await banner.textContent()) ?? '', /80% used: media minutes on the Free plan/)
  const bars = await page.$$eval('.usage-row', (rows) => rows.map((r) => r.textContent ?? ''))
  assert.ok(
    bars.some((b) => /Media minutes this month50\.0 min of 60\.0 min/.test(b)),
    bars.join(' | '),
  )
  // the daily series load after the summary
  await page.waitForFunction(() => document.querySelectorAll('.usage-chart').length >= 3, null, { timeout: 10_000 })

  await page.click('button:has-text("Pro:")')
  await page.waitForFunction(() => document.querySelector('[data-testid=plan]')?.textContent === 'Pro', null, {
    timeout: 10_000,
  })
  await page.click('a[href="/"]')
  await page.click('a[href="/settings/billing"]')
  await page.waitForSelector('[data-testid=plan]')
  // under 80% of the Pro plan: the banner, read again on navigation, goes
  await page.waitForFunction(() => document.querySelector('.quota-banner') === null, null, { timeout: 10_000 })
  const [audit] =
    await stack.sql`select details from audit_log where org_id = ${stack.orgId} and action = 'billing.setPlan' order by id desc limit 1`
  assert.equal(audit!.details, { from: 'free', to: 'pro' })
  assert.equal(stack.cspViolations, [])
  await context.close()
})

test.run()
