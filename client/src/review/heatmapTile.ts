/** The framediff heatmap's `index.json` (also the heatmap artifact's metadata `layout`). */
export interface HeatmapLayout {
  /** Sheet file names, in order; sheet k holds compared frames k * framesPerSheet onwards. */
  sheets: string[]
  tileWidth: number
  tileHeight: number
  columns: number
  rows: number
  framesPerSheet: number
  count: number
  encoding: string
}

export interface HeatmapTile {
  sheet: string
  /** The tile's pixel rectangle inside its sheet. */
  sx: number
  sy: number
  width: number
  height: number
}

/** Where compared frame `frame` sits: sheet floor(i / perSheet), column i % columns, row (i % perSheet) / columns. */
export function heatmapTile(layout: HeatmapLayout, frame: number): HeatmapTile | null {
  if (!Number.isInteger(frame) || frame < 0 || frame >= layout.count) return null
  const sheet = layout.sheets[Math.floor(frame / layout.framesPerSheet)]
  if (!sheet) return null
  const within = frame % layout.framesPerSheet
  return {
    sheet,
    sx: (within % layout.columns) * layout.tileWidth,
    sy: Math.floor(within / layout.columns) * layout.tileHeight,
    width: layout.tileWidth,
    height: layout.tileHeight,
  }
}

/** Reads a layout from untrusted JSON; null when it does not have the shape above. */
export function parseHeatmapLayout(value: unknown): HeatmapLayout | null {
  if (!value || typeof value !== 'object') return null
  const o = value as Record<string, unknown>
  const pos = (k: string) => typeof o[k] === 'number' && Number.isInteger(o[k]) && (o[k] as number) > 0
  if (!['tileWidth', 'tileHeight', 'columns', 'rows', 'framesPerSheet'].every(pos)) return null
  if (!Array.isArray(o.sheets) || !o.sheets.every((s) => typeof s === 'string' && /^[\w.-]+$/.test(s))) return null
  if (typeof o.count !== 'number' || o.count < 0) return null
  return {
    sheets: o.sheets as string[],
    tileWidth: o.tileWidth as number,
    tileHeight: o.tileHeight as number,
    columns: o.columns as number,
    rows: o.rows as number,
    framesPerSheet: o.framesPerSheet as number,
    count: o.count,
    encoding: String(o.encoding ?? ''),
  }
}
