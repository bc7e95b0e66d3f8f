import { createSignal, Show } from 'solid-js'
import { api, apiErrorMessage } from '../lib/api'
import { navigate, search } from '../lib/router'
import { sessionStarted } from '../lib/session'
import { nextPath } from './SignInPage'

export function SignUpPage() {
  const [name, setName] = createSignal('')
  const [email, setEmail] = createSignal('')
  const [password, setPassword] = createSignal('')
  const [error, setError] = createSignal<string | null>(null)
  const [busy, setBusy] = createSignal(false)
  const submit = async (e: Event) => {
    e.preventDefault()
    setError(null)
    setBusy(true)
    try {
      const { user } = await api.auth.signUp.mutate({ name: name(), email: email(), password: password() })
      await sessionStarted(user)
      navigate(nextPath(), { replace: true })
    } catch (err) {
      setError(apiErrorMessage(err))
    } finally {
      setBusy(false)
    }
  }
  return (
    <main class="auth-page">
      <form class="auth-card panel" onSubmit={submit}>
        <h1>Create your Cutroom account</h1>
        <label>
          Name
          <input
            name="name"
            autocomplete="name"
            required
            maxLength={100}
            value={name()}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </label>
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
        <label>
          Password
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
          <span class="muted small">At least 10 characters, mixing letters with digits or symbols.</span>
        </label>
        <Show when={error()}>
          <p class="error" role="alert">
            {error()}
          </p>
        </Show>
        <button class="primary" type="submit" disabled={busy()}>
          {busy() ? 'Creating account…' : 'Create account'}
        </button>
        <p class="muted">
          Have an account? <a href={`/signin${search()}`}>Sign in</a>
        </p>
      </form>
    </main>
  )
}
