import { type Accessor, For, type JSX, Show } from 'solid-js'
import type { BinAsset } from './binAsset'

/** The project's assets; double-click (or the Insert button) puts the asset on the storyline at the playhead. */
export function MediaBin(props: {
  assets: Accessor<BinAsset[]>
  selected: Accessor<string | null>
  onSelect: (id: string) => void
  onInsert: (asset: BinAsset) => void
  canInsert: Accessor<boolean>
  onRefresh: () => void
  /** The asset's sprite sheet: the first tile is its poster. */
  thumbnailFor: (assetId: string) => { url: string; columns: number; rows: number } | null
  /** Makes a transcript of the asset (editors and up); absent where transcribing is not offered. */
  onTranscribe?: (asset: BinAsset) => void
  children?: JSX.Element
}) {
  return (
    <section class="panel media-bin" aria-label="Media bin">
      <header class="panel-head">
        <span>Media</span>
        <span class="muted">
          {props.assets().length}
          <button type="button" class="ghost small" title="Reload the project's assets" onClick={() => props.onRefresh()}>
            ↻
          </button>
        </span>
      </header>
      {props.children}
      <div class="bin-list" role="listbox" aria-label="Assets">
        <Show when={props.assets().length === 0}>
          <p class="muted empty">No assets yet. Upload media on the project page.</p>
        </Show>
        <For each={props.assets()}>
          {(asset) => (
            <div
              class="bin-item"
              classList={{ selected: props.selected() === asset.id }}
              data-testid="bin-item"
              data-asset-id={asset.id}
              onClick={() => props.onSelect(asset.id)}
              onDblClick={() => props.canInsert() && props.onInsert(asset)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && props.canInsert()) props.onInsert(asset)
              }}
              role="option"
              aria-selected={props.selected() === asset.id}
              tabIndex={0}
            >
              <div class="bin-thumb">
                <Show when={props.thumbnailFor(asset.id)} fallback={<span>{asset.contentType.startsWith('audio') ? '♪' : '▦'}</span>}>
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
                </div>
              </div>
              <Show when={props.canInsert()}>
                <button type="button" class="ghost small" title="Insert at the playhead" onClick={() => props.onInsert(asset)}>
                  Insert
                </button>
              </Show>
              <Show when={props.onTranscribe && props.canInsert() && ['uploaded', 'processing', 'ready'].includes(asset.status)}>
                <button
                  type="button"
                  class="ghost small"
                  title="Transcribe the speech of this asset into a new transcript"
                  data-testid="transcribe-asset"
                  onClick={() => props.onTranscribe?.(asset)}
                >
                  Transcribe
                </button>
              </Show>
            </div>
          )}
        </For>
      </div>
    </section>
  )
}
