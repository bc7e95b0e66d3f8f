const PALETTE = ['#ff6b6b', '#ffa94d', '#ffd43b', '#69db7c', '#38d9a9', '#4dabf7', '#9775fa', '#f783ac']

/** A stable colour for a person, so they look the same in every tab and on every collaborator's screen. */
export function userColor(id: string): string {
  // FNV-1a spreads similar ids (uuids differing in a few characters) across the palette.
  let hash = 0x811c9dc5
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193)
  return PALETTE[(hash >>> 0) % PALETTE.length]!
}

/** Initials for an avatar: first letters of the first two words. */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean)
  return ((words[0]?.[0] ?? '?') + (words[1]?.[0] ?? '')).toUpperCase()
}
