import { type BrandKitSpec, isUuid, tables } from '@cutroom/schema'
import { and, eq, isNull } from 'drizzle-orm'
import type { Db } from '../db'

/**
 * The spec of a brand kit version for an export: the kit's current version, or `version` when given (an export
 * records the version it used, so a re-render reads the same one). Null when the kit is not in `orgId`, was
 * deleted, or has no such version: the caller refuses the export with its own message.
 */
export async function resolveBrandKit(
  db: Db,
  orgId: string,
  brandKitId: string,
  version?: number,
): Promise<{ brandKitId: string; version: number; spec: BrandKitSpec } | null> {
  if (!isUuid(orgId) || !isUuid(brandKitId)) return null
  if (version !== undefined && (!Number.isSafeInteger(version) || version < 1)) return null
  const [row] = await db
    .select({ version: tables.brandKitVersions.version, spec: tables.brandKitVersions.spec })
    .from(tables.brandKits)
    .innerJoin(tables.brandKitVersions, eq(tables.brandKitVersions.brandKitId, tables.brandKits.id))
    .where(
      and(
        eq(tables.brandKits.id, brandKitId),
        eq(tables.brandKits.orgId, orgId),
        isNull(tables.brandKits.deletedAt),
        eq(tables.brandKitVersions.version, version ?? tables.brandKits.version),
      ),
    )
  return row ? { brandKitId, version: row.version, spec: row.spec } : null
}
