import type { qa } from '@cutroom/schema'

/** Draws one shape (normalized coordinates) on a canvas whose drawing area is `w` x `h` pixels. */
export function drawShape(
  ctx: CanvasRenderingContext2D,
  shape: qa.ShapeGeometry,
  style: { color: string; width: number; highlight?: boolean },
  w: number,
  h: number,
): void {
  ctx.save()
  ctx.strokeStyle = style.color
  ctx.fillStyle = style.color
  ctx.lineWidth = style.width * (style.highlight ? 1.5 : 1)
  ctx.lineCap = 'round'
  ctx.lineJoin = 'round'
  if (style.highlight) {
    ctx.shadowColor = 'rgba(255,255,255,0.9)'
    ctx.shadowBlur = 6
  }
  ctx.beginPath()
  switch (shape.type) {
    case 'rect':
      ctx.strokeRect(shape.x * w, shape.y * h, shape.w * w, shape.h * h)
      break
    case 'ellipse':
      ctx.ellipse(
        (shape.x + shape.w / 2) * w,
        (shape.y + shape.h / 2) * h,
        (shape.w / 2) * w,
        (shape.h / 2) * h,
        0,
        0,
        Math.PI * 2,
      )
      ctx.stroke()
      break
    case 'line':
    case 'arrow': {
      const x1 = shape.from.x * w
      const y1 = shape.from.y * h
      const x2 = shape.to.x * w
      const y2 = shape.to.y * h
      ctx.moveTo(x1, y1)
      ctx.lineTo(x2, y2)
      if (shape.type === 'arrow') {
        const angle = Math.atan2(y2 - y1, x2 - x1)
        const head = 8 + style.width * 2
        ctx.moveTo(x2, y2)
        ctx.lineTo(x2 - head * Math.cos(angle - 0.45), y2 - head * Math.sin(angle - 0.45))
        ctx.moveTo(x2, y2)
        ctx.lineTo(x2 - head * Math.cos(angle + 0.45), y2 - head * Math.sin(angle + 0.45))
      }
      ctx.stroke()
      break
    }
    case 'freehand':
      shape.points.forEach((p, i) => {
        if (i === 0) ctx.moveTo(p.x * w, p.y * h)
        else ctx.lineTo(p.x * w, p.y * h)
      })
      ctx.stroke()
      break
    case 'text':
      ctx.font = `600 ${Math.round(12 + style.width * 2)}px system-ui, sans-serif`
      ctx.textBaseline = 'top'
      ctx.fillText(shape.text, shape.x * w, shape.y * h)
      break
  }
  ctx.restore()
}
