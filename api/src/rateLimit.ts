import { sql } from 'drizzle-orm'
import { RateLimitedError } from './apiError'
import type { Context } from './context'
import type { Db } from './db'
import type { ApiServices } from './services'
import { principalKey } from './principal'
import { middleware } from './trpc'

/**
 * Counts one event in a fixed window shared by every api replica (Postgres `rate_limits`) and throws
 * RATE_LIMITED once `baseLimit` (times RATE_LIMIT_MULTIPLIER) events happened in the current window.
 */
export async function consumeRateLimit(
  services: ApiServices,
  bucket: string,
  baseLimit: number,
  windowSeconds: number,
  what: string,
): Promise<void> {
  const limit = Math.max(1, Math.round(baseLimit * services.config.RATE_LIMIT_MULTIPLIER))
  const rows = await services.db.execute<{ count: number; window_start: Date | string }>(sql`
    insert into rate_limits (bucket, count, window_start) values (${bucket}, 1, now())
    on conflict (bucket) do update set
      count = case when rate_limits.window_start <= now() - make_interval(secs => ${windowSeconds}) then 1
                   else rate_limits.count + 1 end,
      window_start = case when rate_limits.window_start <= now() - make_interval(secs => ${windowSeconds}) then now()
                   else rate_limits.window_start end
    returning count, window_start`)
  const row = rows[0]
  if (!row || row.count <= limit) return
  const endsAt = new Date(row.window_start).getTime() + windowSeconds * 1000
  const retryAfterSeconds = Math.max(1, Math.ceil((endsAt - Date.now()) / 1000))
  throw new RateLimitedError(`Too many ${what}. Try again in ${retryAfterSeconds} seconds.`, retryAfterSeconds)
}

/** Forgets a bucket (a successful sign-in clears the per-account failure count). */
export async function resetRateLimit(db: Db, bucket: string): Promise<void> {
  await db.execute(sql`delete from rate_limits where bucket = ${bucket}`)
}

/** Sends `Retry-After` with a RATE_LIMITED error so HTTP clients can back off. */
export async function withRetryAfter<T>(ctx: Pick<Context, 'setHeader'>, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (err) {
    if (err instanceof RateLimitedError) ctx.setHeader('retry-after', String(err.retryAfterSeconds))
    throw err
  }
}

/**
 * How many calls of one kind an address may make, as a multiple of one principal's limit: an office behind one
 * NAT is several people, but one address cannot spread unbounded work over many accounts or keys.
 */
export const ADDRESS_LIMIT_FACTOR = 5

/** The bucket of a client address (`unknown` when the transport gave none). */
export function addressBucket(name: string, ip: string | null): string {
  return `${name}:ip:${ip ?? 'unknown'}`
}

/**
 * A middleware for rate-limited procedures. Every call counts twice: against the caller's principal (person or API
 * key; at most `limit` per window, whatever addresses it comes from) and against the client address (at most
 * `perAddress`, default `limit * ADDRESS_LIMIT_FACTOR`, whichever accounts or keys it uses). Anonymous calls count
 * only against their address, at `limit`; procedures with a target account (sign-up) count it themselves.
 */
export function rateLimit(
  name: string,
  limit: number,
  windowSeconds: number,
  { perAddress = limit * ADDRESS_LIMIT_FACTOR }: { perAddress?: number } = {},
) {
  return middleware(async ({ ctx, next }) => {
    const principal = ctx.principal
    await withRetryAfter(ctx, async () => {
      if (principal) {
        await consumeRateLimit(
          ctx.services,
          `${name}:${principalKey(principal)}`,
          limit,
          windowSeconds,
          `requests of this kind (${name})`,
        )
      }
      await consumeRateLimit(
        ctx.services,
        addressBucket(name, ctx.ip),
        principal ? perAddress : limit,
        windowSeconds,
        `requests of this kind from your address (${name})`,
      )
    })
    return next()
  })
}
