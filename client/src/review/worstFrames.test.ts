import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { stepWorstFrame, worstFrameOrder } from './worstFrames'

const scores = (values: number[]) => values.map((ssim, frame) => ({ frame, ssim }))

test('one stop per dip below the threshold, worst dip first', () => {
  //                   0     1    2    3     4    5    6    7     8
  const frames = scores([1, 0.9, 0.7, 0.95, 1, 0.6, 0.5, 0.97, 1])
  assert.equal(worstFrameOrder(frames, 0.98), [6, 2])
})

test('with nothing below the threshold every frame ranks by score, ties to the earlier frame', () => {
  assert.equal(worstFrameOrder(scores([0.99, 0.995, 0.99, 1]), 0.98), [0, 2, 1, 3])
})

test('N walks the order from the worst and wraps; Shift+N walks back', () => {
  const order = [40, 12, 70]
  assert.is(stepWorstFrame(order, 0, 1), 40)
  assert.is(stepWorstFrame(order, 40, 1), 12)
  assert.is(stepWorstFrame(order, 12, 1), 70)
  assert.is(stepWorstFrame(order, 70, 1), 40)
  assert.is(stepWorstFrame(order, 40, -1), 70)
  assert.is(stepWorstFrame(order, 5, -1), 70)
  assert.is(stepWorstFrame([], 5, 1), null)
})

test.run()
