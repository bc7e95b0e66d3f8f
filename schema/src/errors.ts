/** Stable error codes shared by the api, the collab server and clients (`TRPCError.cause` / `data.code`). */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN_ROLE: 'FORBIDDEN_ROLE',
  NOT_FOUND: 'NOT_FOUND',
  BAD_INPUT: 'BAD_INPUT',
  CONFLICT: 'CONFLICT',
  EMAIL_TAKEN: 'EMAIL_TAKEN',
  WEAK_PASSWORD: 'WEAK_PASSWORD',
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  LAST_OWNER: 'LAST_OWNER',
  RATE_LIMITED: 'RATE_LIMITED',
  QUOTA_EXCEEDED: 'QUOTA_EXCEEDED',
  /** Payments are not set up on this deployment (no STRIPE_SECRET_KEY), or plan changes need them. */
  BILLING_NOT_CONFIGURED: 'BILLING_NOT_CONFIGURED',
  /** Webhooks need WEBHOOKS_ENCRYPTION_KEY on this deployment. */
  WEBHOOKS_NOT_CONFIGURED: 'WEBHOOKS_NOT_CONFIGURED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA: 'UNSUPPORTED_MEDIA',
  INVALID_STATE: 'INVALID_STATE',
  /** A cookie-authenticated change sent from another site (cross-site request forgery). */
  CSRF_REFUSED: 'CSRF_REFUSED',
  /** A service the request needs (the collaboration server, the media pipeline) did not answer; retry later. */
  UNAVAILABLE: 'UNAVAILABLE',
  /** A review link past its expiry. */
  LINK_EXPIRED: 'LINK_EXPIRED',
  /** A review link its owner revoked. */
  LINK_REVOKED: 'LINK_REVOKED',
  INTERNAL: 'INTERNAL',
} as const
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

/** An error that carries a stable code; the API turns it into a TRPCError with the same code. */
export class CutroomError extends Error {
  override readonly name = 'CutroomError'
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message)
  }
}

export function exhaustiveSwitchError(value: never, property?: string): never {
  const shown = property ? (value as Record<string, unknown>)[property] : value
  throw new Error(`Unknown switch case ${String(shown)}`)
}
