import { createResource, createSignal, For, Show } from 'solid-js'
import { api, apiErrorMessage } from '../lib/api'
import { createJobUpdates, type JobUpdate } from './createJobUpdates'
import './media.css'

const KIND_LABEL: Record<string, string> = {
  probe: 'Analyse',
  transcode: 'Proxy (HLS)',
  thumbnails: 'Filmstrip',
  waveform: 'Waveform',
}

/**
 * The project's jobs (or one asset's) with live progress bars, their errors (ffmpeg's own message when it
 * failed), and cancel / retry for editors.
 */
export function JobList(props: {
  projectId: string
  assetId?: string
  canDispatch?: boolean
  limit?: number
  /** Told each job's final status (the page refetches what the job changed, e.g. an asset's duration). */
  onFinished?: (update: Extract<JobUpdate, { type: 'status' }>) => void
}) {
  const [jobs, { refetch }] = createResource(
    () => ({ projectId: props.projectId, assetId: props.assetId, limit: props.limit ?? 50 }),
    (input) => api.jobs.list.query(input),
  )
  let pending: ReturnType<typeof setTimeout> | undefined
  const refetchSoon = () => {
    clearTimeout(pending)
    pending = setTimeout(() => void refetch(), 150)
  }
  const { progress } = createJobUpdates(
    () => props.projectId,
    (update) => {
      refetchSoon()
      if (update.final) props.onFinished?.(update)
    },
  )
  const [actionError, setActionError] = createSignal<string | null>(null)
  const act = async (f: () => Promise<unknown>) => {
    setActionError(null)
    try {
      await f()
      await refetch()
    } catch (err) {
      setActionError(apiErrorMessage(err))
    }
  }

  return (
    <section class="job-list" aria-label="Processing jobs">
      <Show when={actionError()}>
        <p class="job-error" role="alert">
          {actionError()}
        </p>
      </Show>
      <Show when={jobs.error}>
        <p class="job-error" role="alert">
          {apiErrorMessage(jobs.error)}
        </p>
      </Show>
      <Show when={(jobs() ?? []).length === 0 && !jobs.loading}>
        <p class="muted small">No processing jobs yet.</p>
      </Show>
      <ul>
        <For each={jobs() ?? []}>
          {(job) => {
            const live = () => progress().get(job.id)
            const fraction = () => (job.status === 'succeeded' ? 1 : (live()?.progress ?? job.progress))
            return (
              <li class={`job job-${job.status}`} data-testid="job" data-job-id={job.id} data-status={job.status}>
                <div class="job-row">
                  <span class="job-kind">{KIND_LABEL[job.kind] ?? job.kind}</span>
                  <span class="job-status">
                    {job.status}
                    <Show when={job.status === 'running' && live()?.stage}> · {live()?.stage}</Show>
                    <Show when={job.attempt > 1}> · attempt {job.attempt}</Show>
                  </span>
                  <Show when={props.canDispatch && (job.status === 'queued' || job.status === 'running')}>
                    <button
                      type="button"
                      class="ghost small"
                      onClick={() => act(() => api.jobs.cancel.mutate({ id: job.id }))}
                    >
                      Cancel
                    </button>
                  </Show>
                  <Show when={props.canDispatch && (job.status === 'failed' || job.status === 'cancelled')}>
                    <button
                      type="button"
                      class="ghost small"
                      onClick={() => act(() => api.jobs.retry.mutate({ id: job.id }))}
                    >
                      Retry
                    </button>
                  </Show>
                </div>
                <Show when={job.status === 'queued' || job.status === 'running'}>
                  <div
                    class="progress"
                    role="progressbar"
                    aria-valuemin={0}
                    aria-valuemax={100}
                    aria-valuenow={Math.round(fraction() * 100)}
                  >
                    <div class="progress-fill" style={{ width: `${(fraction() * 100).toFixed(1)}%` }} />
                  </div>
                </Show>
                <Show when={job.error}>
                  <pre class="job-error-text">{job.error}</pre>
                </Show>
              </li>
            )
          }}
        </For>
      </ul>
    </section>
  )
}
