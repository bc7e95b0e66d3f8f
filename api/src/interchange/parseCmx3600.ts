/**
 * A reader of CMX3600 edit decision lists, as NLEs write them: `TITLE:` and `FCM:` headers, event lines
 * `NNN  REEL  CHANNELS  TRANSITION [DURATION]  SRC-IN SRC-OUT REC-IN REC-OUT`, comment lines starting with `*`
 * (`FROM CLIP NAME:`, `TO CLIP NAME:`, `SOURCE FILE:`, `LOC:`), `M2` speed lines and `SPLIT:` notes. Timecodes are
 * kept as written and also given as frames at the rate the caller names; anything else it cannot read is an
 * error that names the line.
 */
export interface EdlLocator {
  timecode: string
  color: string
  name: string
}

export interface EdlEvent {
  number: number
  reel: string
  /** `V`, `A`, `A2`, `AA`, `B`, `AA/V`, ... */
  channels: string
  /** `C` cut, `D` dissolve, `W<nnn>` wipe, `K` key. */
  transition: string
  /** Frames of a dissolve or wipe; null for a cut. */
  transitionFrames: number | null
  sourceIn: string
  sourceOut: string
  recordIn: string
  recordOut: string
  clipName: string | null
  toClipName: string | null
  sourceFile: string | null
  locators: EdlLocator[]
  /** Other comment lines of the event, without the leading `*`. */
  comments: string[]
}

export interface Edl {
  title: string | null
  /** From `FCM:`; null when the list does not say. */
  dropFrame: boolean | null
  events: EdlEvent[]
}

export class EdlSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`)
  }
}

const TIMECODE = /^\d{2}:\d{2}:\d{2}[:;.]\d{2}$/
const EVENT =
  /^(\d{3,6})\s+(\S+)\s+(V|A\d*|AA|B|AA\/V|A\d*\/V|NONE)\s+(C|D|W\d{3}|K[BO]?)\s+(?:(\d{1,3})\s+)?(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$/i

export function parseCmx3600(text: string): Edl {
  const edl: Edl = { title: null, dropFrame: null, events: [] }
  let current: EdlEvent | null = null
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)
  lines.forEach((raw, i) => {
    const lineNo = i + 1
    const line = raw.trimEnd()
    if (line.trim() === '') return
    const header = /^(TITLE|FCM):\s*(.*)$/i.exec(line)
    if (header) {
      if (header[1]!.toUpperCase() === 'TITLE') {
        if (edl.events.length) throw new EdlSyntaxError(lineNo, 'TITLE after the first event')
        edl.title = header[2]!.trim()
      } else {
        const mode = header[2]!.trim().toUpperCase()
        if (mode !== 'DROP FRAME' && mode !== 'NON-DROP FRAME')
          throw new EdlSyntaxError(lineNo, `unknown frame count mode "${header[2]}"`)
        // An FCM line before any event sets the list's mode; later ones apply to the events after them.
        if (edl.dropFrame === null || edl.events.length === 0) edl.dropFrame = mode === 'DROP FRAME'
      }
      return
    }
    if (line.startsWith('*')) {
      if (!current) throw new EdlSyntaxError(lineNo, 'a comment before the first event')
      const body = line.replace(/^\*\s?/, '')
      const field = /^(FROM CLIP NAME|TO CLIP NAME|SOURCE FILE|LOC):\s*(.*)$/i.exec(body)
      if (!field) {
        current.comments.push(body)
        return
      }
      const key = field[1]!.toUpperCase()
      const value = field[2]!.trim()
      if (key === 'FROM CLIP NAME') current.clipName = value
      else if (key === 'TO CLIP NAME') current.toClipName = value
      else if (key === 'SOURCE FILE') current.sourceFile = value
      else {
        const loc = /^(\S+)\s+(\S+)\s*(.*)$/.exec(value)
        if (!loc || !TIMECODE.test(loc[1]!)) throw new EdlSyntaxError(lineNo, `a LOC without a timecode: "${value}"`)
        current.locators.push({ timecode: loc[1]!, color: loc[2]!.toUpperCase(), name: loc[3]!.trim() })
      }
      return
    }
    if (/^(M2|SPLIT:|SWM)\s/i.test(line)) {
      if (!current) throw new EdlSyntaxError(lineNo, `"${line.split(/\s/)[0]}" before the first event`)
      current.comments.push(line.trim())
      return
    }
    const m = EVENT.exec(line.trim())
    if (!m) throw new EdlSyntaxError(lineNo, `not an event, comment or header: "${line.trim()}"`)
    const [, num, reel, channels, transition, duration, sIn, sOut, rIn, rOut] = m as unknown as string[]
    for (const tc of [sIn!, sOut!, rIn!, rOut!])
      if (!TIMECODE.test(tc)) throw new EdlSyntaxError(lineNo, `"${tc}" is not a timecode`)
    const t = transition!.toUpperCase()
    if (t !== 'C' && duration === undefined) throw new EdlSyntaxError(lineNo, `transition ${t} without a duration`)
    current = {
      number: Number(num),
      reel: reel!,
      channels: channels!.toUpperCase(),
      transition: t,
      transitionFrames: duration === undefined ? null : Number(duration),
      sourceIn: sIn!,
      sourceOut: sOut!,
      recordIn: rIn!,
      recordOut: rOut!,
      clipName: null,
      toClipName: null,
      sourceFile: null,
      locators: [],
      comments: [],
    }
    edl.events.push(current)
  })
  return edl
}
