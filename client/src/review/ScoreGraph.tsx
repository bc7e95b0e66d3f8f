import type { qa } from '@cutroom/schema'
import { type Accessor, createEffect, createSignal, onCleanup, onMount, Show } from 'solid-js'
import type { ReviewPeer } from './createReviewPeers'
import type { FrameScore } from './worstFrames'

const HEIGHT = 84

/**
 * Per-frame SSIM under the player, on one canvas: the score line, suggested findings shaded, the playhead and a
 * small marker per other person at their frame. A click seeks; hovering shows the frame and its score.
 */
export function ScoreGraph(props: {
  scores: Accessor<FrameScore[]>
  /** Frames on the axis (the longer version's length when known). */
  frameCount: Accessor<number>
  frame: Accessor<number>
  findings: Accessor<qa.Finding[]>
  peers: Accessor<ReviewPeer[]>
  threshold: Accessor<number>
  onSeek: (frame: number) => void
}) {
  let canvas!: HTMLCanvasElement
  let wrap!: HTMLDivElement
  const [width, setWidth] = createSignal(800)
  const [hover, setHover] = createSignal<{ frame: number; x: number } | null>(null)

  onMount(() => {
    const observer = new ResizeObserver(([entry]) => setWidth(Math.max(100, Math.round(entry!.contentRect.width))))
    observer.observe(wrap)
    onCleanup(() => observer.disconnect())
  })

  const count = () => Math.max(1, props.frameCount(), props.scores().length)
  const xOf = (frame: number) => ((frame + 0.5) / count()) * width()
  const frameAt = (x: number) => Math.max(0, Math.min(count() - 1, Math.floor((x / width()) * count())))
  const floor = () => {
    const min = props.scores().reduce((m, s) => Math.min(m, s.ssim), 1)
    // a little below the worst score, so small dips are visible
    return Math.max(-1, Math.min(0.95, Math.floor(min * 20) / 20 - 0.05))
  }
  const yOf = (ssim: number) => 6 + (1 - (ssim - floor()) / (1 - floor())) * (HEIGHT - 16)

  createEffect(() => {
    const w = width()
    const dpr = window.devicePixelRatio || 1
    canvas.width = w * dpr
    canvas.height = HEIGHT * dpr
    canvas.style.width = `${w}px`
    canvas.style.height = `${HEIGHT}px`
    const ctx = canvas.getContext('2d')!
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0)
    ctx.clearRect(0, 0, w, HEIGHT)
    const perFrame = w / count()
    // suggested (and accepted) findings from the comparison
    for (const f of props.findings()) {
      if (!f.suggestion || f.suggestion.status === 'dismissed') continue
      ctx.fillStyle = f.suggestion.status === 'suggested' ? 'rgba(255, 159, 10, 0.22)' : 'rgba(255, 69, 58, 0.2)'
      ctx.fillRect(xOf(f.frame) - perFrame / 2, 0, (f.frameEnd - f.frame + 1) * perFrame, HEIGHT)
    }
    // the threshold
    ctx.strokeStyle = 'rgba(255,255,255,0.18)'
    ctx.setLineDash([4, 4])
    ctx.beginPath()
    ctx.moveTo(0, yOf(props.threshold()))
    ctx.lineTo(w, yOf(props.threshold()))
    ctx.stroke()
    ctx.setLineDash([])
    // the score line
    const scores = props.scores()
    ctx.strokeStyle = '#4dabf7'
    ctx.lineWidth = 1.5
    ctx.beginPath()
    scores.forEach((s, i) => {
      if (i === 0) ctx.moveTo(xOf(s.frame), yOf(s.ssim))
      else ctx.lineTo(xOf(s.frame), yOf(s.ssim))
    })
    ctx.stroke()
    // other people's playheads
    for (const p of props.peers()) {
      if (p.local || p.frame === null) continue
      const x = xOf(p.frame)
      ctx.fillStyle = p.user.color
      ctx.beginPath()
      ctx.moveTo(x - 5, HEIGHT)
      ctx.lineTo(x + 5, HEIGHT)
      ctx.lineTo(x, HEIGHT - 8)
      ctx.closePath()
      ctx.fill()
    }
    // our playhead
    const x = xOf(props.frame())
    ctx.strokeStyle = '#ffffff'
    ctx.lineWidth = 1.5
    ctx.beginPath()
    ctx.moveTo(x, 0)
    ctx.lineTo(x, HEIGHT)
    ctx.stroke()
  })

  const scoreAt = (frame: number) => props.scores().find((s) => s.frame === frame)?.ssim
  const localX = (e: MouseEvent) => e.clientX - canvas.getBoundingClientRect().left

  return (
    <div ref={wrap} class="score-graph" data-testid="score-graph" data-frames={props.scores().length}>
      <canvas
        ref={canvas}
        onClick={(e) => props.onSeek(frameAt(localX(e)))}
        onMouseMove={(e) => setHover({ frame: frameAt(localX(e)), x: localX(e) })}
        onMouseLeave={() => setHover(null)}
        aria-label="Similarity per frame; click to go to a frame"
      />
      <Show when={props.scores().length === 0}>
        <span class="score-empty muted small">No per-frame scores yet.</span>
      </Show>
      <Show when={hover()}>
        {(h) => (
          <span class="score-tip" style={{ left: `${h().x}px` }} data-testid="score-tip">
            frame {h().frame}
            {scoreAt(h().frame) !== undefined ? ` · SSIM ${scoreAt(h().frame)!.toFixed(3)}` : ''}
          </span>
        )}
      </Show>
    </div>
  )
}
