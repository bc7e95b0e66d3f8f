import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cuesFromWords, formatSubtitles, MAX_SUBTITLE_CHARS, parseSubtitles } from './subtitles'

const words = (text: string, start: number, step = 400) =>
  text.split(' ').map((t, i) => ({ text: t, start: start + i * step, end: start + i * step + step - 50 }))

test('cues keep to the line rules: at most 2 lines of 42 characters, paragraphs and long pauses split cues', () => {
  const para1 = words('The harbor was quiet before the storm and nobody on the pier said a single word about it', 0)
  const para2 = words('Later that night', 20_000)
  const cues = cuesFromWords([para1, para2])
  for (const c of cues) {
    const lines = c.text.split('\n')
    assert.ok(lines.length <= 2, c.text)
    for (const l of lines) assert.ok(l.length <= 42, l)
    assert.ok(c.end > c.start)
  }
  assert.is(
    cues.map((c) => c.text.replace('\n', ' ')).join(' '),
    `${para1.map((w) => w.text).join(' ')} Later that night`,
  )
  assert.is(cues[cues.length - 1]!.start, 20_000, 'a paragraph starts its own cue')
  for (let i = 1; i < cues.length; i++) assert.ok(cues[i]!.start >= cues[i - 1]!.end + 80, 'cues leave a gap')
  const narrow = cuesFromWords([para1], { maxChars: 20, maxLines: 1 })
  for (const c of narrow) assert.ok(!c.text.includes('\n') && c.text.length <= 20, c.text)
})

test('SRT and VTT round trips keep the text and the millisecond times', () => {
  const cues = cuesFromWords([words('One two three four five six seven eight nine ten eleven twelve thirteen', 1234)])
  for (const format of ['srt', 'vtt'] as const) {
    const back = parseSubtitles(formatSubtitles(cues, format), format)
    assert.equal(back, cues, format)
  }
  const hour = [{ start: 3_723_456, end: 3_725_000, text: 'late\nline two' }]
  assert.equal(parseSubtitles(formatSubtitles(hour, 'srt'), 'srt'), hour)
  assert.match(formatSubtitles(hour, 'srt'), '01:02:03,456 --> 01:02:05,000')
  assert.match(formatSubtitles(hour, 'ass'), 'Dialogue: 0,1:02:03.46,1:02:05.00,Default,,0,0,0,,late\\Nline two')
})

test('imports tolerate what editors write: BOM, CRLF, no numbers, VTT settings, NOTE blocks, tags', () => {
  const srt =
    '\uFEFF1\r\n00:00:01,000 --> 00:00:02,500\r\n<i>Hello</i> there\r\n\r\n\r\n00:00:03,000 --> 00:00:04,000\r\nSecond\r\n'
  assert.equal(parseSubtitles(srt, 'srt'), [
    { start: 1000, end: 2500, text: 'Hello there' },
    { start: 3000, end: 4000, text: 'Second' },
  ])
  const vtt =
    'WEBVTT - a title\n\nNOTE made by hand\nsecond note line\n\nintro\n00:01.000 --> 00:02.000 align:start line:90%\n<v Ada>Hi</v>\n\n01:00:00.000 --> 01:00:01.000\nBye\n'
  assert.equal(parseSubtitles(vtt, 'vtt'), [
    { start: 1000, end: 2000, text: 'Hi' },
    { start: 3_600_000, end: 3_601_000, text: 'Bye' },
  ])
})

test('malformed files are refused with the line number, oversize ones by size', () => {
  const refused = (text: string, format: 'srt' | 'vtt'): string => {
    try {
      parseSubtitles(text, format)
    } catch (err) {
      return (err as Error).message
    }
    assert.unreachable('should be refused')
    return ''
  }
  assert.match(
    refused('1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:03.000 --> 00:00:04,000\nbad\n', 'srt'),
    /^Line 6: "00:00:03.000/,
  )
  assert.match(
    refused('1\n00:00:05,000 --> 00:00:02,000\nbackwards\n', 'srt'),
    /^Line 2: the cue ends before it starts/,
  )
  assert.match(refused('1\nno timing here\n', 'srt'), /^Line 1: expected a timing line/)
  assert.match(refused('00:01.000 --> 00:02.000\nx\n', 'vtt'), /^Line 1: a WebVTT file starts with "WEBVTT"/)
  assert.match(refused('x'.repeat(MAX_SUBTITLE_CHARS + 1), 'srt'), /at most/)
})

test.run()
