import {
  type Accessor,
  createEffect,
  createSignal,
  For,
  type JSX,
  on,
  onCleanup,
  onMount,
  Show,
  untrack,
} from 'solid-js'
import { isTypingTarget } from '../workspace/isTypingTarget'
import { measureMediaStart } from '../workspace/measureMediaStart'
import { formatTimecode } from '../workspace/timecode'
import { attachVideoSource } from './attachVideoSource'
import { COMPARE_MODE_LABEL, COMPARE_MODES, type CompareMode } from './compareState'
import type { ReviewRoomState } from './createReviewRoom'
import { frameOfTime, seekTimeOf } from './frameClock'
import type { FramediffArtifacts } from './framediffArtifacts'
import { HeatmapCanvas } from './HeatmapCanvas'
import type { ReviewVersion } from './ReviewRoom'
import { ShortcutHelp } from './ShortcutHelp'
import { stepWorstFrame } from './worstFrames'

/** The key that flips between A and B in the A/B toggle mode. */
export const AB_TOGGLE_KEY = '`'

/**
 * Two versions locked to the same frame. Paused, both are sought to the middle of their frame (pause-and-step);
 * playing, A's presented frames (requestVideoFrameCallback) move the playhead and B is slaved to A, its drift
 * corrected by nudging its rate or, past two frames, by a seek. J plays backwards by stepping.
 */
export function ComparePlayer(props: {
  state: ReviewRoomState
  diff: Accessor<FramediffArtifacts | null>
  worstOrder: Accessor<number[]>
  /** Drawn over version A's frame (the annotation layer). */
  overlay?: JSX.Element
}) {
  const s = props.state
  const room = s.room
  const a: ReviewVersion = room.compareTo ?? room.version
  const b: ReviewVersion | null = room.compareTo ? room.version : null
  let videoA!: HTMLVideoElement
  let videoB: HTMLVideoElement | undefined
  let stage!: HTMLDivElement
  const [aspect, setAspect] = createSignal(16 / 9)
  const [error, setError] = createSignal<string | null>(null)
  const [rate, setRate] = createSignal(0)
  const [help, setHelp] = createSignal(false)
  const mode = () => s.compare().mode
  const frame = () => s.compare().frame
  const frameSeconds = a.fps.den / a.fps.num
  // Where each video's first frame sits on its media timeline (see measureMediaStart).
  const [startA, setStartA] = createSignal(0)
  const [startB, setStartB] = createSignal(0)
  const measureStart = (video: HTMLVideoElement, set: (seconds: number) => void) => {
    onCleanup(measureMediaStart(video, set))
  }
  const timeA = (aFrame: number) => startA() + seekTimeOf(aFrame, a.fps)

  onMount(() => {
    const detachA = attachVideoSource(videoA, a, (m) => setError(`${label(a)}: ${m}`))
    const detachB = b && videoB ? attachVideoSource(videoB, b, (m) => setError(`${label(b)}: ${m}`)) : () => {}
    measureStart(videoA, setStartA)
    if (videoB) measureStart(videoB, setStartB)
    videoA.addEventListener('loadedmetadata', () => {
      if (videoA.videoWidth && videoA.videoHeight) setAspect(videoA.videoWidth / videoA.videoHeight)
    })
    videoA.addEventListener('ended', () => stop())
    onCleanup(() => {
      stop()
      detachA()
      detachB()
    })
  })

  /** B's frame for A's frame: the same moment on B's own grid, plus the offset. */
  const bTime = (aFrame: number) => {
    if (!b) return 0
    const bFrame = frameOfTime(seekTimeOf(aFrame, a.fps), b.fps) + s.compare().offset
    return startB() + seekTimeOf(Math.max(0, bFrame), b.fps)
  }

  // Paused: seek both to the middle of the frame (and again when the offset changes).
  createEffect(() => {
    const f = frame()
    s.compare().offset
    if (rate() !== 0) return
    const target = timeA(f)
    if (Math.abs(videoA.currentTime - target) > 1e-3) videoA.currentTime = target
    if (videoB && b) {
      const tb = bTime(f)
      if (Math.abs(videoB.currentTime - tb) > 1e-3) videoB.currentTime = tb
    }
  })

  let frameHandle = 0
  let reverseTimer = 0
  const onFrame = (_now: number, metadata: VideoFrameCallbackMetadata) => {
    if (rate() <= 0) return
    const f = frameOfTime(metadata.mediaTime - untrack(startA), a.fps)
    s.setPlayingFrame(f)
    if (videoB && b) {
      const target = metadata.mediaTime - startA() + startB() + s.compare().offset * (b.fps.den / b.fps.num)
      const drift = videoB.currentTime - target
      if (Math.abs(drift) > 2 * frameSeconds) videoB.currentTime = target
      else videoB.playbackRate = rate() * (1 - Math.max(-0.1, Math.min(0.1, drift * 2)))
    }
    frameHandle = videoA.requestVideoFrameCallback(onFrame)
  }
  const stop = () => {
    if (frameHandle) videoA?.cancelVideoFrameCallback(frameHandle)
    frameHandle = 0
    clearInterval(reverseTimer)
    reverseTimer = 0
    videoA?.pause()
    videoB?.pause()
    if (rate() !== 0) {
      setRate(0)
      s.setPaused(true)
    }
  }
  const blockedByFollow = () => {
    if (!s.following()) return false
    room.notify('You are following the presenter: stop following to play on your own.')
    return true
  }
  const playForward = (speed: number) => {
    if (blockedByFollow()) return
    stop()
    setRate(speed)
    s.setPaused(false)
    videoA.playbackRate = speed
    videoA.currentTime = timeA(frame())
    if (videoB && b) {
      videoB.playbackRate = speed
      videoB.currentTime = bTime(frame())
      void videoB.play().catch(() => {})
    }
    void videoA.play().catch(() => stop())
    frameHandle = videoA.requestVideoFrameCallback(onFrame)
  }
  const playReverse = (speed: number) => {
    if (blockedByFollow()) return
    stop()
    setRate(-speed)
    s.setPaused(false)
    reverseTimer = window.setInterval(
      () => {
        if (frame() <= 0) return stop()
        s.setPlayingFrame(frame() - 1)
      },
      (frameSeconds * 1000) / speed,
    )
  }
  // While reversing, each step is a paused-style seek (the effect above skips seeks while rate != 0).
  createEffect(
    on(frame, (f) => {
      if (rate() >= 0) return
      videoA.currentTime = timeA(f)
      if (videoB && b) videoB.currentTime = bTime(f)
    }),
  )
  const step = (delta: number) => {
    stop()
    room.seek(frame() + delta)
  }
  const jumpWorst = (direction: 1 | -1) => {
    const next = stepWorstFrame(props.worstOrder(), frame(), direction)
    if (next === null) return room.notify('No comparison scores yet.')
    stop()
    room.seek(next)
  }
  const setMode = (m: CompareMode) => s.setCompare({ mode: m })
  const toggleAB = () => s.setCompare({ mode: 'ab', showB: mode() === 'ab' ? !s.compare().showB : true })

  const onKey = (e: KeyboardEvent) => {
    if (isTypingTarget(e.target) || e.ctrlKey || e.metaKey || e.altKey) return
    const key = e.key
    if (key === ' ') return (e.preventDefault(), rate() === 0 ? playForward(1) : stop())
    if (key === 'k' || key === 'K') return stop()
    if (key === 'l' || key === 'L') return playForward(rate() > 0 ? Math.min(4, rate() * 2) : 1)
    if (key === 'j' || key === 'J') return playReverse(rate() < 0 ? Math.min(4, -rate() * 2) : 1)
    if (key === 'ArrowLeft' || key === 'ArrowRight') {
      e.preventDefault()
      return step((key === 'ArrowLeft' ? -1 : 1) * (e.shiftKey ? 10 : 1))
    }
    if (key === 'n' || key === 'N') return jumpWorst(e.shiftKey ? -1 : 1)
    if (key === AB_TOGGLE_KEY && b) return toggleAB()
    if (key === '?') return setHelp((v) => !v)
    if (key === 'Escape') return setHelp(false)
    const index = Number(key) - 1
    if (Number.isInteger(index) && index >= 0 && index < COMPARE_MODES.length && b)
      return setMode(COMPARE_MODES[index]!)
  }
  window.addEventListener('keydown', onKey)
  onCleanup(() => window.removeEventListener('keydown', onKey))

  // The wipe divider follows the pointer while dragged.
  const dragWipe = (e: PointerEvent) => {
    const target = e.currentTarget as HTMLElement
    target.setPointerCapture(e.pointerId)
    const move = (ev: PointerEvent) => {
      const box = stage.getBoundingClientRect()
      s.setCompare({ wipe: Math.min(1, Math.max(0, (ev.clientX - box.left) / box.width)) })
    }
    move(e)
    const up = () => {
      target.removeEventListener('pointermove', move)
      target.removeEventListener('pointerup', up)
    }
    target.addEventListener('pointermove', move)
    target.addEventListener('pointerup', up)
  }

  const bStyle = (): JSX.CSSProperties => {
    const c = s.compare()
    switch (c.mode) {
      case 'wipe':
        return { 'clip-path': `inset(0 0 0 ${(c.wipe * 100).toFixed(2)}%)` }
      case 'onion':
        return { opacity: c.opacity }
      case 'ab':
        return { visibility: c.showB ? 'visible' : 'hidden' }
      case 'diff':
        return { visibility: 'hidden' }
      default:
        return {}
    }
  }
  const label = (v: ReviewVersion) => `v${v.version}`

  return (
    <div class="compare-player">
      <div class="compare-toolbar" role="toolbar" aria-label="Compare">
        <Show when={b}>
          <div class="segmented" data-testid="compare-modes">
            <For each={COMPARE_MODES}>
              {(m, i) => (
                <button
                  type="button"
                  classList={{ active: mode() === m }}
                  aria-pressed={mode() === m}
                  data-mode={m}
                  title={`${COMPARE_MODE_LABEL[m]} (${i() + 1})`}
                  onClick={() => setMode(m)}
                >
                  {COMPARE_MODE_LABEL[m]}
                </button>
              )}
            </For>
          </div>
          <label class="slider" title="Show B this many frames ahead of A">
            B offset
            <select
              value={String(s.compare().offset)}
              onChange={(e) => s.setCompare({ offset: Number(e.currentTarget.value) })}
              data-testid="compare-offset"
            >
              <option value="-1">−1</option>
              <option value="0">0</option>
              <option value="1">+1</option>
            </select>
          </label>
          <Show when={mode() === 'diff'}>
            <label class="slider">
              Gain
              <input
                type="range"
                min="1"
                max="16"
                step="0.5"
                value={s.compare().gain}
                onInput={(e) => s.setCompare({ gain: Number(e.currentTarget.value) })}
                data-testid="heatmap-gain"
              />
            </label>
          </Show>
          <Show when={mode() === 'diff' || mode() === 'onion'}>
            <label class="slider">
              Opacity
              <input
                type="range"
                min="0"
                max="1"
                step="0.05"
                value={s.compare().opacity}
                onInput={(e) => s.setCompare({ opacity: Number(e.currentTarget.value) })}
                data-testid="overlay-opacity"
              />
            </label>
          </Show>
        </Show>
        <button type="button" class="help-button" onClick={() => setHelp((v) => !v)} title="Keyboard shortcuts (?)">
          ?
        </button>
      </div>
      <div
        ref={stage}
        class="compare-stage"
        data-testid="compare-stage"
        data-mode={b ? mode() : 'single'}
        data-frame={frame()}
        data-offset={s.compare().offset}
        data-show-b={s.compare().showB}
        style={{ '--aspect': String(aspect()) }}
      >
        <div class="pane a" data-label={`A · ${label(a)}`}>
          <video ref={videoA} muted playsinline preload="auto" data-testid="compare-video-a" data-start={startA()} />
          <Show when={b && mode() === 'diff'}>
            <HeatmapCanvas
              diff={props.diff}
              frame={frame}
              gain={() => s.compare().gain}
              opacity={() => s.compare().opacity}
            />
          </Show>
          {props.overlay}
        </div>
        <Show when={b}>
          <div class="pane b" data-label={`B · ${label(b!)}`} style={bStyle()}>
            <video ref={videoB} muted playsinline preload="auto" data-testid="compare-video-b" data-start={startB()} />
          </div>
        </Show>
        <Show when={b && mode() === 'wipe'}>
          <div
            class="wipe-handle"
            data-testid="wipe-handle"
            style={{ left: `${(s.compare().wipe * 100).toFixed(2)}%` }}
            onPointerDown={dragWipe}
          />
        </Show>
        <Show when={error()}>
          <div class="viewer-error">{error()}</div>
        </Show>
      </div>
      <div class="viewer-bar compare-bar">
        <button type="button" onClick={() => step(-1)} title="Previous frame (←)">
          ◀︎
        </button>
        <button
          type="button"
          class="play"
          onClick={() => (rate() === 0 ? playForward(1) : stop())}
          title="Play / pause (Space, K)"
          data-testid="compare-play"
        >
          {rate() !== 0 ? '❚❚' : '▶'}
        </button>
        <button type="button" onClick={() => step(1)} title="Next frame (→)">
          ▶︎
        </button>
        <span class="timecode" data-testid="compare-timecode">
          {formatTimecode(frame(), a.fps)}
        </span>
        <label class="muted small frame-go" data-testid="compare-frame">
          frame
          <input
            type="number"
            min="0"
            step="1"
            aria-label="Frame"
            title="Type a frame and press Enter to go there"
            value={frame()}
            onKeyDown={(e) => {
              if (e.key !== 'Enter') return
              const n = Number(e.currentTarget.value)
              if (!Number.isInteger(n) || n < 0) return room.notify('Type a whole frame number, 0 or more.')
              stop()
              room.seek(n)
            }}
          />
          {s.lastFrame() !== null ? ` / ${s.lastFrame()}` : ''}
        </label>
        <Show when={rate() !== 0 && rate() !== 1}>
          <span class="shuttle">{rate()}×</span>
        </Show>
        <Show when={b && mode() === 'ab'}>
          <span class="badge">showing {s.compare().showB ? `B · ${label(b!)}` : `A · ${label(a)}`}</span>
        </Show>
        <button type="button" class="worst" onClick={() => jumpWorst(1)} title="Next worst frame (N)">
          Worst ▸
        </button>
      </div>
      <Show when={help()}>
        <ShortcutHelp onClose={() => setHelp(false)} />
      </Show>
    </div>
  )
}
