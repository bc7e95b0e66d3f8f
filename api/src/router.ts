import { apiKeysRouter } from './routers/apiKeys'
import { assetsRouter } from './routers/assets'
import { auditRouter } from './routers/audit'
import { authRouter } from './routers/auth'
import { billingRouter } from './routers/billing'
import { brandKitsRouter } from './routers/brandKits'
import { clipsRouter } from './routers/clips'
import { documentsRouter } from './routers/documents'
import { exportsRouter } from './routers/exports'
import { jobsRouter } from './routers/jobs'
import { orgsRouter } from './routers/orgs'
import { projectsRouter } from './routers/projects'
import { qaRouter } from './routers/qa'
import { retellRouter } from './routers/retell'
import { reviewsRouter } from './routers/reviews'
import { systemRouter } from './routers/system'
import { webhooksRouter } from './routers/webhooks'
import { timelinesRouter } from './routers/timelines'
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
  timelines: timelinesRouter,
  brandKits: brandKitsRouter,
  clips: clipsRouter,
  retell: retellRouter,
  exports: exportsRouter,
})

export type AppRouter = typeof appRouter
