import Hls from 'hls.js'
import { type Accessor, createEffect, createMemo, createSignal, onCleanup, Show, untrack } from 'solid-js'
import type { Playback } from './createPlayback'
import { formatTimecode, frameToSeconds, secondsToFrame } from './timecode'
import type { TimelineView, ViewItem } from './timelineView'
import { measureMediaStart } from './measureMediaStart'

/** Playable media of an asset: the HLS proxy when the transcode finished, else the uploaded source. */
export interface MediaSource {
  hlsUrl?: string
  sourceUrl?: string
}

/**
 * The program viewer: shows the storyline clip under the playhead, seeking frame-accurately when paused and,
 * while playing, reporting the exact presented frame (requestVideoFrameCallback) back to the playhead.
 */
export function Viewer(props: {
  view: Accessor<TimelineView>
  playback: Playback
  mediaFor: (assetId: string) => MediaSource | null
}) {
  let video!: HTMLVideoElement
  let hls: Hls | null = null
  let loadedUrl = ''
  let frameHandle = 0
  const [error, setError] = createSignal<string | null>(null)
  // where the loaded media's first frame sits on its timeline (an HLS proxy's is two frames in), so frame n is
  // shown at start + n / rate: the review player's correction, measured the same way
  const [start, setStart] = createSignal(0)
  let stopMeasuring = () => {}

  const storyline = () => props.view().tracks.find((t) => t.storyline)
  const current = createMemo((): ViewItem | null => {
    const f = props.playback.frame()
    for (const item of storyline()?.items ?? []) if (f >= item.start && f < item.start + item.duration) return item
    return null
  })
  const source = createMemo(() => {
    const item = current()
    if (!item || item.kind !== 'clip' || !item.assetId) return null
    return props.mediaFor(item.assetId)
  })
  const sourceFrame = () => {
    const item = current()
    return item ? (item.sourceIn ?? 0) + props.playback.frame() - item.start : 0
  }

  const load = (media: MediaSource | null) => {
    const url = media?.hlsUrl ?? media?.sourceUrl ?? ''
    if (url === loadedUrl) return
    loadedUrl = url
    hls?.destroy()
    hls = null
    setError(null)
    stopMeasuring()
    setStart(0)
    if (url) stopMeasuring = measureMediaStart(video, setStart)
    if (!url) {
      video.removeAttribute('src')
      video.load()
      return
    }
    if (media?.hlsUrl && Hls.isSupported()) {
      hls = new Hls({
        xhrSetup: (xhr) => {
          xhr.withCredentials = true
        },
        // a proxy that just landed may answer 404 for a moment (the api records it after collab announces it)
        manifestLoadPolicy: {
          default: {
            maxTimeToFirstByteMs: Number.POSITIVE_INFINITY,
            maxLoadTimeMs: 20_000,
            timeoutRetry: { maxNumRetry: 2, retryDelayMs: 0, maxRetryDelayMs: 0 },
            errorRetry: {
              maxNumRetry: 6,
              retryDelayMs: 250,
              maxRetryDelayMs: 8000,
              shouldRetry: (config, count, _timeout, response, retry) =>
                retry || (response?.code === 404 && count < (config?.maxNumRetry ?? 0)),
            },
          },
        },
      })
      hls.on(Hls.Events.ERROR, (_event, data) => {
        if (data.fatal) setError(`Playback failed: ${data.details}`)
      })
      hls.loadSource(url)
      hls.attachMedia(video)
    } else video.src = url
  }

  // Presented frames while playing drive the playhead; crossing the clip's out point moves to the next clip.
  const onFrame = (_now: number, metadata: VideoFrameCallbackMetadata) => {
    const item = current()
    if (item && props.playback.rate() > 0) {
      const mediaFrame = secondsToFrame(metadata.mediaTime - untrack(start), props.view().rate)
      const timelineFrame = item.start + mediaFrame - (item.sourceIn ?? 0)
      props.playback.advanceTo(Math.min(timelineFrame, item.start + item.duration))
    }
    frameHandle = video.requestVideoFrameCallback(onFrame)
  }

  createEffect(() => load(source()))

  createEffect(() => {
    const speed = props.playback.rate()
    const media = source()
    const driven = speed > 0 && media !== null && 'requestVideoFrameCallback' in video
    props.playback.setVideoDriven(driven)
    if (driven) {
      video.playbackRate = speed
      // untracked: the frames this playback presents move the playhead, and must not seek the video back
      video.currentTime = untrack(() => start() + frameToSeconds(sourceFrame() + 0.5, props.view().rate))
      void video.play().catch(() => props.playback.setVideoDriven(false))
      if (!frameHandle) frameHandle = video.requestVideoFrameCallback(onFrame)
    } else {
      video.pause()
      if (frameHandle) video.cancelVideoFrameCallback(frameHandle)
      frameHandle = 0
    }
  })

  // While paused (or when the clock drives), seek to the middle of the frame so the decoder shows exactly it.
  createEffect(() => {
    const f = sourceFrame()
    if (!source() || (props.playback.rate() > 0 && !video.paused)) return
    const target = start() + frameToSeconds(f + 0.5, props.view().rate)
    if (Math.abs(video.currentTime - target) > 1e-3) video.currentTime = target
  })

  onCleanup(() => {
    stopMeasuring()
    if (frameHandle) video.cancelVideoFrameCallback(frameHandle)
    hls?.destroy()
  })

  return (
    <div class="viewer">
      <div class="viewer-screen">
        <video
          ref={video}
          muted={false}
          playsinline
          preload="auto"
          data-testid="viewer-video"
          data-start={start()}
          data-source-frame={sourceFrame()}
        />
        <Show when={!source()}>
          <div class="viewer-empty">
            {current()?.kind === 'gap' ? 'Gap' : current() ? 'No media' : 'No clip at the playhead'}
          </div>
        </Show>
        <Show when={error()}>
          <div class="viewer-error">{error()}</div>
        </Show>
      </div>
      <div class="viewer-bar">
        <button type="button" onClick={() => props.playback.step(-1)} title="Previous frame (Left)">
          ◀︎
        </button>
        <button type="button" class="play" onClick={() => props.playback.togglePlay()} title="Play / pause (Space, K)">
          {props.playback.rate() !== 0 ? '❚❚' : '▶'}
        </button>
        <button type="button" onClick={() => props.playback.step(1)} title="Next frame (Right)">
          ▶︎
        </button>
        <span class="timecode" data-testid="viewer-timecode">
          {formatTimecode(props.playback.frame(), props.view().rate)}
        </span>
        <Show when={props.playback.rate() !== 0 && props.playback.rate() !== 1}>
          <span class="shuttle">{props.playback.rate()}×</span>
        </Show>
        <span class="muted viewer-clip">{current()?.label ?? ''}</span>
      </div>
    </div>
  )
}
