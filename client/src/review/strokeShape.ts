import type { qa } from '@cutroom/schema'

export type Tool = qa.ShapeType
export const TOOLS: { tool: Tool; label: string; key: string }[] = [
  { tool: 'rect', label: 'Rectangle', key: 'R' },
  { tool: 'ellipse', label: 'Ellipse', key: 'E' },
  { tool: 'arrow', label: 'Arrow', key: 'A' },
  { tool: 'line', label: 'Line', key: 'I' },
  { tool: 'freehand', label: 'Freehand', key: 'F' },
  { tool: 'text', label: 'Text', key: 'T' },
]
export const SWATCHES = ['#ff3b30', '#ffcc00', '#34c759', '#0a84ff', '#ffffff'] as const
export const STROKE_WIDTHS = [2, 4, 8] as const

/** The shape being drawn, as it travels in awareness (`stroke`): points normalized 0..1 to the frame. */
export interface Stroke {
  tool: Tool
  points: qa.Point[]
  color: string
  width: number
  frame: number
  text?: string
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v))

/** A stroke read from someone's awareness; null when it is not one (awareness is not validated anywhere else). */
export function parseStroke(value: unknown): Stroke | null {
  if (!value || typeof value !== 'object') return null
  const o = value as Record<string, unknown>
  if (!TOOLS.some((t) => t.tool === o.tool) || !Array.isArray(o.points) || typeof o.frame !== 'number') return null
  const points = (o.points as unknown[])
    .slice(0, 5000)
    .filter((p): p is qa.Point => !!p && typeof (p as qa.Point).x === 'number' && typeof (p as qa.Point).y === 'number')
    .map((p) => ({ x: clamp01(p.x), y: clamp01(p.y) }))
  if (points.length === 0) return null
  return {
    tool: o.tool as Tool,
    points,
    color: typeof o.color === 'string' ? o.color.slice(0, 32) : SWATCHES[0],
    width: typeof o.width === 'number' ? Math.min(64, Math.max(0.5, o.width)) : 2,
    frame: o.frame,
    text: typeof o.text === 'string' ? o.text.slice(0, 2000) : undefined,
  }
}

/** The stored geometry of a finished stroke: two-point tools use the first and last point. */
export function strokeGeometry(stroke: Stroke): qa.ShapeGeometry {
  const first = stroke.points[0]!
  const last = stroke.points[stroke.points.length - 1]!
  switch (stroke.tool) {
    case 'rect':
    case 'ellipse':
      return {
        type: stroke.tool,
        x: Math.min(first.x, last.x),
        y: Math.min(first.y, last.y),
        w: Math.abs(last.x - first.x),
        h: Math.abs(last.y - first.y),
      }
    case 'arrow':
    case 'line':
      return { type: stroke.tool, from: first, to: last }
    case 'freehand':
      return { type: 'freehand', points: stroke.points }
    case 'text':
      return { type: 'text', x: first.x, y: first.y, text: stroke.text ?? '' }
  }
}

/** True when a stroke is too small to be meant (a click without a drag), except text which is placed by a click. */
export function isNegligible(stroke: Stroke): boolean {
  if (stroke.tool === 'text') return !stroke.text?.trim()
  const b = shapeBounds(strokeGeometry(stroke))
  return b.w < 0.004 && b.h < 0.004
}

/** The box a shape covers (the region of a finding made from it); text gets a small box at its anchor. */
export function shapeBounds(shape: qa.ShapeGeometry): qa.Region {
  const box = (xs: number[], ys: number[]): qa.Region => {
    const x = Math.min(...xs)
    const y = Math.min(...ys)
    return { x, y, w: Math.max(...xs) - x, h: Math.max(...ys) - y }
  }
  switch (shape.type) {
    case 'rect':
    case 'ellipse':
      return { x: shape.x, y: shape.y, w: shape.w, h: shape.h }
    case 'arrow':
    case 'line':
      return box([shape.from.x, shape.to.x], [shape.from.y, shape.to.y])
    case 'freehand':
      return box(
        shape.points.map((p) => p.x),
        shape.points.map((p) => p.y),
      )
    case 'text':
      return { x: shape.x, y: shape.y, w: Math.min(0.2, 1 - shape.x), h: Math.min(0.05, 1 - shape.y) }
  }
}
