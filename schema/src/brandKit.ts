/** What an export needs from a brand kit version: S3 keys of uploaded assets and style choices. */
export interface BrandKitSpec {
  logoKey?: string
  watermark?: { key: string; position: 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right'; opacity: number }
  fonts?: { family: string; key: string }[]
  colors?: { primary: string; secondary: string; text: string }
  captionStyle?: 'clean' | 'bold' | 'karaoke'
  introKey?: string
  outroKey?: string
}
