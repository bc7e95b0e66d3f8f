import { tables } from '@cutroom/schema'

/** What clients see of a job row (payload and creator stay server-side). */
export const jobColumns = {
  id: tables.jobs.id,
  projectId: tables.jobs.projectId,
  assetId: tables.jobs.assetId,
  kind: tables.jobs.kind,
  status: tables.jobs.status,
  attempt: tables.jobs.attempt,
  progress: tables.jobs.progress,
  result: tables.jobs.result,
  error: tables.jobs.error,
  createdAt: tables.jobs.createdAt,
  startedAt: tables.jobs.startedAt,
  finishedAt: tables.jobs.finishedAt,
}
