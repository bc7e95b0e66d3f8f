import { timingSafeEqual } from 'node:crypto'
import {
  CloseCode,
  type DocumentKind,
  documentAccess,
  GUEST_COOKIE,
  GUEST_TOKEN_PREFIX,
  hashToken,
  parseApiKey,
  parseDocumentName,
  type Role,
} from '@cutroom/schema'
import type { Extension, onAuthenticatePayload } from '@hocuspocus/server'
import type { Logger } from 'pino'
import type postgres from 'postgres'
import type { CollabContext, Principal } from '../CollabContext'
import { CollabRejection } from '../CollabRejection'
import { isAllowedOrigin } from '../isAllowedOrigin'
import { readSessionCookie } from '../readSessionCookie'

export interface AuthConfiguration {
  sql: postgres.Sql
  log?: Logger
  /** Delay before closing a socket whose only document was refused, so the refusal message arrives first. */
  closeDelayMs: number
  /** Called for every refused connection (metrics). */
  onReject: (code: CloseCode) => void
  /**
   * Origins the browser app is served from (PUBLIC_URL, ALLOWED_ORIGINS); an upgrade authenticated by the cookie
   * from any other Origin is refused. Empty: the Origin's host name must be the upgrade's own.
   */
  allowedOrigins: readonly string[]
}

/** Told to a page of another site that tried to use the person's session cookie. */
export const CROSS_SITE_REASON =
  'Forbidden: this page is on another site and may not use your Cutroom session; open Cutroom itself'

/**
 * Authorizes every document connection: the token (or the session cookie of the upgrade request) names a
 * principal; the document is looked up in Postgres; the principal's role in the document's organization gives
 * read or write access per the permission matrix. Refusals reveal nothing: an unknown document, a malformed name
 * and another tenant's document all get the same 4403.
 */
export class AuthExtension implements Extension {
  extensionName = 'Auth'
  priority = 1500
  configuration: AuthConfiguration

  constructor(configuration: Partial<AuthConfiguration> & Pick<AuthConfiguration, 'sql'>) {
    this.configuration = { closeDelayMs: 50, onReject: () => {}, allowedOrigins: [], ...configuration }
  }

  async onAuthenticate(data: onAuthenticatePayload<CollabContext>): Promise<void> {
    try {
      await this.authorize(data)
    } catch (err) {
      const rejection =
        err instanceof CollabRejection ? err : new CollabRejection(CloseCode.FORBIDDEN, (err as Error)?.message)
      if (err instanceof CollabRejection)
        this.configuration.log?.debug(
          { code: rejection.code, detail: rejection.detail, documentName: data.documentName },
          'refused',
        )
      else this.configuration.log?.error({ err }, 'authorization failed')
      this.configuration.onReject(rejection.code)
      // A socket that carries no other document is closed with the precise code once the refusal is sent.
      const socket = data.context.socket
      if (socket && socket.established === 0) {
        setTimeout(() => {
          if (socket.established === 0) socket.close(rejection.code, rejection.reason)
        }, this.configuration.closeDelayMs)
      }
      throw rejection
    }
  }

  private async authorize(data: onAuthenticatePayload<CollabContext>): Promise<void> {
    const cookies = data.requestHeaders.get('cookie')
    const cookieTokens = data.token
      ? []
      : [readSessionCookie(cookies), readSessionCookie(cookies, GUEST_COOKIE)].filter((t): t is string => t !== null)
    if (cookieTokens.length) {
      const origin = data.requestHeaders.get('origin')
      if (!isAllowedOrigin(origin, data.requestHeaders.get('host'), this.configuration.allowedOrigins)) {
        this.configuration.log?.warn(
          { origin: origin?.slice(0, 200) },
          'refused a cookie-authenticated connection from another origin; if this is the app, set PUBLIC_URL or ALLOWED_ORIGINS on the collab server',
        )
        throw new CollabRejection(
          CloseCode.FORBIDDEN,
          `cross-site upgrade from ${origin?.slice(0, 200)}`,
          CROSS_SITE_REASON,
        )
      }
    }
    const tokens = data.token ? [data.token] : cookieTokens
    if (!tokens.length) throw new CollabRejection(CloseCode.UNAUTHORIZED, 'no token')
    // A browser may hold a session and a review link's guest cookie: the first that grants this document is used.
    let first: CollabRejection | null = null
    for (const token of tokens) {
      try {
        return await this.authorizeToken(data, token)
      } catch (err) {
        if (!(err instanceof CollabRejection)) throw err
        first ??= err
      }
    }
    throw first!
  }

  private async authorizeToken(data: onAuthenticatePayload<CollabContext>, token: string): Promise<void> {
    const authorizedAt = Date.now()
    const principal = await this.principalFor(token)
    if (!principal) throw new CollabRejection(CloseCode.UNAUTHORIZED, 'invalid or expired token')

    const documentId = parseDocumentName(data.documentName)
    if (!documentId) throw new CollabRejection(CloseCode.FORBIDDEN, 'malformed document name')
    const { sql } = this.configuration
    const [doc] = await sql<
      { kind: DocumentKind; org_id: string; project_id: string; role: Role | null; review_id: string | null }[]
    >`
      select d.kind, p.org_id, p.id as project_id, m.role,
        (select r.id from reviews r where r.id = ${principal.kind === 'guest' ? principal.reviewId : null}::uuid
           and (r.qa_document_id = d.id or r.workflow_document_id = d.id)) as review_id
      from documents d
      join projects p on p.id = d.project_id
      left join memberships m on m.org_id = p.org_id and m.user_id = ${principal.kind === 'user' ? principal.userId : null}::uuid
      where d.id = ${documentId}`
    if (!doc) throw new CollabRejection(CloseCode.FORBIDDEN, 'unknown document')
    const role = roleOf(principal, doc)
    if (!role) throw new CollabRejection(CloseCode.FORBIDDEN, 'not a member of the organization')

    const access = documentAccess(role, doc.kind)
    // qa-workflow is written only by the server (qa.* mutations): read-only whatever the matrix says.
    data.connectionConfig.readOnly = access === 'read' || doc.kind === 'qa-workflow'
    // Mutated in place: later onAuthenticate hooks in the same chain see the same object.
    Object.assign(data.context, {
      principal,
      user:
        principal.kind === 'user'
          ? { id: principal.userId, name: principal.name }
          : { id: null, name: principal.kind === 'guest' ? `${principal.name} (guest)` : principal.name },
      documentId,
      projectId: doc.project_id,
      orgId: doc.org_id,
      kind: doc.kind,
      role,
      access,
      authorizedAt,
    } satisfies CollabContext)
  }

  private async principalFor(token: string): Promise<Principal | null> {
    const { sql } = this.configuration
    if (token.length > 256) return null
    if (token.startsWith(GUEST_TOKEN_PREFIX)) return guestFor(sql, token)
    const key = parseApiKey(token)
    if (key) {
      const [row] = await sql<{ id: string; org_id: string; role: Role; name: string; secret_hash: string }[]>`
        select id, org_id, role, name, secret_hash from api_keys where id = ${key.id} and revoked_at is null`
      if (!row) return null
      const expected = Buffer.from(row.secret_hash, 'hex')
      const actual = Buffer.from(hashToken(key.secret), 'hex')
      if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return null
      return { kind: 'apiKey', keyId: row.id, orgId: row.org_id, role: row.role, name: row.name }
    }
    const sessionId = hashToken(token)
    const [row] = await sql<{ id: string; name: string }[]>`
      select u.id, u.name from sessions s join users u on u.id = s.user_id
      where s.id = ${sessionId} and s.expires_at > now()`
    return row ? { kind: 'user', userId: row.id, name: row.name, sessionId } : null
  }
}

/**
 * The guest a `crg_…` token names while it, its review link and the link's expiry hold (revocation re-checks
 * with the same query).
 */
export async function guestFor(sql: postgres.Sql, token: string): Promise<Principal | null> {
  const [row] = await sql<
    {
      id: string
      share_id: string
      review_id: string
      org_id: string
      name: string
      allow_comments: boolean
      expires_at: Date
    }[]
  >`
    select g.id, g.share_id, s.review_id, s.org_id, g.name, s.allow_comments,
      least(g.expires_at, s.expires_at) as expires_at
    from review_guests g join review_shares s on s.id = g.share_id
    where g.id = ${hashToken(token)} and g.expires_at > now() and s.expires_at > now() and s.revoked_at is null`
  return row
    ? {
        kind: 'guest',
        guestId: row.id,
        shareId: row.share_id,
        reviewId: row.review_id,
        orgId: row.org_id,
        name: row.name,
        allowComments: row.allow_comments,
        expiresAt: new Date(row.expires_at).getTime(),
      }
    : null
}

/**
 * The role a principal acts with on a document: its membership (sessions), its key's role in the key's
 * organization, or for a guest, reviewer (viewer without comments) on its own review's two documents only.
 */
export function roleOf(
  principal: Principal,
  doc: { org_id: string; role: Role | null; review_id: string | null },
): Role | null {
  switch (principal.kind) {
    case 'user':
      return doc.role
    case 'apiKey':
      return principal.orgId === doc.org_id ? principal.role : null
    case 'guest':
      return doc.review_id === principal.reviewId && doc.org_id === principal.orgId
        ? principal.allowComments
          ? 'reviewer'
          : 'viewer'
        : null
  }
}
