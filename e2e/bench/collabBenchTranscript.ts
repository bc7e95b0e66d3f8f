import { prepareDocument, transcript } from '@cutroom/schema'
import * as Y from 'yjs'

/** The benchmark's two-hour transcript: 20,000 words with sample timings in 1,000 segments, from a fixed seed. */
export function buildBenchTranscript(): { update: Uint8Array; words: number } {
  const vocabulary = [
    'the',
    'shot',
    'light',
    'we',
    'frame',
    'camera',
    'colour',
    'across',
    'morning',
    'editor',
    'story',
    'cut',
  ]
  const sampleRate = 48000
  const words = 20_000
  const span = Math.floor((2 * 3600 * sampleRate) / words)
  let seed = 7
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed / 2147483648
  }
  const segments: transcript.SegmentInput[] = []
  for (let s = 0; s < words / 20; s++) {
    const list = []
    for (let w = s * 20; w < s * 20 + 20; w++)
      list.push({
        text: vocabulary[Math.floor(next() * vocabulary.length)]!,
        start: w * span,
        end: w * span + Math.floor(span * 0.8),
        confidence: Math.round(next() * 100) / 100,
      })
    segments.push({ speaker: `Speaker ${(s % 3) + 1}`, words: list })
  }
  const doc = new Y.Doc()
  prepareDocument(doc, transcript.model)
  transcript.buildTranscript(doc, { assetId: 'bench', language: 'en', source: 'bench', sampleRate, segments })
  const update = Y.encodeStateAsUpdate(doc)
  doc.destroy()
  return { update, words }
}
