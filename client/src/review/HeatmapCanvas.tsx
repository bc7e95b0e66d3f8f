import { type Accessor, createEffect, createSignal, onCleanup } from 'solid-js'
import type { FramediffArtifacts } from './framediffArtifacts'
import { heatmapTile } from './heatmapTile'

/**
 * The framediff heatmap tile of the current frame drawn over version A: the stored dissimilarity (0 = identical)
 * times `gain`, as a transparent-to-red-to-yellow ramp, at the given opacity.
 */
export function HeatmapCanvas(props: {
  diff: Accessor<FramediffArtifacts | null>
  frame: Accessor<number>
  gain: Accessor<number>
  opacity: Accessor<number>
}) {
  let canvas!: HTMLCanvasElement
  const sheets = new Map<string, HTMLImageElement>()
  const [loadedSheets, setLoadedSheets] = createSignal(0)
  const [shown, setShown] = createSignal<number | null>(null)
  const scratch = document.createElement('canvas')
  let disposed = false
  onCleanup(() => (disposed = true))

  const sheetImage = (url: string): HTMLImageElement | null => {
    const cached = sheets.get(url)
    if (cached) return cached.complete && cached.naturalWidth > 0 ? cached : null
    const img = new Image()
    let retries = 0
    img.onload = () => !disposed && setLoadedSheets((n) => n + 1)
    // the sheet may not be served for a moment after the overlay lands (see loadFramediffArtifacts)
    img.onerror = () => {
      if (disposed || retries++ >= 6) return
      setTimeout(() => (img.src = `${url}${url.includes('?') ? '&' : '?'}retry=${retries}`), 250 * 2 ** retries)
    }
    img.src = url
    sheets.set(url, img)
    return null
  }

  createEffect(() => {
    loadedSheets()
    const diff = props.diff()
    const layout = diff?.heatmap
    const compared = diff ? props.frame() - (diff.scores.compared?.from ?? 0) : -1
    const tile = layout ? heatmapTile(layout, compared) : null
    const ctx = canvas.getContext('2d')
    if (!ctx) return
    if (!diff || !tile) {
      ctx.clearRect(0, 0, canvas.width, canvas.height)
      setShown(null)
      return
    }
    const img = sheetImage(diff.heatmapUrl(tile.sheet))
    if (!img) return
    canvas.width = tile.width
    canvas.height = tile.height
    scratch.width = tile.width
    scratch.height = tile.height
    const sctx = scratch.getContext('2d', { willReadFrequently: true })!
    sctx.clearRect(0, 0, tile.width, tile.height)
    sctx.drawImage(img, tile.sx, tile.sy, tile.width, tile.height, 0, 0, tile.width, tile.height)
    const pixels = sctx.getImageData(0, 0, tile.width, tile.height)
    const gain = props.gain()
    const data = pixels.data
    for (let i = 0; i < data.length; i += 4) {
      const v = Math.min(1, (data[i]! / 255) * gain)
      data[i] = 255
      data[i + 1] = Math.round(255 * Math.max(0, v - 0.5) * 2)
      data[i + 2] = 0
      data[i + 3] = Math.round(255 * Math.min(1, v * 1.5))
    }
    ctx.putImageData(pixels, 0, 0)
    setShown(compared)
  })

  return (
    <canvas
      ref={canvas}
      class="heatmap"
      data-testid="heatmap"
      data-tile={shown() ?? ''}
      style={{ opacity: props.opacity() }}
    />
  )
}
