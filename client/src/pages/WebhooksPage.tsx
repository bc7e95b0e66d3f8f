import { WEBHOOK_EVENTS, type WebhookEvent } from '@cutroom/schema'
import { createEffect, createResource, createSignal, For, onCleanup, Show } from 'solid-js'
import { api, apiErrorMessage } from '../lib/api'
import { currentOrg } from '../lib/session'

const when = (d: string | Date | null) => (d ? new Date(d).toLocaleString() : '—')

/** The delivery log of one endpoint: each message, each attempt's status code and time, re-deliver. */
function Deliveries(props: { webhookId: string; version: number }) {
  const [rows, { refetch }] = createResource(
    () => ({ webhookId: props.webhookId, version: props.version }),
    ({ webhookId }) => api.webhooks.deliveries.query({ webhookId }),
  )
  // while a message is still pending, read the log again: its attempts show as they are made
  createEffect(() => {
    if (!rows()?.some((d) => d.status === 'pending')) return
    const timer = setTimeout(() => void refetch(), 1500)
    onCleanup(() => clearTimeout(timer))
  })
  const [error, setError] = createSignal<string | null>(null)
  const redeliver = async (deliveryId: string) => {
    setError(null)
    try {
      await api.webhooks.redeliver.mutate({ deliveryId })
      await refetch()
    } catch (err) {
      setError(apiErrorMessage(err))
    }
  }
  return (
    <div class="panel">
      <div class="page-head">
        <h3>Deliveries</h3>
        <button type="button" class="small ghost" onClick={() => void refetch()}>
          Refresh
        </button>
      </div>
      <Show when={error()}>
        <p class="error" role="alert">
          {error()}
        </p>
      </Show>
      <table class="data-table" aria-label="Deliveries">
        <thead>
          <tr>
            <th>Event</th>
            <th>Status</th>
            <th>Attempts (code, ms)</th>
            <th>Created</th>
            <th />
          </tr>
        </thead>
        <tbody>
          <For
            each={rows()}
            fallback={
              <tr>
                <td colSpan={5} class="muted">
                  Nothing sent yet.
                </td>
              </tr>
            }
          >
            {(d) => (
              <tr>
                <td class="mono small">{d.event}</td>
                <td>
                  <span class={`badge ${d.status}`}>{d.status}</span>
                  <Show when={d.lastError}>
                    <div class="muted small">{d.lastError}</div>
                  </Show>
                </td>
                <td class="mono small">
                  {d.log.map((a) => `#${a.attempt} ${a.statusCode ?? 'no answer'} ${a.durationMs}ms`).join(' · ')}
                </td>
                <td class="muted small">{when(d.createdAt)}</td>
                <td>
                  <button type="button" class="small" onClick={() => redeliver(d.id)}>
                    Re-deliver
                  </button>
                </td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </div>
  )
}

/** Outbound webhooks of the current organization: create (secret shown once), events, rotate, test, delivery log. */
export function WebhooksPage() {
  const [hooks, { refetch }] = createResource(
    () => currentOrg()?.id,
    (orgId) => api.webhooks.list.query({ orgId }),
  )
  const [url, setUrl] = createSignal('')
  const [events, setEvents] = createSignal<WebhookEvent[]>(['job.succeeded', 'job.failed'])
  const [secret, setSecret] = createSignal<string | null>(null)
  const [open, setOpen] = createSignal<string | null>(null)
  /** Bumped by "Send test", so an open delivery log shows the new message. */
  const [sent, setSent] = createSignal(0)
  const [error, setError] = createSignal<string | null>(null)
  const act = async (f: () => Promise<unknown>) => {
    setError(null)
    try {
      await f()
      await refetch()
    } catch (err) {
      setError(apiErrorMessage(err))
    }
  }
  const create = (e: Event) => {
    e.preventDefault()
    void act(async () => {
      const created = await api.webhooks.create.mutate({ orgId: currentOrg()!.id, url: url(), events: events() })
      setSecret(created.secret)
      setUrl('')
    })
  }
  const toggle = (ev: WebhookEvent) =>
    setEvents((list) => (list.includes(ev) ? list.filter((x) => x !== ev) : [...list, ev]))

  return (
    <section class="page">
      <div class="page-head">
        <h1>Webhooks</h1>
        <span class="muted">{currentOrg()?.name} · signed per Standard Webhooks</span>
      </div>
      <form class="panel" onSubmit={create}>
        <input
          name="webhookUrl"
          type="url"
          placeholder="https://example.com/cutroom-events"
          required
          maxLength={2048}
          value={url()}
          onInput={(e) => setUrl(e.currentTarget.value)}
        />
        <fieldset class="event-choices">
          <legend>Events</legend>
          <For each={WEBHOOK_EVENTS}>
            {(ev) => (
              <label>
                <input type="checkbox" checked={events().includes(ev)} onChange={() => toggle(ev)} /> {ev}
              </label>
            )}
          </For>
        </fieldset>
        <button class="primary" type="submit">
          Add endpoint
        </button>
      </form>
      <Show when={secret()}>
        <div class="key-once panel" role="status">
          <p>Signing secret (shown once; keep it with the receiver):</p>
          <code class="mono" data-testid="webhook-secret">
            {secret()}
          </code>
          <button type="button" class="small ghost" onClick={() => setSecret(null)}>
            Done
          </button>
        </div>
      </Show>
      <Show when={error() || hooks.error}>
        <p class="error" role="alert">
          {error() ?? apiErrorMessage(hooks.error)}
        </p>
      </Show>
      <table class="data-table" aria-label="Webhooks">
        <thead>
          <tr>
            <th>URL</th>
            <th>Events</th>
            <th>State</th>
            <th />
          </tr>
        </thead>
        <tbody>
          <For
            each={hooks()}
            fallback={
              <tr>
                <td colSpan={4} class="muted">
                  No endpoints yet.
                </td>
              </tr>
            }
          >
            {(h) => (
              <>
                <tr>
                  <td class="mono small">{h.url}</td>
                  <td class="small">{h.events.join(', ')}</td>
                  <td>
                    {h.enabled ? (
                      <span class="badge">enabled</span>
                    ) : (
                      <span class="badge failed">disabled: {h.disabledReason}</span>
                    )}
                  </td>
                  <td class="actions">
                    <button type="button" class="small" onClick={() => setOpen(open() === h.id ? null : h.id)}>
                      Deliveries
                    </button>
                    <button
                      type="button"
                      class="small"
                      onClick={() =>
                        act(async () => {
                          await api.webhooks.test.mutate({ id: h.id })
                          setSent((n) => n + 1)
                        })
                      }
                    >
                      Send test
                    </button>
                    <button
                      type="button"
                      class="small"
                      onClick={() =>
                        act(async () => setSecret((await api.webhooks.rotateSecret.mutate({ id: h.id })).secret))
                      }
                    >
                      Rotate secret
                    </button>
                    <Show when={!h.enabled}>
                      <button
                        type="button"
                        class="small"
                        onClick={() => act(() => api.webhooks.update.mutate({ id: h.id, enabled: true }))}
                      >
                        Enable
                      </button>
                    </Show>
                    <button
                      type="button"
                      class="small ghost"
                      onClick={() =>
                        window.confirm(`Delete the endpoint ${h.url}?`) &&
                        act(() => api.webhooks.delete.mutate({ id: h.id }))
                      }
                    >
                      Delete
                    </button>
                  </td>
                </tr>
                <Show when={open() === h.id}>
                  <tr>
                    <td colSpan={4}>
                      <Deliveries webhookId={h.id} version={sent()} />
                    </td>
                  </tr>
                </Show>
              </>
            )}
          </For>
        </tbody>
      </table>
    </section>
  )
}
