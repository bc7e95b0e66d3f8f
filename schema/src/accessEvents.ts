import { z } from 'zod'

/** Why someone's access changed; collab re-checks the affected open connections against Postgres. */
export const ACCESS_CHANGE_REASONS = ['removed', 'role-changed', 'signed-out', 'key-revoked', 'share-revoked'] as const
export type AccessChangeReason = (typeof ACCESS_CHANGE_REASONS)[number]

/**
 * Published by the api on core NATS after the database change commits: `access.changed.org.<orgId>` for
 * membership and API key changes, `access.changed.user.<userId>` for sessions ended (signing out everywhere,
 * a password change), and with `shareId` for a revoked review link (its guests). It only names whom to re-check: collab never grants or keeps rights on its content.
 */
export const AccessChangedEventSchema = z
  .object({
    orgId: z.uuid().optional(),
    userId: z.uuid().optional(),
    apiKeyId: z.string().min(1).max(64).optional(),
    /** Hashed session ids (`sessions.id`) that ended; absent when every session of the user may be affected. */
    sessionIds: z.array(z.string().min(1).max(128)).max(1000).optional(),
    /** A review link (`review_shares.id`) that was revoked: every guest who joined through it loses access. */
    shareId: z.uuid().optional(),
    reason: z.enum(ACCESS_CHANGE_REASONS),
  })
  .refine(
    (e) => e.userId !== undefined || e.apiKeyId !== undefined || e.shareId !== undefined,
    'names a user, an API key or a review link',
  )
export type AccessChangedEvent = z.infer<typeof AccessChangedEventSchema>

export const AccessSubjects = {
  org: (orgId: string) => `access.changed.org.${orgId}`,
  user: (userId: string) => `access.changed.user.${userId}`,
  all: 'access.changed.>',
} as const

/** The subject an event is published on. */
export function accessChangedSubject(event: AccessChangedEvent): string {
  if (event.orgId) return AccessSubjects.org(event.orgId)
  if (event.userId) return AccessSubjects.user(event.userId)
  throw new Error('an access change names an organization or a user')
}
