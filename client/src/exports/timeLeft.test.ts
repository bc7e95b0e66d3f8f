import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { formatTimeLeft, timeLeft } from './timeLeft'

test('time left scales the elapsed time by what remains, once there is progress to go by', () => {
  assert.is(timeLeft(0.25, 10_000), 30)
  assert.is(timeLeft(0.5, 60_000), 60)
  assert.is(timeLeft(0.01, 10_000), null, 'too early to tell')
  assert.is(timeLeft(1, 10_000), null, 'done')
  assert.is(formatTimeLeft(30), '30 s left')
  assert.is(formatTimeLeft(125), '2 min 5 s left')
  assert.is(formatTimeLeft(null), 'estimating time left…')
})

test.run()
