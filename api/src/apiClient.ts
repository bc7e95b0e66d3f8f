import { createTRPCClient, httpBatchLink, httpLink, splitLink } from '@trpc/client'
import type { AppRouter } from './router'

export interface ApiClientOptions {
  /** The api's base URL, e.g. `http://localhost:4000` (a trailing `/trpc` is accepted too). */
  url: string
  /** A session token (from auth.signIn) or an API key `crk_<id>_<secret>`. */
  token?: string
  /** A fetch implementation, when the global one is not wanted. */
  fetch?: typeof fetch
}

/**
 * A typed client for scripts and services. Plain JSON, batched. Pass an idempotency key per call as
 * `client.projects.create.mutate(input, { context: { idempotencyKey: 'unique-id' } })`; such calls go
 * unbatched so the key travels as the `Idempotency-Key` header of their own request.
 */
export function createApiClient(options: ApiClientOptions) {
  const base = options.url.replace(/\/+$/, '')
  const url = base.endsWith('/trpc') ? base : `${base}/trpc`
  const auth: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {}
  const fetchImpl = options.fetch
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => typeof op.context.idempotencyKey === 'string',
        true: httpLink({
          url,
          fetch: fetchImpl,
          headers: ({ op }) => ({ ...auth, 'idempotency-key': String(op.context.idempotencyKey) }),
        }),
        false: httpBatchLink({ url, fetch: fetchImpl, headers: () => auth }),
      }),
    ],
  })
}

export type ApiClient = ReturnType<typeof createApiClient>
