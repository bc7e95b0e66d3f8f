import { apiKeysRouter } from './routers/apiKeys'
import { assetsRouter } from './routers/assets'
import { auditRouter } from './routers/audit'
import { authRouter } from './routers/auth'
import { billingRouter } from './routers/billing'
import { documentsRouter } from './routers/documents'
import { exportsRouter } from './routers/exports'
import { jobsRouter } from './routers/jobs'
import { orgsRouter } from './routers/orgs'
import { projectsRouter } from './routers/projects'
import { qaRouter } from './routers/qa'
import { reviewsRouter } from './routers/reviews'
import { systemRouter } from './routers/system'
import { webhooksRouter } from './routers/webhooks'
import { transcriptsRouter } from './routers/transcripts'
import { router } from './trpc'

/** The root router: one line per domain router. */
export const appRouter = router({
  system: systemRouter,
  auth: authRouter,
  orgs: orgsRouter,
  apiKeys: apiKeysRouter,
  projects: projectsRouter,
  documents: documentsRouter,
  audit: auditRouter,
  assets: assetsRouter,
  jobs: jobsRouter,
  reviews: reviewsRouter,
  qa: qaRouter,
  billing: billingRouter,
  webhooks: webhooksRouter,
  transcripts: transcriptsRouter,
  exports: exportsRouter,
})

export type AppRouter = typeof appRouter
