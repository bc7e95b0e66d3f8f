import { DISCOVER_LIMITS, type DiscoverSentence, transcript } from '@cutroom/schema'
import type * as Y from 'yjs'

/**
 * A transcript's sentences in milliseconds: words in reading order, split after a word ending in . ? ! and at
 * every paragraph (a paragraph is one stretch of speech; engines without punctuation give one sentence per pause).
 * At most DISCOVER_LIMITS.maxSentences, each at most maxSentenceChars.
 */
export function transcriptSentences(doc: Y.Doc): DiscoverSentence[] {
  const { sampleRate } = transcript.getMeta(doc)
  const ms = (samples: number) => Math.max(0, Math.round((samples * 1000) / sampleRate))
  const out: DiscoverSentence[] = []
  let words: string[] = []
  let start = 0
  let end = 0
  let paragraph = -1
  const close = () => {
    if (words.length && out.length < DISCOVER_LIMITS.maxSentences && ms(end) > ms(start))
      out.push({ startMs: ms(start), endMs: ms(end), text: words.join(' ').slice(0, DISCOVER_LIMITS.maxSentenceChars) })
    words = []
  }
  for (const w of transcript.readWords(doc)) {
    const text = w.text.trim()
    if (!text) continue
    if (w.paragraph !== paragraph) {
      close()
      paragraph = w.paragraph
    }
    if (words.length === 0) {
      start = w.start
      end = w.end
    }
    words.push(text)
    end = Math.max(end, w.end)
    if (/[.?!]["')\]]*$/.test(text)) close()
  }
  close()
  return out
}
