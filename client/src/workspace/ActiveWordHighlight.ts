import { Extension } from '@tiptap/core'
import type { Node as PmNode } from '@tiptap/pm/model'
import { Plugin, PluginKey } from '@tiptap/pm/state'
import { Decoration, DecorationSet } from '@tiptap/pm/view'

export interface WordSpan {
  from: number
  to: number
  start: number
  end: number
}

interface HighlightState {
  time: number | null
  /** Word positions, rebuilt lazily: null after the document changed. */
  words: WordSpan[] | null
  decorations: DecorationSet
}

export const activeWordKey = new PluginKey<HighlightState>('activeWord')

/** Every `word`-marked run in document order with its timing. */
export function collectWords(doc: PmNode): WordSpan[] {
  const words: WordSpan[] = []
  doc.descendants((node, pos) => {
    if (!node.isText) return true
    for (const mark of node.marks) {
      if (mark.type.name !== 'word') continue
      const start = mark.attrs.start
      const end = mark.attrs.end
      if (typeof start !== 'number' || typeof end !== 'number') continue
      const last = words[words.length - 1]
      // Adjacent text nodes of one word (e.g. split by another mark) merge into one span.
      if (last && last.to === pos && last.start === start && last.end === end) last.to = pos + node.nodeSize
      else words.push({ from: pos, to: pos + node.nodeSize, start, end })
    }
    return false
  })
  return words
}

/** The word whose [start, end) contains `time`, by binary search over words sorted by start. */
export function wordAt(words: WordSpan[], time: number): WordSpan | null {
  let lo = 0
  let hi = words.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const w = words[mid]!
    if (time < w.start) hi = mid - 1
    else if (time >= w.end) lo = mid + 1
    else return w
  }
  return null
}

/**
 * Highlights the word under the playhead. The word list is rebuilt only when the time changes after an edit, so
 * typing in a long transcript costs no more than mapping one decoration.
 */
export const ActiveWordHighlight = Extension.create({
  name: 'activeWordHighlight',
  addProseMirrorPlugins() {
    return [
      new Plugin<HighlightState>({
        key: activeWordKey,
        state: {
          init: () => ({ time: null, words: null, decorations: DecorationSet.empty }),
          apply: (tr, value, _old, state) => {
            const time = tr.getMeta(activeWordKey) as number | null | undefined
            let words = tr.docChanged ? null : value.words
            if (time === undefined) {
              return { time: value.time, words, decorations: value.decorations.map(tr.mapping, tr.doc) }
            }
            if (time === null) return { time, words, decorations: DecorationSet.empty }
            if (!words) words = collectWords(state.doc).sort((a, b) => a.start - b.start)
            const word = wordAt(words, time)
            const decorations = word
              ? DecorationSet.create(state.doc, [Decoration.inline(word.from, word.to, { class: 'word-active' })])
              : DecorationSet.empty
            return { time, words, decorations }
          },
        },
        props: {
          decorations: (state) => activeWordKey.getState(state)?.decorations,
        },
      }),
    ]
  },
})
