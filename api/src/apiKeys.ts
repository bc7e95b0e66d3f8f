import { timingSafeEqual } from 'node:crypto'
import { generateToken, hashToken, parseApiKey, type Role, tables } from '@cutroom/schema'
import { eq } from 'drizzle-orm'
import type { Db } from './db'

/** lastUsedAt is written at most this often per key, so busy keys do not write on every request. */
const LAST_USED_RESOLUTION_MS = 60_000

/** A new key: the id is public, the secret is shown once and only its sha256 is stored. */
export function generateApiKey(): { id: string; key: string; secretHash: string } {
  const id = generateToken(10)
  const secret = generateToken(20)
  return { id, key: `crk_${id}_${secret}`, secretHash: hashToken(secret) }
}

/** The key's organization and role when `key` is a valid, unrevoked API key; null otherwise. */
export async function validateApiKey(db: Db, key: string): Promise<{ id: string; orgId: string; role: Role } | null> {
  const parsed = parseApiKey(key)
  if (!parsed) return null
  const [row] = await db
    .select({
      id: tables.apiKeys.id,
      orgId: tables.apiKeys.orgId,
      role: tables.apiKeys.role,
      secretHash: tables.apiKeys.secretHash,
      revokedAt: tables.apiKeys.revokedAt,
      lastUsedAt: tables.apiKeys.lastUsedAt,
    })
    .from(tables.apiKeys)
    .where(eq(tables.apiKeys.id, parsed.id))
  if (!row || row.revokedAt) return null
  const given = Buffer.from(hashToken(parsed.secret))
  const stored = Buffer.from(row.secretHash)
  if (given.length !== stored.length || !timingSafeEqual(given, stored)) return null
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await db.update(tables.apiKeys).set({ lastUsedAt: new Date() }).where(eq(tables.apiKeys.id, row.id))
  }
  return { id: row.id, orgId: row.orgId, role: row.role }
}
