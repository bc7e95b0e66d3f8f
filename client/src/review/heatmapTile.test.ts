import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { heatmapTile, parseHeatmapLayout } from './heatmapTile'

const layout = parseHeatmapLayout({
  sheets: ['heatmap_00000.png', 'heatmap_00001.png', 'heatmap_00002.png'],
  tileWidth: 160,
  tileHeight: 90,
  columns: 10,
  rows: 10,
  framesPerSheet: 100,
  count: 250,
  encoding: 'gray8-dissimilarity-max',
})!

test('a frame finds its sheet, column and row', () => {
  assert.equal(heatmapTile(layout, 0), { sheet: 'heatmap_00000.png', sx: 0, sy: 0, width: 160, height: 90 })
  assert.equal(heatmapTile(layout, 47), { sheet: 'heatmap_00000.png', sx: 7 * 160, sy: 4 * 90, width: 160, height: 90 })
  assert.equal(heatmapTile(layout, 199), {
    sheet: 'heatmap_00001.png',
    sx: 9 * 160,
    sy: 9 * 90,
    width: 160,
    height: 90,
  })
  assert.equal(heatmapTile(layout, 203), { sheet: 'heatmap_00002.png', sx: 3 * 160, sy: 0, width: 160, height: 90 })
})

test('frames outside the compared range have no tile', () => {
  assert.is(heatmapTile(layout, 250), null)
  assert.is(heatmapTile(layout, -1), null)
  assert.is(heatmapTile(layout, 2.5), null)
})

test('a layout with bad fields or sheet names that leave the folder is refused', () => {
  assert.is(parseHeatmapLayout({ ...layout, sheets: ['../secret.png'] }), null)
  assert.is(parseHeatmapLayout({ ...layout, tileWidth: 0 }), null)
  assert.is(parseHeatmapLayout(null), null)
})

test.run()
