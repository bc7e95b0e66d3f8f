import { GUEST_COOKIE, GUEST_TOKEN_PREFIX, hashToken, tables } from '@cutroom/schema'
import { and, eq, gt, isNull } from 'drizzle-orm'
import type { Db } from '../db'

/** The longest a review link may stay valid. */
export const SHARE_MAX_DAYS = 90
/** How long a guest's credential lasts (never past its link's expiry). */
export const GUEST_SESSION_HOURS = 12

/**
 * A guest who joined through a review link. Not a `Principal`: procedures that take a principal never see a
 * guest, so a guest can do only what code written for guests allows (`reviews.get` of this one review, its
 * documents over collab, its two versions' media).
 */
export interface ReviewGuest {
  /** sha256 of the guest token (`review_guests.id`). */
  guestId: string
  shareId: string
  reviewId: string
  orgId: string
  name: string
  allowComments: boolean
  expiresAt: Date
}

/** The guest a `crg_…` token names, while it, its link and its review are valid; null otherwise. */
export async function validateGuestToken(db: Db, token: string): Promise<ReviewGuest | null> {
  if (!token.startsWith(GUEST_TOKEN_PREFIX) || token.length > 128) return null
  const now = new Date()
  const [row] = await db
    .select({
      guestId: tables.reviewGuests.id,
      shareId: tables.reviewShares.id,
      reviewId: tables.reviewShares.reviewId,
      orgId: tables.reviewShares.orgId,
      name: tables.reviewGuests.name,
      allowComments: tables.reviewShares.allowComments,
      expiresAt: tables.reviewGuests.expiresAt,
    })
    .from(tables.reviewGuests)
    .innerJoin(tables.reviewShares, eq(tables.reviewShares.id, tables.reviewGuests.shareId))
    .where(
      and(
        eq(tables.reviewGuests.id, hashToken(token)),
        gt(tables.reviewGuests.expiresAt, now),
        gt(tables.reviewShares.expiresAt, now),
        isNull(tables.reviewShares.revokedAt),
      ),
    )
  return row ?? null
}

/** The Set-Cookie value for a guest token: HttpOnly, SameSite=Lax, Secure when served over https. */
export function guestCookie(token: string, expiresAt: Date, secure: boolean): string {
  const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000))
  return [
    `${GUEST_COOKIE}=${token}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Expires=${expiresAt.toUTCString()}`,
    `Max-Age=${maxAge}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ')
}

/** The guest token in a Cookie header, or null. */
export function readGuestCookie(header: string | undefined): string | null {
  if (!header) return null
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0 || part.slice(0, eq).trim() !== GUEST_COOKIE) continue
    const value = part.slice(eq + 1).trim()
    return value.startsWith(GUEST_TOKEN_PREFIX) && value.length <= 128 ? value : null
  }
  return null
}
