import { can, ROLES, type Role, roleAtLeast } from '@cutroom/schema'
import { createResource, createSignal, For, Show } from 'solid-js'
import { api, apiErrorMessage } from '../lib/api'
import { billingChanged } from '../lib/billingChanged'
import { navigate } from '../lib/router'
import { currentOrg, currentUser, refreshOrgs } from '../lib/session'

/** Members of the current organization; owners and admins add people by email, change roles, remove. */
export function MembersPage() {
  const [members, { refetch }] = createResource(
    () => currentOrg()?.id,
    (orgId) => api.orgs.members.list.query({ orgId }),
  )
  const [email, setEmail] = createSignal('')
  const [role, setRole] = createSignal<Role>('editor')
  const [error, setError] = createSignal<string | null>(null)
  const [busy, setBusy] = createSignal(false)
  const myRole = () => currentOrg()?.role
  const manages = () => {
    const r = myRole()
    return r ? can(r, 'org.manageMembers') : false
  }
  /** Roles the person may grant: up to their own, and owner only by an owner. */
  const grantable = () => ROLES.filter((r) => myRole() && roleAtLeast(myRole()!, r))
  /** Owners' rows are changed only by owners. */
  const editable = (memberRole: Role) => manages() && (memberRole !== 'owner' || myRole() === 'owner')

  const run = async (action: () => Promise<unknown>) => {
    setError(null)
    setBusy(true)
    try {
      await action()
      await refetch()
      await refreshOrgs()
    } catch (err) {
      setError(apiErrorMessage(err))
      await refetch()
    } finally {
      setBusy(false)
      billingChanged()
    }
  }
  const add = (e: Event) => {
    e.preventDefault()
    const orgId = currentOrg()!.id
    void run(async () => {
      await api.orgs.members.add.mutate({ orgId, email: email(), role: role() })
      setEmail('')
    })
  }
  const remove = (userId: string, label: string) => {
    const self = userId === currentUser()?.id
    if (!window.confirm(self ? 'Leave this organization?' : `Remove ${label} from this organization?`)) return
    const orgId = currentOrg()!.id
    void run(async () => {
      await api.orgs.members.remove.mutate({ orgId, userId })
      if (self) navigate('/')
    })
  }

  return (
    <section class="page">
      <div class="page-head">
        <h1>Members</h1>
        <span class="muted">{currentOrg()?.name}</span>
      </div>
      <Show when={manages()}>
        <form class="inline-form" onSubmit={add}>
          <input
            name="memberEmail"
            type="email"
            placeholder="Email of someone with a Cutroom account"
            required
            maxLength={254}
            value={email()}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
          <select
            name="memberRole"
            aria-label="Role"
            value={role()}
            onChange={(e) => setRole(e.currentTarget.value as Role)}
          >
            <For each={grantable()}>{(r) => <option value={r}>{r}</option>}</For>
          </select>
          <button class="primary" type="submit" disabled={busy()}>
            Add member
          </button>
        </form>
      </Show>
      <Show when={error()}>
        <p class="error" role="alert">
          {error()}
        </p>
      </Show>
      <table class="data-table" aria-label="Members">
        <thead>
          <tr>
            <th>Name</th>
            <th>Email</th>
            <th>Role</th>
            <th />
          </tr>
        </thead>
        <tbody>
          <For each={members()}>
            {(m) => (
              <tr data-email={m.email}>
                <td>
                  {m.name}
                  <Show when={m.userId === currentUser()?.id}>
                    <span class="muted"> (you)</span>
                  </Show>
                </td>
                <td class="muted">{m.email}</td>
                <td>
                  <Show when={editable(m.role)} fallback={<span class="badge">{m.role}</span>}>
                    <select
                      aria-label={`Role of ${m.email}`}
                      value={m.role}
                      disabled={busy()}
                      onChange={(e) => {
                        const next = e.currentTarget.value as Role
                        void run(() =>
                          api.orgs.members.setRole.mutate({ orgId: currentOrg()!.id, userId: m.userId, role: next }),
                        )
                      }}
                    >
                      <For each={grantable()}>{(r) => <option value={r}>{r}</option>}</For>
                    </select>
                  </Show>
                </td>
                <td class="actions">
                  <Show when={editable(m.role) || m.userId === currentUser()?.id}>
                    <button type="button" class="small" disabled={busy()} onClick={() => remove(m.userId, m.email)}>
                      {m.userId === currentUser()?.id ? 'Leave' : 'Remove'}
                    </button>
                  </Show>
                </td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
      <Show when={members.error}>
        <p class="error" role="alert">
          {apiErrorMessage(members.error)}
        </p>
      </Show>
    </section>
  )
}
