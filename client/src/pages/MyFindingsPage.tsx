import { createResource, For, Show } from 'solid-js'
import { api, apiErrorMessage } from '../lib/api'
import { currentOrg } from '../lib/session'

const STATUS_LABEL: Record<string, string> = {
  open: 'Open',
  in_progress: 'In progress',
  ready_for_review: 'Ready for review',
  changes_requested: 'Changes requested',
  blocked: 'Blocked',
}

/** The person's assigned findings across the organization's projects, overdue first (`qa.myFindings`). */
export function MyFindingsPage() {
  const [rows] = createResource(
    () => currentOrg()?.id,
    (orgId) => api.qa.myFindings.query({ orgId }),
  )
  return (
    <section class="page my-findings">
      <h1>My findings</h1>
      <p class="muted">Findings assigned to you in {currentOrg()?.name}, overdue first.</p>
      <Show when={rows.error}>
        <p role="alert" class="error">
          {apiErrorMessage(rows.error)}
        </p>
      </Show>
      <Show when={rows()}>
        {(list) => (
          <Show when={list().length > 0} fallback={<p class="muted">Nothing is assigned to you.</p>}>
            <table>
              <thead>
                <tr>
                  <th>Finding</th>
                  <th>Severity</th>
                  <th>Status</th>
                  <th>Due</th>
                  <th>Review</th>
                  <th>Project</th>
                </tr>
              </thead>
              <tbody>
                <For each={list()}>
                  {(f) => (
                    <tr classList={{ overdue: f.overdue }} data-finding-id={f.findingId}>
                      <td>
                        <a
                          href={`/projects/${f.projectId}/reviews/${f.reviewId}?frame=${f.frame}&finding=${encodeURIComponent(f.findingId)}`}
                        >
                          {f.title}
                        </a>
                      </td>
                      <td>{f.severity}</td>
                      <td>{STATUS_LABEL[f.status] ?? f.status}</td>
                      <td>
                        <Show when={f.due} fallback={<span class="muted">—</span>}>
                          {f.overdue ? <strong>Overdue {f.due}</strong> : f.due}
                        </Show>
                      </td>
                      <td>{f.reviewTitle}</td>
                      <td>{f.projectName}</td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </Show>
        )}
      </Show>
    </section>
  )
}
