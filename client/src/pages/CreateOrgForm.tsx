import { createSignal, Show } from 'solid-js'
import { api, apiErrorMessage } from '../lib/api'
import { refreshOrgs, selectOrg } from '../lib/session'

/** Creates an organization owned by the person and switches to it. */
export function CreateOrgForm(props: { onCreated?: () => void }) {
  const [name, setName] = createSignal('')
  const [error, setError] = createSignal<string | null>(null)
  const [busy, setBusy] = createSignal(false)
  const submit = async (e: Event) => {
    e.preventDefault()
    setError(null)
    setBusy(true)
    try {
      const org = await api.orgs.create.mutate({ name: name() })
      await refreshOrgs()
      selectOrg(org.id)
      setName('')
      props.onCreated?.()
    } catch (err) {
      setError(apiErrorMessage(err))
    } finally {
      setBusy(false)
    }
  }
  return (
    <form class="inline-form" onSubmit={submit}>
      <input
        name="orgName"
        placeholder="Organization name, e.g. Northlight Films"
        required
        maxLength={120}
        value={name()}
        onInput={(e) => setName(e.currentTarget.value)}
      />
      <button class="primary" type="submit" disabled={busy()}>
        Create organization
      </button>
      <Show when={error()}>
        <p class="error" role="alert">
          {error()}
        </p>
      </Show>
    </form>
  )
}
