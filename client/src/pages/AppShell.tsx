import { can } from '@cutroom/schema'
import { type JSX, Show } from 'solid-js'
import { navigate, pathname } from '../lib/router'
import { currentOrg, currentUser, signOut } from '../lib/session'
import { OrgSwitcher } from './OrgSwitcher'
import { QuotaBanner } from './QuotaBanner'

/** The top bar around every signed-in page except the full-screen document workspace. */
export function AppShell(props: { children: JSX.Element }) {
  const manage = () => {
    const org = currentOrg()
    return org ? can(org.role, 'org.manageMembers') : false
  }
  const active = (path: string) => (pathname() === path ? 'active' : undefined)
  return (
    <div class="app-frame">
      <header class="top-bar">
        <a class="brand" href="/">
          Cutroom
        </a>
        <OrgSwitcher />
        <nav>
          <a href="/" class={active('/')}>
            Projects
          </a>
          <Show when={currentOrg()}>
            <a href="/my-findings" class={active('/my-findings')}>
              My findings
            </a>
            <a href="/settings/members" class={active('/settings/members')}>
              Members
            </a>
            <a href="/settings/brand-kits" class={active('/settings/brand-kits')}>
              Brand kits
            </a>
          </Show>
          <Show when={manage()}>
            <a href="/settings/api-keys" class={active('/settings/api-keys')}>
              API keys
            </a>
            <a href="/settings/audit" class={active('/settings/audit')}>
              Audit log
            </a>
            <a href="/settings/webhooks" class={active('/settings/webhooks')}>
              Webhooks
            </a>
            <a href="/settings/billing" class={active('/settings/billing')}>
              Billing
            </a>
          </Show>
        </nav>
        <span class="spacer" />
        <a href="/account" class="muted user-name" title={currentUser()?.email}>
          {currentUser()?.name}
        </a>
        <button
          type="button"
          class="ghost"
          onClick={async () => {
            await signOut()
            navigate('/signin', { replace: true })
          }}
        >
          Sign out
        </button>
      </header>
      <QuotaBanner />
      <div class="app-content">{props.children}</div>
    </div>
  )
}
