import type { Role } from '@cutroom/schema'

export interface SessionUser {
  id: string
  email: string
  name: string
}

/** Who is calling: a signed-in person (session) or an API key scoped to one organization. */
export type Principal =
  | { kind: 'user'; user: SessionUser; sessionId: string; sessionExpiresAt: Date }
  | { kind: 'apiKey'; apiKeyId: string; orgId: string; role: Role }

/** A stable string naming the principal, for idempotency keys and rate-limit buckets. */
export function principalKey(p: Principal): string {
  return p.kind === 'user' ? `user:${p.user.id}` : `key:${p.apiKeyId}`
}

/** The columns that record who did something: a user id, or the API key id for keys. */
export function actorOf(p: Principal): { userId: string | null; apiKeyId: string | null } {
  return p.kind === 'user' ? { userId: p.user.id, apiKeyId: null } : { userId: null, apiKeyId: p.apiKeyId }
}
