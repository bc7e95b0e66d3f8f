import type { BrandKitSpec, CaptionStyle } from '@cutroom/schema'
import type { PlanCaption, PlanSegment, Rate } from './exportPlan'

/** The caption font shipped with the workers (Debian's fonts-lato, SIL OFL), passed to libass by `fontsdir`. */
export const DEFAULT_CAPTION_FONT = 'Lato'
export const DEFAULT_FONTS_DIR = '/usr/share/fonts/truetype/lato'

/** One ASS event on the output's frame grid: shown on frames `[start, start + frames)`. */
export interface CaptionEvent {
  start: number
  frames: number
  /** ASS text with override tags. */
  text: string
}

export interface CaptionLook {
  style: CaptionStyle
  font: string
  /** #rrggbb */
  text: string
  highlight: string
  box: string
}

export function captionLook(style: CaptionStyle, brand: BrandKitSpec | null | undefined): CaptionLook {
  return {
    style,
    font: brand?.fonts?.[0]?.family ?? DEFAULT_CAPTION_FONT,
    text: brand?.colors?.text ?? '#ffffff',
    highlight: brand?.colors?.primary ?? '#ffd400',
    box: brand?.colors?.secondary ?? '#000000',
  }
}

/** `#rrggbb` to ASS `&HAABBGGRR` (alpha 00 = opaque). */
export function assColour(hex: string, alpha = 0): string {
  const h = hex.replace('#', '')
  const [r, g, b] = [h.slice(0, 2), h.slice(2, 4), h.slice(4, 6)]
  return `&H${alpha.toString(16).padStart(2, '0')}${b}${g}${r}`.toUpperCase()
}

/** `#rrggbb` as the colour of a `\\c` override tag: `&HBBGGRR&`. */
function overrideColour(hex: string): string {
  const h = hex.replace('#', '')
  return `&H${h.slice(4, 6)}${h.slice(2, 4)}${h.slice(0, 2)}&`.toUpperCase()
}

/** Caption text as literal ASS text: braces would open override blocks, backslashes escapes. */
function assText(text: string): string {
  return text.replace(/[{}]/g, (c) => (c === '{' ? '(' : ')')).replace(/\\/g, '/').replace(/\r?\n/g, '\\N')
}

/**
 * The events of every caption. `karaoke` makes one event per word window, each showing the whole line with
 * only its word in the highlight colour: a transcript's words at their own times (with the line shown plain in
 * the pauses between them), a caption track's text split by word length over the caption. The other styles
 * make one event per caption.
 */
export function captionEvents(captions: readonly PlanCaption[], look: CaptionLook): CaptionEvent[] {
  const events: CaptionEvent[] = []
  const highlighted = (words: readonly string[], active: number) =>
    words.map((w, j) => (j === active ? `{\\c${overrideColour(look.highlight)}}${assText(w)}{\\r}` : assText(w))).join(' ')
  for (const c of captions) {
    if (look.style !== 'karaoke') {
      events.push({ start: c.start, frames: c.frames, text: assText(c.text) })
      continue
    }
    if (c.words) {
      const texts = c.words.map((w) => w.text)
      let from = c.start
      c.words.forEach((w, i) => {
        if (w.start > from) events.push({ start: from, frames: w.start - from, text: highlighted(texts, -1) })
        events.push({ start: w.start, frames: w.frames, text: highlighted(texts, i) })
        from = w.start + w.frames
      })
      continue
    }
    const words = c.text.split(/\s+/).filter(Boolean)
    const weights = words.map((w) => w.length + 1)
    const total = weights.reduce((a, b) => a + b, 0)
    let cum = 0
    let from = c.start
    words.forEach((_, i) => {
      cum += weights[i]!
      const to = i === words.length - 1 ? c.start + c.frames : c.start + Math.round((c.frames * cum) / total)
      if (to > from) events.push({ start: from, frames: to - from, text: highlighted(words, i) })
      from = Math.max(from, to)
    })
  }
  return events
}

/**
 * ASS time of output frame `frame`, floored to centiseconds: libass shows an event on frames whose time t has
 * start <= t < end, and flooring both ends keeps exactly `[start, end)` at frame rates below 100 fps.
 */
function assTime(frame: number, fps: Rate): string {
  const cs = Math.floor((frame * fps.den * 100) / fps.num + 1e-9)
  const h = Math.floor(cs / 360000)
  const m = Math.floor((cs % 360000) / 6000)
  const s = Math.floor((cs % 6000) / 100)
  const c = cs % 100
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(c).padStart(2, '0')}`
}

/** The style line of a preset, sized for the output (PlayRes = output size, so sizes are output pixels). */
function styleLine(look: CaptionLook, width: number, height: number): string {
  const short = Math.min(width, height)
  const margin = Math.round(short * 0.05)
  const marginV = Math.round(height * 0.08)
  const white = assColour(look.text)
  const black = assColour('#000000')
  // Name, Fontname, Fontsize, Primary, Secondary, Outline, Back, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY,
  // Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
  switch (look.style) {
    case 'clean':
      return `Style: Default,${look.font},${Math.round(short * 0.06)},${white},${white},${black},${assColour('#000000', 0x80)},0,0,0,0,100,100,0,0,1,${Math.max(1, Math.round(short * 0.004))},0,2,${margin},${margin},${marginV},1`
    case 'bold': {
      const box = assColour(look.box, 0x20)
      return `Style: Default,${look.font},${Math.round(short * 0.075)},${white},${white},${box},${box},-1,0,0,0,100,100,0,0,3,${Math.max(2, Math.round(short * 0.012))},0,2,${margin},${margin},${marginV},1`
    }
    case 'karaoke':
      return `Style: Default,${look.font},${Math.round(short * 0.07)},${white},${white},${black},${assColour('#000000', 0x80)},-1,0,0,0,100,100,0,0,1,${Math.max(1, Math.round(short * 0.006))},0,2,${margin},${margin},${marginV},1`
  }
}

/** The ASS file of one segment: the events that fall in it, on the segment's own clock. */
export function segmentAss(events: readonly CaptionEvent[], segment: PlanSegment, fps: Rate, look: CaptionLook, width: number, height: number): string {
  const lines = [
    '[Script Info]',
    'ScriptType: v4.00+',
    `PlayResX: ${width}`,
    `PlayResY: ${height}`,
    'WrapStyle: 0',
    'ScaledBorderAndShadow: yes',
    'YCbCr Matrix: TV.709',
    '',
    '[V4+ Styles]',
    'Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding',
    styleLine(look, width, height),
    '',
    '[Events]',
    'Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text',
  ]
  const segEnd = segment.start + segment.frames
  for (const e of events) {
    const from = Math.max(e.start, segment.start)
    const to = Math.min(e.start + e.frames, segEnd)
    if (to <= from) continue
    lines.push(`Dialogue: 0,${assTime(from - segment.start, fps)},${assTime(to - segment.start, fps)},Default,,0,0,0,,${e.text}`)
  }
  return `${lines.join('\n')}\n`
}
