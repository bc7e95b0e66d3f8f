import type { UploadQueue } from '../media'
import type { BinAsset } from './binAsset'

/**
 * Drag-and-drop handlers that make an asset's row a drop target: files dropped on it upload as new versions of
 * that asset. `setOver` highlights the row while files are over it.
 */
export function versionDrop(asset: () => BinAsset, queue: UploadQueue | null, setOver: (over: boolean) => void) {
  const carriesFiles = (e: DragEvent) => !!queue && (e.dataTransfer?.types.includes('Files') ?? false)
  return {
    onDragOver: (e: DragEvent) => {
      if (!carriesFiles(e)) return
      e.preventDefault()
      e.stopPropagation()
      setOver(true)
    },
    onDragLeave: () => setOver(false),
    onDrop: (e: DragEvent) => {
      if (!carriesFiles(e)) return
      e.preventDefault()
      e.stopPropagation()
      setOver(false)
      const files = e.dataTransfer?.files
      if (queue && files?.length) queue.add(files, { assetId: asset().id, name: asset().name })
    },
  }
}
