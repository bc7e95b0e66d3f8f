import { type Accessor, createEffect, createSignal, onCleanup } from 'solid-js'
import { api } from '../lib/api'

export type JobUpdate =
  | { type: 'progress'; jobId: string; kind: string; progress: number; stage?: string }
  | { type: 'status'; jobId: string; kind: string; status: string; assetId?: string; error?: string; final: boolean }

/**
 * Live progress of a project's jobs from the `jobs.progress` subscription: the latest tick per job, and a
 * callback for status changes (to refetch lists). Resubscribes when the project changes; unsubscribes on cleanup.
 */
export function createJobUpdates(projectId: Accessor<string | null>, onStatus?: (u: Extract<JobUpdate, { type: 'status' }>) => void) {
  const [progress, setProgress] = createSignal<ReadonlyMap<string, { progress: number; stage?: string }>>(new Map())
  const [connected, setConnected] = createSignal(false)
  createEffect(() => {
    const id = projectId()
    if (!id) return
    const sub = api.jobs.progress.subscribe(
      { projectId: id },
      {
        onStarted: () => setConnected(true),
        onData: (update: JobUpdate) => {
          if (update.type === 'progress') {
            setProgress((prev) => new Map(prev).set(update.jobId, { progress: update.progress, stage: update.stage }))
          } else {
            if (update.final || update.status === 'succeeded') {
              setProgress((prev) => {
                const next = new Map(prev)
                next.delete(update.jobId)
                return next
              })
            }
            onStatus?.(update)
          }
        },
        onError: () => setConnected(false),
        onStopped: () => setConnected(false),
      },
    )
    onCleanup(() => sub.unsubscribe())
  })
  return { progress, connected }
}
