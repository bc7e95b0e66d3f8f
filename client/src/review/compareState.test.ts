import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  COMPARE_MODES,
  type CompareState,
  decodeCompareState,
  DEFAULT_COMPARE,
  encodeCompareState,
} from './compareState'

test('every compare state survives the URL round trip', () => {
  for (const mode of COMPARE_MODES)
    for (const offset of [-1, 0, 1]) {
      const state: CompareState = {
        mode,
        offset,
        gain: 7.5,
        opacity: 0.35,
        wipe: 0.125,
        showB: offset === 1,
        frame: 1234,
      }
      assert.equal(decodeCompareState(encodeCompareState(state)), state, `${mode} ${offset}`)
    }
  assert.equal(decodeCompareState(encodeCompareState(DEFAULT_COMPARE)), DEFAULT_COMPARE)
})

test('other query parameters are kept and defaults are left out of the URL', () => {
  const query = encodeCompareState({ ...DEFAULT_COMPARE, mode: 'wipe', frame: 12 }, 'share=abc')
  const params = new URLSearchParams(query)
  assert.is(params.get('share'), 'abc')
  assert.is(params.get('mode'), 'wipe')
  assert.is(params.get('frame'), '12')
  assert.is(params.get('gain'), null)
})

test('malformed or out-of-range values fall back or are clamped', () => {
  assert.equal(decodeCompareState('mode=bogus&offset=9&gain=-3&opacity=abc&wipe=2&frame=-5'), {
    ...DEFAULT_COMPARE,
    offset: 1,
    gain: 1,
    wipe: 1,
    frame: 0,
  })
  assert.equal(decodeCompareState(''), DEFAULT_COMPARE)
})

test.run()
