import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { latestOfStacks, stackSizes, toBinAsset } from './binAsset'

const row = (id: string, stackId: string, version: number) =>
  toBinAsset({ id, stackId, version, filename: `${id}.mov`, status: 'ready', contentType: 'video/quicktime' })!

test('the bin shows one row per stack, its highest version, in the order the list came in', () => {
  // assets.list is newest first: v3 of stack a, then an unrelated b, then a's older versions
  const list = [row('a3', 'a1', 3), row('b1', 'b1', 1), row('a2', 'a1', 2), row('a1', 'a1', 1)]
  assert.equal(
    latestOfStacks(list).map((a) => [a.id, a.version]),
    [
      ['a3', 3],
      ['b1', 1],
    ],
  )
  assert.equal(
    [...stackSizes(list)],
    [
      ['a1', 3],
      ['b1', 1],
    ],
  )
  // a late-arriving higher version still wins, wherever it sits in the list
  assert.equal(
    latestOfStacks([row('a1', 'a1', 1), row('a2', 'a1', 2)]).map((a) => a.id),
    ['a2'],
  )
})

test('rows from before version stacks are version 1 of their own stack', () => {
  const old = toBinAsset({ id: 'x', filename: 'x.mov' })!
  assert.equal([old.stackId, old.version, old.isLatestVersion], ['x', 1, true])
})

test.run()
