import { Editor, type EditorOptions } from '@tiptap/core'
import { type Accessor, createEffect, createSignal, onCleanup } from 'solid-js'

/**
 * A Tiptap editor mounted into `element()` once it exists; destroyed with the owning scope.
 * `editable` is applied live (read-only roles and ended connections).
 */
export function createTiptapEditor(
  element: Accessor<HTMLElement | undefined>,
  options: () => Partial<EditorOptions>,
  editable: Accessor<boolean>,
): Accessor<Editor | null> {
  const [editor, setEditor] = createSignal<Editor | null>(null)
  createEffect(() => {
    const el = element()
    if (!el || editor()) return
    const instance = new Editor({ ...options(), element: el, editable: editable() })
    setEditor(instance)
    onCleanup(() => instance.destroy())
  })
  createEffect(() => {
    const instance = editor()
    if (instance && instance.isEditable !== editable()) instance.setEditable(editable())
  })
  return editor
}
