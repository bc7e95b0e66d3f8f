import { sql } from 'drizzle-orm'
import { publicProcedure, router } from './trpc'

export const appRouter = router({
  system: router({
    /** Liveness of the API and its database, for clients that cannot reach /healthz. */
    ping: publicProcedure.query(async ({ ctx }) => {
      await ctx.services.db.execute(sql`select 1`)
      return { ok: true as const, at: new Date().toISOString() }
    }),
  }),
})

export type AppRouter = typeof appRouter
