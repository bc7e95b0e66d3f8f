import { createSignal, Show } from 'solid-js'
import { api, apiErrorMessage } from '../lib/api'
import { navigate } from '../lib/router'
import './shareDialog.css'

const NAME_KEY = 'cutroom.guestName'
const REVIEW_KEY = 'cutroom.guestReview'

/**
 * Whether this tab joined `reviewId` as a guest. The guest credential is an HttpOnly cookie the page cannot read,
 * so the join leaves a note for the router; the api decides what the guest may see either way.
 */
export function joinedAsGuest(reviewId: string): boolean {
  return sessionStorage.getItem(REVIEW_KEY) === reviewId
}

/** Where a guest lands after joining: the review page of the link's review. */
export function reviewPath(projectId: string, reviewId: string): string {
  return `/projects/${encodeURIComponent(projectId)}/reviews/${encodeURIComponent(reviewId)}`
}

/**
 * `/r/<token>`: someone who was sent a review link gives the name others will see on their comments, and joins
 * the review as a guest (the api sets a guest cookie limited to that review), then goes to the review page.
 */
export function GuestJoinPage(props: { token: string }) {
  const [name, setName] = createSignal(localStorage.getItem(NAME_KEY) ?? '')
  const [error, setError] = createSignal<string | null>(null)
  const [busy, setBusy] = createSignal(false)

  const join = async (e: Event) => {
    e.preventDefault()
    setError(null)
    setBusy(true)
    try {
      const joined = await api.reviews.guestJoin.mutate({ token: props.token, name: name() })
      localStorage.setItem(NAME_KEY, joined.name)
      sessionStorage.setItem(REVIEW_KEY, joined.reviewId)
      navigate(reviewPath(joined.projectId, joined.reviewId), { replace: true })
    } catch (err) {
      setError(apiErrorMessage(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <main class="guest-join">
      <form class="panel" onSubmit={join} aria-labelledby="guest-join-title">
        <h1 id="guest-join-title">You are invited to a review</h1>
        <p class="muted">Enter your name; the people working on this review see it beside your notes.</p>
        <label>
          Your name
          <input
            name="guestName"
            autocomplete="name"
            required
            maxLength={120}
            value={name()}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </label>
        <Show when={error()}>
          <p class="error" role="alert">
            {error()}
          </p>
        </Show>
        <button class="primary" type="submit" disabled={busy() || name().trim() === ''}>
          {busy() ? 'Joining…' : 'Join review'}
        </button>
      </form>
    </main>
  )
}
