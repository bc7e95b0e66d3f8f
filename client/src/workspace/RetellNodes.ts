import { retell } from '@cutroom/schema'
import { Extension, mergeAttributes, Node } from '@tiptap/core'
import { Plugin, PluginKey } from '@tiptap/pm/state'

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
      // The model keys synthesized audio to this id; y-tiptap keeps only declared attributes. Splitting a block
      // (Enter in the middle) must not copy the id, its audio or its duration to the second half.
      id: { default: null, keepOnSplit: false },
      voice: { default: 'narrator' },
      audioArtifactId: { default: null, keepOnSplit: false },
      duration: { default: null, keepOnSplit: false },
      // What the audio says (set with it by the server): the block is stale once its text or voice differs.
      audioFingerprint: { default: null, keepOnSplit: false },
    }
  },
  addProseMirrorPlugins() {
    const type = this.type
    return [
      new Plugin({
        key: new PluginKey('narrationIds'),
        // A narration block made by this person's edit without an id of its own (split, paste, a copy of another
        // block) gets a fresh one, in the same dispatch. Remote changes (y-sync applies them without history) are
        // left to their author.
        appendTransaction: (transactions, _old, state) => {
          if (!transactions.some((tr) => tr.docChanged && tr.getMeta('addToHistory') !== false)) return null
          const seen = new Set<string>()
          const tr = state.tr
          state.doc.forEach((node, offset) => {
            if (node.type !== type) return
            const id = typeof node.attrs.id === 'string' ? node.attrs.id : ''
            if (id && !seen.has(id)) {
              seen.add(id)
              return
            }
            const fresh = crypto.randomUUID()
            seen.add(fresh)
            tr.setNodeAttribute(offset, 'id', fresh)
          })
          return tr.docChanged ? tr : null
        },
      }),
    ]
  },
  parseHTML() {
    return [{ tag: 'div[data-narration]' }]
  },
  renderHTML({ node, HTMLAttributes }) {
    const { audioArtifactId: _a, duration: _d, id: _id, audioFingerprint: _f, voice, ...rest } = HTMLAttributes
    const voiced = typeof node.attrs.audioArtifactId === 'string'
    const stale =
      voiced && node.attrs.audioFingerprint !== retell.narrationFingerprint(node.textContent, String(node.attrs.voice))
    return [
      'div',
      mergeAttributes(rest, {
        'data-narration': '',
        'data-block-id': String(node.attrs.id ?? ''),
        'data-voice': String(voice ?? node.attrs.voice ?? 'narrator'),
        class: stale ? 'retell-narration voiced stale' : voiced ? 'retell-narration voiced' : 'retell-narration',
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

/**
 * The `draftId` a generated draft's blocks carry (the model's "Discard draft" removes exactly those). Declared on
 * every block type so y-tiptap keeps it through people's edits; rendered as `data-draft` to mark draft blocks.
 */
export const DraftBlocks = Extension.create({
  name: 'draftBlocks',
  addGlobalAttributes() {
    return [
      {
        types: ['chapter', 'narration', 'shot', 'paragraph'],
        attributes: {
          draftId: {
            default: null,
            parseHTML: () => null,
            renderHTML: (attrs) => (attrs.draftId ? { 'data-draft': String(attrs.draftId) } : {}),
          },
        },
      },
    ]
  },
})
