/** How deep `findNulCharacter` looks; deeper input fails its procedure's schema anyway. */
const MAX_DEPTH = 32

/**
 * The path of the first string (value or key) in `input` that contains U+0000, `''` for the input itself, or
 * null when there is none. Postgres text cannot hold that character, so such input must be refused up front
 * instead of failing in the database.
 */
export function findNulCharacter(input: unknown, path = '', depth = 0): string | null {
  if (typeof input === 'string') return input.includes('\u0000') ? path : null
  if (input === null || typeof input !== 'object' || depth >= MAX_DEPTH) return null
  for (const [key, value] of Object.entries(input)) {
    const at = path ? `${path}.${key}` : key
    if (key.includes('\u0000')) return at
    const found = findNulCharacter(value, at, depth + 1)
    if (found !== null) return found
  }
  return null
}
