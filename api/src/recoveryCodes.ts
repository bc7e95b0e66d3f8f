import { generateToken, hashToken } from '@cutroom/schema'

export const RECOVERY_CODE_COUNT = 10

/**
 * Ten new recovery codes, shown once: 80 random bits each (16 base32 characters) in groups of four. Their
 * entropy is why a plain sha256 is enough to store them (no password hashing needed).
 */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const raw = generateToken(10)
    return raw.match(/.{4}/g)!.join('-')
  })
}

/** Case, spaces and dashes do not matter when a person types a code back. */
export function normalizeRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '')
}

export function hashRecoveryCode(code: string): string {
  return hashToken(normalizeRecoveryCode(code))
}
