/**
 * Whether a WebSocket upgrade that is authenticated by the session cookie may proceed, given its `Origin`
 * (cross-site WebSocket hijacking: any page the person visits can open a socket to us, and the browser attaches
 * the cookie). Browsers always send Origin on a WebSocket handshake, so an upgrade without one is not a browser,
 * and nobody's cookie is being used on their behalf.
 *
 * With configured origins (PUBLIC_URL, ALLOWED_ORIGINS) the Origin must be one of them. Without, its host name must
 * be the upgrade's own: the app and the collab server on one host on different ports, as `npm start` runs them.
 */
export function isAllowedOrigin(origin: string | null, host: string | null, allowed: readonly string[]): boolean {
  if (origin === null) return true
  let parsed: URL
  try {
    parsed = new URL(origin)
  } catch {
    return false // includes `null`, sent by sandboxed frames and opaque origins
  }
  if (allowed.length > 0) return allowed.includes(parsed.origin)
  if (!host) return false
  try {
    return new URL(`http://${host}`).hostname === parsed.hostname
  } catch {
    return false
  }
}
