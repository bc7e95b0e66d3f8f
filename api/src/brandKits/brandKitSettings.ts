import type { BrandKitSpec } from '@cutroom/schema'
import { z } from 'zod'
import type { BrandKitFileKind } from './brandKitFileTypes'

const FileId = z.string().uuid('A file id is the id brandKits.createUpload returned.')
const Hex = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'Give colours as #rrggbb.')
export const WATERMARK_POSITIONS = ['top-left', 'top-right', 'bottom-left', 'bottom-right'] as const
export const CAPTION_STYLES = ['clean', 'bold', 'karaoke'] as const

/** A kit's settings as clients give them: uploaded files by id, style choices; every field may be left empty. */
export const BrandKitSettings = z
  .object({
    logoFileId: FileId.nullable().default(null),
    watermark: z
      .object({
        fileId: FileId,
        position: z.enum(WATERMARK_POSITIONS),
        opacity: z.number().min(0.05, 'A watermark below 5% opacity is invisible.').max(1),
      })
      .strict()
      .nullable()
      .default(null),
    fonts: z
      .array(
        z
          .object({
            // The family name goes into the captions' style line, where a comma would end the field.
            family: z
              .string()
              .trim()
              .min(1, 'Name the font family.')
              .max(100)
              .regex(/^[^,{}\\\r\n]+$/, 'A font family name cannot contain commas, braces or backslashes.'),
            fileId: FileId,
          })
          .strict(),
      )
      .max(8, 'A kit holds at most 8 fonts.')
      .default([])
      .refine(
        (fonts) => new Set(fonts.map((f) => f.family.toLowerCase())).size === fonts.length,
        'Each font family once.',
      ),
    colors: z.object({ primary: Hex, secondary: Hex, text: Hex }).strict().nullable().default(null),
    captionStyle: z.enum(CAPTION_STYLES).nullable().default(null),
    introFileId: FileId.nullable().default(null),
    outroFileId: FileId.nullable().default(null),
  })
  .strict()
export type BrandKitSettings = z.infer<typeof BrandKitSettings>

/** Each file the settings use, with the slot it fills and the kinds that slot takes. */
export function fileUses(s: BrandKitSettings): { slot: string; fileId: string; kinds: BrandKitFileKind[] }[] {
  const uses: { slot: string; fileId: string; kinds: BrandKitFileKind[] }[] = []
  if (s.logoFileId) uses.push({ slot: 'logo', fileId: s.logoFileId, kinds: ['image'] })
  if (s.watermark) uses.push({ slot: 'watermark', fileId: s.watermark.fileId, kinds: ['image'] })
  for (const f of s.fonts) uses.push({ slot: `font ${f.family}`, fileId: f.fileId, kinds: ['font'] })
  if (s.introFileId) uses.push({ slot: 'intro slate', fileId: s.introFileId, kinds: ['image', 'video'] })
  if (s.outroFileId) uses.push({ slot: 'outro slate', fileId: s.outroFileId, kinds: ['image', 'video'] })
  return uses
}

/** The spec an export reads: the files' storage keys in place of their ids; empty fields left out. */
export function specOf(s: BrandKitSettings, keyOf: (fileId: string) => string): BrandKitSpec {
  const spec: BrandKitSpec = {}
  if (s.logoFileId) spec.logoKey = keyOf(s.logoFileId)
  if (s.watermark)
    spec.watermark = { key: keyOf(s.watermark.fileId), position: s.watermark.position, opacity: s.watermark.opacity }
  if (s.fonts.length) spec.fonts = s.fonts.map((f) => ({ family: f.family, key: keyOf(f.fileId) }))
  if (s.colors) spec.colors = { ...s.colors }
  if (s.captionStyle) spec.captionStyle = s.captionStyle
  if (s.introFileId) spec.introKey = keyOf(s.introFileId)
  if (s.outroFileId) spec.outroKey = keyOf(s.outroFileId)
  return spec
}
