import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { type NoteRow, type NotesInput, notesCsv, notesEdl, notesFcpxml } from './reviewNotes'
import { framesToTimecode, timecodeToFrames } from '../interchange/timecode'

const NTSC = { num: 30000, den: 1001 }
const NTSC60 = { num: 60000, den: 1001 }
const FILM = { num: 24000, den: 1001 }
const PAL = { num: 25, den: 1 }

test('drop-frame timecodes skip the right frame numbers and read back to the same frame', () => {
  assert.is(framesToTimecode(0, NTSC), '00:00:00;00')
  assert.is(framesToTimecode(1799, NTSC), '00:00:59;29')
  assert.is(framesToTimecode(1800, NTSC), '00:01:00;02', 'frames ;00 and ;01 are dropped at minute 1')
  assert.is(framesToTimecode(17982, NTSC), '00:10:00;00', 'no drop at minute 10')
  assert.is(framesToTimecode(107892, NTSC), '01:00:00;00', 'one hour of 29.97 is 107892 frames')
  assert.is(framesToTimecode(3600, NTSC60), '00:01:00;04')
  assert.is(framesToTimecode(90, PAL), '00:00:03:15')
  assert.is(framesToTimecode(86400, FILM), '01:00:00:00', '23.976 counts non-drop at 24')
  for (const fps of [NTSC, NTSC60, FILM, PAL])
    for (let f = 0; f < 250_000; f += 7) assert.is(timecodeToFrames(framesToTimecode(f, fps), fps), f)
})

const notes: NoteRow[] = [
  {
    id: 'f1',
    title: 'Flash frame',
    severity: 'high',
    status: 'open',
    assignee: 'Ada',
    due: '2030-01-02',
    frame: 0,
    frameEnd: 0,
    author: 'u1',
    comments: [],
  },
  {
    id: 'f2',
    title: 'Colour "shift", after the cut',
    severity: 'low',
    status: 'in_progress',
    assignee: null,
    due: null,
    frame: 1800,
    frameEnd: 1829,
    author: 'u2',
    comments: ['=HYPERLINK("x")', 'second\nline'],
  },
  {
    id: 'f3',
    title: 'Logo <wrong> & late',
    severity: 'critical',
    status: 'ready_for_review',
    assignee: null,
    due: null,
    frame: 107891,
    frameEnd: 107893,
    author: 'u1',
    comments: ['ok'],
  },
]
const input = (fps = NTSC): NotesInput => ({
  title: 'Spot v2',
  clipName: 'spot v2.mov',
  fps,
  durationFrames: 108_000,
  notes,
})

/** RFC 4180 reader: quoted fields with doubled quotes, CRLF rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++
      else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') row.push(field), (field = '')
    else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field)
      rows.push(row)
      row = []
      field = ''
      i++
    } else field += c
  }
  return rows
}

test('CSV: one row per finding whose frames and timecodes parse back to the same frames; formulas are defused', () => {
  for (const fps of [NTSC, PAL]) {
    const [header, ...rows] = parseCsv(notesCsv(input(fps)))
    const col = (name: string) => header!.indexOf(name)
    assert.is(rows.length, 3)
    rows.forEach((r, i) => {
      assert.is(Number(r[col('frame_in')]), notes[i]!.frame)
      assert.is(Number(r[col('frame_out')]), notes[i]!.frameEnd)
      assert.is(timecodeToFrames(r[col('timecode_in')]!, fps), notes[i]!.frame)
      assert.is(timecodeToFrames(r[col('timecode_out')]!, fps), notes[i]!.frameEnd)
      assert.is(r[col('fps')], `${fps.num}/${fps.den}`)
    })
    assert.is(rows[1]![col('title')], 'Colour "shift", after the cut')
    assert.is(rows[1]![col('comments')], `'=HYPERLINK("x") | second\nline`)
    assert.is(rows[0]![col('assignee')], 'Ada')
  }
})

test('EDL: CMX3600 events with * LOC: markers that read back to the findings’ frames', () => {
  const edl = notesEdl(input())
  const lines = edl.split('\n')
  assert.is(lines[0], 'TITLE: Spot v2')
  assert.is(lines[1], 'FCM: DROP FRAME')
  const events = lines.filter((l) => /^\d{3} {2}/.test(l))
  assert.is(events.length, 3)
  events.forEach((l, i) => {
    const m = /^(\d{3}) {2}(\S+)\s+V\s+C\s+(\S+) (\S+) (\S+) (\S+)$/.exec(l)
    assert.ok(m, l)
    assert.is(Number(m![1]), i + 1)
    assert.is(timecodeToFrames(m![3]!, NTSC), notes[i]!.frame)
    assert.is(timecodeToFrames(m![4]!, NTSC), notes[i]!.frameEnd + 1, 'out is exclusive')
    assert.is(m![5], m![3])
  })
  const locs = lines.filter((l) => l.startsWith('* LOC: '))
  assert.equal(
    locs.map((l) => timecodeToFrames(l.split(' ')[2]!, NTSC)),
    notes.map((n) => n.frame),
  )
  assert.match(locs[2]!, /^\* LOC: 00:59:59;29 MAGENTA Logo <wrong> & late \[critical, ready for review\]$/)
  assert.ok(
    lines.every((l) => /^[\x20-\x7e]*$/.test(l)),
    'plain ASCII, one line per comment',
  )
  assert.match(notesEdl(input(PAL)), /FCM: NON-DROP FRAME/)
})

test('FCPXML: markers at rational times on the version’s frame grid that read back to the same frames', () => {
  for (const fps of [NTSC, PAL]) {
    const xml = notesFcpxml(input(fps))
    assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<!DOCTYPE fcpxml>\n<fcpxml version="1.10">/)
    assert.match(xml, new RegExp(`frameDuration="${fps.den === 1 ? `1/${fps.num}` : `${fps.den}/${fps.num}`}s"`))
    assert.match(xml, new RegExp(`tcFormat="${fps.den === 1001 ? 'DF' : 'NDF'}"`))
    const toFrames = (t: string) => {
      const m = /^(\d+)(?:\/(\d+))?s$/.exec(t)!
      const seconds = { num: Number(m[1]), den: Number(m[2] ?? 1) }
      const frames = (seconds.num * fps.num) / (seconds.den * fps.den)
      assert.ok(Number.isInteger(frames), `${t} is on the frame grid`)
      return frames
    }
    const markers = [...xml.matchAll(/<marker start="([^"]+)" duration="([^"]+)" value="([^"]*)" note="([^"]*)"\/>/g)]
    assert.is(markers.length, 3)
    markers.forEach((m, i) => {
      assert.is(toFrames(m[1]!), notes[i]!.frame)
      assert.is(toFrames(m[2]!), notes[i]!.frameEnd - notes[i]!.frame + 1)
    })
    assert.is(markers[2]![3], 'Logo &lt;wrong&gt; &amp; late')
    assert.match(markers[1]![4]!, /second&#10;line/)
    // every element opened is closed, in order
    const stack: string[] = []
    for (const tag of xml.matchAll(/<(\/?)([a-z-]+)[^>]*?(\/?)>/g)) {
      if (tag[1]) assert.is(stack.pop(), tag[2])
      else if (!tag[3]) stack.push(tag[2]!)
    }
    assert.equal(stack, [])
  }
})

test.run()
