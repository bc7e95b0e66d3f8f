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
          // `selected` on each option: a refreshed list (new objects) recreates the options, and the select's
          // value alone would then fall on whichever option was left
          <option value={org.id} selected={org.id === currentOrg()?.id}>
            {org.name} · {org.role}
          </option>
        )}
      </For>
      <option value={NEW} selected={!currentOrg()}>
        + New organization…
      </option>
    </select>
  )
}
