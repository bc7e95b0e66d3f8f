import { createResource, For, Show } from 'solid-js'
import { api, apiErrorMessage } from '../lib/api'
import { createJobUpdates } from '../media'
import './exports.css'

const PRESET_LABEL: Record<string, string> = {
  '1080p': '1080p',
  '720p': '720p',
  'vertical-1080x1920': 'Vertical',
  'audio-wav': 'WAV',
}

/**
 * The project's exports, newest first: each a version of its timeline's export stack, with live progress while
 * it renders and its error when it failed. A finished export is an asset like any other, so it can be reviewed.
 */
export function ExportsPanel(props: { projectId: string }) {
  const [exports, { refetch }] = createResource(
    () => props.projectId,
    (projectId) => api.exports.list.query({ projectId }),
  )
  const { progress } = createJobUpdates(
    () => props.projectId,
    (u) => {
      // the export renders, then its version is probed and proxied (transcode) before it is ready to review
      if (u.kind === 'export' || u.kind === 'probe' || u.kind === 'transcode') void refetch()
    },
  )
  return (
    <section class="export-list" aria-label="Exports">
      <Show when={exports.error}>
        <p class="error">{apiErrorMessage(exports.error)}</p>
      </Show>
      <ul>
        <For each={exports() ?? []} fallback={<li class="muted small">No exports yet; export from a timeline.</li>}>
          {(e) => (
            <li data-testid="export-item" data-asset-id={e.assetId} data-status={e.status}>
              <span class="doc-name">{e.filename}</span>
              <span class="badge">v{e.version}</span>
              <span class="muted small">{PRESET_LABEL[e.preset] ?? e.preset}</span>
              <span class="muted small">
                {e.status === 'running' || e.status === 'queued'
                  ? `${e.status} ${Math.round((progress().get(e.jobId)?.progress ?? e.progress) * 100)}%`
                  : e.status === 'succeeded'
                    ? e.assetStatus === 'ready'
                      ? 'ready to review'
                      : 'finishing (proxies)'
                    : e.status}
              </span>
              <Show when={e.error}>
                <span class="error small">{e.error}</span>
              </Show>
            </li>
          )}
        </For>
      </ul>
    </section>
  )
}
