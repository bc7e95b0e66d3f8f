/** What each slot of a brand kit takes, which declared types are accepted, and how the bytes are recognised. */
export const BRAND_KIT_PURPOSES = ['logo', 'watermark', 'font', 'intro', 'outro'] as const
export type BrandKitPurpose = (typeof BRAND_KIT_PURPOSES)[number]
export type BrandKitFileKind = 'image' | 'font' | 'video'

export const PURPOSE_KINDS: Record<BrandKitPurpose, readonly BrandKitFileKind[]> = {
  logo: ['image'],
  watermark: ['image'],
  font: ['font'],
  intro: ['image', 'video'],
  outro: ['image', 'video'],
}

/** Largest file per kind: pictures and fonts are small; a slate video may be a few minutes of HD. */
export const MAX_BYTES: Record<BrandKitFileKind, number> = {
  image: 25 * 1024 ** 2,
  font: 25 * 1024 ** 2,
  video: 2 * 1024 ** 3,
}

const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/webp'])
const VIDEO_TYPES = new Set(['video/mp4', 'video/quicktime', 'video/webm'])
const FONT_TYPES = new Set([
  'font/ttf',
  'font/otf',
  'font/sfnt',
  'application/x-font-ttf',
  'application/x-font-otf',
  'application/font-sfnt',
  'application/vnd.ms-opentype',
])
/** Browsers often give a font no type, or a generic one: then the name decides. */
const GENERIC_TYPES = new Set(['', 'application/octet-stream', 'binary/octet-stream'])

export const KIND_WORDS: Record<BrandKitFileKind, string> = {
  image: 'a PNG, JPEG or WebP image',
  font: 'a TrueType or OpenType font (.ttf, .otf)',
  video: 'an MP4, QuickTime or WebM video',
}

export const KIND_NOUNS: Record<BrandKitFileKind, string> = { image: 'an image', font: 'a font', video: 'a video' }

/** The kind a declared upload would be, or null when its type and name fit none. */
export function declaredKind(contentType: string, filename: string): BrandKitFileKind | null {
  const type = contentType.trim().toLowerCase()
  if (IMAGE_TYPES.has(type)) return 'image'
  if (VIDEO_TYPES.has(type)) return 'video'
  if (FONT_TYPES.has(type)) return 'font'
  if (GENERIC_TYPES.has(type) && /\.(ttf|otf)$/i.test(filename)) return 'font'
  return null
}

/** What a file's first bytes are: PNG, JPEG, WebP, TrueType/OpenType, ISO-BMFF (MP4, MOV) or Matroska/WebM. */
export function sniffKind(head: Uint8Array): BrandKitFileKind | null {
  const ascii = (from: number, to: number) => String.fromCharCode(...head.subarray(from, to))
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b)
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image'
  if (starts(0xff, 0xd8, 0xff)) return 'image'
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image'
  if (starts(0x00, 0x01, 0x00, 0x00) || ['OTTO', 'true', 'ttcf'].includes(ascii(0, 4))) return 'font'
  if (['ftyp', 'moov', 'mdat', 'wide', 'free'].includes(ascii(4, 8))) return 'video'
  if (starts(0x1a, 0x45, 0xdf, 0xa3)) return 'video'
  return null
}
