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
  /** Set once the password was right for an account with two-factor sign-in: the code step follows. */
  const [challenge, setChallenge] = createSignal<string | null>(null)
  const submit = async (e: Event) => {
    e.preventDefault()
    setError(null)
    setBusy(true)
    try {
      const result = await api.auth.signIn.mutate({ email: email(), password: password() })
      if (result.twoFactorRequired) {
        setPassword('')
        setChallenge(result.challenge)
        return
      }
      await sessionStarted(result.user)
      navigate(nextPath(), { replace: true })
    } catch (err) {
      setError(apiErrorMessage(err))
    } finally {
      setBusy(false)
    }
  }
  return (
    <main class="auth-page">
      <Show when={challenge()} fallback={passwordStep()}>
        {(c) => <TwoFactorStep challenge={c()} onRestart={() => setChallenge(null)} />}
      </Show>
    </main>
  )

  function passwordStep() {
    return (
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
          <a href="/forgot-password">Forgot password?</a>
        </p>
        <p class="muted">
          New here? <a href={`/signup${search()}`}>Create an account</a>
        </p>
      </form>
    )
  }
}

/** The second step: a code from the authenticator app, or one of the recovery codes. */
function TwoFactorStep(props: { challenge: string; onRestart: () => void }) {
  const [useRecovery, setUseRecovery] = createSignal(false)
  const [code, setCode] = createSignal('')
  const [error, setError] = createSignal<string | null>(null)
  const [busy, setBusy] = createSignal(false)
  const submit = async (e: Event) => {
    e.preventDefault()
    setError(null)
    setBusy(true)
    try {
      const value = code().trim()
      const { user } = await api.auth.signIn2fa.mutate(
        useRecovery()
          ? { challenge: props.challenge, recoveryCode: value }
          : { challenge: props.challenge, code: value.replace(/\s/g, '') },
      )
      await sessionStarted(user)
      navigate(nextPath(), { replace: true })
    } catch (err) {
      setError(apiErrorMessage(err))
      setCode('')
    } finally {
      setBusy(false)
    }
  }
  return (
    <form class="auth-card panel" onSubmit={submit}>
      <h1>Two-factor sign-in</h1>
      <label>
        {useRecovery() ? 'Recovery code' : 'Code from your authenticator app'}
        <input
          name={useRecovery() ? 'recoveryCode' : 'code'}
          autocomplete="one-time-code"
          inputMode={useRecovery() ? 'text' : 'numeric'}
          required
          maxLength={useRecovery() ? 64 : 8}
          value={code()}
          onInput={(e) => setCode(e.currentTarget.value)}
          autofocus
        />
      </label>
      <Show when={error()}>
        <p class="error" role="alert">
          {error()}
        </p>
      </Show>
      <button class="primary" type="submit" disabled={busy()}>
        {busy() ? 'Checking…' : 'Verify'}
      </button>
      <p class="muted">
        <button
          type="button"
          class="link"
          onClick={() => {
            setUseRecovery(!useRecovery())
            setCode('')
            setError(null)
          }}
        >
          {useRecovery() ? 'Use a code from the app instead' : 'Use a recovery code instead'}
        </button>
        {' · '}
        <button type="button" class="link" onClick={() => props.onRestart()}>
          Start over
        </button>
      </p>
    </form>
  )
}
