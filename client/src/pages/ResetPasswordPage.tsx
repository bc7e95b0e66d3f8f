import { createSignal, Show } from 'solid-js'
import { api, apiErrorMessage } from '../lib/api'
import { navigate, search } from '../lib/router'

/** Reached from the mailed link (`/reset-password?token=...`): choose a new password. */
export function ResetPasswordPage() {
  const token = new URLSearchParams(search()).get('token') ?? ''
  // The token leaves the address bar (and so the history) at once; it stays in memory for the form.
  if (token) navigate('/reset-password', { replace: true })
  const [password, setPassword] = createSignal('')
  const [done, setDone] = createSignal(false)
  const [error, setError] = createSignal<string | null>(
    token ? null : 'This reset link is incomplete. Ask for a new one.',
  )
  const [busy, setBusy] = createSignal(false)
  const submit = async (e: Event) => {
    e.preventDefault()
    setError(null)
    setBusy(true)
    try {
      await api.auth.passwordReset.complete.mutate({ token, password: password() })
      setDone(true)
    } catch (err) {
      setError(apiErrorMessage(err))
    } finally {
      setBusy(false)
    }
  }
  return (
    <main class="auth-page">
      <form class="auth-card panel" onSubmit={submit}>
        <h1>Choose a new password</h1>
        <Show
          when={!done()}
          fallback={
            <>
              <p class="ok" role="status">
                Your password is changed and every device was signed out.
              </p>
              <a href="/signin">Sign in</a>
            </>
          }
        >
          <label>
            New password
            <input
              name="password"
              type="password"
              autocomplete="new-password"
              required
              minLength={10}
              maxLength={256}
              value={password()}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          </label>
          <Show when={error()}>
            <p class="error" role="alert">
              {error()}
            </p>
          </Show>
          <button class="primary" type="submit" disabled={busy() || !token}>
            {busy() ? 'Saving…' : 'Set new password'}
          </button>
          <p class="muted">
            <a href="/forgot-password">Ask for a new link</a>
          </p>
        </Show>
      </form>
    </main>
  )
}
