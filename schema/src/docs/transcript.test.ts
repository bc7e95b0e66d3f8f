import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as Y from 'yjs'
import { CutroomError } from '../errors'
import { canonicalJson } from './canonicalJson'
import { createReplicaNetwork } from './createReplicaNetwork'
import { prepareDocument } from './docModel'
import { sampleRangesToFrames } from './mediaTime'
import { seededRandom } from './seededRandom'
import * as timeline from './timeline'
import * as transcript from './transcript'

const SR = 48000

/** `n` words of 0.4 s with 0.1 s pauses, in segments of `perSegment`. */
function segments(n: number, perSegment = 10): transcript.SegmentInput[] {
  const out: transcript.SegmentInput[] = []
  for (let i = 0; i < n; i += perSegment) {
    const words = []
    for (let j = i; j < Math.min(n, i + perSegment); j++)
      words.push({ text: `w${j}`, start: j * 24000, end: j * 24000 + 19200, confidence: 0.9 })
    out.push({ speaker: `S${(i / perSegment) % 2}`, words })
  }
  return out
}

function fresh(n = 30): Y.Doc {
  const doc = new Y.Doc()
  prepareDocument(doc, transcript.model)
  transcript.buildTranscript(doc, {
    assetId: 'A',
    language: 'en',
    source: 'whisper',
    sampleRate: SR,
    segments: segments(n),
  })
  return doc
}

test('build and read back words with timings, paragraphs with speakers', () => {
  const doc = fresh(25)
  const words = transcript.readWords(doc)
  assert.is(words.length, 25)
  assert.equal(words[12], { text: 'w12', start: 288000, end: 307200, confidence: 0.9, paragraph: 1, offset: 8 })
  const paras = transcript.readParagraphs(doc)
  assert.equal(
    paras.map((p) => [p.speaker, p.start, p.end]),
    [
      ['S0', 0, 235200],
      ['S1', 240000, 475200],
      ['S0', 480000, 595200],
    ],
  )
  assert.is(paras[2]!.text, 'w20 w21 w22 w23 w24')
  assert.equal(transcript.getMeta(doc), { assetId: 'A', language: 'en', source: 'whisper', sampleRate: SR })
  assert.equal(transcript.validate(doc), [])
})

test('the body is in the y-tiptap mapping: paragraph elements, word marks as formatting attributes', () => {
  const doc = fresh(2)
  const p = transcript.bodyOf(doc).get(0) as Y.XmlElement
  assert.is(p.nodeName, 'paragraph')
  assert.is(p.getAttribute('start'), 0)
  const delta = (p.get(0) as Y.XmlText).toDelta()
  assert.equal(delta, [
    { insert: 'w0', attributes: { word: { start: 0, end: 19200, confidence: 0.9 } } },
    { insert: ' ' },
    { insert: 'w1', attributes: { word: { start: 24000, end: 43200, confidence: 0.9 } } },
  ])
})

test('wordAtTime finds the word under a sample and null in a pause', () => {
  const words = transcript.readWords(fresh(30))
  assert.is(transcript.wordAtTime(words, 24000 * 7 + 100)!.text, 'w7')
  assert.is(transcript.wordAtTime(words, 24000 * 7 + 20000), null)
  assert.is(transcript.wordAtTime(words, 24000 * 400), null)
})

test('correcting a word keeps its timing and every other timing', () => {
  const doc = fresh(30)
  const before = transcript.readWords(doc)
  transcript.correctWord(doc, 5, 'fixed')
  // An edit inside a word, as the editor makes it: typed characters inherit the word's formatting.
  const ytext = (transcript.bodyOf(doc).get(0) as Y.XmlElement).get(0) as Y.XmlText
  ytext.insert(before[2]!.offset + 1, 'XY', { word: { start: before[2]!.start, end: before[2]!.end, confidence: 0.9 } })
  const after = transcript.readWords(doc)
  assert.is(after.length, 30)
  assert.is(after[5]!.text, 'fixed')
  assert.is(after[2]!.text, 'wXY2')
  assert.equal(
    after.map((w) => [w.start, w.end]),
    before.map((w) => [w.start, w.end]),
  )
  try {
    transcript.correctWord(doc, 5, 'two words')
    assert.unreachable()
  } catch (e) {
    assert.instance(e, CutroomError)
  }
})

test('deleted words become cut ranges, and the cuts ripple the timeline', () => {
  const doc = fresh(30)
  const original = transcript.readWords(doc)
  transcript.deleteWords(doc, 3, 2) // w3 w4
  transcript.deleteWords(doc, 27, 1) // w29, the last word (indices shifted by two)
  const current = transcript.readWords(doc)
  assert.is(current.length, 27)
  assert.is(transcript.readParagraphs(doc)[0]!.text, 'w0 w1 w2 w5 w6 w7 w8 w9')
  const cuts = transcript.cutRangesForDeletedWords(original, current)
  assert.equal(cuts, [
    { start: 3 * 24000, end: 5 * 24000 },
    { start: 29 * 24000, end: 29 * 24000 + 19200 },
  ])
  // Apply to a 25 fps timeline holding the whole recording (15 s = 375 frames).
  const tl = new Y.Doc()
  prepareDocument(tl, timeline.model)
  const fps = { num: 25, den: 1 }
  timeline.setMeta(tl, { fps })
  timeline.insertClip(tl, { at: { index: 0 }, assetId: 'A', sourceIn: 0, sourceOut: 375, id: 'clip' })
  const removed = timeline.rippleCutSource(tl, 'A', sampleRangesToFrames(cuts, SR, fps))
  // w3..w4 with the pause after them: 1.5 s .. 2.5 s = frames 37.5..62.5 (rounded half up); w29: 14.5 s .. 14.9 s.
  assert.is(removed, 25 + 10)
  assert.equal(
    timeline.storylineLayout(tl).map((p) => (p.kind === 'clip' ? [p.sourceIn, p.sourceOut, p.start] : [])),
    [
      [0, 38, 0],
      [63, 363, 38],
      [373, 375, 338],
    ],
  )
  assert.equal(timeline.validate(tl), [])
})

test('bad input is refused and changes nothing', () => {
  const doc = fresh(3)
  const before = Y.encodeStateAsUpdate(doc)
  for (const fn of [
    () =>
      transcript.buildTranscript(doc, {
        segments: [{ speaker: 'x', words: [{ text: 'a', start: 0.5, end: 1, confidence: 1 }] }],
      }),
    () =>
      transcript.buildTranscript(doc, {
        segments: [{ speaker: 'x', words: [{ text: 'a', start: 5, end: 1, confidence: 1 }] }],
      }),
    () =>
      transcript.buildTranscript(doc, {
        segments: [{ speaker: 'x', words: [{ text: 'a', start: 0, end: 1, confidence: 2 }] }],
      }),
    () => transcript.deleteWords(doc, 2, 5),
  ]) {
    try {
      fn()
      assert.unreachable()
    } catch (e) {
      assert.instance(e, CutroomError)
    }
  }
  assert.equal(Y.encodeStateAsUpdate(doc), before)
})

test('a two-hour transcript of 20,000 words builds and reloads', () => {
  const doc = fresh(20_000)
  const update = Y.encodeStateAsUpdate(doc)
  const copy = new Y.Doc()
  Y.applyUpdate(copy, update)
  const words = transcript.readWords(copy)
  assert.is(words.length, 20_000)
  assert.is(words[19_999]!.start, 19_999 * 24000)
})

for (const seed of [11, 12, 13, 14]) {
  test(`randomized convergence, seed ${seed}: word edits merge and untouched words keep their timings`, () => {
    const r = seededRandom(seed)
    const base = fresh(40)
    const original = transcript.readWords(base)
    const net = createReplicaNetwork(4, r, Y.encodeStateAsUpdate(base))
    const touched = new Set<string>()
    for (let round = 0; round < 50; round++) {
      for (const doc of net.docs) {
        if (!r.chance(0.7)) continue
        const words = transcript.readWords(doc)
        if (words.length < 3) continue
        const i = r.int(0, words.length - 2)
        const w = words[i]!
        const op = r.int(0, 3)
        if (op === 0) {
          transcript.correctWord(doc, i, `c${round}`)
          touched.add(`${w.start}:${w.end}`)
        } else if (op === 1) {
          transcript.deleteWords(doc, i, 1)
          touched.add(`${w.start}:${w.end}`)
        } else if (op === 2) {
          const ytext = (transcript.bodyOf(doc).get(w.paragraph) as Y.XmlElement).get(0) as Y.XmlText
          ytext.insert(w.offset + 1, 'z', { word: { start: w.start, end: w.end, confidence: w.confidence } })
          touched.add(`${w.start}:${w.end}`)
        } else {
          const ytext = (transcript.bodyOf(doc).get(w.paragraph) as Y.XmlElement).get(0) as Y.XmlText
          ytext.format(w.offset, w.text.length, { word: { start: w.start, end: w.end, confidence: 0.5 } })
          touched.add(`${w.start}:${w.end}`)
        }
      }
      net.deliverSome(r.int(0, 6))
    }
    net.flush()
    const json = canonicalJson(net.docs[0]!, transcript.ROOTS)
    for (const d of net.docs) assert.ok(canonicalJson(d, transcript.ROOTS) === json, `replica ${d.clientID} differs`)
    for (const d of net.docs) assert.equal(transcript.validate(d), [])
    const finalWords = transcript.readWords(net.docs[0]!)
    const byTiming = new Map(finalWords.map((w) => [`${w.start}:${w.end}`, w]))
    let untouched = 0
    for (const w of original) {
      const key = `${w.start}:${w.end}`
      if (touched.has(key)) continue
      untouched++
      assert.equal(byTiming.get(key)?.text, w.text, `untouched word ${w.text} kept`)
    }
    assert.ok(untouched > 0 && touched.size > 10, 'the run made real edits and left some words alone')
    net.destroy()
  })
}

test("addSegment writes segments in time order whatever order they come in, once each, and keeps a person's edits", () => {
  const doc = new Y.Doc()
  prepareDocument(doc, transcript.model)
  const meta = { assetId: 'a1', language: 'en', source: 'pocketsphinx', sampleRate: SR }
  const seg = (start: number, texts: string[]) => ({
    speaker: 'Speaker 1',
    start,
    end: start + texts.length * 24000,
    words: texts.map((text, i) => ({
      text,
      start: start + i * 24000,
      end: start + i * 24000 + 20000,
      confidence: 0.7,
    })),
  })
  assert.ok(transcript.addSegment(doc, meta, seg(240_000, ['c', 'd'])))
  assert.ok(transcript.addSegment(doc, meta, seg(0, ['a', 'b'])))
  transcript.correctWord(doc, 0, 'A')
  assert.ok(transcript.addSegment(doc, meta, seg(480_000, ['e'])))
  assert.not.ok(transcript.addSegment(doc, meta, seg(0, ['a', 'b'])), 'a segment already there is a no-op')
  assert.equal(
    transcript.readParagraphs(doc).map((p) => [p.start, p.text]),
    [
      [0, 'A b'],
      [240_000, 'c d'],
      [480_000, 'e'],
    ],
  )
  assert.equal(transcript.getMeta(doc), meta)
  assert.equal(transcript.validate(doc), [])
  assert.throws(() => transcript.addSegment(doc, meta, seg(600_000, ['two words'])), /one word without spaces/)
  assert.throws(() => transcript.addSegment(doc, meta, { ...seg(700_000, ['x']), end: 1 }), /integer samples/)
  assert.is(transcript.readParagraphs(doc).length, 3, 'a refused segment changes nothing')
})

test('realign spans: corrected words between untouched neighbours, untimed words; setWordTimes records what it timed', () => {
  const doc = fresh(30)
  assert.equal(transcript.alignSpansForCorrected(doc), [], 'nothing corrected yet')
  transcript.correctWord(doc, 3, 'fixed')
  transcript.correctWord(doc, 4, 'also')
  transcript.correctWord(doc, 9, 'last')
  const spans = transcript.alignSpansForCorrected(doc)
  assert.equal(spans, [
    // from the end of w2 to the start of w5
    {
      paragraphStart: 0,
      start: 2 * 24000 + 19200,
      end: 5 * 24000,
      words: [
        ['fixed', 72000, 91200],
        ['also', 96000, 115200],
      ],
    },
    // the paragraph's last word: up to the paragraph's end
    { paragraphStart: 0, start: 8 * 24000 + 19200, end: 9 * 24000 + 19200, words: [['last', 216000, 235200]] },
  ])
  const before = transcript.readWords(doc)
  const changed = transcript.setWordTimes(doc, 0, [
    { text: 'fixed', from: { start: 72000, end: 91200 }, start: 70000, end: 90000, confidence: 1 },
    { text: 'also', from: { start: 96000, end: 115200 }, start: 90000, end: 118000, confidence: 1 },
    { text: 'not-there', from: { start: 1, end: 2 }, start: 3, end: 4, confidence: 1 },
  ])
  assert.is(changed, 2)
  const after = transcript.readWords(doc)
  for (const i of [0, 1, 2, 5, 6, 7, 8, 9, 10, 29]) assert.equal(after[i], before[i], `word ${i} untouched`)
  assert.equal([after[3]!.start, after[3]!.end, after[4]!.start], [70000, 90000, 90000])
  assert.equal(
    transcript.alignSpansForCorrected(doc).map((s) => s.words.map((w) => w[0])),
    [['last']],
  )
  // untimed words (imported subtitles, or flagged when they could not be aligned) are realigned too
  transcript.setWordTimes(doc, 0, [
    { text: 'last', from: { start: 216000, end: 235200 }, start: 216000, end: 235200, confidence: 0 },
  ])
  assert.equal(
    transcript.alignSpansForCorrected(doc).map((s) => s.words.map((w) => w[0])),
    [['last']],
  )
  assert.is(transcript.setWordTimes(doc, 99, []), 0, 'no such paragraph')
})

test.run()
