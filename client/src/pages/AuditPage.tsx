import { createResource, For, Show } from 'solid-js'
import { api, apiErrorMessage } from '../lib/api'
import { currentOrg } from '../lib/session'

/** `role: editor · email: a@b.c` rather than raw JSON. */
function describeDetails(details: Record<string, unknown>): string {
  return Object.entries(details)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' · ')
}

/** The latest membership, role, API key and project changes of the current organization. */
export function AuditPage() {
  const [rows] = createResource(
    () => currentOrg()?.id,
    (orgId) => api.audit.list.query({ orgId, limit: 100 }),
  )
  return (
    <section class="page">
      <div class="page-head">
        <h1>Audit log</h1>
        <span class="muted">{currentOrg()?.name}</span>
      </div>
      <Show when={rows.error}>
        <p class="error" role="alert">
          {apiErrorMessage(rows.error)}
        </p>
      </Show>
      <table class="data-table" aria-label="Audit log">
        <thead>
          <tr>
            <th>When</th>
            <th>Who</th>
            <th>What</th>
            <th>Details</th>
          </tr>
        </thead>
        <tbody>
          <For each={rows()}>
            {(r) => (
              <tr>
                <td class="muted">{new Date(r.createdAt).toLocaleString()}</td>
                <td>{r.actorEmail ?? (r.actorApiKeyId ? `key ${r.actorApiKeyId}` : '—')}</td>
                <td class="mono small">{r.action}</td>
                <td class="muted small">{describeDetails(r.details)}</td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </section>
  )
}
