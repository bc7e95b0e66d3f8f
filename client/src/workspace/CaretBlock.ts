import { Extension } from '@tiptap/core'
import type { Node as PmNode } from '@tiptap/pm/model'
import { Plugin, PluginKey, type Selection } from '@tiptap/pm/state'
import { Decoration, DecorationSet } from '@tiptap/pm/view'

export const caretBlockKey = new PluginKey<DecorationSet>('caretBlock')

/** A node decoration (class `caret-block`) on each textblock that holds an end of the selection. */
export function caretBlockDecorations(doc: PmNode, selection: Selection): DecorationSet {
  const ranges = new Map<number, number>()
  for (const $pos of [selection.$anchor, selection.$head]) {
    for (let depth = $pos.depth; depth > 0; depth--) {
      if (!$pos.node(depth).isTextblock) continue
      ranges.set($pos.before(depth), $pos.after(depth))
      break
    }
  }
  if (ranges.size === 0) return DecorationSet.empty
  return DecorationSet.create(
    doc,
    [...ranges].map(([from, to]) => Decoration.node(from, to, { class: 'caret-block' })),
  )
}

/**
 * Keeps the paragraph being typed in rendered. Long documents give their paragraphs `content-visibility: auto`, so
 * the browser skips the layout of paragraphs off screen; but Chrome also treats a paragraph that was just inserted
 * (by Enter, or a new block) as skipped until its next rendering update, and a key typed before that update is
 * inserted with the DOM caret left in front of it: "Line 2" is stored as "ine 2" and the "L" travels ahead of the
 * caret to the end of the document. The textblock holding the caret carries `caret-block` from the same
 * transaction that creates it, and the stylesheet keeps that block `content-visibility: visible`.
 */
export const CaretBlock = Extension.create({
  name: 'caretBlock',
  addProseMirrorPlugins() {
    return [
      new Plugin<DecorationSet>({
        key: caretBlockKey,
        state: {
          init: (_config, state) => caretBlockDecorations(state.doc, state.selection),
          apply: (tr, value, _old, state) =>
            tr.docChanged || tr.selectionSet ? caretBlockDecorations(state.doc, state.selection) : value,
        },
        props: {
          decorations: (state) => caretBlockKey.getState(state),
        },
      }),
    ]
  },
})
