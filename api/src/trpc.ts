import { CutroomError, ErrorCode, scrubMessage } from '@cutroom/schema'
import { SpanKind, withSpan } from '@cutroom/telemetry'
import { initTRPC } from '@trpc/server'
import { ZodError } from 'zod'
import { apiError, RateLimitedError, stableCodeOf, toTRPCError } from './apiError'
import type { Context } from './context'
import { findUnstorableText } from './findUnstorableText'

/** A readable one-line summary of input validation problems: "email: Invalid email address". */
function describeIssues(err: ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ')
}

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const zod = error.cause instanceof ZodError ? error.cause : null
    // Unexpected failures (a database error...) are logged by the server; their text is not for clients.
    const hidden = error.code === 'INTERNAL_SERVER_ERROR' && !(error.cause instanceof CutroomError)
    return {
      ...shape,
      // every message leaves scrubbed: one written by us can still quote a URL, a key or a path it was given
      message: zod
        ? scrubMessage(`Invalid input: ${describeIssues(zod)}`)
        : hidden
          ? 'Something went wrong on the server. Try again; if it keeps happening, contact support.'
          : scrubMessage(shape.message),
      data: {
        ...shape.data,
        /** The stable code from @cutroom/schema ErrorCode; clients branch on this. */
        code: stableCodeOf(error),
        trpcCode: shape.data.code,
        retryAfterSeconds: error.cause instanceof RateLimitedError ? error.cause.retryAfterSeconds : undefined,
        issues: zod
          ? zod.issues
              .slice(0, 20)
              .map((i) => ({ path: scrubMessage(i.path.join('.')), message: scrubMessage(i.message) }))
          : undefined,
        // tRPC adds the stack in development; no client ever gets one
        stack: undefined,
      },
    }
  },
})

export const router = t.router
export const middleware = t.middleware
export const createCallerFactory = t.createCallerFactory

/** Lets procedures throw a plain CutroomError: it leaves the API as a TRPCError with the same stable code. */
const stableErrors = t.middleware(async ({ next }) => {
  const result = await next()
  if (!result.ok && result.error.cause instanceof CutroomError && result.error.code === 'INTERNAL_SERVER_ERROR') {
    throw toTRPCError(result.error.cause)
  }
  return result
})

/**
 * Cross-site request forgery: a mutation a browser sent from another site, with the person's cookie, is refused
 * before it runs (SameSite=Lax already keeps the cookie off cross-site posts; this also covers other origins of
 * the same site, such as another port or a sibling subdomain). Bearer requests are never subject to it.
 */
const sameOriginMutations = t.middleware(({ ctx, type, next }) => {
  if (type === 'mutation' && ctx.crossSite) {
    throw apiError(
      ErrorCode.CSRF_REFUSED,
      `This request came from another site (${ctx.crossSite}) and was refused. Reload Cutroom and try again.`,
    )
  }
  return next()
})

/** Counts every call and times it, by procedure and outcome (the stable error code), for /metrics. */
const measured = t.middleware(({ ctx, path, type, next }) =>
  withSpan(`trpc ${path}`, { kind: SpanKind.SERVER, attributes: { 'rpc.system': 'trpc', 'rpc.method': path } }, async (span) => {
    const started = performance.now()
    const result = await next()
    const outcome = result.ok ? 'ok' : stableCodeOf(result.error)
    if (!result.ok) span.setAttribute('cutroom.error_code', outcome)
    // a bare context (tests of the error formatter) has no services
    ctx.services?.metrics?.record(path, type, outcome, (performance.now() - started) / 1000)
    return result
  }),
)

/** Text Postgres cannot store (U+0000, lone surrogates) is refused for every procedure, not a 500 from the database. */
const rejectNul = t.middleware(async ({ getRawInput, next }) => {
  // unreadable raw input is the input parser's to refuse (a procedure without input ignores it, as tRPC does)
  const raw = await getRawInput().catch(() => undefined)
  const at = findUnstorableText(raw)
  if (at !== null) {
    throw apiError(
      ErrorCode.BAD_INPUT,
      `Invalid input: ${at ? `${at}: ` : ''}text cannot contain the NUL character (\\u0000) or a lone surrogate.`,
    )
  }
  return next()
})

export const publicProcedure = t.procedure.use(measured).use(stableErrors).use(sameOriginMutations).use(rejectNul)

/** Any principal: a session or an API key. */
export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.principal) {
    throw apiError(
      ErrorCode.UNAUTHENTICATED,
      ctx.credentialRejected
        ? 'Your session or API key is invalid, expired or revoked. Sign in again or use a valid key.'
        : 'Sign in, or send an API key as `Authorization: Bearer crk_...`.',
    )
  }
  return next({ ctx: { ...ctx, principal: ctx.principal } })
})

/** Only a signed-in person: for things an API key must not do (change a password, create organizations). */
export const userProcedure = authedProcedure.use(({ ctx, next }) => {
  if (ctx.principal.kind !== 'user') {
    throw apiError(ErrorCode.FORBIDDEN_ROLE, 'API keys cannot do this; sign in as a person.')
  }
  return next({ ctx: { ...ctx, principal: ctx.principal } })
})
