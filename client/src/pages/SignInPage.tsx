import { createSignal, Show } from 'solid-js'
import { api, apiErrorMessage } from '../lib/api'
import { navigate, search } from '../lib/router'
import { sessionStarted } from '../lib/session'

/** Where to go after signing in: the page that sent the person here, if it is one of ours. */
export function nextPath(): string {
  const next = new URLSearchParams(search()).get('next')
  return next?.startsWith('/') && !next.startsWith('//') ? next : '/'
}

export function SignInPage() {
  const [email, setEmail] = createSignal('')
  const [password, setPassword] = createSignal('')
  const [error, setError] = createSignal<string | null>(null)
  const [busy, setBusy] = createSignal(false)
  const submit = async (e: Event) => {
    e.preventDefault()
    setError(null)
    setBusy(true)
    try {
      const { user } = await api.auth.signIn.mutate({ email: email(), password: password() })
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
        <h1>Sign in to Cutroom</h1>
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
            autocomplete="current-password"
            required
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
        <button class="primary" type="submit" disabled={busy()}>
          {busy() ? 'Signing in…' : 'Sign in'}
        </button>
        <p class="muted">
          New here? <a href={`/signup${search()}`}>Create an account</a>
        </p>
      </form>
    </main>
  )
}
