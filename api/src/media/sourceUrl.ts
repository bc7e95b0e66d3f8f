/**
 * The api route that serves an asset's uploaded file (see serveMedia): `/media/source/<assetId>`, or null while
 * the bytes are still being uploaded.
 */
export function sourceUrl(asset: { id: string; status: string }): string | null {
  return asset.status === 'uploading' ? null : `/media/source/${asset.id}`
}
