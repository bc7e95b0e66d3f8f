import { ErrorCode, PLANS, type PlanId, tables } from '@cutroom/schema'
import { and, eq, gte, ne, sql } from 'drizzle-orm'
import { apiError } from '../apiError'
import type { Db } from '../db'

const GiB = 1024 ** 3

function gib(bytes: number): string {
  return `${(bytes / GiB).toFixed(bytes < 10 * GiB ? 1 : 0)} GiB`
}

async function planOf(db: Db, orgId: string) {
  const [org] = await db.select({ plan: tables.organizations.plan }).from(tables.organizations).where(eq(tables.organizations.id, orgId))
  const id = (org?.plan ?? 'free') as PlanId
  return PLANS[id]
}

/** Refuses an upload above the plan's file size or storage quota, before anything is created. */
export async function assertUploadAllowed(db: Db, orgId: string, size: number): Promise<void> {
  const plan = await planOf(db, orgId)
  if (size > plan.maxUploadBytes) {
    throw apiError(
      ErrorCode.QUOTA_EXCEEDED,
      `This file is ${gib(size)}; the ${plan.label} plan accepts files up to ${gib(plan.maxUploadBytes)}. Upgrade the plan or upload a smaller file.`,
    )
  }
  const [used] = await db
    .select({ bytes: sql<string>`coalesce(sum(${tables.assets.size}), 0)` })
    .from(tables.assets)
    .where(and(eq(tables.assets.orgId, orgId), ne(tables.assets.status, 'rejected')))
  const usedBytes = Number(used?.bytes ?? 0)
  if (usedBytes + size > plan.storageBytes) {
    throw apiError(
      ErrorCode.QUOTA_EXCEEDED,
      `Storage is full: ${gib(usedBytes)} of ${gib(plan.storageBytes)} used on the ${plan.label} plan. Delete assets or upgrade the plan.`,
    )
  }
}

/** Refuses new processing once this month's media minutes are used up. */
export async function assertProcessingAllowed(db: Db, orgId: string): Promise<void> {
  const plan = await planOf(db, orgId)
  const monthStart = new Date()
  monthStart.setUTCDate(1)
  monthStart.setUTCHours(0, 0, 0, 0)
  const [used] = await db
    .select({ seconds: sql<string>`coalesce(sum(${tables.usageEvents.quantity}), 0)` })
    .from(tables.usageEvents)
    .where(
      and(eq(tables.usageEvents.orgId, orgId), eq(tables.usageEvents.metric, 'media_seconds'), gte(tables.usageEvents.createdAt, monthStart)),
    )
  const minutes = Number(used?.seconds ?? 0) / 60
  if (minutes >= plan.mediaMinutesPerMonth) {
    throw apiError(
      ErrorCode.QUOTA_EXCEEDED,
      `This month's ${plan.mediaMinutesPerMonth} media minutes on the ${plan.label} plan are used up. Upgrade the plan or wait for next month.`,
    )
  }
}
