/**
 * The API guide's example (docs/api.md): authenticate with an API key and list the projects of its
 * organization. Run it from the e2e folder:
 *
 *   CUTROOM_URL=http://localhost:4000 CUTROOM_API_KEY=crk_... node --import tsx src/api-example.ts
 */
import { createApiClient } from '@cutroom/api'
import { TRPCClientError } from '@trpc/client'

const url = process.env.CUTROOM_URL ?? 'http://localhost:4000'
const key = process.env.CUTROOM_API_KEY
if (!key) {
  console.error('Set CUTROOM_API_KEY to an API key (crk_<id>_<secret>), created under Organization > API keys.')
  process.exit(2)
}

const api = createApiClient({ url, token: key })
try {
  // An API key belongs to exactly one organization.
  const [org] = await api.orgs.list.query()
  console.log(`Organization: ${org!.name} (key role: ${org!.role})`)
  const projects = await api.projects.list.query({ orgId: org!.id })
  for (const p of projects) console.log(`- ${p.name}  ${p.id}  ${p.fpsNum}/${p.fpsDen} fps`)
  console.log(`${projects.length} project(s)`)
} catch (err) {
  // Every error carries a stable code in err.data.code (UNAUTHENTICATED, NOT_FOUND, RATE_LIMITED, ...).
  if (err instanceof TRPCClientError) console.error(`${err.data?.code}: ${err.message}`)
  else console.error(err)
  process.exit(1)
}
