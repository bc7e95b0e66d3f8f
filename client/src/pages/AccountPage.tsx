import { createSignal, Show } from 'solid-js'
import { api, apiErrorMessage } from '../lib/api'
import { currentUser } from '../lib/session'
import { SessionsSection } from './SessionsSection'
import { TwoFactorSection } from './TwoFactorSection'

/** The person's account: password, two-factor sign-in and the sessions where they are signed in. */
export function AccountPage() {
  const [current, setCurrent] = createSignal('')
  const [next, setNext] = createSignal('')
  const [message, setMessage] = createSignal<{ ok: boolean; text: string } | null>(null)
  const submit = async (e: Event) => {
    e.preventDefault()
    setMessage(null)
    try {
      await api.auth.changePassword.mutate({ currentPassword: current(), newPassword: next() })
      setCurrent('')
      setNext('')
      setMessage({ ok: true, text: 'Password changed. Every other device has been signed out.' })
    } catch (err) {
      setMessage({ ok: false, text: apiErrorMessage(err) })
    }
  }
  return (
    <section class="page narrow">
      <div class="page-head">
        <h1>Account</h1>
        <span class="muted">
          {currentUser()?.name} · {currentUser()?.email}
        </span>
      </div>
      <form class="stacked-form panel" onSubmit={submit}>
        <h2>Change password</h2>
        <label>
          Current password
          <input
            type="password"
            autocomplete="current-password"
            required
            maxLength={256}
            value={current()}
            onInput={(e) => setCurrent(e.currentTarget.value)}
          />
        </label>
        <label>
          New password
          <input
            type="password"
            autocomplete="new-password"
            required
            minLength={10}
            maxLength={256}
            value={next()}
            onInput={(e) => setNext(e.currentTarget.value)}
          />
        </label>
        <Show when={message()}>
          {(m) => (
            <p class={m().ok ? 'ok' : 'error'} role="alert">
              {m().text}
            </p>
          )}
        </Show>
        <button class="primary" type="submit">
          Change password
        </button>
      </form>
      <TwoFactorSection />
      <SessionsSection />
    </section>
  )
}
