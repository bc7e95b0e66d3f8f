import { generateToken, hashToken, tables } from '@cutroom/schema'
import { eq } from 'drizzle-orm'
import type { Db } from './db'
import type { SessionUser } from './principal'

const DAY_MS = 24 * 60 * 60 * 1000
const LAST_SEEN_EVERY_MS = 60 * 1000

export interface SessionValidation {
  user: SessionUser
  sessionId: string
  expiresAt: Date
  /** True when the expiry was pushed forward, so the cookie must be sent again. */
  extended: boolean
}

/** Starts a session; returns the token, which is never stored (the row's id is its sha256). */
export async function createSession(
  db: Db,
  userId: string,
  ttlDays: number,
  meta: { userAgent?: string | null; ip?: string | null } = {},
): Promise<{ token: string; sessionId: string; expiresAt: Date }> {
  const token = generateToken()
  const sessionId = hashToken(token)
  const expiresAt = new Date(Date.now() + ttlDays * DAY_MS)
  await db.insert(tables.sessions).values({
    id: sessionId,
    userId,
    expiresAt,
    userAgent: meta.userAgent?.slice(0, 300) ?? null,
    ip: meta.ip ?? null,
  })
  return { token, sessionId, expiresAt }
}

/**
 * Looks a token up. Expired sessions are deleted. Sliding expiry: once less than half the lifetime remains,
 * the session is extended to a full lifetime again.
 */
export async function validateSessionToken(db: Db, token: string, ttlDays: number): Promise<SessionValidation | null> {
  const sessionId = hashToken(token)
  const [row] = await db
    .select({
      expiresAt: tables.sessions.expiresAt,
      lastSeenAt: tables.sessions.lastSeenAt,
      id: tables.users.id,
      email: tables.users.email,
      name: tables.users.name,
    })
    .from(tables.sessions)
    .innerJoin(tables.users, eq(tables.users.id, tables.sessions.userId))
    .where(eq(tables.sessions.id, sessionId))
  if (!row) return null
  const now = Date.now()
  if (row.expiresAt.getTime() <= now) {
    await db.delete(tables.sessions).where(eq(tables.sessions.id, sessionId))
    return null
  }
  let expiresAt = row.expiresAt
  let extended = false
  if (expiresAt.getTime() - now < (ttlDays * DAY_MS) / 2) {
    expiresAt = new Date(now + ttlDays * DAY_MS)
    extended = true
  }
  // "Last seen" for the sessions list, written at most once a minute per session.
  const seenStale = now - row.lastSeenAt.getTime() > LAST_SEEN_EVERY_MS
  if (extended || seenStale) {
    await db
      .update(tables.sessions)
      .set(extended ? { expiresAt, lastSeenAt: new Date(now) } : { lastSeenAt: new Date(now) })
      .where(eq(tables.sessions.id, sessionId))
  }
  return { user: { id: row.id, email: row.email, name: row.name }, sessionId, expiresAt, extended }
}

export async function invalidateSession(db: Db, sessionId: string): Promise<void> {
  await db.delete(tables.sessions).where(eq(tables.sessions.id, sessionId))
}

/** Signs a person out everywhere (password change, "sign out all devices"). */
export async function invalidateUserSessions(db: Pick<Db, 'delete'>, userId: string): Promise<void> {
  await db.delete(tables.sessions).where(eq(tables.sessions.userId, userId))
}
