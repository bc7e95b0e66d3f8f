import { type Accessor, createMemo, createSignal, For, type JSX, Show } from 'solid-js'
import { UploadList, type UploadQueue } from '../media'
import { AssetVersions } from './AssetVersions'
import { type BinAsset, latestOfStacks, stackSizes } from './binAsset'
import { NewVersionButton } from './NewVersionButton'
import { versionDrop } from './versionDrop'

/**
 * The project's assets, one row per version stack (its latest version, with a "v3" badge and the list of
 * versions); double-click (or the Insert button) puts the asset on the storyline at the playhead, or the version
 * picked from the list. With `uploads`, a file dropped on a row (or "Upload new version") becomes the next version.
 */
export function MediaBin(props: {
  assets: Accessor<BinAsset[]>
  selected: Accessor<string | null>
  onSelect: (id: string) => void
  onInsert: (asset: BinAsset) => void
  canInsert: Accessor<boolean>
  onRefresh: () => void
  /** The asset's sprite sheet: the first tile is its poster. */
  thumbnailFor: (assetId: string) => { url: string; columns: number; rows: number } | null
  /** Where new versions upload to; absent or null when this person cannot upload. */
  uploads?: UploadQueue | null
  /** Makes a transcript of the asset (editors and up); absent where transcribing is not offered. */
  onTranscribe?: (asset: BinAsset) => void
  children?: JSX.Element
}) {
  const rows = createMemo(() => latestOfStacks(props.assets()))
  const sizes = createMemo(() => stackSizes(props.assets()))
  return (
    <section class="panel media-bin" aria-label="Media bin">
      <header class="panel-head">
        <span>Media</span>
        <span class="muted">
          {rows().length}
          <button
            type="button"
            class="ghost small"
            title="Reload the project's assets"
            onClick={() => props.onRefresh()}
          >
            ↻
          </button>
        </span>
      </header>
      {props.children}
      <Show when={props.uploads}>{(queue) => <UploadList queue={queue()} />}</Show>
      <div class="bin-list" role="listbox" aria-label="Assets">
        <Show when={props.assets().length === 0}>
          <p class="muted empty">No assets yet. Upload media on the project page.</p>
        </Show>
        <For each={rows()}>
          {(asset) => {
            const [over, setOver] = createSignal(false)
            // the version picked from the list, else the latest
            const target = () =>
              props.assets().find((a) => a.id === props.selected() && a.stackId === asset.stackId) ?? asset
            return (
              <div
                class="bin-item"
                classList={{ selected: target().id === props.selected(), 'drop-over': over() }}
                data-testid="bin-item"
                data-asset-id={asset.id}
                data-version={asset.version}
                onClick={() => props.onSelect(asset.id)}
                onDblClick={() => props.canInsert() && props.onInsert(target())}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' && e.target === e.currentTarget && props.canInsert()) props.onInsert(target())
                }}
                {...versionDrop(() => asset, props.uploads ?? null, setOver)}
                role="option"
                aria-selected={target().id === props.selected()}
                tabIndex={0}
              >
                <div class="bin-thumb">
                  <Show
                    when={props.thumbnailFor(asset.id)}
                    fallback={<span>{asset.contentType.startsWith('audio') ? '♪' : '▦'}</span>}
                  >
                    {(sprite) => (
                      <div
                        class="bin-poster"
                        style={{
                          'background-image': `url(${sprite().url})`,
                          'background-size': `${sprite().columns * 100}% ${sprite().rows * 100}%`,
                        }}
                      />
                    )}
                  </Show>
                </div>
                <div class="bin-meta">
                  <div class="bin-name" title={asset.name}>
                    {asset.name}
                  </div>
                  <div class="muted small">
                    {asset.durationSeconds !== null ? `${asset.durationSeconds.toFixed(1)} s` : asset.status}
                    {target().id !== asset.id ? ` · v${target().version} picked` : ''}
                  </div>
                  <AssetVersions
                    asset={asset}
                    count={sizes().get(asset.stackId) ?? 1}
                    onPick={props.onSelect}
                    revision={sizes().get(asset.stackId)}
                  />
                </div>
                <Show when={props.canInsert()}>
                  <button
                    type="button"
                    class="ghost small"
                    title="Insert at the playhead"
                    onClick={() => props.onInsert(target())}
                  >
                    Insert
                  </button>
                </Show>
                <Show when={props.uploads}>
                  {(queue) => <NewVersionButton asset={asset} queue={queue()} compact />}
                </Show>
                <Show
                  when={props.onTranscribe && props.canInsert() && ['uploaded', 'processing', 'ready'].includes(target().status)}
                >
                  <button
                    type="button"
                    class="ghost small"
                    title="Transcribe the speech of this asset into a new transcript"
                    data-testid="transcribe-asset"
                    onClick={() => props.onTranscribe?.(target())}
                  >
                    Transcribe
                  </button>
                </Show>
              </div>
            )
          }}
        </For>
      </div>
    </section>
  )
}
