/** How deep `findUnstorableText` looks; deeper input fails its procedure's schema anyway. */
const MAX_DEPTH = 32

/**
 * The path of the first string (value or key) in `input` that Postgres cannot store — one containing U+0000
 * (text and jsonb refuse it) or a lone UTF-16 surrogate (jsonb refuses it, e.g. in audit details) — `''` for the
 * input itself, or null when there is none. Such input is refused up front instead of failing in the database.
 */
export function findUnstorableText(input: unknown, path = '', depth = 0): string | null {
  if (typeof input === 'string') return unstorable(input) ? path : null
  if (input === null || typeof input !== 'object' || depth >= MAX_DEPTH) return null
  for (const [key, value] of Object.entries(input)) {
    const at = path ? `${path}.${key}` : key
    if (unstorable(key)) return at
    const found = findUnstorableText(value, at, depth + 1)
    if (found !== null) return found
  }
  return null
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

function unstorable(s: string): boolean {
  return s.includes('\u0000') || LONE_SURROGATE.test(s)
}
