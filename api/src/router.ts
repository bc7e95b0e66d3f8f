import { systemRouter } from './routers/system'
import { router } from './trpc'

/** The root router: one line per domain router. */
export const appRouter = router({
  system: systemRouter,
})

export type AppRouter = typeof appRouter
