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

export interface AccountAuditEntry {
  /** The account the event concerns. */
  userId: string
  /** Who did it; null for a step taken without a session (a sign-in challenge, a reset link). */
  actorUserId: string | null
  action: string
  ip?: string | null
  userAgent?: string | null
  details?: Record<string, unknown>
}

/** Appends a security event of one account (two-factor, recovery codes, sessions, password resets). */
export async function writeAccountAudit(db: Pick<Db, 'insert'>, entry: AccountAuditEntry): Promise<void> {
  await db.insert(tables.accountAuditLog).values({
    userId: entry.userId,
    actorUserId: entry.actorUserId,
    action: entry.action,
    ip: entry.ip ?? null,
    userAgent: entry.userAgent?.slice(0, 300) ?? null,
    details: entry.details ?? {},
  })
}
