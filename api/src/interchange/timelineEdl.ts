import { edlHeader, edlText } from './edlText'
import { storylineItemAt, type TimelineCut } from './timelineCut'
import { framesToTimecode, isDropFrame } from './timecode'

/** Avid's locator colours; others fall back to yellow. */
const LOC_COLORS = ['WHITE', 'RED', 'GREEN', 'BLUE', 'CYAN', 'MAGENTA', 'YELLOW', 'BLACK']

function locColor(color: string): string {
  const upper = color.trim().toUpperCase()
  return LOC_COLORS.includes(upper) ? upper : 'YELLOW'
}

/** A reel name: up to 8 characters of letters, digits and underscores (CMX3600's reel field). */
function reelOf(filename: string): string {
  const base = filename
    .replace(/\.[^.]*$/, '')
    .toUpperCase()
    .replace(/[^A-Z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
  return (base || 'AX').slice(0, 8)
}

/**
 * CMX3600 of the storyline: one cut event per item in order (clips from their reel, gaps as black `BL`),
 * source and record timecodes on the timeline's frame grid (out exclusive, record from 00:00:00:00, drop-frame
 * at 29.97 and 59.94), `* FROM CLIP NAME:` and `* SOURCE FILE:` comments, and a `* LOC:` line (record
 * timecode) under the event each marker falls in. Anchored lanes are not written: CMX3600 has one picture track.
 */
export function timelineEdl(cut: TimelineCut): string {
  const drop = isDropFrame(cut.fps)
  const tc = (f: number) => framesToTimecode(f, cut.fps)
  const lines = edlHeader(cut.title, drop)
  const markersByItem = new Map<string, typeof cut.markers>()
  for (const m of cut.markers) {
    const item = storylineItemAt(cut, m.frame)
    markersByItem.set(item.id, [...(markersByItem.get(item.id) ?? []), m])
  }
  let n = 0
  for (const item of cut.storyline) {
    if (item.end <= item.start) continue
    n++
    const num = String(n).padStart(3, '0')
    const sourceIn = item.kind === 'clip' ? item.sourceIn : 0
    const source = `${tc(sourceIn)} ${tc(sourceIn + item.end - item.start)}`
    const record = `${tc(item.start)} ${tc(item.end)}`
    const reel = item.kind === 'clip' ? reelOf(item.asset.filename) : 'BL'
    lines.push(`${num}  ${reel.padEnd(8)} V     C        ${source} ${record}`)
    if (item.kind === 'clip') {
      lines.push(`* FROM CLIP NAME: ${edlText(item.label || item.asset.filename, 120)}`)
      lines.push(`* SOURCE FILE: ${edlText(item.asset.filename, 120)}`)
    }
    for (const m of markersByItem.get(item.id) ?? [])
      lines.push(`* LOC: ${tc(m.frame)} ${locColor(m.color).padEnd(7)} ${edlText(m.label, 200)}`)
    lines.push('')
  }
  return lines.join('\n')
}

/** Events the EDL of this cut holds (CMX3600 allows 999). */
export function edlEventCount(cut: TimelineCut): number {
  return cut.storyline.filter((i) => i.end > i.start).length
}
