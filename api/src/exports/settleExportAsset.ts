import { type JobStatus, tables } from '@cutroom/schema'
import { eq } from 'drizzle-orm'
import type { Db } from '../db'

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]

/**
 * The export's version once its job ended without a file: failed with the reason (a cancel says so). The row
 * stays so the stack's numbering never repeats, but it has no object: nothing half-written is ever playable.
 */
export async function settleFailedExport(tx: Tx | Db, assetId: string, status: Exclude<JobStatus, 'succeeded' | 'queued' | 'running'>, error: string | null): Promise<void> {
  await tx
    .update(tables.assets)
    .set({ status: 'failed', error: status === 'cancelled' ? 'The export was cancelled.' : `The export failed: ${error ?? 'unknown error'}` })
    .where(eq(tables.assets.id, assetId))
}
