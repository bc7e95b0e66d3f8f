import { ErrorCode, JOB_KINDS, PLAN_IDS, PLANS, tables } from '@cutroom/schema'
import { and, eq, sql } from 'drizzle-orm'
import { z } from 'zod'
import { requireOrgRole } from '../access'
import { apiError } from '../apiError'
import { writeAudit } from '../audit'
import { periodEnd, periodStart } from '../billing/billingPeriod'
import { announceQuotaWarnings, quotaUses, thresholdReached } from '../billing/quotaWarnings'
import { openJobCount } from '../billing/usageLedger'
import { stripeCheckout, stripeInvoices, stripePortal } from '../billing/stripeBilling'
import { authedProcedure, router } from '../trpc'
import { Id } from './inputs'

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a day as YYYY-MM-DD')
const MAX_DAYS = 366
const PlanInput = z.enum(PLAN_IDS as [keyof typeof PLANS, ...Array<keyof typeof PLANS>])

function daysBetween(from: string, to: string): string[] {
  const days: string[] = []
  for (let d = new Date(`${from}T00:00:00Z`); d <= new Date(`${to}T00:00:00Z`); d = new Date(d.getTime() + 86_400_000))
    days.push(d.toISOString().slice(0, 10))
  return days
}

/** `billing.*`: plan, limits, usage and payments. Reading needs admin or owner; changing the plan owner. */
export const billingRouter = router({
  get: authedProcedure.input(z.object({ orgId: Id })).query(async ({ ctx, input }) => {
    await requireOrgRole(ctx, input.orgId, 'org.readBilling')
    const db = ctx.services.db
    const { plan, uses } = await quotaUses(db, input.orgId)
    const config = ctx.services.config
    return {
      plan: { id: plan.id, label: plan.label },
      billingStatus: plan.billingStatus,
      mode: config.BILLING_MODE,
      stripe: Boolean(config.STRIPE_SECRET_KEY),
      period: { start: periodStart().toISOString(), end: periodEnd().toISOString() },
      limits: {
        mediaMinutesPerMonth: plan.mediaMinutesPerMonth,
        storageBytes: plan.storageBytes,
        seats: plan.seats,
        concurrentJobs: plan.concurrentJobs,
        maxUploadBytes: plan.maxUploadBytes,
      },
      usage: {
        mediaMinutes: uses[0]!.used,
        storageBytes: uses[1]!.used,
        seats: uses[2]!.used,
        concurrentJobs: await openJobCount(db, input.orgId),
      },
      warnings: uses.flatMap((u) => {
        const threshold = thresholdReached(u)
        return threshold === null ? [] : [{ metric: u.metric, threshold, used: u.used, limit: u.limit }]
      }),
      plans: PLAN_IDS.map((id) => ({ id, ...PLANS[id] })),
    }
  }),

  /** Daily series per metric between two days (inclusive, UTC): media minutes per job kind, storage, seats. */
  usage: authedProcedure.input(z.object({ orgId: Id, from: Day, to: Day })).query(async ({ ctx, input }) => {
    await requireOrgRole(ctx, input.orgId, 'org.readBilling')
    if (Number.isNaN(Date.parse(input.from)) || Number.isNaN(Date.parse(input.to)) || input.from > input.to)
      throw apiError(ErrorCode.BAD_INPUT, 'Give real days with from on or before to, as YYYY-MM-DD.')
    const days = daysBetween(input.from, input.to)
    if (days.length > MAX_DAYS) throw apiError(ErrorCode.BAD_INPUT, `Ask for at most ${MAX_DAYS} days at a time.`)
    const db = ctx.services.db
    const media = await db.execute<{ day: string; kind: string | null; seconds: string }>(sql`
      select to_char(u.created_at at time zone 'UTC', 'YYYY-MM-DD') as day, j.kind, sum(u.quantity) as seconds
      from usage_events u left join jobs j on j.id = u.job_id
      where u.org_id = ${input.orgId} and u.metric = 'media_seconds'
        and u.created_at >= ${`${input.from}T00:00:00Z`}::timestamptz
        and u.created_at < ${`${input.to}T00:00:00Z`}::timestamptz + interval '1 day'
      group by 1, 2`)
    const gauges = await db.execute<{ metric: 'storage_bytes' | 'seats'; day: string; value: string }>(sql`
      select metric, to_char(day, 'YYYY-MM-DD') as day, value from usage_gauges
      where org_id = ${input.orgId} and day between ${input.from}::date and ${input.to}::date
      union all
      select distinct on (metric) metric, to_char(day, 'YYYY-MM-DD'), value from usage_gauges
      where org_id = ${input.orgId} and day < ${input.from}::date
      order by 1, 2`)
    const index = new Map(days.map((d, i) => [d, i]))
    const byKind = new Map<string, number[]>()
    const total = days.map(() => 0)
    for (const row of media) {
      const i = index.get(row.day)
      if (i === undefined) continue
      const kind = row.kind && (JOB_KINDS as readonly string[]).includes(row.kind) ? row.kind : 'other'
      const series = byKind.get(kind) ?? days.map(() => 0)
      series[i]! += Number(row.seconds) / 60
      total[i]! += Number(row.seconds) / 60
      byKind.set(kind, series)
    }
    // gauges hold the last value of a day; a day without a row keeps the value before it, up to today (a day
    // still to come has no value yet)
    const today = new Date().toISOString().slice(0, 10)
    const gauge = (metric: 'storage_bytes' | 'seats') => {
      const rows = gauges.filter((g) => g.metric === metric).sort((a, b) => a.day.localeCompare(b.day))
      let last: number | null = null
      let r = 0
      return days.map((d) => {
        while (r < rows.length && rows[r]!.day <= d) last = Number(rows[r++]!.value)
        return d > today ? null : last
      })
    }
    return {
      days,
      series: [
        { metric: 'media_minutes', unit: 'minutes', values: total },
        ...[...byKind.entries()]
          .sort()
          .map(([kind, values]) => ({ metric: `media_minutes.${kind}`, unit: 'minutes', values })),
        { metric: 'storage_bytes', unit: 'bytes', values: gauge('storage_bytes') },
        { metric: 'seats', unit: 'seats', values: gauge('seats') },
      ],
    }
  }),

  /** Self-hosted (`BILLING_MODE=manual`): an owner sets the plan. */
  setPlan: authedProcedure.input(z.object({ orgId: Id, plan: PlanInput })).mutation(async ({ ctx, input }) => {
    await requireOrgRole(ctx, input.orgId, 'org.manageBilling')
    if (ctx.services.config.BILLING_MODE !== 'manual')
      throw apiError(
        ErrorCode.BILLING_NOT_CONFIGURED,
        'Plans follow the Stripe subscription on this deployment; use checkout or the billing portal to change it.',
      )
    await ctx.services.db.transaction(async (tx) => {
      const [before] = await tx
        .select({ plan: tables.organizations.plan })
        .from(tables.organizations)
        .where(eq(tables.organizations.id, input.orgId))
        .for('update')
      await tx
        .update(tables.organizations)
        .set({ plan: input.plan, billingStatus: 'active' })
        .where(and(eq(tables.organizations.id, input.orgId)))
      await writeAudit(tx, ctx.principal, {
        orgId: input.orgId,
        action: 'billing.setPlan',
        targetType: 'organization',
        targetId: input.orgId,
        details: { from: before?.plan ?? null, to: input.plan },
      })
    })
    await announceQuotaWarnings(ctx.services, input.orgId)
    return { plan: input.plan }
  }),

  /** A Stripe Checkout Session for a paid plan. */
  checkout: authedProcedure.input(z.object({ orgId: Id, plan: PlanInput })).mutation(async ({ ctx, input }) => {
    await requireOrgRole(ctx, input.orgId, 'org.manageBilling')
    return stripeCheckout(ctx, input.orgId, input.plan)
  }),

  /** The latest invoices from Stripe, newest first (admins and owners); BILLING_NOT_CONFIGURED without Stripe. */
  invoices: authedProcedure
    .input(z.object({ orgId: Id, limit: z.number().int().min(1).max(100).default(12) }))
    .query(async ({ ctx, input }) => {
      await requireOrgRole(ctx, input.orgId, 'org.readBilling')
      return stripeInvoices(ctx, input.orgId, input.limit)
    }),

  /** A Stripe Customer Portal session (payment method, invoices, cancel). */
  portal: authedProcedure.input(z.object({ orgId: Id })).mutation(async ({ ctx, input }) => {
    await requireOrgRole(ctx, input.orgId, 'org.manageBilling')
    return stripePortal(ctx, input.orgId)
  }),
})
