import type { IncomingMessage } from 'node:http'
import type { TLSSocket } from 'node:tls'

/**
 * Whether the person's browser reached us over https: a TLS socket, or, behind a trusted proxy (API_TRUST_PROXY,
 * as for clientAddress), `X-Forwarded-Proto: https` — the last entry, the one that proxy set. Without a trusted
 * proxy the header is whatever the client claimed and is ignored.
 */
export function requestIsHttps(req: Pick<IncomingMessage, 'headers' | 'socket'>, trustProxy: boolean): boolean {
  if ((req.socket as Partial<TLSSocket>).encrypted === true) return true
  if (!trustProxy) return false
  const header = req.headers['x-forwarded-proto']
  const value = Array.isArray(header) ? header.join(',') : header
  const last = value
    ?.split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)
    .pop()
  return last === 'https'
}
