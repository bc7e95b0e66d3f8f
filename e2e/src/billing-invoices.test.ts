import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startWorkspaceStack, type WorkspaceStack } from './workspace-stack'

/**
 * With Stripe on, the Billing page lists the organization's invoices. Stripe cannot run here: the api talks to a
 * local stand-in of Stripe's REST API that answers `GET /v1/invoices` with the list object Stripe documents.
 */
let stack: WorkspaceStack
let stripe: Server
const asked: URLSearchParams[] = []

function invoice(n: number, over: Record<string, unknown> = {}) {
  const created = Date.UTC(2026, n, 1) / 1000
  return {
    id: `in_e2e${n}`,
    object: 'invoice',
    customer: 'cus_e2e',
    number: `E2E-000${n}`,
    status: 'paid',
    amount_due: 2900,
    amount_paid: 2900,
    currency: 'eur',
    created,
    period_start: Date.UTC(2026, n - 1, 1) / 1000,
    period_end: created,
    hosted_invoice_url: `https://invoice.stripe.com/i/acct_e2e/in_e2e${n}`,
    invoice_pdf: `https://pay.stripe.com/invoice/acct_e2e/in_e2e${n}/pdf`,
    livemode: false,
    ...over,
  }
}

test.before(async () => {
  stripe = createServer((req, res) => {
    const [route, query] = (req.url ?? '').split('?')
    req.resume()
    res.setHeader('content-type', 'application/json')
    if (req.headers.authorization !== 'Bearer sk_test_e2e') return res.writeHead(401).end('{"error":{}}')
    if (route === '/v1/invoices' && req.method === 'GET') {
      const q = new URLSearchParams(query)
      asked.push(q)
      const data = q.get('customer') === 'cus_e2e' ? [invoice(2, { status: 'open', amount_paid: 0 }), invoice(1)] : []
      return res.writeHead(200).end(JSON.stringify({ object: 'list', url: '/v1/invoices', has_more: false, data }))
    }
    res.writeHead(404).end('{"error":{"type":"invalid_request_error","message":"not here"}}')
  })
  await new Promise<void>((r) => stripe.listen(0, '127.0.0.1', r))
  stack = await startWorkspaceStack(
    { Olga: 'owner' },
    {
      env: {
        BILLING_MODE: 'stripe',
        STRIPE_SECRET_KEY: 'sk_test_e2e',
        STRIPE_API_HOST: '127.0.0.1',
        STRIPE_API_PORT: String((stripe.address() as AddressInfo).port),
        STRIPE_API_PROTOCOL: 'http',
      },
    },
  )
})

test.after(async () => {
  await stack?.close()
  await new Promise((r) => stripe.close(r))
})

test('the Billing page lists the Stripe invoices of the organization, with links to Stripe', async () => {
  const context = await stack.contextFor(stack.people.Olga!)
  const page = await context.newPage()
  await page.goto(`${stack.api.url}/settings/billing`)
  await page.waitForSelector('[data-testid=plan]', { timeout: 15_000 })
  // no customer yet (never checked out): no invoices, and Stripe is not asked
  await page.waitForSelector('text=No invoices yet.', { timeout: 10_000 })
  assert.is(asked.length, 0)

  await stack.sql`update organizations set stripe_customer_id = 'cus_e2e' where id = ${stack.orgId}`
  await page.reload()
  await page.waitForSelector('[data-testid=invoice]', { timeout: 15_000 })
  const rows = await page.$$eval('[data-testid=invoice]', (trs) =>
    trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent?.trim() ?? '')),
  )
  assert.equal(
    rows.map((r) => [r[0], r[3], r[4]]),
    [
      ['E2E-0002', '€29.00', 'open'],
      ['E2E-0001', '€29.00', 'paid'],
    ],
  )
  const links = await page.$$eval('[data-testid=invoice] a', (as) => as.map((a) => (a as HTMLAnchorElement).href))
  assert.ok(links.includes('https://invoice.stripe.com/i/acct_e2e/in_e2e1'), links.join(' '))
  assert.ok(links.includes('https://pay.stripe.com/invoice/acct_e2e/in_e2e1/pdf'))
  assert.is(asked.at(-1)!.get('customer'), 'cus_e2e')
  // the plan follows Stripe here: the page offers checkout and the portal, not a manual switch
  assert.ok(await page.$('button:has-text("Payment method and invoices")'))
  assert.equal(stack.cspViolations, [])
  await context.close()
})

test.run()
