import { CutroomError, LOCAL_ORIGIN, timeline } from '@cutroom/schema'
import { createEffect, createMemo, createSignal, For, Index, onCleanup, onMount, Show } from 'solid-js'
import { ExportDialog } from '../exports'
import { createUploadQueue } from '../media'
import { api } from '../lib/api'
import { AssetMediaCache, parseSpriteIndex } from './AssetMediaCache'
import { artifactUrl } from './artifactUrl'
import { assetFrames, type BinAsset } from './binAsset'
import { copyAssetArtifacts } from './copyAssetArtifacts'
import { createDocSignal } from './createDocSignal'
import { createPlayback, oneSecond } from './createPlayback'
import { createUndoManager } from './createUndoManager'
import { createYSignal } from './createYSignal'
import { errorMessage } from './errorMessage'
import type { EditorContext } from './EditorContext'
import { isTypingTarget } from './isTypingTarget'
import { MediaBin } from './MediaBin'
import { readTimelineView } from './readTimelineView'
import { RULER_HEIGHT, TimelineCanvas } from './TimelineCanvas'
import { formatTimecode } from './timecode'
import { findViewItem, trackHeight } from './timelineView'
import { cropCentre, verticalCropBox } from './verticalCrop'
import { type MediaSource, Viewer } from './Viewer'

const MIN_PPF = 0.02
const MAX_PPF = 40

/** The timeline editor: media bin, viewer, inspector and the multi-track timeline of one timeline document. */
export function TimelineEditor(props: { ctx: EditorContext }) {
  const { doc, provider } = props.ctx
  const view = createDocSignal(doc, readTimelineView)
  const artifacts = createYSignal(timeline.artifactsOf(doc), () => [...timeline.artifactsOf(doc).values()])
  const rate = () => view().rate
  const playback = createPlayback(rate, () => view().duration)
  const undo = createUndoManager([timeline.tracksOf(doc), timeline.markersOf(doc)])
  const media = new AssetMediaCache(rate)
  // bumps when a sprite or peaks file finished loading, for the accessible item list below
  const [mediaLoaded, setMediaLoaded] = createSignal(0)
  onCleanup(media.onChange(() => setMediaLoaded((n) => n + 1)))

  const [pxPerFrame, setPxPerFrame] = createSignal(2)
  const [scrollX, setScrollX] = createSignal(0)
  const [selection, setSelection] = createSignal<ReadonlySet<string>>(new Set())
  const [markIn, setMarkIn] = createSignal<number | null>(null)
  const [markOut, setMarkOut] = createSignal<number | null>(null)
  const [snapping, setSnapping] = createSignal(true)
  const [binSelected, setBinSelected] = createSignal<string | null>(null)
  let timelineBox!: HTMLDivElement

  const readOnly = props.ctx.readOnly
  // files dropped on a bin row upload as new versions of that asset
  const uploads = createUploadQueue(() => props.ctx.projectId, () => props.ctx.refreshAssets())
  const assetsById = createMemo(() => new Map(props.ctx.assets().map((a) => [a.id, a])))

  // Artifacts appear while the document is open: each change re-feeds the cache, which loads what is new.
  createEffect(() => {
    const byAsset = new Map<string, timeline.ArtifactRef[]>()
    for (const ref of artifacts()) byAsset.set(ref.assetId, [...(byAsset.get(ref.assetId) ?? []), ref])
    for (const [assetId, refs] of byAsset) {
      const thumbs = refs.find((r) => r.slot === 'thumbnails')
      const wave = refs.find((r) => r.slot === 'waveform')
      media.update(assetId, {
        spriteUrl: thumbs ? artifactUrl(thumbs) : undefined,
        spriteIndex: thumbs ? (parseSpriteIndex(thumbs.metadata) ?? undefined) : undefined,
        peaksUrl: wave ? artifactUrl(wave) : undefined,
      })
    }
  })

  // A new artifact means a job finished: the asset's status and duration may have changed too.
  let knownArtifacts = artifacts().length
  createEffect(() => {
    const count = artifacts().length
    if (count !== knownArtifacts) {
      knownArtifacts = count
      props.ctx.refreshAssets()
    }
  })

  const mediaFor = (assetId: string): MediaSource | null => {
    const hls = timeline.getArtifact(doc, assetId, 'hls')
    const source = assetsById().get(assetId)?.sourceUrl ?? undefined
    if (!hls && !source) return null
    return { hlsUrl: hls ? artifactUrl(hls) : undefined, sourceUrl: source }
  }
  const thumbnailFor = (assetId: string) => {
    artifacts()
    const ref = timeline.getArtifact(doc, assetId, 'thumbnails')
    const index = ref ? parseSpriteIndex(ref.metadata) : null
    return ref && index ? { url: artifactUrl(ref), columns: index.columns, rows: Math.ceil(index.count / index.columns) } : null
  }

  /** Runs a model edit as this person; refusals (locked track, bad trim) become a status message. */
  const edit = (action: () => void) => {
    if (readOnly()) {
      props.ctx.notify('You can view this timeline but not edit it.')
      return
    }
    try {
      doc.transact(action, LOCAL_ORIGIN)
      undo.manager.stopCapturing()
    } catch (error) {
      props.ctx.notify(error instanceof CutroomError ? error.message : String(error))
    }
  }

  const select = (id: string | null, additive: boolean) => {
    if (id === null) setSelection(new Set<string>())
    else if (additive) {
      const next = new Set(selection())
      if (next.has(id)) next.delete(id)
      else next.add(id)
      setSelection(next)
    } else setSelection(new Set([id]))
  }

  // Selections of items that no longer exist (deleted by someone else) are dropped.
  createEffect(() => {
    const v = view()
    const current = selection()
    const kept = [...current].filter((id) => findViewItem(v, id))
    if (kept.length !== current.size) setSelection(new Set(kept))
  })

  // Presence: this person's playhead and selection, throttled to a few updates a second.
  let presenceTimer = 0
  createEffect(() => {
    const frame = playback.frame()
    const selected = [...selection()]
    if (presenceTimer) return
    presenceTimer = window.setTimeout(() => {
      presenceTimer = 0
      provider.setAwarenessField('playhead', playback.frame())
      provider.setAwarenessField('selection', [...selection()])
    }, 120)
    void frame
    void selected
  })
  onCleanup(() => clearTimeout(presenceTimer))

  // Keep the playhead in view while playing.
  createEffect(() => {
    const x = playback.frame() * pxPerFrame()
    const width = timelineBox?.clientWidth ?? 0
    if (playback.rate() !== 0 && width && (x < scrollX() || x > scrollX() + width - 40)) setScrollX(Math.max(0, x - 40))
  })

  const insertAsset = (asset: BinAsset) =>
    edit(() => {
      const frames = assetFrames(asset, rate())
      const id = timeline.insertClip(doc, {
        at: { frame: playback.frame() },
        assetId: asset.id,
        sourceIn: 0,
        sourceOut: frames,
        label: asset.name,
        // not probed yet: a provisional length, which the probe's result replaces
        lengthPending: asset.durationSeconds === null && asset.durationFrames === null,
      })
      setSelection(new Set([id]))
      void copyAssetArtifacts(doc, asset.id)
    })

  const split = () =>
    edit(() => {
      const result = timeline.splitAt(doc, playback.frame())
      if (!result) props.ctx.notify('Nothing to split: the playhead is on a cut or past the end.')
    })

  const rippleDelete = () => {
    const ids = [...selection()]
    if (ids.length === 0) {
      props.ctx.notify('Select clips to delete (click a clip; Shift-click adds).')
      return
    }
    edit(() => timeline.rippleDelete(doc, ids))
    setSelection(new Set<string>())
  }

  const extractRange = () => {
    const a = markIn()
    const b = markOut()
    if (a === null || b === null || b <= a) {
      props.ctx.notify('Mark an in point (I) before an out point (O) first.')
      return
    }
    edit(() => {
      timeline.splitAt(doc, b)
      timeline.splitAt(doc, a)
      const ids = timeline
        .storylineLayout(doc)
        .filter((p) => p.start >= a && p.end <= b)
        .map((p) => p.id)
      if (ids.length) timeline.rippleDelete(doc, ids)
    })
    setMarkIn(null)
    setMarkOut(null)
    playback.seek(a)
  }

  const trimItem = (id: string, edge: 'in' | 'out', delta: number) =>
    edit(() => {
      const found = findViewItem(view(), id)
      if (!found) return
      if (found.track.storyline) timeline.trim(doc, id, edge === 'in' ? 'start' : 'end', delta)
      else {
        const item = found.item
        const anchored = timeline.anchoredLayout(doc).find((a) => a.id === id)
        if (!anchored) return
        if (edge === 'in')
          timeline.updateAnchoredItem(doc, id, {
            offset: anchored.offset + delta,
            duration: item.duration - delta,
            ...(anchored.sourceIn !== undefined ? { sourceIn: Math.max(0, anchored.sourceIn + delta) } : {}),
          })
        else timeline.updateAnchoredItem(doc, id, { duration: item.duration + delta })
      }
    })

  const moveAnchored = (id: string, delta: number) =>
    edit(() => {
      const anchored = timeline.anchoredLayout(doc).find((a) => a.id === id)
      if (!anchored) return
      // Re-anchor to the storyline item under the new start, so the item follows the clip it now sits on.
      const newStart = Math.max(0, anchored.start + delta)
      const under = timeline.itemAtFrame(doc, newStart) ?? timeline.storylineLayout(doc).at(-1)
      if (!under) return
      timeline.updateAnchoredItem(doc, id, { anchorId: under.id, offset: newStart - under.start })
    })

  const addMarker = () =>
    edit(() => {
      timeline.addMarker(doc, { frame: playback.frame(), label: `Marker ${view().markers.length + 1}`, color: 'orange' })
    })

  const addTrack = (kind: timeline.TrackKind) =>
    edit(() => {
      const count = view().tracks.filter((t) => t.kind === kind).length
      timeline.addTrack(doc, { kind, name: `${kind[0]!.toUpperCase()}${kind.slice(1)} ${count + 1}` })
    })

  const addCaption = () =>
    edit(() => {
      const under = timeline.itemAtFrame(doc, playback.frame())
      if (!under) {
        props.ctx.notify('Put the playhead over a clip to anchor a caption to it.')
        return
      }
      let track = view().tracks.find((t) => t.kind === 'caption')?.id
      track ??= timeline.addTrack(doc, { kind: 'caption', name: 'Captions' })
      const id = timeline.addAnchoredItem(doc, {
        trackId: track,
        anchorId: under.id,
        offset: playback.frame() - under.start,
        duration: oneSecond(rate()) * 2,
        text: 'Caption',
      })
      setSelection(new Set([id]))
    })

  /** Puts the media bin's selected asset (a voice-over) on the narration track at the playhead, under the clip there. */
  const addNarration = () => {
    const asset = binSelected() ? assetsById().get(binSelected()!) : undefined
    if (!asset) {
      props.ctx.notify('Select the voice-over in the media bin, then add it as narration.')
      return
    }
    edit(() => {
      const under = timeline.itemAtFrame(doc, playback.frame())
      if (!under) {
        props.ctx.notify('Put the playhead over a clip to anchor the narration to it.')
        return
      }
      let track = view().tracks.find((t) => t.kind === 'narration')?.id
      track ??= timeline.addTrack(doc, { kind: 'narration', name: 'Narration' })
      const id = timeline.addAnchoredItem(doc, {
        trackId: track,
        anchorId: under.id,
        offset: playback.frame() - under.start,
        duration: assetFrames(asset, rate()),
        assetId: asset.id,
        sourceIn: 0,
        text: asset.name,
      })
      setSelection(new Set([id]))
      void copyAssetArtifacts(doc, asset.id)
    })
  }

  const zoom = (factor: number, anchorFrame = playback.frame()) => {
    const before = pxPerFrame()
    const next = Math.min(MAX_PPF, Math.max(MIN_PPF, before * factor))
    const anchorX = anchorFrame * before - scrollX()
    setPxPerFrame(next)
    setScrollX(Math.max(0, anchorFrame * next - anchorX))
  }
  const zoomToFit = () => {
    const width = timelineBox?.clientWidth ?? 800
    setPxPerFrame(Math.min(MAX_PPF, Math.max(MIN_PPF, (width - 40) / Math.max(1, view().duration))))
    setScrollX(0)
  }

  const onKey = (e: KeyboardEvent) => {
    if (isTypingTarget(e.target) || e.altKey) return
    const mod = e.ctrlKey || e.metaKey
    const key = e.key
    const fps = oneSecond(rate())
    let handled = true
    if (mod && key.toLowerCase() === 'z') {
      if (readOnly()) handled = false
      else if (e.shiftKey) undo.redo()
      else undo.undo()
    } else if (mod && key.toLowerCase() === 'y' && !readOnly()) undo.redo()
    else if (mod) handled = false
    else if (key === ' ' || key === 'k' || key === 'K') playback.togglePlay()
    else if (key === 'j' || key === 'J') playback.shuttle(-1)
    else if (key === 'l' || key === 'L') playback.shuttle(1)
    else if (key === 'ArrowLeft') playback.step(e.shiftKey ? -fps : -1)
    else if (key === 'ArrowRight') playback.step(e.shiftKey ? fps : 1)
    else if (key === 's' || key === 'S') split()
    else if (key === 'Delete' || key === 'Backspace') rippleDelete()
    else if (key === 'i' || key === 'I') setMarkIn(playback.frame())
    else if (key === 'o' || key === 'O') setMarkOut(playback.frame())
    else if (key === 'm' || key === 'M') addMarker()
    else if (key === 'n' || key === 'N') setSnapping(!snapping())
    else if (key === '+' || key === '=') zoom(1.25)
    else if (key === '-' || key === '_') zoom(0.8)
    else if (key === 'Home') playback.seek(0)
    else if (key === 'End') playback.seek(view().duration)
    else if (key === 'Escape') setSelection(new Set<string>())
    else handled = false
    if (handled) e.preventDefault()
  }
  onMount(() => {
    window.addEventListener('keydown', onKey)
    onCleanup(() => window.removeEventListener('keydown', onKey))
  })

  const accessibleItems = createMemo(() => {
    mediaLoaded()
    return view().tracks.flatMap((track) =>
      track.items.map((item) => ({
        id: item.id,
        track: track.id,
        start: item.start,
        duration: item.duration,
        filmstrip: item.assetId ? media.hasFilmstrip(item.assetId) : false,
        waveform: item.assetId ? media.hasWaveform(item.assetId) : false,
        text: `${track.name}: ${item.label || item.kind} at ${formatTimecode(item.start, rate())}, ${formatTimecode(item.duration, rate())} long`,
      })),
    )
  })

  // a new transcript of the asset, opened at once: it fills in live while the transcribe job runs
  const transcribeAsset = async (asset: BinAsset) => {
    try {
      const created = await api.transcripts.create.mutate({ projectId: props.ctx.projectId, assetId: asset.id })
      window.location.assign(`/projects/${props.ctx.projectId}/docs/${created.documentId}`)
    } catch (error) {
      props.ctx.notify(errorMessage(error))
    }
  }

  /** Sets where the vertical export's 9:16 window sits on a storyline clip (null: back to the centre crop). */
  const setVerticalCrop = (itemId: string, assetId: string | undefined, centre: number | null) => {
    const asset = assetId ? assetsById().get(assetId) : undefined
    const meta = timeline.getMeta(doc)
    const width = asset?.width ?? meta.width
    const height = asset?.height ?? meta.height
    edit(() => timeline.setClipCrop(doc, itemId, centre === null ? null : verticalCropBox(centre, width, height)))
  }

  const selectedItems = createMemo(() =>
    [...selection()].map((id) => findViewItem(view(), id)).filter((x): x is NonNullable<typeof x> => x !== null),
  )

  return (
    <div class="timeline-editor" data-testid="timeline-editor">
      <div class="editor-top">
        <MediaBin
          assets={props.ctx.assets}
          selected={binSelected}
          onSelect={setBinSelected}
          onInsert={insertAsset}
          canInsert={() => !readOnly()}
          thumbnailFor={thumbnailFor}
          onRefresh={props.ctx.refreshAssets}
          uploads={readOnly() ? null : uploads}
          onTranscribe={transcribeAsset}
        />
        <Viewer view={view} playback={playback} mediaFor={mediaFor} />
        <aside class="panel inspector" aria-label="Inspector">
          <header class="panel-head">
            <span>Inspector</span>
          </header>
          <Show when={selectedItems().length > 0} fallback={<p class="muted empty">Select a clip to see its details.</p>}>
            <For each={selectedItems()}>
              {({ track, item }) => (
                <dl class="props">
                  <dt>Name</dt>
                  <dd>{item.label || (item.kind === 'gap' ? 'Gap' : 'Untitled')}</dd>
                  <dt>Track</dt>
                  <dd>{track.name}</dd>
                  <dt>Start</dt>
                  <dd class="mono">{formatTimecode(item.start, rate())}</dd>
                  <dt>Duration</dt>
                  <dd class="mono">{formatTimecode(item.duration, rate())}</dd>
                  <Show when={item.sourceIn !== undefined}>
                    <dt>Source in</dt>
                    <dd class="mono">{formatTimecode(item.sourceIn ?? 0, rate())}</dd>
                  </Show>
                  <Show when={item.anchorId}>
                    <dt>Anchored to</dt>
                    <dd>{findViewItem(view(), item.anchorId ?? '')?.item.label || 'storyline item'}</dd>
                  </Show>
                  <Show when={track.storyline && item.kind === 'clip'}>
                    <dt>Vertical crop</dt>
                    <dd class="vertical-crop">
                      <input
                        type="range"
                        min="0"
                        max="100"
                        step="1"
                        value={Math.round(cropCentre(item.crop) * 100)}
                        disabled={readOnly()}
                        aria-label="Vertical crop centre"
                        title="Where the 9:16 window of the vertical export sits across this clip's picture"
                        onChange={(e) => setVerticalCrop(item.id, item.assetId, Number(e.currentTarget.value) / 100)}
                      />
                      <span class="muted small" data-testid="vertical-crop-value">
                        {item.crop ? `${Math.round(cropCentre(item.crop) * 100)}%` : 'centre'}
                      </span>
                      <Show when={item.crop && !readOnly()}>
                        <button type="button" class="ghost small" onClick={() => setVerticalCrop(item.id, item.assetId, null)} title="Use the centre crop">
                          Reset
                        </button>
                      </Show>
                    </dd>
                  </Show>
                </dl>
              )}
            </For>
          </Show>
          <header class="panel-head sub">
            <span>Markers</span>
            <button type="button" class="ghost small" disabled={readOnly()} onClick={addMarker} title="Add marker (M)">
              + Marker
            </button>
          </header>
          <ul class="marker-list">
            <For each={view().markers}>
              {(marker) => (
                <li>
                  <button type="button" class="link mono" onClick={() => playback.seek(marker.frame)}>
                    {formatTimecode(marker.frame, rate())}
                  </button>
                  <span>{marker.label}</span>
                  <Show when={!readOnly()}>
                    <button
                      type="button"
                      class="ghost small"
                      title="Remove marker"
                      onClick={() => edit(() => timeline.removeMarker(doc, marker.id))}
                    >
                      ×
                    </button>
                  </Show>
                </li>
              )}
            </For>
          </ul>
        </aside>
      </div>
      <div class="timeline-toolbar">
        <span class="timecode big" data-testid="playhead-timecode">
          {formatTimecode(playback.frame(), rate())}
        </span>
        <span class="muted mono small">/ {formatTimecode(view().duration, rate())}</span>
        <div class="tool-group">
          <button type="button" disabled={readOnly()} onClick={split} title="Split at the playhead (S)">
            Split
          </button>
          <button type="button" disabled={readOnly() || selection().size === 0} onClick={rippleDelete} title="Ripple delete (Delete)">
            Ripple delete
          </button>
          <button type="button" disabled={readOnly() || markIn() === null || markOut() === null} onClick={extractRange} title="Remove the marked range">
            Extract in–out
          </button>
          <button type="button" disabled={readOnly()} onClick={addCaption}>
            + Caption
          </button>
          <button type="button" disabled={readOnly()} onClick={addNarration} title="Add the selected bin asset as narration at the playhead">
            + Narration
          </button>
          <button type="button" disabled={readOnly()} onClick={() => addTrack('audio')}>
            + Audio track
          </button>
        </div>
        <div class="tool-group">
          <button type="button" disabled={readOnly() || !undo.canUndo()} onClick={undo.undo} title="Undo your last edit (Ctrl/Cmd+Z)" data-testid="undo">
            Undo
          </button>
          <button type="button" disabled={readOnly() || !undo.canRedo()} onClick={undo.redo} title="Redo (Shift+Ctrl/Cmd+Z)">
            Redo
          </button>
        </div>
        <div class="tool-group">
          <ExportDialog projectId={props.ctx.projectId} documentId={props.ctx.documentId} canExport={!readOnly()} />
        </div>
        <div class="tool-group right">
          <span class="muted small mono">
            {markIn() !== null ? `In ${formatTimecode(markIn()!, rate())}` : ''}
            {markOut() !== null ? `  Out ${formatTimecode(markOut()!, rate())}` : ''}
          </span>
          <label class="toggle" title="Snapping (N)">
            <input type="checkbox" checked={snapping()} onChange={(e) => setSnapping(e.currentTarget.checked)} /> Snap
          </label>
          <button type="button" onClick={() => zoom(0.8)} title="Zoom out (-)">
            −
          </button>
          <button type="button" onClick={zoomToFit} title="Zoom to fit">
            Fit
          </button>
          <button type="button" onClick={() => zoom(1.25)} title="Zoom in (+)">
            +
          </button>
        </div>
      </div>
      <div class="timeline-body" ref={timelineBox}>
        <div class="track-headers">
          <div class="track-header ruler-spacer" style={{ height: `${RULER_HEIGHT}px` }} />
          <For each={view().tracks}>
            {(track) => (
              <div class="track-header" classList={{ storyline: track.storyline }} style={{ height: `${trackHeight(track.kind)}px` }}>
                <span class="track-name">{track.name}</span>
                <span class="track-flags">
                  <button
                    type="button"
                    class="ghost small"
                    classList={{ on: track.muted }}
                    disabled={readOnly()}
                    title="Mute"
                    onClick={() => edit(() => timeline.setTrack(doc, track.id, { muted: !track.muted }))}
                  >
                    M
                  </button>
                  <button
                    type="button"
                    class="ghost small"
                    classList={{ on: track.locked }}
                    disabled={readOnly()}
                    title="Lock"
                    onClick={() => edit(() => timeline.setTrack(doc, track.id, { locked: !track.locked }))}
                  >
                    L
                  </button>
                </span>
              </div>
            )}
          </For>
        </div>
        <TimelineCanvas
          view={view}
          pxPerFrame={pxPerFrame}
          scrollX={scrollX}
          setScrollX={setScrollX}
          playhead={playback.frame}
          selection={selection}
          peers={props.ctx.peers}
          markIn={markIn}
          markOut={markOut}
          snapping={snapping}
          readOnly={readOnly}
          media={media}
          onSeek={(f) => {
            playback.pause()
            playback.seek(f)
          }}
          onSelect={select}
          onTrim={trimItem}
          onMoveInStoryline={(id, index) => edit(() => timeline.move(doc, id, index))}
          onMoveAnchored={moveAnchored}
          onZoom={zoom}
        />
      </div>
      {/* The canvas has no DOM per clip: this list is its text alternative for assistive technology. */}
      <ol class="visually-hidden" data-testid="timeline-items" aria-label="Timeline items">
        <Index each={accessibleItems()}>
          {(item) => (
            <li
              data-id={item().id}
              data-track={item().track}
              data-start={item().start}
              data-duration={item().duration}
              data-filmstrip={item().filmstrip ? 'loaded' : undefined}
              data-waveform={item().waveform ? 'loaded' : undefined}
            >
              {item().text}
            </li>
          )}
        </Index>
      </ol>
    </div>
  )
}
