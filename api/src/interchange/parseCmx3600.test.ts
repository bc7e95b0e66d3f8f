import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { EdlSyntaxError, parseCmx3600 } from './parseCmx3600'

// A list as Avid and Resolve write them: a cut, a dissolve (the outgoing cut and the D event share a number),
// audio-only and A/V channel fields, a speed change, comments, locators, CRLF line ends.
const SAMPLE = [
  'TITLE: REEL 1 CUT 3',
  'FCM: NON-DROP FRAME',
  '',
  '001  A001C003 V     C        01:00:10:00 01:00:12:12 00:00:00:00 00:00:02:12',
  '* FROM CLIP NAME: A001C003_INTERVIEW.MOV',
  '* SOURCE FILE: A001C003_INTERVIEW.MOV',
  '* LOC: 00:00:01:00 RED     Flash frame',
  '',
  '002  A001C003 V     C        01:00:12:12 01:00:12:12 00:00:02:12 00:00:02:12',
  '002  B002C001 V     D    025 02:10:00:00 02:10:03:00 00:00:02:12 00:00:05:12',
  '* FROM CLIP NAME: A001C003_INTERVIEW.MOV',
  '* TO CLIP NAME: B002C001_WIDE.MOV',
  'M2   B002C001       050.0                02:10:00:00',
  '',
  '003  BL       V     C        00:00:00:00 00:00:01:00 00:00:05:12 00:00:06:12',
  '004  MUSIC    AA    C        00:00:00:00 00:00:06:12 00:00:00:00 00:00:06:12',
  '* a note without a keyword',
  '005  A001C004 B     C        01:00:00:00 01:00:01:00 00:00:06:12 00:00:07:12',
  '',
].join('\r\n')

test('reads headers, events, transitions, comments and locators of a CMX3600 list', () => {
  const edl = parseCmx3600(SAMPLE)
  assert.is(edl.title, 'REEL 1 CUT 3')
  assert.is(edl.dropFrame, false)
  assert.equal(
    edl.events.map((e) => [e.number, e.reel, e.channels, e.transition, e.transitionFrames]),
    [
      [1, 'A001C003', 'V', 'C', null],
      [2, 'A001C003', 'V', 'C', null],
      [2, 'B002C001', 'V', 'D', 25],
      [3, 'BL', 'V', 'C', null],
      [4, 'MUSIC', 'AA', 'C', null],
      [5, 'A001C004', 'B', 'C', null],
    ],
  )
  const [first, , dissolve, , music] = edl.events
  assert.equal(
    [first!.sourceIn, first!.sourceOut, first!.recordIn, first!.recordOut],
    ['01:00:10:00', '01:00:12:12', '00:00:00:00', '00:00:02:12'],
  )
  assert.is(first!.clipName, 'A001C003_INTERVIEW.MOV')
  assert.is(first!.sourceFile, 'A001C003_INTERVIEW.MOV')
  assert.equal(first!.locators, [{ timecode: '00:00:01:00', color: 'RED', name: 'Flash frame' }])
  assert.is(dissolve!.toClipName, 'B002C001_WIDE.MOV')
  assert.match(dissolve!.comments[0]!, /^M2 /)
  assert.equal(music!.comments, ['a note without a keyword'])
})

test('drop-frame lists and semicolon timecodes', () => {
  const edl = parseCmx3600(
    'TITLE: X\nFCM: DROP FRAME\n\n001  AX       V     C        00:00:59;28 00:01:00;02 00:00:00;00 00:00:00;02\n',
  )
  assert.is(edl.dropFrame, true)
  assert.is(edl.events[0]!.sourceOut, '00:01:00;02')
})

test('refuses what is not CMX3600, naming the line', () => {
  const bad = (text: string, pattern: RegExp) => {
    try {
      parseCmx3600(text)
      assert.unreachable(`accepted: ${text}`)
    } catch (err) {
      assert.instance(err, EdlSyntaxError)
      assert.match((err as Error).message, pattern)
    }
  }
  bad('TITLE: X\n001  AX  V  C  00:00:00:00 00:00:01:00 00:00:00:00\n', /^line 2: not an event/)
  bad(
    'TITLE: X\n001  AX  V  C  00:00:00:00 00:00:01:0 00:00:00:00 00:00:01:00\n',
    /line 2: "00:00:01:0" is not a timecode/,
  )
  bad('TITLE: X\n* FROM CLIP NAME: x\n', /line 2: a comment before the first event/)
  bad('FCM: SOMETIMES\n', /unknown frame count mode/)
  bad('001  AX  V  D  00:00:00:00 00:00:01:00 00:00:00:00 00:00:01:00\n', /transition D without a duration/)
  bad('001  AX  V  C  00:00:00:00 00:00:01:00 00:00:00:00 00:00:01:00\n* LOC: soon RED x\n', /a LOC without a timecode/)
  bad('<?xml version="1.0"?>\n<fcpxml/>\n', /line 1: not an event/)
})

test.run()
