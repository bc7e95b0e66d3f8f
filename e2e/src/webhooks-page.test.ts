import { createHmac } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Page } from 'playwright-core'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { until } from './media-fixtures'
import { startWorkspaceStack, type WorkspaceStack } from './workspace-stack'

/**
 * The Webhooks page in Chromium against the api delivering from its JetStream consumer to a real HTTP receiver
 * this test starts: an owner adds an endpoint (the secret is shown once), sends a test and watches the delivery
 * log fill in, re-delivers, rotates the secret; a URL that is not http(s) is refused with a sentence.
 */
let stack: WorkspaceStack
let receiver: Server
const received: Array<{ headers: IncomingHttpHeaders; body: string }> = []

/** Standard Webhooks verification, written out independently of the signing code. */
function verifies(secret: string, r: { headers: IncomingHttpHeaders; body: string }): boolean {
  const mac = createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64'))
    .update(`${r.headers['webhook-id']}.${r.headers['webhook-timestamp']}.${r.body}`)
    .digest('base64')
  return (r.headers['webhook-signature'] as string).split(' ').includes(`v1,${mac}`)
}

test.before(async () => {
  receiver = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => {
      body += c
    })
    req.on('end', () => {
      received.push({ headers: req.headers, body })
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
  stack = await startWorkspaceStack(
    { Olga: 'owner' },
    {
      media: true,
      env: { WEBHOOKS_ENCRYPTION_KEY: 'ef'.repeat(32), WEBHOOKS_ALLOW_PRIVATE: 'true', WEBHOOKS_POLL_MS: '200' },
    },
  )
})

test.after(async () => {
  await stack?.close()
  receiver.closeAllConnections()
  await new Promise((r) => receiver.close(r))
})

const logText = (page: Page) => page.textContent('table[aria-label=Deliveries] tbody').then((t) => t ?? '')
const tests = () => received.filter((r) => JSON.parse(r.body).type === 'webhook.test')

test('add an endpoint, secret once, test send, delivery log, re-deliver, rotate', async () => {
  const context = await stack.contextFor(stack.people.Olga!)
  const page = await context.newPage()
  page.on('pageerror', (error) => process.stderr.write(`[page error] ${error.message}\n`))
  await page.goto(`${stack.api.url}/settings/webhooks`)
  await page.waitForSelector('text=No endpoints yet.', { timeout: 15_000 })

  await page.fill('input[name=webhookUrl]', 'ftp://127.0.0.1/drop')
  await page.click('button:has-text("Add endpoint")')
  const refusal = await page.waitForSelector('[role=alert]', { timeout: 10_000 })
  assert.match((await refusal.textContent()) ?? '', /Give an http:\/\/ or https:\/\/ URL/)
  assert.ok(await page.$('text=No endpoints yet.'), 'nothing was added')

  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`
  await page.fill('input[name=webhookUrl]', url)
  await page.check('label:has-text("quota.warning") input')
  await page.click('button:has-text("Add endpoint")')
  const secret = ((await (await page.waitForSelector('[data-testid=webhook-secret]')).textContent()) ?? '').trim()
  assert.match(secret, /^whsec_[A-Za-z0-9+/=]{32}$/)
  assert.match(
    (await page.textContent('table[aria-label=Webhooks]')) ?? '',
    /job\.succeeded, job\.failed, quota\.warning/,
  )
  await page.click('button:has-text("Done")')
  await page.reload()
  await page.waitForSelector('button:has-text("Send test")', { timeout: 15_000 })
  assert.is(await page.$('[data-testid=webhook-secret]'), null, 'the secret is not shown again')

  // the log, open, fills in by itself: pending, then the attempt with its status code
  await page.click('button:has-text("Deliveries")')
  await page.waitForSelector('text=Nothing sent yet.')
  await page.click('button:has-text("Send test")')
  await page.waitForFunction(
    () =>
      /webhook\.test\s*succeeded/.test(document.querySelector('table[aria-label=Deliveries] tbody')?.textContent ?? ''),
    null,
    { timeout: 30_000 },
  )
  assert.match(await logText(page), /#1 204 \d+ms/)
  assert.is(tests().length, 1)
  assert.ok(verifies(secret, tests()[0]!), 'the message verifies with the secret shown')

  await page.click('table[aria-label=Deliveries] button:has-text("Re-deliver")')
  await page.waitForFunction(
    () => /#2 204/.test(document.querySelector('table[aria-label=Deliveries] tbody')?.textContent ?? ''),
    null,
    { timeout: 30_000 },
  )
  assert.is(tests().length, 2)
  assert.is(tests()[1]!.headers['webhook-id'], tests()[0]!.headers['webhook-id'], 're-delivered under the same id')

  await page.click('button:has-text("Rotate secret")')
  const rotated = ((await (await page.waitForSelector('[data-testid=webhook-secret]')).textContent()) ?? '').trim()
  assert.match(rotated, /^whsec_/)
  assert.is.not(rotated, secret)
  await page.click('button:has-text("Done")')
  await page.click('button:has-text("Send test")')
  await until('the test after rotation', async () => tests().length === 3, 30_000)
  assert.ok(verifies(rotated, tests()[2]!), 'signed with the new secret')
  assert.not.ok(verifies(secret, tests()[2]!), 'not with the old one')

  const audit = await stack.sql<{ action: string }[]>`
    select action from audit_log where org_id = ${stack.orgId} and action like 'webhook.%' order by id`
  assert.equal(
    audit.map((a) => a.action),
    ['webhook.create', 'webhook.test', 'webhook.redeliver', 'webhook.rotateSecret', 'webhook.test'],
  )
  assert.equal(stack.cspViolations, [])
  await context.close()
})

test.run()
