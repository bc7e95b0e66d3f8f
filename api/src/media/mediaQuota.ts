import { ErrorCode } from '@cutroom/schema'
import { sql } from 'drizzle-orm'
import { apiError } from '../apiError'
import { effectivePlan, mediaSecondsThisPeriod, openJobCount, seatCount, storageBytes } from '../billing/usageLedger'
import type { Db } from '../db'

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]

const GiB = 1024 ** 3

function gib(bytes: number): string {
  return `${(bytes / GiB).toFixed(bytes < 10 * GiB ? 1 : 0)} GiB`
}

/** Refuses an upload above the plan's file size or storage quota, before anything is created. */
export async function assertUploadAllowed(db: Db | Tx, orgId: string, size: number): Promise<void> {
  const plan = await effectivePlan(db, orgId)
  if (size > plan.maxUploadBytes) {
    throw apiError(
      ErrorCode.QUOTA_EXCEEDED,
      `This file is ${gib(size)}; the ${plan.label} plan accepts files up to ${gib(plan.maxUploadBytes)}. Upgrade the plan or upload a smaller file.`,
    )
  }
  const usedBytes = await storageBytes(db, orgId)
  if (usedBytes + size > plan.storageBytes) {
    throw apiError(
      ErrorCode.QUOTA_EXCEEDED,
      `Storage is full: ${gib(usedBytes)} of ${gib(plan.storageBytes)} used on the ${plan.label} plan. Delete assets or upgrade the plan.`,
    )
  }
}

/** Refuses new processing once this month's media minutes are used up. */
export async function assertProcessingAllowed(db: Db, orgId: string): Promise<void> {
  const plan = await effectivePlan(db, orgId)
  const minutes = (await mediaSecondsThisPeriod(db, orgId)) / 60
  if (minutes >= plan.mediaMinutesPerMonth) {
    throw apiError(
      ErrorCode.QUOTA_EXCEEDED,
      `This month's ${plan.mediaMinutesPerMonth} media minutes on the ${plan.label} plan are used up. Upgrade the plan or wait for next month.`,
    )
  }
}

/**
 * Inside the transaction that queues `adding` jobs: locks the organization's row, so dispatches of one
 * organization are serialized across every api replica, then counts its queued and running jobs in Postgres
 * and refuses past the plan's concurrent-jobs limit. The lock is held until the caller's transaction commits
 * its job rows, so two racing dispatches cannot both see the last free slot.
 */
export async function assertConcurrencyAllowed(tx: Tx, orgId: string, adding: number): Promise<void> {
  await tx.execute(sql`select id from organizations where id = ${orgId} for update`)
  const plan = await effectivePlan(tx, orgId)
  const open = await openJobCount(tx, orgId)
  if (open + adding > plan.concurrentJobs) {
    throw apiError(
      ErrorCode.QUOTA_EXCEEDED,
      `${open} jobs are already queued or running; the ${plan.label} plan runs ${plan.concurrentJobs} at a time. Wait for one to finish, cancel one, or upgrade the plan.`,
    )
  }
}

/** Inside the transaction that adds a member (the organization row already locked): refuses past the seats. */
export async function assertSeatAvailable(tx: Tx, orgId: string): Promise<void> {
  const plan = await effectivePlan(tx, orgId)
  const seats = await seatCount(tx, orgId)
  if (seats >= plan.seats) {
    throw apiError(
      ErrorCode.QUOTA_EXCEEDED,
      `All ${plan.seats} seats of the ${plan.label} plan are taken. Remove a member or upgrade the plan to add more.`,
    )
  }
}
