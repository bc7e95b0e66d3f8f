import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cropCentre, verticalCropBox, verticalWindowWidth } from './verticalCrop'

test('the 9:16 window of a 16:9 picture is 0.316 of its width, full height, and stays inside the picture', () => {
  assert.ok(Math.abs(verticalWindowWidth(1920, 1080) - 0.31640625) < 1e-9)
  const left = verticalCropBox(0, 1920, 1080)
  assert.equal([left.x, left.y, left.h], [0, 0, 1])
  const right = verticalCropBox(1, 1920, 1080)
  assert.ok(right.x + right.w <= 1 && right.x > 0.68, `right edge: ${JSON.stringify(right)}`)
  const mid = verticalCropBox(0.5, 1920, 1080)
  assert.ok(Math.abs(cropCentre(mid) - 0.5) < 1e-3)
  assert.is(cropCentre(undefined), 0.5)
})

test('a picture already narrower than 9:16 is taken whole', () => {
  assert.equal(verticalCropBox(0.2, 1080, 1920), { x: 0, y: 0, w: 1, h: 1 })
})

test.run()
