import type { AppRouter } from '@cutroom/api'
import type { ErrorCode } from '@cutroom/schema'
import {
  createTRPCClient,
  httpBatchLink,
  httpSubscriptionLink,
  splitLink,
  type TRPCClient,
  TRPCClientError,
} from '@trpc/client'

let onUnauthenticated: (() => void) | null = null

/** Registers what happens when the server says the session is gone (expired, revoked, signed out elsewhere). */
export function setUnauthenticatedHandler(handler: () => void) {
  onUnauthenticated = handler
}

/** Same-origin cookies; and an UNAUTHENTICATED answer anywhere in a (batched) response ends the session here. */
async function apiFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const res = await fetch(input, { ...init, credentials: 'same-origin' })
  if (res.status === 401 || res.status === 207) {
    const body = (await res
      .clone()
      .json()
      .catch(() => null)) as unknown
    const answers = Array.isArray(body) ? body : [body]
    const gone = answers.some(
      (a) => (a as { error?: { data?: { code?: string } } } | null)?.error?.data?.code === 'UNAUTHENTICATED',
    )
    if (gone) onUnauthenticated?.()
  }
  return res
}

/**
 * The browser's tRPC client. Same origin, so the HttpOnly session cookie rides along; no token is ever
 * visible to scripts on the page.
 */
export const api: TRPCClient<AppRouter> = createTRPCClient<AppRouter>({
  links: [
    // subscriptions (jobs.progress) arrive as server-sent events; EventSource sends the cookie on the same origin
    splitLink({
      condition: (op) => op.type === 'subscription',
      true: httpSubscriptionLink({ url: '/trpc' }),
      false: httpBatchLink({
        url: '/trpc',
        fetch: apiFetch,
      }),
    }),
  ],
})

/** The stable code of an API error (`error.data.code`), or null for anything else (network down...). */
export function apiErrorCode(error: unknown): ErrorCode | null {
  if (error instanceof TRPCClientError)
    return ((error.data as { code?: ErrorCode } | undefined)?.code ?? null) as ErrorCode | null
  return null
}

/** A sentence to show a person for any error. */
export function apiErrorMessage(error: unknown): string {
  if (error instanceof TRPCClientError) return error.message
  if (error instanceof TypeError) return 'The server cannot be reached. Check your connection and try again.'
  return error instanceof Error ? error.message : String(error)
}
