import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tables } from '@cutroom/schema'
import { and, eq, isNotNull } from 'drizzle-orm'
import pino from 'pino'
import Stripe from 'stripe'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createContext } from '../context'
import { startTestApiServer, type TestApiServer } from '../testing/startTestApiServer'
import { createCallerFactory } from '../trpc'
import { appRouter } from '../router'
import { MeterPusher } from './MeterPusher'
import { stripeClient } from './stripeBilling'

const WHSEC = 'whsec_test_secret_for_local_events'
const createCaller = createCallerFactory(appRouter)
let api: TestApiServer
let stripeApi: Server
const requests: Array<{ method: string; path: string; form: URLSearchParams; idempotencyKey: string | undefined }> = []
const sdk = new Stripe('sk_test_local')
let ip = 0

/**
 * A local stand-in of the parts of Stripe's REST API used here (form-encoded bodies, JSON answers), in the shapes
 * Stripe documents; the tests never reach Stripe. `invoices` holds what `GET /v1/invoices` lists per customer.
 */
const invoices = new Map<string, Array<Record<string, unknown>>>()
async function startStripeApi(): Promise<number> {
  let customers = 0
  const meterIdentifiers = new Set<string>()
  stripeApi = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => {
      body += c
    })
    req.on('end', () => {
      const form = new URLSearchParams(body)
      const path = (req.url ?? '').split('?')[0]!
      const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '')
      requests.push({
        method: req.method!,
        path,
        form: req.method === 'GET' ? query : form,
        idempotencyKey: req.headers['idempotency-key'] as string | undefined,
      })
      const json = (status: number, value: unknown) =>
        res
          .writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_local' })
          .end(JSON.stringify(value))
      if (req.headers.authorization !== 'Bearer sk_test_local')
        return json(401, { error: { type: 'invalid_request_error', message: 'Invalid API Key' } })
      if (path === '/v1/customers')
        return json(200, { id: `cus_local${++customers}`, object: 'customer', name: form.get('name'), metadata: {} })
      if (path === '/v1/checkout/sessions')
        return json(200, {
          id: 'cs_local',
          object: 'checkout.session',
          url: 'https://checkout.stripe.com/c/pay/cs_local',
          customer: form.get('customer'),
        })
      if (path === '/v1/billing_portal/sessions')
        return json(200, {
          id: 'bps_local',
          object: 'billing_portal.session',
          url: 'https://billing.stripe.com/p/session/bps_local',
        })
      if (path === '/v1/invoices' && req.method === 'GET') {
        // the documented list object: newest first, `limit` at most, has_more when there are others
        const all = invoices.get(query.get('customer') ?? '') ?? []
        const limit = Number(query.get('limit') ?? 10)
        return json(200, { object: 'list', url: '/v1/invoices', has_more: all.length > limit, data: all.slice(0, limit) })
      }
      if (path === '/v1/billing/meter_events') {
        const id = form.get('identifier')!
        if (meterIdentifiers.has(id))
          return json(400, {
            error: { type: 'invalid_request_error', message: 'An event already exists with identifier' },
          })
        meterIdentifiers.add(id)
        return json(200, {
          object: 'billing.meter_event',
          event_name: form.get('event_name'),
          identifier: id,
          payload: {},
        })
      }
      json(404, { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${path})` } })
    })
  })
  await new Promise<void>((r) => stripeApi.listen(0, '127.0.0.1', r))
  return (stripeApi.address() as AddressInfo).port
}

async function caller(token?: string) {
  const headers = token ? { authorization: `Bearer ${token}` } : {}
  return createCaller(await createContext(api.services, { headers, ip: `10.3.0.${++ip}` }))
}

let n = 0
async function studio() {
  const { token } = await (await caller()).auth.signUp({
    email: `payer${++n}@example.com`,
    password: 'correct horse 42',
    name: 'Payer',
  })
  const call = await caller(token)
  const org = await call.orgs.create({ name: `Paying ${n}` })
  return { call, org }
}

/** Posts a Stripe event to the api, signed the way Stripe signs (or with `secret` to forge one). */
async function deliver(event: Record<string, unknown>, secret = WHSEC) {
  const payload = JSON.stringify(event)
  const signature = sdk.webhooks.generateTestHeaderString({ payload, secret })
  return fetch(`${api.url}/webhooks/stripe`, {
    method: 'POST',
    headers: { 'stripe-signature': signature, 'content-type': 'application/json' },
    body: payload,
  })
}

let eventCounter = 0
function event(type: string, object: Record<string, unknown>, created = Math.floor(Date.now() / 1000)) {
  return {
    id: `evt_local${++eventCounter}`,
    object: 'event',
    type,
    created,
    api_version: '2025-01-01',
    data: { object },
  }
}

async function orgRow(orgId: string) {
  const [row] = await api.services.db
    .select({
      plan: tables.organizations.plan,
      status: tables.organizations.billingStatus,
      customer: tables.organizations.stripeCustomerId,
    })
    .from(tables.organizations)
    .where(eq(tables.organizations.id, orgId))
  return row!
}

test.before(async () => {
  const port = await startStripeApi()
  api = await startTestApiServer({
    STRIPE_SECRET_KEY: 'sk_test_local',
    STRIPE_WEBHOOK_SECRET: WHSEC,
    STRIPE_PRICE_PRO: 'price_pro',
    STRIPE_PRICE_TEAM: 'price_team',
    STRIPE_API_HOST: '127.0.0.1',
    STRIPE_API_PORT: String(port),
    STRIPE_API_PROTOCOL: 'http',
  })
})

test.after(async () => {
  await api.close()
  await new Promise((r) => stripeApi.close(r))
})

test('checkout creates the customer once and returns the Checkout URL; the portal opens for the same customer', async () => {
  const { call, org } = await studio()
  const { url } = await call.billing.checkout({ orgId: org.id, plan: 'pro' })
  assert.is(url, 'https://checkout.stripe.com/c/pay/cs_local')
  const session = requests.find((r) => r.path === '/v1/checkout/sessions')!
  assert.is(session.form.get('line_items[0][price]'), 'price_pro')
  assert.is(session.form.get('client_reference_id'), org.id)
  assert.is(session.form.get('mode'), 'subscription')
  const customer = (await orgRow(org.id)).customer
  assert.match(customer!, /^cus_local/)
  const portal = await call.billing.portal({ orgId: org.id })
  assert.is(portal.url, 'https://billing.stripe.com/p/session/bps_local')
  assert.is(requests.filter((r) => r.path === '/v1/customers').length, 1, 'one customer per organization')
  assert.is(requests.find((r) => r.path === '/v1/billing_portal/sessions')!.form.get('customer'), customer)
  const e = await call.billing.checkout({ orgId: org.id, plan: 'free' }).catch((err: unknown) => err)
  assert.is((e as { cause?: { code?: string } }).cause?.code, 'BAD_INPUT')
})

test('Stripe events: verified, applied once per event id, older subscription events do not undo newer ones', async () => {
  const { call, org } = await studio()
  await call.billing.checkout({ orgId: org.id, plan: 'pro' })
  const customer = (await orgRow(org.id)).customer!

  const forged = await deliver(event('invoice.payment_failed', { customer }), 'whsec_someone_else')
  assert.is(forged.status, 400)
  assert.is((await orgRow(org.id)).status, 'active', 'a forged event changes nothing')
  const unsigned = await fetch(`${api.url}/webhooks/stripe`, {
    method: 'POST',
    body: JSON.stringify(event('invoice.paid', { customer })),
  })
  assert.is(unsigned.status, 400)

  const completed = event('checkout.session.completed', {
    object: 'checkout.session',
    customer,
    subscription: 'sub_1',
    client_reference_id: org.id,
    metadata: { orgId: org.id, plan: 'pro' },
  })
  assert.is((await deliver(completed)).status, 200)
  assert.equal(await orgRow(org.id), { plan: 'pro', status: 'active', customer })

  const now = Math.floor(Date.now() / 1000)
  const failed = event('invoice.payment_failed', { object: 'invoice', customer }, now)
  assert.is((await deliver(failed)).status, 200)
  assert.is((await orgRow(org.id)).status, 'past_due')
  const paid = event('invoice.paid', { object: 'invoice', customer }, now + 1)
  assert.is((await deliver(paid)).status, 200)
  assert.is((await orgRow(org.id)).status, 'active')
  // the same failed-payment event again (Stripe retries): already handled, nothing changes
  assert.is((await deliver(failed)).status, 200)
  assert.is((await orgRow(org.id)).status, 'active')

  // subscription events out of order: the upgrade to team (newer) arrives before an older update to pro
  const upgrade = event(
    'customer.subscription.updated',
    {
      object: 'subscription',
      id: 'sub_1',
      customer,
      status: 'active',
      items: { data: [{ price: { id: 'price_team' } }] },
    },
    now + 20,
  )
  const older = event(
    'customer.subscription.updated',
    {
      object: 'subscription',
      id: 'sub_1',
      customer,
      status: 'active',
      items: { data: [{ price: { id: 'price_pro' } }] },
    },
    now + 10,
  )
  assert.is((await deliver(upgrade)).status, 200)
  assert.is((await deliver(older)).status, 200)
  assert.is((await orgRow(org.id)).plan, 'team')

  const deleted = event(
    'customer.subscription.deleted',
    { object: 'subscription', id: 'sub_1', customer, status: 'canceled', items: { data: [] } },
    now + 30,
  )
  assert.is((await deliver(deleted)).status, 200)
  assert.equal(await orgRow(org.id), { plan: 'free', status: 'active', customer })

  const stored = await api.services.db.select().from(tables.stripeEvents).where(eq(tables.stripeEvents.orgId, org.id))
  assert.is(stored.length, 6, 'each of the six event ids once')
  const audits = await api.services.db
    .select()
    .from(tables.auditLog)
    .where(and(eq(tables.auditLog.orgId, org.id), eq(tables.auditLog.action, 'billing.stripe')))
  assert.is(audits.length, 5, 'a row per applied change (not the replay, not the older update)')
})

test('an event for an unknown customer is acknowledged, not retried forever', async () => {
  const res = await deliver(event('invoice.paid', { object: 'invoice', customer: 'cus_nobody' }))
  assert.is(res.status, 200)
})

test('usage reaches Stripe meter events once, with the ledger row id as identifier', async () => {
  const { call, org } = await studio()
  await call.billing.checkout({ orgId: org.id, plan: 'pro' })
  const rows = await api.services.db
    .insert(tables.usageEvents)
    .values([
      { orgId: org.id, jobId: crypto.randomUUID(), metric: 'media_seconds', quantity: 90 },
      { orgId: org.id, jobId: crypto.randomUUID(), metric: 'media_seconds', quantity: 30 },
    ])
    .returning({ id: tables.usageEvents.id })
  const pusher = new MeterPusher(
    api.services.db,
    stripeClient(api.services.config)!,
    'cutroom_media_minutes',
    pino({ level: 'silent' }),
  )
  assert.is(await pusher.pushOnce(), 2)
  assert.is(await pusher.pushOnce(), 0, 'nothing is sent twice')
  const sent = requests.filter((r) => r.path === '/v1/billing/meter_events')
  assert.equal(sent.map((r) => r.form.get('identifier')).sort(), rows.map((r) => r.id).sort())
  assert.equal(sent.map((r) => r.form.get('payload[value]')).sort(), ['0.5', '1.5'])
  const pushed = await api.services.db
    .select()
    .from(tables.usageEvents)
    .where(and(eq(tables.usageEvents.orgId, org.id), isNotNull(tables.usageEvents.meterPushedAt)))
  assert.is(pushed.length, 2)
})

/** An invoice as Stripe's API documents the object (the fields the page reads, and some it does not). */
function invoice(n: number, customer: string, over: Record<string, unknown> = {}) {
  const created = 1_767_225_600 + n * 2_678_400 // monthly from 2026-01-01
  return {
    id: `in_local${n}`,
    object: 'invoice',
    customer,
    number: `LOCAL-000${n}`,
    status: 'paid',
    amount_due: 2900,
    amount_paid: 2900,
    amount_remaining: 0,
    currency: 'eur',
    created,
    period_start: created - 2_678_400,
    period_end: created,
    hosted_invoice_url: `https://invoice.stripe.com/i/acct_local/in_local${n}`,
    invoice_pdf: `https://pay.stripe.com/invoice/acct_local/in_local${n}/pdf`,
    lines: { object: 'list', data: [], has_more: false },
    livemode: false,
    ...over,
  }
}

test('invoices: listed from Stripe for the customer, newest first, links https only; none before a checkout', async () => {
  const { call, org } = await studio()
  assert.equal(await call.billing.invoices({ orgId: org.id }), [], 'no customer yet: no invoices, and no customer made')
  assert.is(
    requests.filter((r) => r.path === '/v1/invoices').length,
    0,
    'Stripe is not asked about an organization that never paid',
  )
  await call.billing.checkout({ orgId: org.id, plan: 'pro' })
  const customer = (await orgRow(org.id)).customer!
  invoices.set(customer, [
    invoice(2, customer, { status: 'open', amount_paid: 0, hosted_invoice_url: 'javascript:alert(1)' }),
    invoice(1, customer),
  ])
  const listed = await call.billing.invoices({ orgId: org.id, limit: 5 })
  const asked = requests.filter((r) => r.path === '/v1/invoices').at(-1)!
  assert.is(asked.form.get('customer'), customer)
  assert.is(asked.form.get('limit'), '5')
  assert.equal(
    listed.map((i) => [i.id, i.number, i.status, i.amountDue, i.amountPaid, i.currency]),
    [
      ['in_local2', 'LOCAL-0002', 'open', 2900, 0, 'eur'],
      ['in_local1', 'LOCAL-0001', 'paid', 2900, 2900, 'eur'],
    ],
  )
  assert.is(listed[0]!.hostedUrl, null, 'a link that is not https is dropped')
  assert.is(listed[1]!.hostedUrl, 'https://invoice.stripe.com/i/acct_local/in_local1')
  assert.is(listed[1]!.pdfUrl, 'https://pay.stripe.com/invoice/acct_local/in_local1/pdf')
  assert.is(listed[1]!.created, '2026-02-01T00:00:00.000Z')
  assert.is(listed[1]!.periodStart, '2026-01-01T00:00:00.000Z')
  // another organization's owner cannot read them
  const other = await studio()
  const e = await other.call.billing.invoices({ orgId: org.id }).catch((err: unknown) => err)
  assert.is((e as { cause?: { code?: string } }).cause?.code, 'NOT_FOUND')
})

test.run()
