/**
 * A walk through the Billing and Webhooks pages of a running stack (`npm start` with BILLING_MODE=manual and
 * WEBHOOKS_ALLOW_PRIVATE=true), in Chromium, with a local webhook receiver this script starts. It signs up, makes
 * an organization and a project, creates a webhook (secret shown once), sends a test, reads the delivery log,
 * re-delivers, rotates the secret, uploads a clip and reads its usage on the Billing page, runs into the seat
 * quota on the Members page, upgrades, and saves screenshots to docs/screenshots/. Not part of `npm test`.
 *
 *   CUTROOM_URL=http://127.0.0.1:4000 node --import tsx e2e/tour/billingWebhooksTour.ts
 */
import { createHmac } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createApiClient } from '@cutroom/api'
import type { Page } from 'playwright-core'
import { launchChromium } from '../src/chromium'
import { makeClip } from '../src/media-fixtures'

const BASE = process.env.CUTROOM_URL ?? 'http://127.0.0.1:4000'
const SHOTS = path.resolve(import.meta.dirname, '../../docs/screenshots')
const PASSWORD = 'correct horse 42'
const log = (s: string) => process.stdout.write(`${s}\n`)

interface Received {
  headers: IncomingHttpHeaders
  body: string
}
const received: Received[] = []
const receiver = createServer((req, res) => {
  let body = ''
  req.on('data', (c) => {
    body += c
  })
  req.on('end', () => {
    received.push({ headers: req.headers, body })
    log(`  receiver: ${req.headers['webhook-id']} ${JSON.parse(body).type}`)
    res.writeHead(204).end()
  })
})
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/cutroom-events`

/** Standard Webhooks verification, written out. */
function verifies(secret: string, r: Received): boolean {
  const id = r.headers['webhook-id'] as string
  const ts = r.headers['webhook-timestamp'] as string
  const mac = createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64'))
    .update(`${id}.${ts}.${r.body}`)
    .digest('base64')
  return (r.headers['webhook-signature'] as string).split(' ').includes(`v1,${mac}`)
}

async function until<T>(
  what: string,
  f: () => T | null | undefined | false | Promise<T | null | undefined | false>,
  ms = 60_000,
) {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await f()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

const shot = async (page: Page, name: string) => {
  await page.screenshot({ path: path.join(SHOTS, name), fullPage: true })
  log(`  saved docs/screenshots/${name}`)
}

const browser = await launchChromium()
const context = await browser.newContext({ viewport: { width: 1280, height: 860 } })
const page = await context.newPage()
page.on('pageerror', (e) => log(`[page error] ${e.message}`))
const stamp = Date.now().toString(36)
try {
  log('sign up, organization, project')
  await page.goto(`${BASE}/signup`)
  await page.fill('input[name=name]', 'Olga Owner')
  await page.fill('input[name=email]', `olga-${stamp}@example.com`)
  await page.fill('input[name=password]', PASSWORD)
  await page.click('button[type=submit]')
  await page.waitForSelector('input[name=orgName]', { timeout: 20_000 })
  await page.fill('input[name=orgName]', `Northlight ${stamp}`)
  await page.click('button[type=submit]')
  await page.waitForSelector('input[name=projectName]', { timeout: 20_000 })
  await page.fill('input[name=projectName]', 'Launch film')
  await page.click('button[type=submit]')
  await page.waitForURL(/\/projects\//, { timeout: 20_000 })
  const projectId = page.url().split('/projects/')[1]!.split(/[/?#]/)[0]!
  const token = (await context.cookies()).find((c) => c.name === 'cutroom_session')!.value
  const olga = createApiClient({ url: BASE, token })

  log('webhooks: create, secret once, test, log, re-deliver, rotate')
  await page.click('a[href="/settings/webhooks"]')
  await page.fill('input[name=webhookUrl]', receiverUrl)
  for (const ev of ['asset.ready', 'quota.warning']) await page.check(`label:has-text("${ev}") input`)
  await page.click('button:has-text("Add endpoint")')
  const secret = (await (await page.waitForSelector('[data-testid=webhook-secret]')).textContent())!.trim()
  await shot(page, 'webhooks-secret-once.png')
  await page.click('button:has-text("Done")')
  if (await page.$('[data-testid=webhook-secret]')) throw new Error('the secret is still shown after Done')
  await page.reload()
  await page.waitForSelector('button:has-text("Send test")')
  if (await page.$('[data-testid=webhook-secret]')) throw new Error('the secret is shown again after a reload')

  await page.click('button:has-text("Send test")')
  const test1 = await until('the test delivery', () => received.find((r) => JSON.parse(r.body).type === 'webhook.test'))
  if (!verifies(secret, test1)) throw new Error('the test message does not verify with the secret shown')
  log('  the test message verifies with the secret shown')
  await page.click('button:has-text("Deliveries")')
  await until('the log to show the delivery', async () => {
    await page.click('button:has-text("Refresh")')
    return (await page.textContent('table[aria-label=Deliveries]'))?.includes('succeeded')
  })
  await page.click('table[aria-label=Deliveries] button:has-text("Re-deliver")')
  const again = await until(
    'the re-delivery',
    () => received.filter((r) => JSON.parse(r.body).type === 'webhook.test')[1],
  )
  if (again.headers['webhook-id'] !== test1.headers['webhook-id']) throw new Error('re-delivery changed the webhook-id')
  log('  re-delivered under the same webhook-id')
  await until('the log to show two attempts', async () => {
    await page.click('button:has-text("Refresh")')
    return (await page.textContent('table[aria-label=Deliveries]'))?.includes('#2 204')
  })
  await shot(page, 'webhooks.png')

  await page.click('button:has-text("Rotate secret")')
  const rotated = (await (await page.waitForSelector('[data-testid=webhook-secret]')).textContent())!.trim()
  if (rotated === secret) throw new Error('rotation kept the secret')
  await page.click('button:has-text("Done")')
  const before = received.length
  await page.click('button:has-text("Send test")')
  const test2 = await until('the test after rotation', () =>
    received.slice(before).find((r) => JSON.parse(r.body).type === 'webhook.test'),
  )
  if (!verifies(rotated, test2) || verifies(secret, test2))
    throw new Error('after rotation only the new secret may verify')
  log('  after rotation the new secret verifies and the old one does not')

  log('a job: upload a clip, wait for its jobs')
  const dir = mkdtempSync(path.join(tmpdir(), 'cutroom-tour-'))
  const clip = path.join(dir, 'harbour-wide.mp4')
  await makeClip(clip, { seconds: 20 })
  await page.goto(`${BASE}/projects/${projectId}`)
  await page.setInputFiles('[data-testid=upload-input]', clip)
  await until(
    'the jobs of the upload',
    async () => {
      const jobs = await olga.jobs.list.query({ projectId })
      return jobs.length >= 4 && jobs.every((j) => j.status === 'succeeded')
    },
    240_000,
  )
  await until('asset.ready at the receiver', () => received.find((r) => JSON.parse(r.body).type === 'asset.ready'))
  log('  asset.ready and job.succeeded reached the receiver')
  await page.click('a[href="/settings/billing"]')
  await page.waitForSelector('[data-testid=plan]')
  await page.waitForSelector('.usage-chart')
  await shot(page, 'billing.png')

  log('a quota: seats on the Free plan')
  const emails: string[] = []
  for (const name of ['ben', 'cleo', 'dev']) {
    const email = `${name}-${stamp}@example.com`
    await createApiClient({ url: BASE }).auth.signUp.mutate({ email, password: PASSWORD, name })
    emails.push(email)
  }
  await page.click('a[href="/settings/members"]')
  for (const email of emails) {
    await page.fill('input[name=memberEmail]', email)
    await page.click('button:has-text("Add member")')
    await page.waitForFunction(
      (e) => document.body.textContent?.includes(e) || document.querySelector('[role=alert]'),
      email,
      { timeout: 15_000 },
    )
  }
  const refusal = await page.textContent('[role=alert]')
  log(`  refused: ${refusal}`)
  await page.waitForSelector('.quota-banner', { timeout: 15_000 })
  await shot(page, 'members-seat-quota.png')
  await until('quota.warning at the receiver', () => received.find((r) => JSON.parse(r.body).type === 'quota.warning'))
  log('  quota.warning reached the receiver')

  log('upgrade (manual mode) and add the member')
  await page.click('.quota-banner a[href="/settings/billing"]')
  await page.waitForSelector('[data-testid=plan]')
  await page.waitForSelector('.usage-chart')
  await shot(page, 'billing-quota-reached.png')
  await page.click('button:has-text("Pro:")')
  await page.waitForFunction(() => document.querySelector('[data-testid=plan]')?.textContent === 'Pro')
  await page.click('a[href="/settings/members"]')
  await page.fill('input[name=memberEmail]', emails[2]!)
  await page.click('button:has-text("Add member")')
  await page.waitForFunction(
    (e) => document.querySelector('table[aria-label=Members]')?.textContent?.includes(e),
    emails[2]!,
    {
      timeout: 15_000,
    },
  )
  log('  added after the upgrade')
  await page.click('a[href="/settings/billing"]')
  await page.waitForSelector('[data-testid=plan]')
  await page.waitForSelector('.usage-chart')
  await shot(page, 'billing-upgraded.png')
  log(`done: ${received.length} messages received`)
} finally {
  await browser.close()
  receiver.close()
}
