import { can } from '@cutroom/schema'
import { createResource, For, Show } from 'solid-js'
import { api } from '../lib/api'
import { billingVersion } from '../lib/billingChanged'
import { pathname } from '../lib/router'
import { currentOrg } from '../lib/session'

const LABEL: Record<string, string> = { media_minutes: 'media minutes', storage_bytes: 'storage', seats: 'seats' }

/** Owners and admins see when a limit of the plan is at 80% or used up, on every page of the app shell. */
export function QuotaBanner() {
  const [billing] = createResource(
    () => {
      const org = currentOrg()
      // read again on navigation and after a change of members, uploads or plan, so a threshold crossed shows
      // without a reload
      return org && can(org.role, 'org.readBilling') ? `${org.id}|${pathname()}|${billingVersion()}` : null
    },
    (key) => api.billing.get.query({ orgId: key.split('|')[0]! }).catch(() => null),
  )
  const warnings = () => billing()?.warnings ?? []
  return (
    <Show when={warnings().length > 0}>
      <div class="quota-banner" role="status">
        <For each={warnings()}>
          {(w) => (
            <span>
              {w.threshold >= 100 ? 'Used up' : `${w.threshold}% used`}: {LABEL[w.metric] ?? w.metric} on the{' '}
              {billing()!.plan.label} plan.{' '}
            </span>
          )}
        </For>
        <a href="/settings/billing">See usage and upgrade</a>
      </div>
    </Show>
  )
}
