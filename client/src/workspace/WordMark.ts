import { Mark, mergeAttributes } from '@tiptap/core'
import { Plugin, PluginKey } from '@tiptap/pm/state'

/**
 * The `word` mark of the transcript model: each spoken word carries its timing (start, end) and recognition
 * confidence. Not inclusive, so a new word typed after a space does not borrow the previous word's timing; but
 * letters typed right after a word's letters continue that word (see `continueWord`), so retyping or fixing a word
 * keeps its timing and its neighbours are untouched.
 */
export const WordMark = Mark.create({
  name: 'word',
  inclusive: false,
  addAttributes() {
    const int = (name: string) => ({
      default: null,
      parseHTML: (el: HTMLElement) => {
        const value = el.getAttribute(`data-${name}`)
        return value === null ? null : Number(value)
      },
      renderHTML: (attrs: Record<string, unknown>) =>
        attrs[name] === null || attrs[name] === undefined ? {} : { [`data-${name}`]: String(attrs[name]) },
    })
    return { start: int('start'), end: int('end'), confidence: int('confidence') }
  },
  parseHTML() {
    return [{ tag: 'span[data-word]' }]
  },
  renderHTML({ HTMLAttributes, mark }) {
    const confidence = typeof mark.attrs.confidence === 'number' ? mark.attrs.confidence : 1
    return ['span', mergeAttributes(HTMLAttributes, { 'data-word': '', class: confidence < 0.6 ? 'word low-confidence' : 'word' }), 0]
  },
  addProseMirrorPlugins() {
    const type = this.type
    return [
      new Plugin({
        key: new PluginKey('continueWord'),
        props: {
          // Without this, a non-inclusive mark ends at the cursor: after replacing "quick" by typing "q", the
          // "uack" that follows would lose the word's timing.
          handleTextInput: (view, from, to, text) => {
            if (/\s/.test(text)) return false
            const $from = view.state.doc.resolve(from)
            const before = $from.nodeBefore
            // Typing over a selected word keeps that word's timing (ProseMirror would drop a non-inclusive mark).
            const replaced = to > from ? $from.nodeAfter : null
            const mark =
              (before?.isText ? before.marks.find((m) => m.type === type) : undefined) ??
              (replaced?.isText ? replaced.marks.find((m) => m.type === type) : undefined)
            if (!mark) return false
            const tr = view.state.tr.insertText(text, from, to)
            tr.addMark(from, from + text.length, mark)
            view.dispatch(tr)
            return true
          },
        },
      }),
    ]
  },
})
