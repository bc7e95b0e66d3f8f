import { For, Show } from 'solid-js'
import type { UploadQueue } from './createUploadQueue'
import './media.css'

export function formatBytes(n: number): string {
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`
  return `${(n / 1024 ** 3).toFixed(2)} GB`
}

/** The uploads in progress, each with a progress bar, pause and resume. */
export function UploadList(props: { queue: UploadQueue }) {
  return (
    <ul class="upload-list">
      <For each={props.queue.uploads()}>
        {(u) => {
          const pct = () => (u.progress.totalBytes ? (u.progress.sentBytes / u.progress.totalBytes) * 100 : 0)
          return (
            <li class="upload-item" data-testid="upload-item">
              <div class="job-row">
                <span class="upload-name" title={u.file.name}>
                  {u.file.name}
                  <Show when={u.versionOf}>{(v) => <span class="muted small"> · new version of {v().name}</span>}</Show>
                </span>
                <span class="muted small">
                  {u.error
                    ? 'failed'
                    : u.paused
                      ? 'paused'
                      : u.progress.stage === 'completing'
                        ? 'finishing…'
                        : `${pct().toFixed(0)}%`}{' '}
                  · {formatBytes(u.progress.sentBytes)} / {formatBytes(u.progress.totalBytes)}
                </span>
                <Show
                  when={u.error || u.paused}
                  fallback={
                    <button type="button" class="ghost small" onClick={() => u.controller.abort()}>
                      Pause
                    </button>
                  }
                >
                  <button type="button" class="ghost small" onClick={() => props.queue.resume(u)}>
                    Resume
                  </button>
                </Show>
              </div>
              <div
                class="progress"
                role="progressbar"
                aria-valuemin={0}
                aria-valuemax={100}
                aria-valuenow={Math.round(pct())}
              >
                <div class="progress-fill" style={{ width: `${pct().toFixed(1)}%` }} />
              </div>
              <Show when={u.error}>
                <p class="job-error" role="alert">
                  {u.error}
                </p>
              </Show>
            </li>
          )
        }}
      </For>
    </ul>
  )
}
