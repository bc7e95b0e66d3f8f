import { forgetOfflineCopies } from './offlineStore'
import type { Role } from '@cutroom/schema'
import { createMemo, createRoot, createSignal } from 'solid-js'
import { api, setUnauthenticatedHandler } from './api'

export interface SessionUser {
  id: string
  email: string
  name: string
}
export interface OrgSummary {
  id: string
  name: string
  plan: string
  role: Role
}

const ORG_KEY = 'cutroom.orgId'

/**
 * The signed-in person and the selected organization, shared by every page and the workspace.
 * `user()` is undefined while loading, null when signed out.
 */
const state = createRoot(() => {
  const [user, setUser] = createSignal<SessionUser | null | undefined>(undefined)
  const [orgs, setOrgs] = createSignal<OrgSummary[]>([])
  const [selectedOrgId, setSelectedOrgId] = createSignal<string | null>(localStorage.getItem(ORG_KEY))
  const currentOrg = createMemo(() => {
    const list = orgs()
    return list.find((o) => o.id === selectedOrgId()) ?? list[0] ?? null
  })
  return { user, setUser, orgs, setOrgs, selectedOrgId, setSelectedOrgId, currentOrg }
})

// A request refused for a gone session signs the person out here too; the router then shows sign-in.
setUnauthenticatedHandler(() => {
  if (state.user()) {
    state.setUser(null)
    state.setOrgs([])
  }
})

export const currentUser = state.user
export const orgs = state.orgs
/** The organization the person is working in (the switcher's choice, else their first). */
export const currentOrg = state.currentOrg

export function selectOrg(orgId: string) {
  state.setSelectedOrgId(orgId)
  localStorage.setItem(ORG_KEY, orgId)
}

/** Reloads the organizations (after creating one, or a role change). */
export async function refreshOrgs() {
  state.setOrgs(state.user() ? await api.orgs.list.query() : [])
}

/** Asks the API who is signed in (the cookie decides) and loads their organizations. */
export async function loadSession() {
  const me = await api.auth.me.query()
  state.setUser(me?.kind === 'user' ? me.user : null)
  await refreshOrgs()
}

/** After sign-in or sign-up: the cookie is set by the response; remember the person. */
export async function sessionStarted(user: SessionUser) {
  state.setUser(user)
  await refreshOrgs()
}

export async function signOut() {
  const userId = state.user()?.id
  await api.auth.signOut.mutate()
  if (userId) void forgetOfflineCopies(userId)
  navigator.serviceWorker?.controller?.postMessage({ type: 'signed-out' })
  state.setUser(null)
  state.setOrgs([])
}
