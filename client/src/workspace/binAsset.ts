/** An asset as the media bin shows it. */
export interface BinAsset {
  id: string
  name: string
  status: string
  /** Length in frames at the asset's own rate, when the probe has run. */
  durationFrames: number | null
  durationSeconds: number | null
  /** Picture size from the probe, when it has run and found video. */
  width: number | null
  height: number | null
  contentType: string
  /** URL of the uploaded source file, when the api provides one. */
  sourceUrl: string | null
  /** URL of the HLS proxy's master playlist, when the api provides one. */
  hlsUrl: string | null
  /** The version stack (its first version's id) and this asset's number in it (1, 2, ...). */
  stackId: string
  version: number
  /** False for an older version of a stack that has a newer one. */
  isLatestVersion: boolean
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value ? value : null
}
function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null
}

/** Reads an `assets.list` row; tolerant of where the probe metadata sits so older rows still show. */
export function toBinAsset(row: unknown): BinAsset | null {
  if (!row || typeof row !== 'object') return null
  const o = row as Record<string, unknown>
  const id = str(o.id)
  if (!id) return null
  const metadata = (o.metadata && typeof o.metadata === 'object' ? o.metadata : {}) as Record<string, unknown>
  const video = (metadata.video && typeof metadata.video === 'object' ? metadata.video : {}) as Record<string, unknown>
  return {
    id,
    name: str(o.filename) ?? str(o.name) ?? str(o.title) ?? 'Untitled',
    status: str(o.status) ?? 'ready',
    durationFrames: num(video.durationFrames) ?? num(o.durationFrames),
    durationSeconds: num(metadata.durationSeconds) ?? num(o.durationSeconds),
    width: num(video.width),
    height: num(video.height),
    contentType: str(o.contentType) ?? '',
    sourceUrl: str(o.sourceUrl) ?? str(o.url) ?? str(o.downloadUrl),
    hlsUrl: str(o.hlsUrl) ?? str(o.proxyUrl),
    stackId: str(o.stackId) ?? id,
    version: num(o.version) ?? 1,
    isLatestVersion: typeof o.isLatestVersion === 'boolean' ? o.isLatestVersion : true,
  }
}

/** Frames the asset spans on a timeline at `fps` (5 seconds when its length is not known yet). */
export function assetFrames(asset: BinAsset, fps: { num: number; den: number }): number {
  const seconds = asset.durationSeconds ?? (asset.durationFrames ? asset.durationFrames / (fps.num / fps.den) : 5)
  return Math.max(1, Math.floor((seconds * fps.num) / fps.den))
}

/**
 * The bin's rows: one per version stack, its latest version (the one with the highest number), in the order the
 * list came in. Older versions are reached through the row's version list.
 */
export function latestOfStacks(assets: readonly BinAsset[]): BinAsset[] {
  const latest = new Map<string, BinAsset>()
  for (const a of assets) {
    const seen = latest.get(a.stackId)
    if (!seen || a.version > seen.version) latest.set(a.stackId, a)
  }
  const order = new Map<string, number>()
  assets.forEach((a, i) => {
    if (!order.has(a.stackId)) order.set(a.stackId, i)
  })
  return [...latest.values()].sort((x, y) => order.get(x.stackId)! - order.get(y.stackId)!)
}

/** How many versions the list holds of each stack. */
export function stackSizes(assets: readonly BinAsset[]): Map<string, number> {
  const sizes = new Map<string, number>()
  for (const a of assets) sizes.set(a.stackId, (sizes.get(a.stackId) ?? 0) + 1)
  return sizes
}
