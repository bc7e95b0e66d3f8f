import {
  type AccessChangedEvent,
  AccessChangedEventSchema,
  AccessSubjects,
  CloseCode,
  type DocumentKind,
  documentAccess,
  type Role,
  natsServers,
} from '@cutroom/schema'
import type {
  Connection,
  connectedPayload,
  Extension,
  Hocuspocus,
  onConfigurePayload,
  onDisconnectPayload,
} from '@hocuspocus/server'
import type { NatsConnection, Subscription } from '@nats-io/nats-core'
import { connect } from '@nats-io/transport-node'
import type { Logger } from 'pino'
import type postgres from 'postgres'
import type { CollabContext } from '../CollabContext'

export interface RevocationConfiguration {
  natsUrl: string
  sql: postgres.Sql
  log?: Logger
  /** Called for every connection closed because its access changed (metrics). */
  onRevoke: (code: number) => void
  /** How long an event is remembered for connections whose authorization was under way when it arrived. */
  rememberMs: number
}

/** What a re-check concluded for one open connection. */
export type Verdict = 'unchanged' | { close: number; readOnly?: boolean }

/**
 * Makes access changes take effect on open connections: the api publishes `access.changed.…` on core NATS after a
 * membership, session or API key change commits; every instance re-checks its matching connections against
 * Postgres and closes those that lost access (4403 removed, 4401 session or key revoked). A change of read/write
 * access closes with 4205 so the client reconnects and is authorized afresh; a demoted connection is read-only at
 * once, before the socket closes. A revoked review link (`shareId`) closes its guests' connections with 4401, and
 * so does the link's expiry (a timer per guest connection, re-checked against Postgres when it fires).
 * The event only selects whom to re-check: it never grants or keeps a right.
 */
export class RevocationExtension implements Extension {
  extensionName = 'Revocation'
  configuration: RevocationConfiguration
  private instance: Hocuspocus | null = null
  private nc: NatsConnection | null = null
  private subscription: Subscription | null = null
  private loop: Promise<void> | null = null
  // Recent events, for connections authorized from a read that may predate the change.
  private recent: { event: AccessChangedEvent; at: number }[] = []
  // A guest's open connections end when the link expires: one timer per connection, re-checked when it fires.
  private expiries = new Map<Connection<CollabContext>, ReturnType<typeof setTimeout>>()

  constructor(configuration: Partial<RevocationConfiguration> & Pick<RevocationConfiguration, 'natsUrl' | 'sql'>) {
    this.configuration = { onRevoke: () => {}, rememberMs: 30_000, ...configuration }
  }

  async onConfigure({ instance }: onConfigurePayload): Promise<void> {
    this.instance = instance
  }

  async onListen(): Promise<void> {
    this.nc = await connect({
      servers: natsServers(this.configuration.natsUrl),
      name: 'cutroom-collab-access',
      maxReconnectAttempts: -1,
    })
    this.subscription = this.nc.subscribe(AccessSubjects.all)
    this.loop = this.serve(this.subscription)
    // The subscription is registered at the server before the instance counts as listening.
    await this.nc.flush()
    this.configuration.log?.info('access changes over NATS ready')
  }

  async onDisconnect({ context, socketId }: onDisconnectPayload<CollabContext>): Promise<void> {
    for (const [connection, timer] of this.expiries)
      if (connection.context === context || connection.socketId === socketId) {
        clearTimeout(timer)
        this.expiries.delete(connection)
      }
  }

  /**
   * Re-checks a guest's connection when its link expires (Postgres then denies it, and it closes with 4401), so an
   * open review page does not outlive its link. Timers longer than setTimeout allows are re-armed on the way.
   */
  private closeAtExpiry(connection: Connection<CollabContext>, expiresAt: number): void {
    const arm = () => {
      const wait = expiresAt - Date.now()
      const timer = setTimeout(
        () => {
          if (Date.now() < expiresAt) return arm()
          this.expiries.delete(connection)
          void this.recheck(connection)
        },
        // a little past the instant, so Postgres' now() is past it too
        Math.min(Math.max(0, wait) + 250, 2 ** 31 - 1),
      )
      timer.unref?.()
      this.expiries.set(connection, timer)
    }
    arm()
  }

  async onDestroy(): Promise<void> {
    for (const timer of this.expiries.values()) clearTimeout(timer)
    this.expiries.clear()
    this.subscription?.unsubscribe()
    await this.loop
    await this.nc?.drain().catch(() => {})
  }

  /** A connection authorized just before a change committed is re-checked once it is established. */
  async connected({ context, connection }: connectedPayload<CollabContext>): Promise<void> {
    if (context.principal?.kind === 'guest')
      this.closeAtExpiry(connection as Connection<CollabContext>, context.principal.expiresAt)
    const since = context.authorizedAt
    if (since === undefined) return
    this.forget()
    if (this.recent.some(({ event, at }) => at >= since && matches(event, context)))
      await this.recheck(connection as Connection<CollabContext>)
  }

  /** Re-checks every open connection the event names; resolves when each has been closed or confirmed. */
  async handle(event: AccessChangedEvent): Promise<void> {
    this.recent.push({ event, at: Date.now() })
    this.forget()
    const affected: Connection<CollabContext>[] = []
    for (const document of this.instance?.documents.values() ?? [])
      for (const connection of document.getConnections() as Connection<CollabContext>[])
        if (matches(event, connection.context)) affected.push(connection)
    await Promise.all(affected.map((c) => this.recheck(c)))
  }

  private async serve(sub: Subscription): Promise<void> {
    const { log } = this.configuration
    for await (const msg of sub) {
      let event: AccessChangedEvent
      try {
        event = AccessChangedEventSchema.parse(msg.json())
      } catch (err) {
        log?.warn({ err, subject: msg.subject }, 'ignoring a malformed access change')
        continue
      }
      await this.handle(event).catch((err) => log?.error({ err, event }, 're-checking access failed'))
    }
  }

  private async recheck(connection: Connection<CollabContext>): Promise<void> {
    const context = connection.context
    const socket = context.socket
    if (!socket || socket.closed) return
    let verdict: Verdict
    try {
      verdict = await this.verdict(context)
    } catch (err) {
      // Postgres unreachable: the rights cannot be confirmed, so the client reconnects and is authorized afresh.
      this.configuration.log?.error({ err }, 're-checking a connection failed')
      verdict = { close: CloseCode.REAUTHENTICATE, readOnly: true }
    }
    if (verdict === 'unchanged') return
    if (verdict.readOnly) connection.readOnly = true
    this.configuration.log?.info(
      { code: verdict.close, documentId: context.documentId, principal: context.principal?.kind },
      'closing a connection whose access changed',
    )
    this.configuration.onRevoke(verdict.close)
    // The whole socket closes with the precise code (a per-document close reaches the client as 1000).
    socket.closeWith(verdict.close, closeReason(verdict.close))
  }

  /** Reads the principal's current rights on the connection's document from Postgres. */
  private async verdict(context: CollabContext): Promise<Verdict> {
    const { sql } = this.configuration
    const { principal, documentId, access } = context
    if (!principal || !documentId) return { close: CloseCode.FORBIDDEN, readOnly: true }
    let role: Role | null
    let kind: DocumentKind | undefined
    if (principal.kind === 'guest') {
      // the link revoked or expired, or the guest's own credential expired: the guest is signed out
      const [guest] = await sql<{ role: Role | null; kind: DocumentKind | null }[]>`
        select d.kind, case when s.allow_comments then 'reviewer' else 'viewer' end as role
        from review_guests g
        join review_shares s on s.id = g.share_id
        join reviews r on r.id = s.review_id
        left join documents d on d.id = ${documentId} and (d.id = r.qa_document_id or d.id = r.workflow_document_id)
        where g.id = ${principal.guestId} and g.expires_at > now() and s.expires_at > now() and s.revoked_at is null`
      if (!guest) return { close: CloseCode.UNAUTHORIZED, readOnly: true }
      role = guest.role
      kind = guest.kind ?? undefined
    } else if (principal.kind === 'user') {
      const [session] = await sql`
        select 1 from sessions where id = ${principal.sessionId} and user_id = ${principal.userId} and expires_at > now()`
      if (!session) return { close: CloseCode.UNAUTHORIZED, readOnly: true }
      const [doc] = await sql<{ kind: DocumentKind; role: Role | null }[]>`
        select d.kind, m.role from documents d
        join projects p on p.id = d.project_id
        left join memberships m on m.org_id = p.org_id and m.user_id = ${principal.userId}
        where d.id = ${documentId}`
      role = doc?.role ?? null
      kind = doc?.kind
    } else {
      const [key] = await sql<{ role: Role; org_id: string }[]>`
        select role, org_id from api_keys where id = ${principal.keyId} and revoked_at is null`
      if (!key) return { close: CloseCode.UNAUTHORIZED, readOnly: true }
      const [doc] = await sql<{ kind: DocumentKind; org_id: string }[]>`
        select d.kind, p.org_id from documents d join projects p on p.id = d.project_id where d.id = ${documentId}`
      role = doc && doc.org_id === key.org_id ? key.role : null
      kind = doc?.kind
    }
    if (!role || !kind) return { close: CloseCode.FORBIDDEN, readOnly: true }
    const now = documentAccess(role, kind)
    if (now === access) {
      context.role = role
      return 'unchanged'
    }
    return { close: CloseCode.REAUTHENTICATE, readOnly: now === 'read' }
  }

  private forget(): void {
    const cutoff = Date.now() - this.configuration.rememberMs
    if (this.recent.length > 0 && this.recent[0]!.at < cutoff) this.recent = this.recent.filter((r) => r.at >= cutoff)
  }
}

/** Whether an event names the principal of a connection (the event narrows the re-check, nothing more). */
function matches(event: AccessChangedEvent, context: CollabContext): boolean {
  const principal = context.principal
  if (!principal) return false
  if (event.orgId && context.orgId && event.orgId !== context.orgId) return false
  if (principal.kind === 'guest') return event.shareId === principal.shareId
  if (principal.kind === 'apiKey') return event.apiKeyId === principal.keyId
  if (event.userId !== principal.userId) return false
  return !event.sessionIds || event.sessionIds.includes(principal.sessionId)
}

function closeReason(code: number): string {
  switch (code) {
    case CloseCode.UNAUTHORIZED:
      return 'Unauthorized: sign in again, or ask for a new review link'
    case CloseCode.FORBIDDEN:
      return 'Forbidden: your access to this document was removed'
    default:
      return 'Access changed: reconnect'
  }
}
