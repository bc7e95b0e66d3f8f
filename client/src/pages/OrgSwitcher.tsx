import { For } from 'solid-js'
import { navigate } from '../lib/router'
import { currentOrg, orgs, selectOrg } from '../lib/session'

const NEW = '__new__'

/** Picks the organization every page works in; the last choice is remembered in this browser. */
export function OrgSwitcher() {
  return (
    <select
      class="org-switcher"
      aria-label="Organization"
      value={currentOrg()?.id ?? NEW}
      onChange={(e) => {
        const value = e.currentTarget.value
        if (value === NEW) {
          e.currentTarget.value = currentOrg()?.id ?? NEW
          navigate('/orgs/new')
        } else {
          selectOrg(value)
          navigate('/')
        }
      }}
    >
      <For each={orgs()}>
        {(org) => (
          <option value={org.id}>
            {org.name} · {org.role}
          </option>
        )}
      </For>
      <option value={NEW}>+ New organization…</option>
    </select>
  )
}
