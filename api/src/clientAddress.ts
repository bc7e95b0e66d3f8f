import type { IncomingMessage } from 'node:http'

/**
 * The caller's address for rate limits. Behind a trusted proxy it is the last X-Forwarded-For entry (the one
 * the proxy appended; earlier entries are whatever the client claimed). Otherwise the socket's peer.
 */
export function clientAddress(req: Pick<IncomingMessage, 'headers' | 'socket'>, trustProxy: boolean): string | null {
  if (trustProxy) {
    const header = req.headers['x-forwarded-for']
    const value = Array.isArray(header) ? header.join(',') : header
    const last = value
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .pop()
    if (last && last.length <= 64) return last
  }
  return req.socket.remoteAddress ?? null
}
