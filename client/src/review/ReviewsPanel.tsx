import { createMemo, createResource, createSignal, For, Show } from 'solid-js'
import { api } from '../lib/api'
import { navigate } from '../lib/router'
import { errorMessage } from '../workspace/errorMessage'

interface AssetRow {
  id: string
  filename: string
  status: string
  version: number
  stackId: string
}

const REVIEWABLE = ['uploaded', 'processing', 'ready']

/**
 * A project's reviews (each with its versions and a link) and "New review": an asset, optionally a version of
 * its stack to compare it with (a framediff job then runs), and a title.
 */
export function ReviewsPanel(props: { projectId: string; canCreate: boolean }) {
  const [reviews] = createResource(
    () => props.projectId,
    (projectId) => api.reviews.list.query({ projectId }),
  )
  const [assets, { refetch: refetchAssets }] = createResource(
    () => props.projectId,
    async (projectId) => (await api.assets.list.query({ projectId })) as unknown as AssetRow[],
  )
  const byId = createMemo(() => new Map((assets.latest ?? []).map((a) => [a.id, a])))
  const label = (id: string | null) => {
    if (!id) return ''
    const a = byId().get(id)
    return a ? `${a.filename} v${a.version}` : 'an asset'
  }

  const [open, setOpen] = createSignal(false)
  const [assetId, setAssetId] = createSignal('')
  const [compareTo, setCompareTo] = createSignal('')
  const [title, setTitle] = createSignal('')
  const [error, setError] = createSignal<string | null>(null)
  const [creating, setCreating] = createSignal(false)
  const [versions] = createResource(
    () => assetId() || null,
    async (id) => (await api.assets.versions.query({ assetId: id })) as unknown as AssetRow[],
  )
  const others = () => (versions.latest ?? []).filter((v) => v.id !== assetId() && REVIEWABLE.includes(v.status))
  const pick = (id: string) => {
    setAssetId(id)
    setCompareTo('')
  }
  const create = async (e: Event) => {
    e.preventDefault()
    if (!assetId()) return setError('Pick the asset to review.')
    setError(null)
    setCreating(true)
    try {
      const created = await api.reviews.create.mutate({
        projectId: props.projectId,
        assetId: assetId(),
        ...(compareTo() ? { compareTo: compareTo() } : {}),
        ...(title().trim() ? { title: title().trim() } : {}),
      })
      navigate(`/projects/${props.projectId}/reviews/${created.id}`)
    } catch (err) {
      setError(errorMessage(err))
    } finally {
      setCreating(false)
    }
  }

  return (
    <section class="panel reviews-panel" data-testid="reviews-panel">
      <header class="panel-head">
        <span>Reviews</span>
        <Show when={props.canCreate}>
          <button
            type="button"
            onClick={() => {
              // the project's assets as they are now: a version uploaded since the page opened is offered too
              if (!open()) void refetchAssets()
              setOpen(!open())
            }}
            data-testid="new-review"
          >
            New review
          </button>
        </Show>
      </header>
      <Show when={open()}>
        <form class="new-review" onSubmit={create} data-testid="new-review-form">
          <label>
            Asset
            <select value={assetId()} onChange={(e) => pick(e.currentTarget.value)} data-testid="review-asset">
              <option value="">Choose…</option>
              <For each={(assets.latest ?? []).filter((a) => REVIEWABLE.includes(a.status))}>
                {(a) => (
                  <option value={a.id}>
                    {a.filename} v{a.version}
                  </option>
                )}
              </For>
            </select>
          </label>
          <label>
            Compare with
            <select
              value={compareTo()}
              onChange={(e) => setCompareTo(e.currentTarget.value)}
              disabled={!assetId()}
              data-testid="review-compare-to"
            >
              <option value="">No comparison</option>
              <For each={others()}>
                {(v) => (
                  <option value={v.id}>
                    v{v.version} · {v.filename}
                  </option>
                )}
              </For>
            </select>
          </label>
          <input
            placeholder="Title (optional)"
            maxLength={200}
            value={title()}
            onInput={(e) => setTitle(e.currentTarget.value)}
            aria-label="Review title"
            data-testid="review-title"
          />
          <button type="submit" class="primary" disabled={creating() || !assetId()} data-testid="create-review">
            Create review
          </button>
          <Show when={error()}>
            <p class="error">{error()}</p>
          </Show>
        </form>
      </Show>
      <Show when={reviews.error}>
        <p class="error">{errorMessage(reviews.error)}</p>
      </Show>
      <ul class="doc-list">
        <For each={reviews.latest ?? []} fallback={<li class="muted empty">No reviews yet.</li>}>
          {(review) => (
            <li>
              <a href={`/projects/${props.projectId}/reviews/${review.id}`} data-testid="review-link">
                <span class="doc-icon">◎</span>
                <span class="doc-name">{review.title}</span>
                <span class="muted small">
                  {review.compareToAssetId
                    ? `${label(review.compareToAssetId)} → ${label(review.assetId)}`
                    : label(review.assetId)}
                </span>
              </a>
            </li>
          )}
        </For>
      </ul>
    </section>
  )
}
