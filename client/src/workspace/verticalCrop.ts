/** The crop box the vertical (9:16) export takes from a clip's picture, set by where its centre sits. */
export interface CropBox {
  x: number
  y: number
  w: number
  h: number
}

/** Width of the 9:16 window as a fraction of a `width` × `height` picture (the whole picture when it is narrower). */
export function verticalWindowWidth(width: number, height: number): number {
  if (!(width > 0 && height > 0)) return 1
  return Math.min(1, (height * 9) / 16 / width)
}

/** The full-height 9:16 window centred at `centre` (0 = left edge, 1 = right edge), kept inside the picture. */
export function verticalCropBox(centre: number, width: number, height: number): CropBox {
  const w = verticalWindowWidth(width, height)
  const x = Math.min(1 - w, Math.max(0, centre - w / 2))
  // rounded so the box stays inside the picture by the model's check
  const r = (v: number) => Math.floor(v * 10000) / 10000
  return { x: r(x), y: 0, w: r(w), h: 1 }
}

/** Where a crop box's centre sits across the picture (0..1); the centre crop when there is none. */
export function cropCentre(crop: CropBox | undefined): number {
  return crop ? crop.x + crop.w / 2 : 0.5
}
