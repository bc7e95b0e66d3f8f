import { sha256 } from '@oslojs/crypto/sha2'
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from '@oslojs/encoding'

/** A new random secret: 20 bytes (160 bits), base32. Used for session tokens and API key secrets. */
export function generateToken(bytes = 20): string {
  const buf = new Uint8Array(bytes)
  crypto.getRandomValues(buf)
  return encodeBase32LowerCaseNoPadding(buf)
}

/** What the database stores in place of a token: sha256 in hex. */
export function hashToken(token: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(token)))
}

export const API_KEY_PREFIX = 'crk_'

/** Splits `crk_<id>_<secret>`; null when the string is not of that form. */
export function parseApiKey(key: string): { id: string; secret: string } | null {
  const m = /^crk_([a-z0-9]{8,32})_([a-z0-9]{16,64})$/.exec(key)
  return m ? { id: m[1]!, secret: m[2]! } : null
}

/** Credentials of review-link guests: `crg_<secret>`, stored as sha256 (`review_guests.id`). */
export const GUEST_TOKEN_PREFIX = 'crg_'

/** The cookie that carries a guest's credential in the browser (beside, never instead of, a session). */
export const GUEST_COOKIE = 'cutroom_guest'
