import { qa } from '@cutroom/schema'
import { type Accessor, createEffect, createSignal, onCleanup, onMount, Show } from 'solid-js'
import { errorMessage } from '../workspace/errorMessage'
import type { AnnotationTools } from './createAnnotationTools'
import type { ReviewPeer } from './createReviewPeers'
import { drawShape } from './drawShape'
import type { ReviewRoom } from './ReviewRoom'
import { isNegligible, type Stroke, shapeBounds, strokeGeometry } from './strokeShape'

/**
 * Drawing on a paused frame, over version A's frame box (coordinates normalized 0..1 to it). The stroke being
 * drawn travels in awareness (`stroke`) and is drawn live for everyone on the same frame; releasing it writes one
 * change to the qa document: a new finding at this frame, or a shape added to the selected finding when that
 * finding covers the frame. Shapes of the findings covering the frame are drawn, the selected one highlighted.
 */
export function AnnotationLayer(props: {
  room: ReviewRoom
  tools: AnnotationTools
  peers: Accessor<ReviewPeer[]>
  findings: Accessor<qa.Finding[]>
  /** Null when drawing is possible now; else why not. */
  disabledReason: Accessor<string | null>
}) {
  const room = props.room
  let canvas!: HTMLCanvasElement
  let wrap!: HTMLDivElement
  const [size, setSize] = createSignal({ w: 1, h: 1 })
  const [stroke, setStroke] = createSignal<Stroke | null>(null)
  const [textAt, setTextAt] = createSignal<qa.Point | null>(null)
  const [shapesShown, setShapesShown] = createSignal(0)

  onMount(() => {
    const observer = new ResizeObserver(([entry]) =>
      setSize({ w: Math.max(1, entry!.contentRect.width), h: Math.max(1, entry!.contentRect.height) }),
    )
    observer.observe(wrap)
    onCleanup(() => observer.disconnect())
  })

  let published = 0
  const publish = () => {
    if (published) return
    published = requestAnimationFrame(() => {
      published = 0
      room.qa.provider.setAwarenessField('stroke', stroke())
    })
  }
  onCleanup(() => {
    cancelAnimationFrame(published)
    room.qa.provider.setAwarenessField('stroke', null)
  })

  createEffect(() => {
    const { w, h } = size()
    const dpr = window.devicePixelRatio || 1
    canvas.width = Math.round(w * dpr)
    canvas.height = Math.round(h * dpr)
    const ctx = canvas.getContext('2d')!
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0)
    ctx.clearRect(0, 0, w, h)
    const frame = room.frame()
    const selected = room.selectedFinding()
    let shapes = 0
    for (const f of props.findings()) {
      if (frame < f.frame || frame > f.frameEnd) continue
      shapes += f.annotations.length
      for (const s of f.annotations)
        drawShape(ctx, s, { color: s.color, width: s.strokeWidth, highlight: f.id === selected }, w, h)
    }
    const live = props.peers().filter((p) => !p.local && p.stroke && p.stroke.frame === frame)
    for (const p of live)
      drawShape(ctx, strokeGeometry(p.stroke!), { color: p.stroke!.color, width: p.stroke!.width }, w, h)
    const own = stroke()
    if (own) drawShape(ctx, strokeGeometry(own), { color: own.color, width: own.width }, w, h)
    setShapesShown(shapes)
  })

  const pointOf = (e: PointerEvent): qa.Point => {
    const box = canvas.getBoundingClientRect()
    return {
      x: Math.min(1, Math.max(0, (e.clientX - box.left) / box.width)),
      y: Math.min(1, Math.max(0, (e.clientY - box.top) / box.height)),
    }
  }

  const commit = (done: Stroke) => {
    if (isNegligible(done)) return
    const geometry = strokeGeometry(done)
    const shape: qa.ShapeInput = { ...geometry, author: room.user.id, color: done.color, strokeWidth: done.width }
    const doc = room.qa.doc
    const selected = room.selectedFinding()
    const target = selected ? qa.getFinding(doc, selected) : null
    try {
      if (target && done.frame >= target.frame && done.frame <= target.frameEnd) qa.addShape(doc, target.id, shape)
      else {
        const id = qa.addFinding(doc, {
          title: `Note on frame ${done.frame}`,
          versionA: room.compareTo?.assetId ?? room.version.assetId,
          versionB: room.version.assetId,
          frame: done.frame,
          region: shapeBounds(geometry),
          author: room.user.id,
          shapes: [shape],
        })
        room.selectFinding(id)
      }
    } catch (error) {
      room.notify(errorMessage(error))
    }
  }

  const onPointerDown = (e: PointerEvent) => {
    if (e.button !== 0) return
    const reason = props.disabledReason()
    if (reason) return room.notify(reason)
    const p = pointOf(e)
    if (props.tools.tool() === 'text') {
      setTextAt(p)
      return
    }
    e.preventDefault()
    canvas.setPointerCapture(e.pointerId)
    setStroke({
      tool: props.tools.tool(),
      points: [p],
      color: props.tools.color(),
      width: props.tools.width(),
      frame: room.frame(),
    })
    publish()
  }
  const onPointerMove = (e: PointerEvent) => {
    const current = stroke()
    if (!current) return
    const p = pointOf(e)
    const points =
      current.tool === 'freehand' ? [...current.points, p].slice(0, qa.MAX_FREEHAND_POINTS) : [current.points[0]!, p]
    setStroke({ ...current, points })
    publish()
  }
  const onPointerUp = () => {
    const done = stroke()
    if (!done) return
    setStroke(null)
    cancelAnimationFrame(published)
    published = 0
    room.qa.provider.setAwarenessField('stroke', null)
    commit(done)
  }
  const finishText = (text: string) => {
    const at = textAt()
    setTextAt(null)
    if (!at || !text.trim()) return
    commit({
      tool: 'text',
      points: [at],
      color: props.tools.color(),
      width: props.tools.width(),
      frame: room.frame(),
      text: text.trim(),
    })
  }

  return (
    <div ref={wrap} class="annotation-layer" classList={{ drawing: props.disabledReason() === null }}>
      <canvas
        ref={canvas}
        data-testid="annotation-canvas"
        data-drawing={stroke() ? 'true' : 'false'}
        data-shapes={shapesShown()}
        data-live-strokes={props.peers().filter((p) => !p.local && p.stroke && p.stroke.frame === room.frame()).length}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
      />
      <Show when={textAt()}>
        {(at) => (
          <input
            class="annotation-text"
            style={{ left: `${at().x * 100}%`, top: `${at().y * 100}%`, color: props.tools.color() }}
            placeholder="Text, then Enter"
            maxLength={2000}
            ref={(el) => queueMicrotask(() => el.focus())}
            onKeyDown={(e) => {
              if (e.key === 'Enter') finishText(e.currentTarget.value)
              if (e.key === 'Escape') setTextAt(null)
            }}
            onBlur={(e) => finishText(e.currentTarget.value)}
            data-testid="annotation-text"
          />
        )}
      </Show>
    </div>
  )
}
