import { createSignal, Show } from 'solid-js'
import { api, apiErrorMessage } from '../lib/api'

/** "Forgot password?": asks for the email and sends a reset link (the answer never tells if the account exists). */
export function ForgotPasswordPage() {
  const [email, setEmail] = createSignal('')
  const [sent, setSent] = createSignal<string | null>(null)
  const [error, setError] = createSignal<string | null>(null)
  const [busy, setBusy] = createSignal(false)
  const submit = async (e: Event) => {
    e.preventDefault()
    setError(null)
    setBusy(true)
    try {
      const { message } = await api.auth.passwordReset.request.mutate({ email: email() })
      setSent(message)
    } catch (err) {
      setError(apiErrorMessage(err))
    } finally {
      setBusy(false)
    }
  }
  return (
    <main class="auth-page">
      <form class="auth-card panel" onSubmit={submit}>
        <h1>Reset your password</h1>
        <Show
          when={sent()}
          fallback={
            <>
              <p class="muted">Enter the email of your account; we send a link to choose a new password.</p>
              <label>
                Email
                <input
                  name="email"
                  type="email"
                  autocomplete="email"
                  required
                  maxLength={254}
                  value={email()}
                  onInput={(e) => setEmail(e.currentTarget.value)}
                />
              </label>
              <Show when={error()}>
                <p class="error" role="alert">
                  {error()}
                </p>
              </Show>
              <button class="primary" type="submit" disabled={busy()}>
                {busy() ? 'Sending…' : 'Send reset link'}
              </button>
            </>
          }
        >
          <p class="ok" role="status">
            {sent()}
          </p>
        </Show>
        <p class="muted">
          <a href="/signin">Back to sign in</a>
        </p>
      </form>
    </main>
  )
}
