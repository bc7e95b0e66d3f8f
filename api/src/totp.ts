import { encodeBase32UpperCaseNoPadding } from '@oslojs/encoding'
import { createTOTPKeyURI, verifyHOTP } from '@oslojs/otp'

/** RFC 6238 as authenticator apps expect it: SHA-1, 30 second steps, 6 digits. */
export const TOTP_PERIOD_SECONDS = 30
export const TOTP_DIGITS = 6
const ISSUER = 'Cutroom'

/** A new 160-bit TOTP key (the size RFC 4226 recommends). */
export function newTotpKey(): Uint8Array {
  const key = new Uint8Array(20)
  crypto.getRandomValues(key)
  return key
}

/** What a person types into an authenticator app, and the `otpauth://` URI a QR code would carry. */
export function totpEnrollment(key: Uint8Array, accountName: string): { secret: string; uri: string } {
  return {
    secret: encodeBase32UpperCaseNoPadding(key),
    uri: createTOTPKeyURI(ISSUER, accountName, key, TOTP_PERIOD_SECONDS, TOTP_DIGITS),
  }
}

/** The 30 s step at `nowMs`. */
export function totpStep(nowMs = Date.now()): number {
  return Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS)
}

/**
 * The step (current, previous or next: a +-1 window for clock drift) whose code `code` is, or null. The caller
 * refuses a step at or before the last one it accepted, so a code cannot be used twice.
 */
export function matchTotpStep(key: Uint8Array, code: string, nowMs = Date.now()): number | null {
  if (!/^\d{6}$/.test(code)) return null
  const now = totpStep(nowMs)
  for (const step of [now - 1, now, now + 1]) {
    if (verifyHOTP(key, BigInt(step), TOTP_DIGITS, code)) return step
  }
  return null
}
