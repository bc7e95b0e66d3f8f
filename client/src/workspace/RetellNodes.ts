import { mergeAttributes, Node } from '@tiptap/core'

/**
 * The retell script's blocks: chapters (title text, source ranges), narration blocks (text, voice, synthesized
 * audio artifact, duration) and shot references (asset, in, out) pointing at source media.
 */
export const Chapter = Node.create({
  name: 'chapter',
  group: 'block',
  content: 'text*',
  defining: true,
  addAttributes() {
    return { sources: { default: [] } }
  },
  parseHTML() {
    return [{ tag: 'h2[data-chapter]' }]
  },
  renderHTML({ HTMLAttributes }) {
    const { sources: _sources, ...rest } = HTMLAttributes
    return ['h2', mergeAttributes(rest, { 'data-chapter': '', class: 'retell-chapter' }), 0]
  },
})

export const Narration = Node.create({
  name: 'narration',
  group: 'block',
  content: 'text*',
  addAttributes() {
    return {
      // The model keys synthesized audio to this id; y-tiptap keeps only declared attributes.
      id: { default: null },
      voice: { default: 'narrator' },
      audioArtifactId: { default: null },
      duration: { default: null },
    }
  },
  parseHTML() {
    return [{ tag: 'div[data-narration]' }]
  },
  renderHTML({ node, HTMLAttributes }) {
    const { audioArtifactId: _a, duration: _d, id: _id, voice, ...rest } = HTMLAttributes
    return [
      'div',
      mergeAttributes(rest, {
        'data-narration': '',
        'data-voice': String(voice ?? node.attrs.voice ?? 'narrator'),
        class: node.attrs.audioArtifactId ? 'retell-narration voiced' : 'retell-narration',
      }),
      0,
    ]
  },
})

export const ShotReference = Node.create({
  name: 'shot',
  group: 'block',
  atom: true,
  selectable: true,
  draggable: true,
  addAttributes() {
    return {
      assetId: { default: null },
      sourceIn: { default: 0 },
      sourceOut: { default: 0 },
      label: { default: '' },
    }
  },
  parseHTML() {
    return [{ tag: 'div[data-shot]' }]
  },
  renderHTML({ node }) {
    const { assetId, sourceIn, sourceOut, label } = node.attrs
    return [
      'div',
      { 'data-shot': '', 'data-asset-id': String(assetId ?? ''), class: 'retell-shot', contenteditable: 'false' },
      ['span', { class: 'shot-icon' }, '▦'],
      ['span', { class: 'shot-label' }, String(label || 'Shot')],
      ['span', { class: 'shot-range' }, `${sourceIn}–${sourceOut}`],
    ]
  },
})
