import { sql } from 'drizzle-orm'
import { publicProcedure, router } from '../trpc'

export const systemRouter = router({
  /** Liveness of the API and its database, for clients that cannot reach /healthz. */
  ping: publicProcedure.query(async ({ ctx }) => {
    await ctx.services.db.execute(sql`select 1`)
    return { ok: true as const, at: new Date().toISOString() }
  }),
  /** What the browser needs to reach the other services. `collabUrl` null: use ws://<page host>:4001. */
  config: publicProcedure.query(({ ctx }) => ({ collabUrl: ctx.services.config.COLLAB_PUBLIC_URL ?? null })),
})
