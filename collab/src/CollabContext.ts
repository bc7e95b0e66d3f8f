import type { DocumentAccess, DocumentKind, Role } from '@cutroom/schema'
import type { GuardedSocket } from './GuardedSocket'

/** Who is connected: a signed-in person (session), an organization's API key or a review-link guest. */
export type Principal =
  | {
      kind: 'user'
      userId: string
      name: string
      /** Hashed session id (`sessions.id`), for live revocation. */
      sessionId: string
    }
  | { kind: 'apiKey'; keyId: string; orgId: string; role: Role; name: string }
  | {
      /** Someone who joined through a review link: that review's two documents and nothing else. */
      kind: 'guest'
      /** Hashed guest token (`review_guests.id`). */
      guestId: string
      shareId: string
      reviewId: string
      orgId: string
      name: string
      allowComments: boolean
      /** When the guest's access ends (the earlier of the link's and the guest credential's expiry), ms since epoch. */
      expiresAt: number
    }

/** What the extensions put in a Hocuspocus connection context. */
export interface CollabContext {
  /** The WebSocket the document connection rides on (set by the ConnectionGuard extension). */
  socket?: GuardedSocket
  principal?: Principal
  /** For persistence (`doc_updates.user_id`, null for API keys) and awareness. */
  user?: { id: string | null; name: string }
  documentId?: string
  projectId?: string
  orgId?: string
  kind?: DocumentKind
  role?: Role
  access?: DocumentAccess
  /** When the authorization read Postgres (ms since epoch); access changes after it are re-checked. */
  authorizedAt?: number
  /** Set while this connection counts against its principal's connection limit. */
  connectionSlot?: string
}

/** A stable key per principal, for per-principal limits. */
export function principalKey(principal: Principal): string {
  switch (principal.kind) {
    case 'user':
      return `user:${principal.userId}`
    case 'apiKey':
      return `key:${principal.keyId}`
    case 'guest':
      return `guest:${principal.guestId}`
  }
}
