import Hls from 'hls.js'
import { createEffect, createSignal, onCleanup, Show } from 'solid-js'
import type { MediaSource } from './Viewer'

/**
 * Plays one asset (HLS proxy when available, else the source) and reports the presented media time on every
 * frame; `seekTo` is applied whenever it changes. Used by the transcript and retell editors.
 */
export function SourcePlayer(props: {
  media: MediaSource | null
  seekTo: number | null
  onTime: (seconds: number) => void
  label?: string
}) {
  let video!: HTMLVideoElement
  let hls: Hls | null = null
  let handle = 0
  let raf = 0
  const [playing, setPlaying] = createSignal(false)

  createEffect(() => {
    const media = props.media
    hls?.destroy()
    hls = null
    if (!media) return
    if (media.hlsUrl && Hls.isSupported()) {
      hls = new Hls({ xhrSetup: (xhr) => {
        xhr.withCredentials = true
      } })
      hls.loadSource(media.hlsUrl)
      hls.attachMedia(video)
    } else if (media.sourceUrl) video.src = media.sourceUrl
  })

  createEffect(() => {
    const t = props.seekTo
    if (t !== null && Math.abs(video.currentTime - t) > 0.01) video.currentTime = t
  })

  const report = () => props.onTime(video.currentTime)
  const onFrame = (_now: number, metadata: VideoFrameCallbackMetadata) => {
    props.onTime(metadata.mediaTime)
    if (!video.paused) handle = video.requestVideoFrameCallback(onFrame)
  }
  const loop = () => {
    report()
    if (!video.paused) raf = requestAnimationFrame(loop)
  }
  const onPlay = () => {
    setPlaying(true)
    if ('requestVideoFrameCallback' in video) handle = video.requestVideoFrameCallback(onFrame)
    else raf = requestAnimationFrame(loop)
  }
  const onPause = () => {
    setPlaying(false)
    report()
  }

  onCleanup(() => {
    if (handle) video.cancelVideoFrameCallback(handle)
    cancelAnimationFrame(raf)
    hls?.destroy()
  })

  return (
    <div class="source-player">
      <div class="viewer-screen small">
        {/* biome-ignore lint/a11y/useMediaCaption: the transcript next to the player is its caption track */}
        <video ref={video} playsinline preload="auto" onPlay={onPlay} onPause={onPause} onSeeked={report} />
        <Show when={!props.media}>
          <div class="viewer-empty">No playable media for this asset yet</div>
        </Show>
      </div>
      <div class="viewer-bar">
        <button type="button" class="play" disabled={!props.media} onClick={() => (video.paused ? void video.play() : video.pause())}>
          {playing() ? '❚❚' : '▶'}
        </button>
        <span class="muted small">{props.label ?? ''}</span>
      </div>
    </div>
  )
}
