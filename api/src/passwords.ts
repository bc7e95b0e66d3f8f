import { hash, verify } from '@node-rs/argon2'

export interface PasswordCost {
  memoryKib: number
  timeCost: number
}

/** argon2id (the library's default algorithm) with the configured cost. */
export function hashPassword(password: string, cost: PasswordCost): Promise<string> {
  return hash(password, { memoryCost: cost.memoryKib, timeCost: cost.timeCost, parallelism: 1 })
}

const dummyHashes = new Map<string, Promise<string>>()

/**
 * Verifies a password. With no stored hash (unknown email) it still verifies against a throw-away hash of the
 * same cost, so a wrong email and a wrong password take about the same time.
 */
export async function verifyPassword(stored: string | null, password: string, cost: PasswordCost): Promise<boolean> {
  if (stored) return verify(stored, password)
  const id = `${cost.memoryKib}:${cost.timeCost}`
  let dummy = dummyHashes.get(id)
  if (!dummy) {
    dummy = hashPassword('not-a-real-password-for-timing', cost)
    dummyHashes.set(id, dummy)
  }
  await verify(await dummy, password)
  return false
}

export const PASSWORD_MIN_LENGTH = 10
export const PASSWORD_MAX_LENGTH = 256

/** Why a password is too weak, or null when it is acceptable. */
export function passwordWeakness(password: string, email: string): string | null {
  if (password.length < PASSWORD_MIN_LENGTH) return `Use at least ${PASSWORD_MIN_LENGTH} characters.`
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/].filter((re) => re.test(password)).length
  if (classes < 2) return 'Mix at least two kinds of characters (lower case, upper case, digits, symbols).'
  const lowered = password.toLowerCase()
  const local = email.split('@')[0] ?? ''
  if (lowered === email || (local.length >= 4 && lowered.includes(local))) {
    return 'The password must not contain your email address.'
  }
  if (new Set(password).size < 4) return 'Use more distinct characters.'
  return null
}

/** The argon2id cost the api is configured with. */
export function passwordCostOf(config: { ARGON2_MEMORY_KIB: number; ARGON2_TIME_COST: number }): PasswordCost {
  return { memoryKib: config.ARGON2_MEMORY_KIB, timeCost: config.ARGON2_TIME_COST }
}
