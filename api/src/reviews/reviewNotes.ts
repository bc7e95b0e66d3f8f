import type { FrameRate } from '@cutroom/schema'
import { edlHeader, edlText } from '../interchange/edlText'
import { fcpTime, xmlAttr } from '../interchange/fcpxmlText'
import { framesToTimecode, isDropFrame } from '../interchange/timecode'

export { MAX_EDL_EVENTS } from '../interchange/edlText'

/** One finding as the notes show it: frames at the reviewed version's rate, `frameEnd` inclusive. */
export interface NoteRow {
  id: string
  title: string
  severity: string
  status: string
  assignee: string | null
  due: string | null
  frame: number
  frameEnd: number
  author: string
  comments: string[]
}

export interface NotesInput {
  title: string
  clipName: string
  fps: FrameRate
  /** Length of the reviewed version in frames (for the FCPXML clip); at least past the last note. */
  durationFrames: number
  notes: NoteRow[]
}

export const NOTE_FORMATS = ['csv', 'edl', 'fcpxml'] as const
export type NoteFormat = (typeof NOTE_FORMATS)[number]

export const NOTE_CONTENT_TYPES: Record<NoteFormat, string> = {
  csv: 'text/csv',
  edl: 'text/plain',
  fcpxml: 'application/xml',
}

/** A CSV field: quoted when needed (RFC 4180), and never read as a formula by a spreadsheet. */
function csvField(value: string | number | null): string {
  let s = value === null ? '' : String(value)
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** CSV, one row per finding: frame numbers and timecodes of the first and last frame. */
export function notesCsv(input: NotesInput): string {
  const header = [
    'finding_id',
    'title',
    'severity',
    'status',
    'assignee',
    'due',
    'frame_in',
    'frame_out',
    'timecode_in',
    'timecode_out',
    'fps',
    'author',
    'comments',
  ]
  const fps = `${input.fps.num}/${input.fps.den}`
  const rows = input.notes.map((n) =>
    [
      n.id,
      n.title,
      n.severity,
      n.status,
      n.assignee,
      n.due,
      n.frame,
      n.frameEnd,
      framesToTimecode(n.frame, input.fps),
      framesToTimecode(n.frameEnd, input.fps),
      fps,
      n.author,
      n.comments.join(' | '),
    ]
      .map(csvField)
      .join(','),
  )
  return `${[header.join(','), ...rows].join('\r\n')}\r\n`
}

const LOC_COLOR: Record<string, string> = { low: 'GREEN', medium: 'YELLOW', high: 'RED', critical: 'MAGENTA' }

/**
 * CMX3600: one event per finding over its frames (source and record timecodes from 00:00:00:00, out
 * exclusive), with a `* LOC:` marker at its first frame carrying the title, severity and status.
 */
export function notesEdl(input: NotesInput): string {
  const drop = isDropFrame(input.fps)
  const tc = (f: number) => framesToTimecode(f, input.fps)
  const lines = edlHeader(input.title, drop)
  input.notes.forEach((n, i) => {
    const inTc = tc(n.frame)
    const outTc = tc(n.frameEnd + 1)
    lines.push(`${String(i + 1).padStart(3, '0')}  AX       V     C        ${inTc} ${outTc} ${inTc} ${outTc}`)
    lines.push(`* FROM CLIP NAME: ${edlText(input.clipName, 120)}`)
    lines.push(
      `* LOC: ${inTc} ${(LOC_COLOR[n.severity] ?? 'YELLOW').padEnd(7)} ${edlText(`${n.title} [${n.severity}, ${n.status.replace(/_/g, ' ')}]`, 200)}`,
    )
    lines.push('')
  })
  return lines.join('\n')
}

/** FCPXML 1.10: the reviewed version as one clip in a project, each finding a marker over its frames. */
export function notesFcpxml(input: NotesInput): string {
  const { fps } = input
  const t = (f: number) => fcpTime(f, fps)
  const duration = t(input.durationFrames)
  const markers = input.notes.map(
    (n) =>
      `            <marker start="${t(n.frame)}" duration="${t(n.frameEnd - n.frame + 1)}" value="${xmlAttr(
        n.title,
      )}" note="${xmlAttr(`${n.severity}, ${n.status.replace(/_/g, ' ')}${n.comments.length ? `: ${n.comments.join(' | ')}` : ''}`)}"/>`,
  )
  const name = xmlAttr(input.clipName)
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE fcpxml>',
    '<fcpxml version="1.10">',
    '  <resources>',
    `    <format id="r1" frameDuration="${t(1)}"/>`,
    `    <asset id="r2" name="${name}" start="0s" duration="${duration}" hasVideo="1" format="r1">`,
    `      <media-rep kind="original-media" src="${xmlAttr(`./${encodeURIComponent(input.clipName)}`)}"/>`,
    '    </asset>',
    '  </resources>',
    '  <library>',
    `    <event name="${xmlAttr(input.title)}">`,
    `      <project name="${xmlAttr(input.title)}">`,
    `        <sequence format="r1" duration="${duration}" tcStart="0s" tcFormat="${isDropFrame(fps) ? 'DF' : 'NDF'}">`,
    '          <spine>',
    `          <asset-clip ref="r2" name="${name}" offset="0s" start="0s" duration="${duration}" format="r1">`,
    ...markers,
    '          </asset-clip>',
    '          </spine>',
    '        </sequence>',
    '      </project>',
    '    </event>',
    '  </library>',
    '</fcpxml>',
    '',
  ].join('\n')
}
