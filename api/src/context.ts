import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import { GUEST_TOKEN_PREFIX } from '@cutroom/schema'
import { validateApiKey } from './apiKeys'
import { configuredOrigins, crossSiteSource, requestOrigin } from './crossSiteSource'
import type { Principal } from './principal'
import { guestCookie, type ReviewGuest, readGuestCookie, validateGuestToken } from './reviews/reviewGuests'
import { clearedSessionCookie, readSessionCookie, sessionCookie } from './sessionCookie'
import type { ApiServices } from './services'
import { validateSessionToken } from './sessions'
import { maybeSweepStaleRows } from './sweepStaleRows'

/** What every procedure sees. */
export interface Context {
  services: ApiServices
  /** Who is calling; null when no valid session or key came with the request. */
  principal: Principal | null
  /** True when the request carried a credential that turned out invalid, expired or revoked. */
  credentialRejected: boolean
  /**
   * A review-link guest (`Bearer crg_…` or the `cutroom_guest` cookie); null otherwise. Kept apart from
   * `principal`: only procedures written for guests look at it.
   */
  guest: ReviewGuest | null
  ip: string | null
  userAgent: string | null
  /** The `Idempotency-Key` header, honoured by create mutations. */
  idempotencyKey: string | null
  /**
   * Where a browser request without an Authorization header came from when that is not the app's own origin
   * (`origin https://evil.example`); mutations are then refused (CSRF). Null for same-origin, Bearer and
   * non-browser requests.
   */
  crossSite: string | null
  /** Sends the session cookie (browsers); a no-op without an HTTP response. */
  setSessionCookie(token: string, expiresAt: Date): void
  clearSessionCookie(): void
  /** Sends the guest cookie of a review link (browsers); a no-op without an HTTP response. */
  setGuestCookie(token: string, expiresAt: Date): void
  /** Sets a response header (Retry-After); a no-op without an HTTP response. */
  setHeader(name: string, value: string): void
  /** The HTTP exchange; absent in createCaller tests. */
  req?: IncomingMessage
  res?: ServerResponse
}

export interface ContextInput {
  headers: IncomingHttpHeaders
  ip?: string | null
  /** Whether the request came over https (directly or through a trusted proxy); gives the api's own origin. */
  https?: boolean
  req?: IncomingMessage
  res?: ServerResponse
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name]
  return Array.isArray(v) ? v[0] : v
}

/**
 * Resolves the principal from `Authorization: Bearer <session token | crk_ key>` or, when there is no
 * Authorization header, from the `cutroom_session` cookie.
 */
export async function createContext(services: ApiServices, input: ContextInput): Promise<Context> {
  const { headers, res } = input
  maybeSweepStaleRows(services.db, services.log)
  const secure = services.config.PUBLIC_URL?.startsWith('https://') ?? false
  const cookies: string[] = []
  const setCookie = (value: string) => {
    if (!res || res.headersSent) return
    cookies.push(value)
    res.setHeader('set-cookie', cookies)
  }

  const authorization = header(headers, 'authorization')
  const bearer = authorization?.match(/^Bearer\s+(\S{1,200})$/i)?.[1] ?? null
  const cookieToken = bearer ? null : readSessionCookie(header(headers, 'cookie'))
  const token = bearer ?? cookieToken
  let principal: Principal | null = null
  let credentialRejected = authorization !== undefined && bearer === null
  let guest: ReviewGuest | null = null
  const guestToken = bearer?.startsWith(GUEST_TOKEN_PREFIX)
    ? bearer
    : bearer
      ? null
      : readGuestCookie(header(headers, 'cookie'))
  if (guestToken) {
    guest = await validateGuestToken(services.db, guestToken)
    if (!guest && bearer) credentialRejected = true
  }
  if (token?.startsWith(GUEST_TOKEN_PREFIX)) {
    // a guest credential is never a session or a key
  } else if (token?.startsWith('crk_')) {
    const key = await validateApiKey(services.db, token)
    if (key) principal = { kind: 'apiKey', apiKeyId: key.id, orgId: key.orgId, role: key.role }
    else credentialRejected = true
  } else if (token) {
    const session = await validateSessionToken(services.db, token, services.config.SESSION_TTL_DAYS)
    if (session) {
      principal = {
        kind: 'user',
        user: session.user,
        sessionId: session.sessionId,
        sessionExpiresAt: session.expiresAt,
      }
      if (session.extended && cookieToken) setCookie(sessionCookie(cookieToken, session.expiresAt, secure))
    } else {
      credentialRejected = true
      if (cookieToken) setCookie(clearedSessionCookie(secure))
    }
  }

  const idempotencyKey = header(headers, 'idempotency-key') ?? null
  // a script holding a Bearer credential is not a browser tricked into sending someone's cookie
  const own = requestOrigin(headers, input.https ?? false)
  const crossSite =
    authorization === undefined
      ? crossSiteSource(headers, [...(own ? [own] : []), ...configuredOrigins(services.config)])
      : null
  return {
    services,
    principal,
    credentialRejected,
    guest,
    ip: input.ip ?? null,
    userAgent: header(headers, 'user-agent') ?? null,
    idempotencyKey,
    crossSite,
    setSessionCookie: (t, expiresAt) => setCookie(sessionCookie(t, expiresAt, secure)),
    clearSessionCookie: () => setCookie(clearedSessionCookie(secure)),
    setGuestCookie: (t, expiresAt) => setCookie(guestCookie(t, expiresAt, secure)),
    setHeader: (name, value) => {
      if (res && !res.headersSent) res.setHeader(name, value)
    },
    req: input.req,
    res,
  }
}
