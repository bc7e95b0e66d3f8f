import { Mark, mergeAttributes } from '@tiptap/core'

/**
 * The `word` mark of the transcript model: each spoken word carries its timing (start, end) and recognition
 * confidence. Not inclusive, so text typed after a word does not borrow its timing; characters typed inside a
 * word keep the word's mark, so a corrected word keeps its timing and its neighbours are untouched.
 */
export const WordMark = Mark.create({
  name: 'word',
  inclusive: false,
  excludes: '',
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
})
