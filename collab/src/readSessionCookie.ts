/** The cookie the api sets for browsers; the collab server reads it from the WebSocket upgrade request. */
export const SESSION_COOKIE = 'cutroom_session'

/** The session token in a Cookie header, or null; with `name`, the value of that cookie (the guest cookie). */
export function readSessionCookie(header: string | null, name = SESSION_COOKIE): string | null {
  if (!header) return null
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue
    const value = part.slice(eq + 1).trim()
    return value.length > 0 && value.length <= 128 ? value : null
  }
  return null
}
