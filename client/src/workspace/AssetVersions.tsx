import { createResource, createSignal, For, Show, Suspense } from 'solid-js'
import { api } from '../lib/api'
import type { BinAsset } from './binAsset'
import { errorMessage } from './errorMessage'

/**
 * The "v3" badge of a version stack's latest version and, when the stack has more than one version, a toggle that
 * lists every version (`assets.versions`, newest first). `onPick` makes a listed version selectable.
 */
export function AssetVersions(props: {
  asset: BinAsset
  /** How many versions the stack has, as far as the asset list knows. */
  count: number
  onPick?: (assetId: string) => void
  /** Bumped after an upload so an open list shows the new version. */
  revision?: number
}) {
  const [open, setOpen] = createSignal(false)
  const [versions] = createResource(
    () => (open() ? { id: props.asset.id, revision: props.revision ?? 0 } : null),
    ({ id }) => api.assets.versions.query({ assetId: id }),
  )
  return (
    <>
      <Show when={props.asset.version > 1 || props.count > 1}>
        <button
          type="button"
          class="badge version-badge"
          data-testid="version-badge"
          aria-expanded={open()}
          title={open() ? 'Hide the versions' : `Show all ${props.count} versions`}
          onClick={(e) => {
            e.stopPropagation()
            setOpen(!open())
          }}
          onDblClick={(e) => e.stopPropagation()}
        >
          v{props.asset.version} {open() ? '▴' : '▾'}
        </button>
      </Show>
      <Show when={open()}>
        <ol class="version-list" aria-label={`Versions of ${props.asset.name}`} data-testid="version-list">
          <Show when={versions.error}>
            <li class="error">{errorMessage(versions.error)}</li>
          </Show>
          {/* a boundary of its own: the first load would otherwise suspend the whole page around the list */}
          <Suspense fallback={<li class="muted">Loading…</li>}>
            <For each={versions.latest ?? []}>
              {(v) => (
                <li data-asset-id={v.id}>
                  <Show when={props.onPick} fallback={<span class="mono">v{v.version}</span>}>
                    <button
                      type="button"
                      class="ghost small mono"
                      onClick={(e) => {
                        e.stopPropagation()
                        props.onPick?.(v.id)
                      }}
                    >
                      v{v.version}
                    </button>
                  </Show>
                  <span class="doc-name" title={v.filename}>
                    {v.filename}
                  </span>
                  <span class="muted small">{v.status}</span>
                </li>
              )}
            </For>
          </Suspense>
        </ol>
      </Show>
    </>
  )
}
