import { PLANS, type PlanId, tables } from '@cutroom/schema'
import { and, eq, gte, inArray, sql } from 'drizzle-orm'
import type { Db } from '../db'
import { dayKey, periodStart } from './billingPeriod'

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]
type Executor = Db | Tx

/** The plan whose limits apply: a cancelled subscription falls back to the free plan. */
export async function effectivePlan(db: Executor, orgId: string) {
  const [org] = await db
    .select({ plan: tables.organizations.plan, billingStatus: tables.organizations.billingStatus })
    .from(tables.organizations)
    .where(eq(tables.organizations.id, orgId))
  const id: PlanId = org && org.billingStatus !== 'canceled' ? (org.plan as PlanId) : 'free'
  return { id, ...PLANS[id], billingStatus: org?.billingStatus ?? 'active' }
}

/** Media seconds processed since the start of the period (all job kinds). */
export async function mediaSecondsThisPeriod(db: Executor, orgId: string): Promise<number> {
  const [used] = await db
    .select({ seconds: sql<string>`coalesce(sum(${tables.usageEvents.quantity}), 0)` })
    .from(tables.usageEvents)
    .where(
      and(
        eq(tables.usageEvents.orgId, orgId),
        eq(tables.usageEvents.metric, 'media_seconds'),
        gte(tables.usageEvents.createdAt, periodStart()),
      ),
    )
  return Number(used?.seconds ?? 0)
}

/** Bytes the organization stores: its sources and brand kit files (not rejected ones) and what its jobs made. */
export async function storageBytes(db: Executor, orgId: string): Promise<number> {
  const [row] = await db.execute<{ bytes: string }>(sql`
    select
      (select coalesce(sum(size), 0) from assets where org_id = ${orgId} and status <> 'rejected')
      + (select coalesce(sum(size), 0) from artifacts where org_id = ${orgId})
      + (select coalesce(sum(size), 0) from brand_kit_files where org_id = ${orgId} and status <> 'rejected') as bytes`)
  return Number(row?.bytes ?? 0)
}

export async function seatCount(db: Executor, orgId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<string>`count(*)` })
    .from(tables.memberships)
    .where(eq(tables.memberships.orgId, orgId))
  return Number(row?.n ?? 0)
}

/** Jobs of the organization that hold a worker slot or wait for one. */
export async function openJobCount(db: Executor, orgId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<string>`count(*)` })
    .from(tables.jobs)
    .where(and(eq(tables.jobs.orgId, orgId), inArray(tables.jobs.status, ['queued', 'running'])))
  return Number(row?.n ?? 0)
}

/** The organization's storage and seats now, read only. */
export async function currentGauges(db: Executor, orgId: string): Promise<{ storageBytes: number; seats: number }> {
  const [bytes, seats] = await Promise.all([storageBytes(db, orgId), seatCount(db, orgId)])
  return { storageBytes: bytes, seats }
}

/** Records today's storage and seat gauges (the last value of the day wins). */
export async function recordGauges(db: Executor, orgId: string): Promise<{ storageBytes: number; seats: number }> {
  const { storageBytes: bytes, seats } = await currentGauges(db, orgId)
  const day = dayKey()
  await db
    .insert(tables.usageGauges)
    .values([
      { orgId, metric: 'storage_bytes' as const, day, value: bytes },
      { orgId, metric: 'seats' as const, day, value: seats },
    ])
    .onConflictDoUpdate({
      target: [tables.usageGauges.orgId, tables.usageGauges.metric, tables.usageGauges.day],
      set: { value: sql`excluded.value`, updatedAt: sql`now()` },
    })
  return { storageBytes: bytes, seats }
}
