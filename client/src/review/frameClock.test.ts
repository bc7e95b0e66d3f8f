import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { frameOfTime, seekTimeOf } from './frameClock'

test('at 30000/1001 every frame 0..100000 maps to a time that maps back to it, start and middle alike', () => {
  const rate = { num: 30000, den: 1001 }
  for (let f = 0; f <= 100_000; f++) {
    if (frameOfTime(seekTimeOf(f, rate), rate) !== f) assert.unreachable(`frame ${f} from its middle`)
    if (frameOfTime((f * rate.den) / rate.num, rate) !== f) assert.unreachable(`frame ${f} from its start`)
    // the last instant before the next frame still belongs to this one
    if (frameOfTime(((f + 1) * rate.den) / rate.num - 1e-5, rate) !== f) assert.unreachable(`frame ${f} end`)
  }
})

test('seeking targets the middle of the frame', () => {
  assert.is(seekTimeOf(0, { num: 25, den: 1 }), 0.02)
  assert.is(seekTimeOf(24, { num: 25, den: 1 }), 0.98)
  assert.ok(Math.abs(seekTimeOf(1, { num: 30000, den: 1001 }) - 1.5 * (1001 / 30000)) < 1e-12)
})

test.run()
