import { ROLES, type Role, roleAtLeast } from '@cutroom/schema'
import { createResource, createSignal, For, Show } from 'solid-js'
import { api, apiErrorMessage } from '../lib/api'
import { currentOrg } from '../lib/session'

const when = (d: string | Date | null) => (d ? new Date(d).toLocaleString() : '—')

/** API keys of the current organization: create (the key is shown once), see last use, revoke. */
export function ApiKeysPage() {
  const [keys, { refetch }] = createResource(
    () => currentOrg()?.id,
    (orgId) => api.apiKeys.list.query({ orgId }),
  )
  const [name, setName] = createSignal('')
  const [role, setRole] = createSignal<Role>('editor')
  const [created, setCreated] = createSignal<string | null>(null)
  const [error, setError] = createSignal<string | null>(null)
  const grantable = () => ROLES.filter((r) => currentOrg() && roleAtLeast(currentOrg()!.role, r))

  const create = async (e: Event) => {
    e.preventDefault()
    setError(null)
    try {
      const result = await api.apiKeys.create.mutate({ orgId: currentOrg()!.id, name: name(), role: role() })
      setCreated(result.key)
      setName('')
      await refetch()
    } catch (err) {
      setError(apiErrorMessage(err))
    }
  }
  const revoke = async (id: string, label: string) => {
    if (!window.confirm(`Revoke “${label}”? Programs using it stop working at once.`)) return
    setError(null)
    try {
      await api.apiKeys.revoke.mutate({ id })
      await refetch()
    } catch (err) {
      setError(apiErrorMessage(err))
    }
  }

  return (
    <section class="page">
      <div class="page-head">
        <h1>API keys</h1>
        <span class="muted">{currentOrg()?.name} · keys act only inside this organization</span>
      </div>
      <form class="inline-form" onSubmit={create}>
        <input
          name="keyName"
          placeholder="Key name, e.g. Render farm"
          required
          maxLength={120}
          value={name()}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <select aria-label="Key role" value={role()} onChange={(e) => setRole(e.currentTarget.value as Role)}>
          <For each={grantable()}>{(r) => <option value={r}>{r}</option>}</For>
        </select>
        <button class="primary" type="submit">
          Create key
        </button>
      </form>
      <Show when={created()}>
        <div class="key-once panel" role="status">
          <strong>Copy this key now; it will not be shown again.</strong>
          <code class="mono" data-testid="new-api-key">
            {created()}
          </code>
          <div>
            <button type="button" class="small" onClick={() => void navigator.clipboard?.writeText(created()!)}>
              Copy
            </button>{' '}
            <button type="button" class="small ghost" onClick={() => setCreated(null)}>
              Done
            </button>
          </div>
        </div>
      </Show>
      <Show when={error() ?? (keys.error && apiErrorMessage(keys.error))}>
        <p class="error" role="alert">
          {error() ?? apiErrorMessage(keys.error)}
        </p>
      </Show>
      <table class="data-table" aria-label="API keys">
        <thead>
          <tr>
            <th>Name</th>
            <th>Id</th>
            <th>Role</th>
            <th>Created</th>
            <th>Last used</th>
            <th />
          </tr>
        </thead>
        <tbody>
          <For
            each={keys()}
            fallback={
              <tr>
                <td colSpan={6} class="muted">
                  No keys yet.
                </td>
              </tr>
            }
          >
            {(k) => (
              <tr classList={{ revoked: !!k.revokedAt }}>
                <td>{k.name}</td>
                <td class="mono small">crk_{k.id}_…</td>
                <td>
                  <span class="badge">{k.role}</span>
                </td>
                <td class="muted">{when(k.createdAt)}</td>
                <td class="muted">{when(k.lastUsedAt)}</td>
                <td class="actions">
                  <Show when={!k.revokedAt} fallback={<span class="muted">revoked {when(k.revokedAt)}</span>}>
                    <button type="button" class="small" onClick={() => void revoke(k.id, k.name)}>
                      Revoke
                    </button>
                  </Show>
                </td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </section>
  )
}
