import { CutroomError, ErrorCode } from '@cutroom/schema'

/** One subtitle cue; times in milliseconds. */
export interface Cue {
  start: number
  end: number
  /** Lines joined with `\n`. */
  text: string
}

export type SubtitleFormat = 'srt' | 'vtt' | 'ass'

/** Largest subtitle file an import takes, in characters, and most cues. */
export const MAX_SUBTITLE_CHARS = 500_000
export const MAX_CUES = 20_000

const bad = (line: number, what: string) => new CutroomError(ErrorCode.BAD_INPUT, `Line ${line}: ${what}`)

/** `HH:MM:SS,mmm` (SRT) or `[HH:]MM:SS.mmm` (VTT) to milliseconds, or null. */
function parseTime(s: string, separator: ',' | '.'): number | null {
  const re =
    separator === ',' ? /^(\d{1,3}):([0-5]\d):([0-5]\d),(\d{3})$/ : /^(?:(\d{1,3}):)?([0-5]\d):([0-5]\d)\.(\d{3})$/
  const m = re.exec(s.trim())
  if (!m) return null
  return ((Number(m[1] ?? 0) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 + Number(m[4])
}

/**
 * Parses SRT or WebVTT into cues. Tolerant of what editors write (a BOM, CRLF, missing or wrong cue numbers, VTT
 * cue settings and identifiers, NOTE and STYLE blocks, tags like `<i>`), strict about what would lose time: a
 * timing line that does not parse or ends before it starts is refused with its line number.
 */
export function parseSubtitles(text: string, format: 'srt' | 'vtt'): Cue[] {
  if (text.length > MAX_SUBTITLE_CHARS)
    throw new CutroomError(
      ErrorCode.PAYLOAD_TOO_LARGE,
      `A subtitle file holds at most ${MAX_SUBTITLE_CHARS} characters.`,
    )
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)
  const cues: Cue[] = []
  let i = 0
  if (format === 'vtt') {
    if (!/^WEBVTT(\s|$)/.test(lines[0] ?? '')) throw bad(1, 'a WebVTT file starts with "WEBVTT".')
    i = 1
    while (i < lines.length && lines[i]!.trim() !== '') i++
  }
  const separator = format === 'srt' ? ',' : '.'
  while (i < lines.length) {
    while (i < lines.length && lines[i]!.trim() === '') i++
    if (i >= lines.length) break
    const blockStart = i
    if (format === 'vtt' && /^(NOTE|STYLE|REGION)(\s|$)/.test(lines[i]!)) {
      while (i < lines.length && lines[i]!.trim() !== '') i++
      continue
    }
    // an optional cue number (SRT) or identifier (VTT) before the timing line
    if (!lines[i]!.includes('-->')) i++
    const timing = lines[i]
    if (timing === undefined || !timing.includes('-->'))
      throw bad(blockStart + 1, `expected a timing line like "00:00:01${separator}000 --> 00:00:02${separator}500".`)
    const [from, rest] = timing.split('-->') as [string, string]
    const start = parseTime(from, separator)
    const end = parseTime(rest.trim().split(/\s+/)[0] ?? '', separator)
    if (start === null || end === null)
      throw bad(
        i + 1,
        `"${timing.slice(0, 60)}" is not a timing line like "00:00:01${separator}000 --> 00:00:02${separator}500".`,
      )
    if (end < start) throw bad(i + 1, 'the cue ends before it starts.')
    i++
    const body: string[] = []
    while (i < lines.length && lines[i]!.trim() !== '') body.push(lines[i++]!)
    const clean = body
      .map((l) =>
        l
          .replace(/<[^>]*>/g, '')
          .replace(/\{\\[^}]*\}/g, '')
          .trim(),
      )
      .filter(Boolean)
      .join('\n')
    if (clean) cues.push({ start, end, text: clean })
    if (cues.length > MAX_CUES)
      throw new CutroomError(ErrorCode.PAYLOAD_TOO_LARGE, `A subtitle file holds at most ${MAX_CUES} cues.`)
  }
  return cues
}

export interface TimedText {
  text: string
  /** Milliseconds. */
  start: number
  end: number
}

export interface CueRules {
  maxChars: number
  maxLines: number
  /** A pause at least this long between words starts a new cue. */
  maxGapMs: number
  /** No cue lasts longer. */
  maxDurationMs: number
  /** A short cue is held this long when the next one leaves room. */
  minDurationMs: number
  /** Space left between a cue and the next. */
  cueGapMs: number
}

export const DEFAULT_CUE_RULES: CueRules = {
  maxChars: 42,
  maxLines: 2,
  maxGapMs: 1000,
  maxDurationMs: 7000,
  minDurationMs: 1000,
  cueGapMs: 80,
}

/** Greedy wrap into lines of at most `maxChars` (a single longer word gets a line of its own). */
function wrap(words: readonly string[], maxChars: number): string[] {
  const lines: string[] = []
  for (const w of words) {
    const last = lines[lines.length - 1]
    if (last !== undefined && last.length + 1 + w.length <= maxChars) lines[lines.length - 1] = `${last} ${w}`
    else lines.push(w)
  }
  return lines
}

/**
 * Timed words into cues: a cue takes words while they fit in `maxLines` lines of `maxChars`, the pause before the
 * next word is shorter than `maxGapMs` and it lasts at most `maxDurationMs`; paragraphs never share a cue. Each cue
 * is then held for `minDurationMs` where the next one leaves room, and ends `cueGapMs` before it.
 */
export function cuesFromWords(paragraphs: readonly (readonly TimedText[])[], rules: Partial<CueRules> = {}): Cue[] {
  const r = { ...DEFAULT_CUE_RULES, ...rules }
  const groups: TimedText[][] = []
  for (const words of paragraphs) {
    let current: TimedText[] = []
    for (const w of words) {
      const prev = current[current.length - 1]
      const fits =
        prev !== undefined &&
        wrap([...current.map((c) => c.text), w.text], r.maxChars).length <= r.maxLines &&
        w.start - prev.end < r.maxGapMs &&
        w.end - current[0]!.start <= r.maxDurationMs
      if (prev !== undefined && !fits) {
        groups.push(current)
        current = []
      }
      current.push(w)
    }
    if (current.length) groups.push(current)
  }
  const cues = groups.map((g) => ({
    start: g[0]!.start,
    end: g[g.length - 1]!.end,
    text: wrap(
      g.map((w) => w.text),
      r.maxChars,
    ).join('\n'),
  }))
  cues.forEach((c, i) => {
    const next = cues[i + 1]
    const limit = next ? next.start - r.cueGapMs : Number.POSITIVE_INFINITY
    c.end = Math.max(c.start, Math.min(Math.max(c.end, c.start + r.minDurationMs), limit))
  })
  return cues
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0')
function clock(ms: number, separator: ',' | '.'): string {
  const t = Math.max(0, Math.round(ms))
  return `${pad(Math.floor(t / 3_600_000))}:${pad(Math.floor(t / 60_000) % 60)}:${pad(Math.floor(t / 1000) % 60)}${separator}${pad(t % 1000, 3)}`
}
function assClock(ms: number): string {
  const cs = Math.max(0, Math.round(ms / 10))
  return `${Math.floor(cs / 360_000)}:${pad(Math.floor(cs / 6000) % 60)}:${pad(Math.floor(cs / 100) % 60)}.${pad(cs % 100)}`
}

/** Cues as an SRT, WebVTT or Advanced SubStation Alpha file. */
export function formatSubtitles(cues: readonly Cue[], format: SubtitleFormat): string {
  switch (format) {
    case 'srt':
      return cues.map((c, i) => `${i + 1}\n${clock(c.start, ',')} --> ${clock(c.end, ',')}\n${c.text}\n`).join('\n')
    case 'vtt':
      return `WEBVTT\n\n${cues.map((c) => `${clock(c.start, '.')} --> ${clock(c.end, '.')}\n${c.text}\n`).join('\n')}`
    case 'ass':
      return [
        '[Script Info]',
        'ScriptType: v4.00+',
        'PlayResX: 1920',
        'PlayResY: 1080',
        '',
        '[V4+ Styles]',
        'Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding',
        'Style: Default,Arial,54,&H00FFFFFF,&H000000FF,&H00000000,&H80000000,0,0,0,0,100,100,0,0,1,2,1,2,60,60,50,1',
        '',
        '[Events]',
        'Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text',
        ...cues.map(
          (c) => `Dialogue: 0,${assClock(c.start)},${assClock(c.end)},Default,,0,0,0,,${c.text.replace(/\n/g, '\\N')}`,
        ),
        '',
      ].join('\n')
  }
}
