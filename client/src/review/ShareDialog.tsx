import { createResource, createSignal, For, Show, Suspense } from 'solid-js'
import { api, apiErrorMessage } from '../lib/api'
import './shareDialog.css'

const EXPIRY_CHOICES = [
  { days: 1, label: '1 day' },
  { days: 7, label: '7 days' },
  { days: 30, label: '30 days' },
  { days: 90, label: '90 days' },
] as const

const when = (d: string | Date) => new Date(d).toLocaleString()

/**
 * "Share" for a review: creates links that let people outside the organization join this one review as named
 * guests (until an expiry, with or without commenting), shows a new link's URL once to copy, and lists and
 * revokes the review's links. Revoking ends the guests' open connections at once.
 */
export function ShareDialog(props: { reviewId: string }) {
  let dialog: HTMLDialogElement | undefined
  const [open, setOpen] = createSignal(false)
  // the list below has a Suspense boundary of its own: without it, loading the links suspended the whole review
  // page (its nodes taken out of the document, so showModal failed and the page flashed "Loading…")
  const [shares, { refetch }] = createResource(
    () => (open() ? props.reviewId : null),
    (reviewId) => api.reviews.shares.query({ reviewId }),
  )
  const [days, setDays] = createSignal(7)
  const [allowComments, setAllowComments] = createSignal(true)
  const [created, setCreated] = createSignal<string | null>(null)
  const [copied, setCopied] = createSignal(false)
  const [error, setError] = createSignal<string | null>(null)
  const [busy, setBusy] = createSignal(false)

  const show = () => {
    setCreated(null)
    setError(null)
    setOpen(true)
    dialog?.showModal()
  }
  const close = () => {
    dialog?.close()
  }
  const create = async (e: Event) => {
    e.preventDefault()
    setError(null)
    setBusy(true)
    try {
      const expiresAt = new Date(Date.now() + days() * 24 * 60 * 60 * 1000 - 60_000).toISOString()
      const link = await api.reviews.share.mutate({
        reviewId: props.reviewId,
        expiresAt,
        allowComments: allowComments(),
      })
      setCreated(link.url)
      setCopied(false)
      await refetch()
    } catch (err) {
      setError(apiErrorMessage(err))
    } finally {
      setBusy(false)
    }
  }
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created()!)
      setCopied(true)
    } catch {
      setError('The browser did not allow copying; select the link and copy it by hand.')
    }
  }
  const revoke = async (id: string) => {
    if (!window.confirm('Revoke this link? Guests who joined through it lose access at once.')) return
    setError(null)
    try {
      await api.reviews.revokeShare.mutate({ id })
      await refetch()
    } catch (err) {
      setError(apiErrorMessage(err))
    }
  }

  return (
    <>
      <button type="button" class="small" onClick={show}>
        Share
      </button>
      <dialog
        ref={dialog}
        class="share-dialog"
        aria-labelledby="share-dialog-title"
        onClose={() => {
          setOpen(false)
          setCreated(null)
        }}
      >
        <div class="share-dialog-head">
          <h2 id="share-dialog-title">Share this review</h2>
          <button type="button" class="small ghost" aria-label="Close" onClick={close}>
            ✕
          </button>
        </div>
        <p class="muted">Anyone with the link can join this review only, under a name they choose.</p>
        <form class="inline-form" onSubmit={create}>
          <label>
            Expires after{' '}
            <select value={days()} onChange={(e) => setDays(Number(e.currentTarget.value))}>
              <For each={EXPIRY_CHOICES}>{(c) => <option value={c.days}>{c.label}</option>}</For>
            </select>
          </label>
          <label>
            <input
              type="checkbox"
              checked={allowComments()}
              onChange={(e) => setAllowComments(e.currentTarget.checked)}
            />{' '}
            Allow comments
          </label>
          <button class="primary" type="submit" disabled={busy()}>
            Create link
          </button>
        </form>
        <Show when={created()}>
          <div class="key-once" role="status">
            <strong>Copy this link now; it will not be shown again.</strong>
            <input
              class="mono"
              readOnly
              aria-label="New review link"
              value={created()!}
              onFocus={(e) => e.currentTarget.select()}
            />
            <div>
              <button type="button" class="small" onClick={() => void copy()}>
                {copied() ? 'Copied' : 'Copy link'}
              </button>
            </div>
          </div>
        </Show>
        <Show when={error() ?? (shares.error && apiErrorMessage(shares.error))}>
          <p class="error" role="alert">
            {error() ?? apiErrorMessage(shares.error)}
          </p>
        </Show>
        <Suspense fallback={<p class="muted">Loading the links…</p>}>
          <table class="data-table" aria-label="Review links">
            <thead>
              <tr>
                <th>Created</th>
                <th>Expires</th>
                <th>Comments</th>
                <th>Guests</th>
                <th>Status</th>
                <th />
              </tr>
            </thead>
            <tbody>
              <For
                each={shares.latest}
                fallback={
                  <tr>
                    <td colSpan={6} class="muted">
                      No links yet.
                    </td>
                  </tr>
                }
              >
                {(s) => (
                  <tr classList={{ revoked: s.status !== 'active' }} data-share-id={s.id}>
                    <td>
                      {when(s.createdAt)}
                      <Show when={s.createdByName}>
                        <span class="muted"> · {s.createdByName}</span>
                      </Show>
                    </td>
                    <td>{when(s.expiresAt)}</td>
                    <td>{s.allowComments ? 'yes' : 'view only'}</td>
                    <td>{s.guests}</td>
                    <td>
                      <span class="badge">{s.status}</span>
                    </td>
                    <td class="actions">
                      <Show when={s.status === 'active'}>
                        <button type="button" class="small" onClick={() => void revoke(s.id)}>
                          Revoke
                        </button>
                      </Show>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </Suspense>
      </dialog>
    </>
  )
}
