import { type ApiEnv, ErrorCode, type PlanId, tables } from '@cutroom/schema'
import { eq, sql } from 'drizzle-orm'
import Stripe from 'stripe'
import { apiError } from '../apiError'
import type { Context } from '../context'
import type { Db } from '../db'
import type { ApiServices } from '../services'

type Authed = Pick<Context, 'services'>

/** The Stripe client of the deployment, or null without STRIPE_SECRET_KEY. */
export function stripeClient(config: ApiEnv): Stripe | null {
  if (!config.STRIPE_SECRET_KEY) return null
  return new Stripe(config.STRIPE_SECRET_KEY, {
    ...(config.STRIPE_API_HOST ? { host: config.STRIPE_API_HOST } : {}),
    ...(config.STRIPE_API_PORT ? { port: config.STRIPE_API_PORT } : {}),
    ...(config.STRIPE_API_PROTOCOL ? { protocol: config.STRIPE_API_PROTOCOL } : {}),
    maxNetworkRetries: 1,
    timeout: 20_000,
    telemetry: false,
  })
}

function requireStripe(config: ApiEnv): Stripe {
  const stripe = stripeClient(config)
  if (!stripe)
    throw apiError(
      ErrorCode.BILLING_NOT_CONFIGURED,
      config.BILLING_MODE === 'manual'
        ? 'Payments are not set up on this deployment; an owner sets the plan on the Billing page (billing.setPlan).'
        : 'Payments are not set up on this deployment (no Stripe key). Ask the operator to configure Stripe.',
    )
  return stripe
}

function priceOf(config: ApiEnv, plan: PlanId): string | undefined {
  return plan === 'pro' ? config.STRIPE_PRICE_PRO : plan === 'team' ? config.STRIPE_PRICE_TEAM : undefined
}

function planOfPrice(config: ApiEnv, price: string | undefined): PlanId | null {
  if (!price) return null
  if (price === config.STRIPE_PRICE_PRO) return 'pro'
  if (price === config.STRIPE_PRICE_TEAM) return 'team'
  return null
}

function appUrl(config: ApiEnv, path: string): string {
  return new URL(path, config.PUBLIC_URL ?? `http://localhost:${config.API_PORT || 4000}`).toString()
}

/** Stripe's own errors can carry ids and URLs: people get a plain message, the log gets the rest. */
async function callStripe<T>(services: ApiServices, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    services.log.error({ err }, `stripe: ${what} failed`)
    throw apiError(ErrorCode.INTERNAL, `Stripe could not ${what} just now; try again in a minute.`)
  }
}

async function customerOf(services: ApiServices, stripe: Stripe, orgId: string): Promise<string> {
  const [org] = await services.db
    .select({ name: tables.organizations.name, customer: tables.organizations.stripeCustomerId })
    .from(tables.organizations)
    .where(eq(tables.organizations.id, orgId))
  if (!org) throw apiError(ErrorCode.NOT_FOUND, 'Organization not found.')
  if (org.customer) return org.customer
  const customer = await callStripe(services, 'create the customer', () =>
    stripe.customers.create({ name: org.name, metadata: { orgId } }, { idempotencyKey: `org-customer-${orgId}` }),
  )
  // a concurrent request may have stored one first: keep whichever landed
  const [row] = await services.db.execute<{ customer: string }>(sql`
    update organizations set stripe_customer_id = coalesce(stripe_customer_id, ${customer.id})
    where id = ${orgId} returning stripe_customer_id as customer`)
  return row!.customer
}

export async function stripeCheckout(ctx: Authed, orgId: string, plan: PlanId): Promise<{ url: string }> {
  const config = ctx.services.config
  const stripe = requireStripe(config)
  if (plan === 'free')
    throw apiError(
      ErrorCode.BAD_INPUT,
      'The free plan needs no checkout; cancel the subscription in the billing portal.',
    )
  const price = priceOf(config, plan)
  if (!price) throw apiError(ErrorCode.BILLING_NOT_CONFIGURED, `No Stripe price is configured for the ${plan} plan.`)
  const customer = await customerOf(ctx.services, stripe, orgId)
  const session = await callStripe(ctx.services, 'start checkout', () =>
    stripe.checkout.sessions.create({
      mode: 'subscription',
      customer,
      client_reference_id: orgId,
      line_items: [{ price, quantity: 1 }],
      metadata: { orgId, plan },
      subscription_data: { metadata: { orgId, plan } },
      success_url: appUrl(config, `/settings/billing?checkout=done`),
      cancel_url: appUrl(config, `/settings/billing`),
    }),
  )
  if (!session.url) throw apiError(ErrorCode.INTERNAL, 'Stripe returned no checkout page; try again.')
  return { url: session.url }
}

export async function stripePortal(ctx: Authed, orgId: string): Promise<{ url: string }> {
  const config = ctx.services.config
  const stripe = requireStripe(config)
  const customer = await customerOf(ctx.services, stripe, orgId)
  const session = await callStripe(ctx.services, 'open the billing portal', () =>
    stripe.billingPortal.sessions.create({ customer, return_url: appUrl(config, `/settings/billing`) }),
  )
  return { url: session.url }
}

export interface InvoiceSummary {
  id: string
  number: string | null
  status: string | null
  amountDue: number
  amountPaid: number
  currency: string
  created: string
  periodStart: string
  periodEnd: string
  /** Stripe's hosted invoice page and PDF (https only; null otherwise). */
  hostedUrl: string | null
  pdfUrl: string | null
}

const httpsOnly = (v: unknown): string | null =>
  typeof v === 'string' && v.startsWith('https://') && v.length <= 2048 ? v : null
const isoOf = (seconds: unknown): string =>
  new Date((typeof seconds === 'number' && Number.isFinite(seconds) ? seconds : 0) * 1000).toISOString()

/**
 * The organization's latest invoices from Stripe (`GET /v1/invoices?customer=`), newest first. An organization
 * that never started a checkout has no customer and no invoices: no customer is created to read them.
 */
export async function stripeInvoices(ctx: Authed, orgId: string, limit: number): Promise<InvoiceSummary[]> {
  const stripe = requireStripe(ctx.services.config)
  const [org] = await ctx.services.db
    .select({ customer: tables.organizations.stripeCustomerId })
    .from(tables.organizations)
    .where(eq(tables.organizations.id, orgId))
  if (!org?.customer) return []
  const customer = org.customer
  const list = await callStripe(ctx.services, 'list the invoices', () => stripe.invoices.list({ customer, limit }))
  return list.data.map((inv) => ({
    id: inv.id ?? '',
    number: inv.number ?? null,
    status: inv.status ?? null,
    amountDue: inv.amount_due,
    amountPaid: inv.amount_paid,
    currency: inv.currency,
    created: isoOf(inv.created),
    periodStart: isoOf(inv.period_start),
    periodEnd: isoOf(inv.period_end),
    hostedUrl: httpsOnly(inv.hosted_invoice_url),
    pdfUrl: httpsOnly(inv.invoice_pdf),
  }))
}

const SUBSCRIPTION_STATUS: Record<string, 'active' | 'past_due' | 'canceled'> = {
  active: 'active',
  trialing: 'active',
  past_due: 'past_due',
  unpaid: 'past_due',
  incomplete: 'past_due',
  canceled: 'canceled',
  incomplete_expired: 'canceled',
  paused: 'canceled',
}

export type StripeWebhookOutcome = { status: number; body: string }

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]

function idOf(value: unknown): string | null {
  if (typeof value === 'string') return value
  if (value && typeof value === 'object' && typeof (value as { id?: unknown }).id === 'string')
    return (value as { id: string }).id
  return null
}

/**
 * `POST /webhooks/stripe`: the signature is verified on the raw body; each event id is handled once (a row in
 * stripe_events, written in the same transaction as the change); a subscription event older than one already
 * applied changes nothing (Stripe does not promise order); an event for a customer we do not know is logged
 * and acknowledged, so Stripe does not retry it forever.
 */
export async function handleStripeWebhook(
  services: ApiServices,
  rawBody: Buffer,
  signature: string | undefined,
): Promise<StripeWebhookOutcome> {
  const { config, db, log } = services
  const stripe = stripeClient(config)
  if (!stripe || !config.STRIPE_WEBHOOK_SECRET) return { status: 404, body: 'Stripe is not configured here.' }
  let event: Stripe.Event
  try {
    event = stripe.webhooks.constructEvent(rawBody, signature ?? '', config.STRIPE_WEBHOOK_SECRET)
  } catch {
    return { status: 400, body: 'The Stripe signature does not match this body.' }
  }
  const object = event.data.object as unknown as Record<string, unknown>
  await db.transaction(async (tx) => {
    const orgId = await orgOfEvent(tx, event.type, object)
    const inserted = await tx
      .insert(tables.stripeEvents)
      .values({ id: event.id, type: event.type, orgId, details: { created: event.created } })
      .onConflictDoNothing()
      .returning({ id: tables.stripeEvents.id })
    if (inserted.length === 0) return
    if (!orgId) {
      log.warn(
        { eventId: event.id, type: event.type },
        'stripe event for a customer this deployment does not know; acknowledged',
      )
      return
    }
    const change = await changeOf(tx, config, event, object, orgId)
    if (!change) return
    await tx.update(tables.organizations).set(change).where(eq(tables.organizations.id, orgId))
    await tx.insert(tables.auditLog).values({
      orgId,
      actorUserId: null,
      actorApiKeyId: null,
      action: 'billing.stripe',
      targetType: 'organization',
      targetId: orgId,
      details: { event: event.type, eventId: event.id, ...change },
    })
  })
  return { status: 200, body: '{"received":true}' }
}

async function orgOfEvent(tx: Tx, type: string, object: Record<string, unknown>): Promise<string | null> {
  const customer = idOf(object.customer)
  if (customer) {
    const [org] = await tx
      .select({ id: tables.organizations.id })
      .from(tables.organizations)
      .where(eq(tables.organizations.stripeCustomerId, customer))
    if (org) return org.id
  }
  if (type === 'checkout.session.completed') {
    const ref = typeof object.client_reference_id === 'string' ? object.client_reference_id : null
    if (ref && /^[0-9a-f-]{36}$/i.test(ref)) {
      const [org] = await tx
        .select({ id: tables.organizations.id })
        .from(tables.organizations)
        .where(eq(tables.organizations.id, ref))
      if (org) return org.id
    }
  }
  return null
}

type OrgChange = Partial<{
  plan: PlanId
  billingStatus: 'active' | 'past_due' | 'canceled'
  stripeCustomerId: string
  stripeSubscriptionId: string | null
}>

async function changeOf(
  tx: Tx,
  config: ApiEnv,
  event: Stripe.Event,
  object: Record<string, unknown>,
  orgId: string,
): Promise<OrgChange | null> {
  const metadata = (object.metadata ?? {}) as Record<string, string>
  const metaPlan = (['pro', 'team'] as const).find((p) => p === metadata.plan) ?? null
  switch (event.type) {
    case 'checkout.session.completed': {
      const customer = idOf(object.customer)
      const subscription = idOf(object.subscription)
      return {
        ...(metaPlan ? { plan: metaPlan } : {}),
        billingStatus: 'active',
        ...(customer ? { stripeCustomerId: customer } : {}),
        ...(subscription ? { stripeSubscriptionId: subscription } : {}),
      }
    }
    case 'customer.subscription.created':
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted':
    case 'customer.subscription.paused':
    case 'customer.subscription.resumed': {
      // a later subscription event already applied wins over this one
      const [newer] = await tx.execute<{ n: string }>(sql`
        select count(*) as n from stripe_events
        where org_id = ${orgId} and type like 'customer.subscription.%' and id <> ${event.id}
          and (details->>'created')::bigint > ${event.created}`)
      if (Number(newer?.n ?? 0) > 0) return null
      const items = (object.items as { data?: Array<{ price?: { id?: string } }> } | undefined)?.data ?? []
      const plan = planOfPrice(config, items[0]?.price?.id) ?? metaPlan
      const status =
        event.type === 'customer.subscription.deleted'
          ? 'canceled'
          : (SUBSCRIPTION_STATUS[String(object.status)] ?? 'active')
      return {
        ...(status === 'canceled' ? { plan: 'free' as const, stripeSubscriptionId: null } : plan ? { plan } : {}),
        billingStatus: status === 'canceled' ? 'active' : status,
        ...(status !== 'canceled' && typeof object.id === 'string' ? { stripeSubscriptionId: object.id } : {}),
      }
    }
    case 'invoice.paid':
      return { billingStatus: 'active' }
    case 'invoice.payment_failed':
      return { billingStatus: 'past_due' }
    default:
      return null
  }
}
