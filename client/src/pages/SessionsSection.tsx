import { createResource, For, Show, createSignal } from 'solid-js'
import { api, apiErrorMessage } from '../lib/api'

const when = (d: string | Date) => new Date(d).toLocaleString()

/** A short name for a browser from its user agent ("Chrome on Linux"); the full string is in the tooltip. */
function describeAgent(ua: string | null): string {
  if (!ua) return 'Unknown client'
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /Firefox\//.test(ua)
      ? 'Firefox'
      : /Chrom(e|ium)\//.test(ua)
        ? 'Chrome'
        : /Safari\//.test(ua)
          ? 'Safari'
          : ua.split(/[\s/]/)[0] || 'Unknown client'
  const os = /Windows/.test(ua)
    ? 'Windows'
    : /Android/.test(ua)
      ? 'Android'
      : /iPhone|iPad/.test(ua)
        ? 'iOS'
        : /Mac OS X/.test(ua)
          ? 'macOS'
          : /Linux/.test(ua)
            ? 'Linux'
            : null
  return os ? `${browser} on ${os}` : browser
}

/** Where the person is signed in, with per-session revoke and "Sign out other sessions". */
export function SessionsSection() {
  const [sessions, { refetch }] = createResource(() => api.auth.sessions.list.query())
  const [message, setMessage] = createSignal<{ ok: boolean; text: string } | null>(null)
  const act = async (action: () => Promise<string>) => {
    setMessage(null)
    try {
      setMessage({ ok: true, text: await action() })
    } catch (err) {
      setMessage({ ok: false, text: apiErrorMessage(err) })
    }
    await refetch()
  }
  const others = () => (sessions() ?? []).filter((s) => !s.current).length
  return (
    <section class="stacked-form panel" aria-label="Sessions">
      <div class="page-head">
        <h2>Sessions</h2>
        <button
          type="button"
          class="small"
          disabled={others() === 0}
          onClick={() =>
            void act(async () => {
              const { revoked } = await api.auth.sessions.revokeOthers.mutate()
              return `Signed out ${revoked} other session${revoked === 1 ? '' : 's'}.`
            })
          }
        >
          Sign out other sessions
        </button>
      </div>
      <table class="data-table" aria-label="Sessions">
        <thead>
          <tr>
            <th>Client</th>
            <th>Address</th>
            <th>Signed in</th>
            <th>Last seen</th>
            <th />
          </tr>
        </thead>
        <tbody>
          <For each={sessions() ?? []}>
            {(s) => (
              <tr data-session={s.current ? 'current' : 'other'}>
                <td title={s.userAgent ?? ''}>
                  {describeAgent(s.userAgent)} <Show when={s.current}>{<span class="badge">this session</span>}</Show>
                </td>
                <td class="mono small">{s.ip ?? '—'}</td>
                <td class="muted">{when(s.createdAt)}</td>
                <td class="muted">{when(s.lastSeenAt)}</td>
                <td class="actions">
                  <Show when={!s.current}>
                    <button
                      type="button"
                      class="small"
                      onClick={() =>
                        void act(async () => {
                          await api.auth.sessions.revoke.mutate({ id: s.id })
                          return 'Session signed out.'
                        })
                      }
                    >
                      Sign out
                    </button>
                  </Show>
                </td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
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
