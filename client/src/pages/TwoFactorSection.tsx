import { createResource, createSignal, For, Show } from 'solid-js'
import { api, apiErrorMessage } from '../lib/api'

/** Two-factor sign-in on the account page: set up with an authenticator app, recovery codes, turn off. */
export function TwoFactorSection() {
  const [status, { refetch }] = createResource(() => api.auth.totp.status.query())
  const [enrollment, setEnrollment] = createSignal<{ secret: string; uri: string } | null>(null)
  const [codes, setCodes] = createSignal<string[] | null>(null)
  const [code, setCode] = createSignal('')
  const [message, setMessage] = createSignal<{ ok: boolean; text: string } | null>(null)

  const run = async (action: () => Promise<void>) => {
    setMessage(null)
    try {
      await action()
    } catch (err) {
      setMessage({ ok: false, text: apiErrorMessage(err) })
    }
  }
  const startSetup = () =>
    run(async () => {
      setEnrollment(await api.auth.totp.setup.mutate())
      setCode('')
    })
  const confirm = (e: Event) => {
    e.preventDefault()
    return run(async () => {
      const { recoveryCodes } = await api.auth.totp.enable.mutate({ code: code().replace(/\s/g, '') })
      setEnrollment(null)
      setCode('')
      setCodes(recoveryCodes)
      setMessage({ ok: true, text: 'Two-factor sign-in is on.' })
      await refetch()
    })
  }
  const proof = () => {
    const value = code().replace(/\s/g, '')
    return /^\d{6}$/.test(value) ? { code: value } : { password: code() }
  }
  const disable = (e: Event) => {
    e.preventDefault()
    return run(async () => {
      await api.auth.totp.disable.mutate(proof())
      setCode('')
      setCodes(null)
      setMessage({ ok: true, text: 'Two-factor sign-in is off.' })
      await refetch()
    })
  }
  const regenerate = () =>
    run(async () => {
      const { recoveryCodes } = await api.auth.recoveryCodes.regenerate.mutate(proof())
      setCode('')
      setCodes(recoveryCodes)
      await refetch()
    })

  return (
    <section class="stacked-form panel" aria-label="Two-factor sign-in">
      <h2>Two-factor sign-in</h2>
      <Show when={codes()}>
        {(list) => (
          <div class="key-once panel" role="status" data-testid="recovery-codes">
            <strong>Save these recovery codes now; they will not be shown again.</strong>
            <span class="muted">Each works once, when you cannot use your authenticator app.</span>
            <ul class="recovery-codes mono">
              <For each={list()}>{(c) => <li>{c}</li>}</For>
            </ul>
            <div>
              <button
                type="button"
                class="small"
                onClick={() => void navigator.clipboard?.writeText(list().join('\n'))}
              >
                Copy
              </button>{' '}
              <button type="button" class="small ghost" onClick={() => setCodes(null)}>
                Done
              </button>
            </div>
          </div>
        )}
      </Show>
      <Show when={status()}>
        {(s) => (
          <Show
            when={s().enabled}
            fallback={
              <Show
                when={enrollment()}
                fallback={
                  <>
                    <p class="muted">
                      Off. With it on, signing in also asks for a code from an authenticator app on your phone.
                    </p>
                    <button type="button" class="primary" onClick={() => void startSetup()}>
                      Set up two-factor sign-in
                    </button>
                  </>
                }
              >
                {(en) => (
                  <form class="stacked-form" onSubmit={confirm}>
                    <p>
                      Add this key to your authenticator app (type it in, or open the link on your phone), then enter
                      the 6-digit code it shows.
                    </p>
                    <code class="mono totp-secret" data-testid="totp-secret">
                      {en()
                        .secret.match(/.{1,4}/g)
                        ?.join(' ')}
                    </code>
                    <a class="small" href={en().uri} data-testid="totp-uri">
                      Open in an authenticator app
                    </a>
                    <label>
                      Code
                      <input
                        name="totp-code"
                        autocomplete="one-time-code"
                        inputMode="numeric"
                        required
                        maxLength={8}
                        value={code()}
                        onInput={(e) => setCode(e.currentTarget.value)}
                      />
                    </label>
                    <div>
                      <button class="primary" type="submit">
                        Turn on
                      </button>{' '}
                      <button type="button" class="ghost" onClick={() => setEnrollment(null)}>
                        Cancel
                      </button>
                    </div>
                  </form>
                )}
              </Show>
            }
          >
            <form class="stacked-form" onSubmit={disable}>
              <p>
                <span class="badge">On</span> since {new Date(s().enabledAt!).toLocaleDateString()} ·{' '}
                <span data-testid="recovery-codes-left">{s().recoveryCodesLeft}</span> recovery codes left
              </p>
              <label>
                A current code or your password
                <input
                  name="totp-proof"
                  type="password"
                  autocomplete="current-password"
                  required
                  maxLength={256}
                  value={code()}
                  onInput={(e) => setCode(e.currentTarget.value)}
                />
              </label>
              <div>
                <button type="button" onClick={() => void regenerate()}>
                  New recovery codes
                </button>{' '}
                <button type="submit" class="danger">
                  Turn off
                </button>
              </div>
            </form>
          </Show>
        )}
      </Show>
      <Show when={message()}>
        {(m) => (
          <p class={m().ok ? 'ok' : 'error'} role="alert">
            {m().text}
          </p>
        )}
      </Show>
    </section>
  )
}
