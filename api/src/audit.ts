import { tables } from '@cutroom/schema'
import type { Db } from './db'
import { actorOf, type Principal } from './principal'

export interface AuditEntry {
  orgId: string
  action: string
  targetType: string
  targetId?: string | null
  details?: Record<string, unknown>
}

type Executor = Pick<Db, 'insert'>

/** Appends an audit row for a change made by `principal` (pass the transaction when inside one). */
export async function writeAudit(db: Executor, principal: Principal, entry: AuditEntry): Promise<void> {
  const actor = actorOf(principal)
  await db.insert(tables.auditLog).values({
    orgId: entry.orgId,
    actorUserId: actor.userId,
    actorApiKeyId: actor.apiKeyId,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId ?? null,
    details: entry.details ?? {},
  })
}
