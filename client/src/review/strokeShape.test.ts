import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { isNegligible, parseStroke, shapeBounds, strokeGeometry } from './strokeShape'

test('a dragged rectangle becomes a normalized box whatever the drag direction', () => {
  const stroke = parseStroke({
    tool: 'rect',
    points: [
      { x: 0.6, y: 0.7 },
      { x: 0.5, y: 0.6 },
      { x: 0.2, y: 0.3 },
    ],
    frame: 4,
  })!
  const geometry = strokeGeometry(stroke)
  assert.equal(geometry, { type: 'rect', x: 0.2, y: 0.3, w: 0.39999999999999997, h: 0.39999999999999997 })
  assert.equal(shapeBounds(geometry), { x: 0.2, y: 0.3, w: 0.39999999999999997, h: 0.39999999999999997 })
})

test('a freehand stroke is bounded by its points; a click is negligible', () => {
  const stroke = parseStroke({
    tool: 'freehand',
    points: [
      { x: 0.1, y: 0.5 },
      { x: 0.3, y: 0.2 },
      { x: 0.2, y: 0.9 },
    ],
    frame: 0,
  })!
  const b = shapeBounds(strokeGeometry(stroke))
  assert.ok(
    Math.abs(b.x - 0.1) < 1e-9 &&
      Math.abs(b.y - 0.2) < 1e-9 &&
      Math.abs(b.w - 0.2) < 1e-9 &&
      Math.abs(b.h - 0.7) < 1e-9,
  )
  assert.ok(isNegligible(parseStroke({ tool: 'line', points: [{ x: 0.5, y: 0.5 }], frame: 0 })!))
})

test('strokes from awareness are checked and clamped', () => {
  assert.is(parseStroke({ tool: 'laser', points: [{ x: 0, y: 0 }], frame: 0 }), null)
  assert.is(parseStroke({ tool: 'rect', points: [], frame: 0 }), null)
  assert.equal(parseStroke({ tool: 'line', points: [{ x: -1, y: 2 }], frame: 3, color: '#fff', width: 99 })!.points, [
    { x: 0, y: 1 },
  ])
})

test.run()
