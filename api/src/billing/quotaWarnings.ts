import { QUOTA_WARNING_THRESHOLDS, type QuotaMetric, tables } from '@cutroom/schema'
import type { Logger } from 'pino'
import type { Db } from '../db'
import { emitWebhookEvent } from '../webhooks/emitWebhookEvent'
import { periodKey } from './billingPeriod'
import { currentGauges, effectivePlan, mediaSecondsThisPeriod, recordGauges } from './usageLedger'

export interface QuotaUse {
  metric: QuotaMetric
  used: number
  limit: number
}

/**
 * What the organization uses of each limited metric now. With `record`, also records the day's gauges: changes of
 * state do (after a job, an upload, a member change); reads such as `billing.get` never write.
 */
export async function quotaUses(
  db: Db,
  orgId: string,
  options: { record?: boolean } = {},
): Promise<{ plan: Awaited<ReturnType<typeof effectivePlan>>; uses: QuotaUse[] }> {
  const [plan, seconds, gauges] = await Promise.all([
    effectivePlan(db, orgId),
    mediaSecondsThisPeriod(db, orgId),
    options.record ? recordGauges(db, orgId) : currentGauges(db, orgId),
  ])
  return {
    plan,
    uses: [
      { metric: 'media_minutes', used: seconds / 60, limit: plan.mediaMinutesPerMonth },
      { metric: 'storage_bytes', used: gauges.storageBytes, limit: plan.storageBytes },
      { metric: 'seats', used: gauges.seats, limit: plan.seats },
    ],
  }
}

/** The highest threshold (80, 100) a use has reached, or null. */
export function thresholdReached(use: QuotaUse): number | null {
  const percent = use.limit > 0 ? (use.used / use.limit) * 100 : 0
  let reached: number | null = null
  for (const t of QUOTA_WARNING_THRESHOLDS) if (percent >= t) reached = t
  return reached
}

/**
 * Announces every threshold newly reached this period, once: a `quota_warnings` row (its primary key makes a
 * second announcement a no-op, also across replicas), an audit row and a `quota.warning` webhook, in one
 * transaction. Returns the warnings sent now.
 */
export async function checkQuotaWarnings(db: Db, orgId: string): Promise<Array<QuotaUse & { threshold: number }>> {
  const { plan, uses } = await quotaUses(db, orgId, { record: true })
  const period = periodKey()
  const sent: Array<QuotaUse & { threshold: number }> = []
  for (const use of uses) {
    const reached = thresholdReached(use)
    if (reached === null) continue
    for (const threshold of QUOTA_WARNING_THRESHOLDS.filter((t) => t <= reached)) {
      await db.transaction(async (tx) => {
        const inserted = await tx
          .insert(tables.quotaWarnings)
          .values({ orgId, metric: use.metric, threshold, period })
          .onConflictDoNothing()
          .returning({ threshold: tables.quotaWarnings.threshold })
        if (inserted.length === 0) return
        const details = { metric: use.metric, threshold, used: use.used, limit: use.limit, plan: plan.id, period }
        await tx.insert(tables.auditLog).values({
          orgId,
          actorUserId: null,
          actorApiKeyId: null,
          action: 'quota.warning',
          targetType: 'organization',
          targetId: orgId,
          details,
        })
        await emitWebhookEvent(tx, orgId, 'quota.warning', { orgId, ...details })
        sent.push({ ...use, threshold })
      })
    }
  }
  return sent
}

/** After a change that may cross a threshold: warnings never fail the change that caused them. */
export async function announceQuotaWarnings(services: { db: Db; log: Logger }, orgId: string): Promise<void> {
  try {
    await checkQuotaWarnings(services.db, orgId)
  } catch (err) {
    services.log.error({ err, orgId }, 'could not check quota warnings')
  }
}
