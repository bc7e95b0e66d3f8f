import Paragraph from '@tiptap/extension-paragraph'

/**
 * A transcript segment: a paragraph with its speaker and time range. The speaker label is drawn from
 * `data-speaker` by CSS so it is not part of the editable text.
 */
export const TranscriptParagraph = Paragraph.extend({
  addAttributes() {
    return {
      speaker: {
        default: null,
        parseHTML: (el: HTMLElement) => el.getAttribute('data-speaker'),
        renderHTML: (attrs: Record<string, unknown>) => (attrs.speaker ? { 'data-speaker': String(attrs.speaker) } : {}),
      },
      start: {
        default: null,
        parseHTML: (el: HTMLElement) => Number(el.getAttribute('data-start')) || null,
        renderHTML: (attrs: Record<string, unknown>) => (attrs.start === null ? {} : { 'data-start': String(attrs.start) }),
      },
      end: {
        default: null,
        parseHTML: (el: HTMLElement) => Number(el.getAttribute('data-end')) || null,
        renderHTML: (attrs: Record<string, unknown>) => (attrs.end === null ? {} : { 'data-end': String(attrs.end) }),
      },
    }
  },
})
