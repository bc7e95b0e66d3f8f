import { CutroomError, ErrorCode } from '@cutroom/schema'
import { TRPCError } from '@trpc/server'

type TRPCCode = ConstructorParameters<typeof TRPCError>[0]['code']

/** The tRPC (and so HTTP) status each stable error code travels with. */
const TRPC_CODE: Record<ErrorCode, TRPCCode> = {
  UNAUTHENTICATED: 'UNAUTHORIZED',
  FORBIDDEN_ROLE: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  BAD_INPUT: 'BAD_REQUEST',
  CONFLICT: 'CONFLICT',
  EMAIL_TAKEN: 'CONFLICT',
  WEAK_PASSWORD: 'BAD_REQUEST',
  INVALID_CREDENTIALS: 'UNAUTHORIZED',
  LAST_OWNER: 'CONFLICT',
  RATE_LIMITED: 'TOO_MANY_REQUESTS',
  QUOTA_EXCEEDED: 'PAYMENT_REQUIRED',
  BILLING_NOT_CONFIGURED: 'PRECONDITION_FAILED',
  WEBHOOKS_NOT_CONFIGURED: 'PRECONDITION_FAILED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA: 'UNSUPPORTED_MEDIA_TYPE',
  INVALID_STATE: 'PRECONDITION_FAILED',
  CSRF_REFUSED: 'FORBIDDEN',
  UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  LINK_EXPIRED: 'FORBIDDEN',
  LINK_REVOKED: 'FORBIDDEN',
  INTERNAL: 'INTERNAL_SERVER_ERROR',
}

/** The stable code for a tRPC error that was raised without one (input validation, unknown procedure...). */
const FALLBACK_CODE: Partial<Record<TRPCCode, ErrorCode>> = {
  BAD_REQUEST: 'BAD_INPUT',
  PARSE_ERROR: 'BAD_INPUT',
  UNAUTHORIZED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN_ROLE',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  TOO_MANY_REQUESTS: 'RATE_LIMITED',
  METHOD_NOT_SUPPORTED: 'BAD_INPUT',
  SERVICE_UNAVAILABLE: 'UNAVAILABLE',
}

/** A CutroomError that also tells the client when to try again. */
export class RateLimitedError extends CutroomError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(ErrorCode.RATE_LIMITED, message)
  }
}

/** The TRPCError for a stable code; the code travels in `cause` and reaches clients as `error.data.code`. */
export function apiError(code: ErrorCode, message: string): TRPCError {
  return toTRPCError(new CutroomError(code, message))
}

export function toTRPCError(err: CutroomError): TRPCError {
  return new TRPCError({ code: TRPC_CODE[err.code], message: err.message, cause: err })
}

/** The stable code of any error a procedure produced. */
export function stableCodeOf(error: TRPCError): ErrorCode {
  if (error.cause instanceof CutroomError) return error.cause.code
  return FALLBACK_CODE[error.code] ?? ErrorCode.INTERNAL
}
